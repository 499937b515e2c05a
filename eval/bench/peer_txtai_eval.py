"""txtai on an eval set (runs in the peers' virtualenv, never imports ragqa).

``python peer_txtai_eval.py CHUNKS.jsonl MODEL_DIR INDEX_DIR QUERIES.jsonl OUT.jsonl K
QUERY_PREFIX PASSAGE_PREFIX`` builds (or, when INDEX_DIR exists, loads) a txtai Embeddings
index with its default hybrid search (``hybrid: True``: dense + its BM25) over the chunks,
the model's prefixes given through txtai's ``instructions`` setting, searches every query
for its top K chunk ids, writes ``{"id", "ids"}`` lines to OUT, and prints the timings.
"""

import json
import os
import sys
import time


def main() -> None:
    chunks_file, model_dir, index_dir, queries_file, out_file, k = sys.argv[1:7]
    query_prefix, passage_prefix = sys.argv[7:9]
    from txtai import Embeddings

    timings = {}
    if os.path.isdir(index_dir):
        embeddings = Embeddings()
        embeddings.load(index_dir)
        timings["build_s"] = None  # reused
    else:
        with open(chunks_file, encoding="utf-8") as handle:
            rows = [json.loads(line) for line in handle]
        started = time.perf_counter()
        config = {"path": model_dir, "hybrid": True}
        if query_prefix or passage_prefix:
            config["instructions"] = {"query": query_prefix, "data": passage_prefix}
        embeddings = Embeddings(config)
        embeddings.index([(row["id"], row["text"], None) for row in rows])
        embeddings.save(index_dir + ".tmp")
        os.rename(index_dir + ".tmp", index_dir)
        timings["build_s"] = round(time.perf_counter() - started, 1)
    with open(queries_file, encoding="utf-8") as handle:
        queries = [json.loads(line) for line in handle]
    started = time.perf_counter()
    found = embeddings.batchsearch([q["text"] for q in queries], int(k))
    timings["search_s"] = round(time.perf_counter() - started, 1)
    with open(out_file, "w", encoding="utf-8") as handle:
        for q, hits in zip(queries, found):
            ids = [h["id"] if isinstance(h, dict) else h[0] for h in hits]
            handle.write(json.dumps({"id": q["id"], "ids": ids}) + "\n")
    timings["config"] = {k: v for k, v in embeddings.config.items()
                         if k in ("path", "method", "hybrid", "scoring", "instructions",
                                  "pooling", "maxlength")}
    print(json.dumps(timings))


if __name__ == "__main__":
    main()
