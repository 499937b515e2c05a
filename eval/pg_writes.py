"""Per-document write latency against corpus size in the PostgreSQL store (issue 17).

A corpus of N passages (PIAF's documents, chunked and analysed by the project's own
pipeline, copied under other ids until N is reached; 384-d seeded synthetic vectors) is
loaded with :func:`ragqa.index.pg.writes.replace_document` (HNSW index built once after the bulk
load), then one small document (5 passages, analysed terms and vectors) is uploaded,
uploaded again unchanged, replaced by a new version and deleted, ``--repeat`` times each.
The files store rewrites a whole generation for each of these (README: 0.2 s at 454 passages,
1.1–1.6 s at 4,659); here the cost should not grow with N.

    nice -n 10 python -m ragqa.eval.pg_writes --sizes 1000,10000,50000
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from ragqa.eval.bench.scale import synthetic_vectors
from ragqa.eval.metrics import percentile
from ragqa.eval.pg_lexical import PIAF, SCRATCH, build_bm25_index, passage_texts
from ragqa.eval.pg_server import database_server, fresh_database
from ragqa.eval.squad import load_squad, materialise
from ragqa.index.pg.connect import connect
from ragqa.index.pg.migrations import migrate
from ragqa.index.pg.writes import DocumentWrite, PassageRow, delete_document, replace_document

DIM = 384


def corpus_documents(index, texts: list[str], n: int, vectors: np.ndarray) -> list[DocumentWrite]:
    """Documents of ``index`` copied under other ids until they hold ``n`` passages."""
    analyzer = index.lexical.analyzer
    rows_of: dict[str, list[int]] = {}
    for row, p in enumerate(index.passages):
        rows_of.setdefault(p.doc_id, []).append(row)
    terms = [tuple(analyzer(t)) for t in texts]
    out, used, copy = [], 0, 0
    while used < n:
        for doc_id, doc in index.documents.items():
            rows = rows_of.get(doc_id, [])[: n - used]
            if not rows:
                continue
            out.append(DocumentWrite(
                f"copy{copy:04d}/{doc_id}", doc.title, doc.text, f"{copy}:{doc.content_hash}",
                tuple(PassageRow(index.passages[r].start, index.passages[r].end,
                                 index.passages[r].section, index.passages[r].page, terms[r],
                                 vectors[(used + i) % len(vectors)])
                      for i, r in enumerate(rows)),
            ))
            used += len(rows)
            if used >= n:
                break
        copy += 1
    return out


def small_document(version: int, vectors: np.ndarray, analyzer) -> DocumentWrite:
    paragraphs = [f"Note {version}, paragraphe {i} : le raccordement à la fibre optique de "
                  f"la commune avance, {100 + i} foyers de plus ce mois-ci." for i in range(5)]
    text = "\n\n".join(paragraphs) + "\n"
    rows, offset = [], 0
    for i, paragraph in enumerate(paragraphs):
        rows.append(PassageRow(offset, offset + len(paragraph), "Note", None,
                               tuple(analyzer(paragraph)), vectors[i]))
        offset += len(paragraph) + 2
    return DocumentWrite("notes/new.md", "Note", text, f"note-{version}", tuple(rows))


def measure(url: str, documents: list[DocumentWrite], analyzer, vectors: np.ndarray,
            repeat: int) -> dict:
    with connect(url) as conn:
        migrate(conn, dimension=DIM)
        conn.execute("DROP INDEX passages_embedding")  # bulk load first, one build after
        started = time.perf_counter()
        for doc in documents:
            replace_document(conn, doc)
        load_s = time.perf_counter() - started
        conn.execute("SET maintenance_work_mem = '1GB'")
        started = time.perf_counter()
        conn.execute("CREATE INDEX passages_embedding ON passages "
                     "USING hnsw (embedding vector_ip_ops)")
        index_s = time.perf_counter() - started
        conn.execute("VACUUM ANALYZE")
        passages = conn.execute("SELECT count(*) FROM passages").fetchone()[0]
        times: dict[str, list[float]] = {"upload": [], "unchanged": [], "replace": [],
                                         "delete": []}
        for i in range(repeat):
            for name, action in (
                ("upload", lambda: replace_document(conn, small_document(2 * i, vectors, analyzer))),
                ("unchanged", lambda: replace_document(conn, small_document(2 * i, vectors,
                                                                            analyzer))),
                ("replace", lambda: replace_document(conn, small_document(2 * i + 1, vectors,
                                                                          analyzer))),
                ("delete", lambda: delete_document(conn, "notes/new.md")),
            ):
                started = time.perf_counter()
                action()
                times[name].append((time.perf_counter() - started) * 1000)
    return {"passages": passages, "load_s": round(load_s, 1), "hnsw_build_s": round(index_s, 1),
            **{f"{name}_p50_ms": round(percentile(ms, 50), 1) for name, ms in times.items()},
            **{f"{name}_p95_ms": round(percentile(ms, 95), 1) for name, ms in times.items()}}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,50000")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--database-url")
    parser.add_argument("--piaf", type=Path, default=PIAF)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    documents, _ = load_squad(args.piaf)
    index = build_bm25_index(materialise(documents, SCRATCH / "squad"), SCRATCH / "piaf")
    texts = passage_texts(index)
    vectors = synthetic_vectors(max(sizes), seed=1)
    results = []
    with database_server(args.database_url) as (admin_url, url_for):
        for n in sizes:
            url = fresh_database(admin_url, url_for, f"ragqa_pg_writes_{n}")
            row = measure(url, corpus_documents(index, texts, n, vectors),
                          index.lexical.analyzer, vectors, args.repeat)
            print(row, flush=True)
            results.append(row)
    print("| passages | upload p50 ms | unchanged p50 ms | replace p50 ms | delete p50 ms |")
    print("|---|---|---|---|---|")
    for r in results:
        print(f"| {r['passages']:,} | {r['upload_p50_ms']} | {r['unchanged_p50_ms']} | "
              f"{r['replace_p50_ms']} | {r['delete_p50_ms']} |")
    if args.out is not None:
        args.out.write_text(json.dumps(results, indent=1), "utf-8")


if __name__ == "__main__":
    main()
