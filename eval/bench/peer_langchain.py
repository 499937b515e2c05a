"""LangChain peer (runs in the peers' virtualenv, never imports ragqa).

``python peer_langchain.py build PASSAGES.jsonl MODEL_DIR INDEX_DIR`` builds LangChain's FAISS
vector store with HuggingFaceEmbeddings (the same sentence-transformers model), saves it and
prints ``{"build_s": ...}``. ``python peer_langchain.py serve MODEL_DIR INDEX_DIR PORT``
serves it behind a minimal FastAPI route, ``GET /search?query=...&limit=5``, under uvicorn.
"""

import json
import sys
import time


def _embeddings(model_dir):
    from langchain_huggingface import HuggingFaceEmbeddings

    return HuggingFaceEmbeddings(model_name=model_dir, model_kwargs={"device": "cpu"},
                                 encode_kwargs={"normalize_embeddings": True})


def build(passages_file, model_dir, index_dir):
    from langchain_community.vectorstores import FAISS

    with open(passages_file, encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle]
    started = time.perf_counter()
    store = FAISS.from_texts([r["text"] for r in rows], _embeddings(model_dir),
                             metadatas=[{"id": r["id"]} for r in rows])
    store.save_local(index_dir)
    print(json.dumps({"build_s": time.perf_counter() - started, "passages": len(rows)}))


def serve(model_dir, index_dir, port):
    import uvicorn
    from fastapi import FastAPI
    from langchain_community.vectorstores import FAISS

    store = FAISS.load_local(index_dir, _embeddings(model_dir),
                             allow_dangerous_deserialization=True)  # our own file
    app = FastAPI()

    @app.get("/search")
    def search(query: str, limit: int = 5):
        found = store.similarity_search_with_score(query, k=limit)
        return [{"id": doc.metadata["id"], "score": float(score)} for doc, score in found]

    uvicorn.run(app, host="127.0.0.1", port=int(port), log_level="warning")


if __name__ == "__main__":
    if sys.argv[1] == "build":
        build(*sys.argv[2:5])
    else:
        serve(*sys.argv[2:5])
