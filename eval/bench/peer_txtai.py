"""txtai peer (runs in the peers' virtualenv, never imports ragqa).

``python peer_txtai.py PASSAGES.jsonl MODEL_DIR INDEX_DIR`` builds a txtai Embeddings index
with hybrid search (dense + its BM25) and content storage over the bench's passages, saves
it, and prints ``{"build_s": ...}``. It is then served by txtai's own API::

    CONFIG=config.yml python -m uvicorn txtai.api:app   # config.yml: "path: INDEX_DIR"
"""

import json
import sys
import time


def main() -> None:
    passages_file, model_dir, index_dir = sys.argv[1:4]
    from txtai import Embeddings

    with open(passages_file, encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle]
    started = time.perf_counter()
    embeddings = Embeddings(path=model_dir, content=True, hybrid=True)
    embeddings.index([(row["id"], row["text"], None) for row in rows])
    embeddings.save(index_dir)
    print(json.dumps({"build_s": time.perf_counter() - started, "passages": len(rows)}))


if __name__ == "__main__":
    main()
