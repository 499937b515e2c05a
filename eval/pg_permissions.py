"""Search with a reader's allowlist on PostgreSQL at scale (issue 29, item 6).

A store of ``--docs`` documents of ``--per-doc`` passages (synthetic: Zipf words from
``eval.bench.scale.synthetic_passages``, analysed by the project's French analysis; 384-d
seeded vectors from ``synthetic_vectors``, shaped like sentence embeddings) is written in
bulk with COPY (the HNSW graph built once afterwards, as a bulk index does). Each document
gets 1-3 of ``--groups`` groups, one in ten none (every reader's).
Readers hold 1-10 groups. For each query (a fresh vector of the same mixture, and the first
six words of a held-out passage) the store's part of a search is timed, as
:class:`~ragqa.index.pg.view.PgView` runs it: BM25 top 100 and the vector top 100
(``ef_search`` 100), then unfiltered and restricted to a random reader's allowlist (the
SQL of :class:`~ragqa.index.pg.groups.PgGroups`, timed apart: it is computed once per store
state and group set). The query's embedding (the same for both) is not included: the ratio
is the strictest one. A restricted search is timed twice: with BM25 over the whole store's
statistics (``filtered``: how it ran before issue 29's fix) and over the allowlist's own
(``scoped``: how :class:`~ragqa.index.pg.view.PgView` runs it now), and so are the term
statistics alone (what the relevance's and the highlight's idf each cost).

    nice -n 10 python -m ragqa.eval.pg_permissions --docs 10000 --per-doc 10 --groups 1000
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path

import numpy as np

from ragqa.eval.bench.scale import synthetic_passages, synthetic_vectors
from ragqa.eval.pg_server import database_server, fresh_database
from ragqa.index.pg.connect import connect
from ragqa.index.pg.groups import READABLE_SQL
from ragqa.index.pg.migrations import migrate
from ragqa.index.pg.schema import CREATE_VECTOR_INDEX, VECTOR_INDEX
from ragqa.index.pg.search import bm25_search, term_stats, vector_search
from ragqa.index.search.analysis import Analyzer, AnalyzerConfig

DIM = 384


def load(url: str, docs: int, per_doc: int, groups: int, seed: int) -> dict:
    """The synthetic store, written in bulk in one transaction (COPY, as a bulk index
    writes; the HNSW graph built afterwards) and its documents' groups."""
    n = docs * per_doc
    analyzer = Analyzer(AnalyzerConfig())
    texts = synthetic_passages(n, seed=seed)
    vectors = synthetic_vectors(n, seed=seed, block=5000)  # basis[topic]: 7 GB at once
    rng = np.random.default_rng(seed)
    started = time.perf_counter()
    total = 0
    with connect(url, timeout=30) as conn:
        migrate(conn, dimension=DIM)
        conn.execute(f"DROP INDEX IF EXISTS {VECTOR_INDEX}")
        with conn.transaction(), conn.cursor() as cur:
            with cur.copy("COPY documents (doc_id, title, content_hash, text, passages) "
                          "FROM STDIN") as copy:
                for d in range(docs):
                    text = "\n\n".join(texts[d * per_doc:(d + 1) * per_doc])
                    copy.write_row((f"d{d:06d}.txt", f"Document {d}", f"h{d}", text, per_doc))
            for d in range(docs):
                offset = 0
                with cur.copy("COPY passages (id, doc_id, ordinal, start_offset, end_offset, "
                              "section, length, embedding) FROM STDIN") as copy:
                    rows = []
                    for i in range(per_doc):
                        row = d * per_doc + i
                        text = texts[row]
                        terms = analyzer(text)
                        rows.append((row + 1, terms))
                        total += len(terms)
                        copy.write_row((row + 1, f"d{d:06d}.txt", i, offset,
                                        offset + len(text), "", len(terms), vectors[row]))
                        offset += len(text) + 2
                with cur.copy("COPY postings (term, passage_id, tf, length) FROM STDIN") as copy:
                    for pid, terms in rows:
                        for term, tf in Counter(terms).items():
                            copy.write_row((term, pid, tf, len(terms)))
            conn.execute("UPDATE corpus_stats SET passages = %s, total_length = %s, "
                         "changes = changes + 1", (n, total))
            conn.execute("SELECT setval(pg_get_serial_sequence('passages', 'id'), %s)", (n,))
        loaded_s = time.perf_counter() - started
        started = time.perf_counter()
        conn.execute("SET maintenance_work_mem = '1GB'")
        conn.execute(CREATE_VECTOR_INDEX)
        hnsw_s = time.perf_counter() - started
        with conn.cursor() as cur, cur.copy(
                "COPY document_groups (doc_id, groups) FROM STDIN") as copy:
            for d in range(docs):
                if rng.random() < 0.1:
                    continue  # every reader's
                chosen = rng.choice(groups, size=int(rng.integers(1, 4)), replace=False)
                copy.write_row((f"d{d:06d}.txt", [f"g{g}" for g in sorted(chosen)]))
        conn.execute("ANALYZE")
    return {"passages": n, "documents": docs, "groups": groups,
            "load_s": round(loaded_s, 1), "hnsw_build_s": round(hnsw_s, 1)}


def measure(url: str, *, queries: int, readers: int, groups: int, seed: int) -> dict:
    rng = np.random.default_rng(seed + 1)
    analyzer = Analyzer(AnalyzerConfig())
    texts = synthetic_passages(queries, seed=seed + 7)
    terms = [analyzer(" ".join(t.split()[:6])) for t in texts]
    vectors = synthetic_vectors(queries, seed=seed + 7)
    holders = [sorted({f"g{g}" for g in rng.choice(groups, size=int(rng.integers(1, 11)),
                                                   replace=False)}) for _ in range(readers)]
    allow_ms, allowlists = [], []
    with connect(url, timeout=30) as conn:
        for held in holders:
            started = time.perf_counter()
            rows = conn.execute(READABLE_SQL, (held,)).fetchall()
            allow_ms.append((time.perf_counter() - started) * 1000)
            allowlists.append(sorted(r[0] for r in rows))
        passages = int(conn.execute("SELECT passages FROM corpus_stats").fetchone()[0])

        def search(i: int, docs: list[str] | None, scoped: bool = False
                   ) -> tuple[float, float, float]:
            """(BM25 ms, vector ms, term statistics ms) of query ``i`` among ``docs`` (all
            when None), BM25 with their own statistics when ``scoped``."""
            scope = docs if scoped else None
            started = time.perf_counter()
            bm25_search(conn, terms[i], 100, doc_ids=docs, scope=scope)
            middle = time.perf_counter()
            vector_search(conn, vectors[i], 100, ef_search=100, doc_ids=docs)
            end = time.perf_counter()
            term_stats(conn, terms[i], scope)
            return ((middle - started) * 1000, (end - middle) * 1000,
                    (time.perf_counter() - end) * 1000)

        search(0, None), search(0, allowlists[0]), search(0, allowlists[0], True)  # warm
        plain, filtered, scoped = [], [], []
        for i in range(queries):  # alternated: the machine's load weighs on all alike
            plain.append(search(i, None))
            filtered.append(search(i, allowlists[i % readers]))
            scoped.append(search(i, allowlists[i % readers], True))
    share = [len(a) for a in allowlists]

    def p(values: list[float], q: int) -> float:
        return round(float(np.percentile(values, q)), 2)

    result = {"queries": queries, "readers": readers, "store_passages": passages,
              "readable_documents_median": int(np.median(share)),
              "allowlist_sql_p50_ms": p(allow_ms, 50)}
    for name, part in (("bm25", lambda t: t[0]), ("vector", lambda t: t[1]),
                       ("search", lambda t: t[0] + t[1]), ("term_stats", lambda t: t[2])):
        a, b, c = ([part(t) for t in times] for times in (plain, filtered, scoped))
        result[name] = {"unfiltered_p50_ms": p(a, 50), "unfiltered_p99_ms": p(a, 99),
                        "filtered_p50_ms": p(b, 50), "filtered_p99_ms": p(b, 99),
                        "scoped_p50_ms": p(c, 50), "scoped_p99_ms": p(c, 99),
                        "ratio_p50": round(float(np.percentile(b, 50) / np.percentile(a, 50)),
                                           2),
                        "scoped_ratio_p50": round(float(np.percentile(c, 50)
                                                        / np.percentile(a, 50)), 2)}
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--per-doc", type=int, default=10)
    parser.add_argument("--groups", type=int, default=1000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--readers", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    with database_server(args.database_url) as (admin, url_for):
        url = fresh_database(admin, url_for, "ragqa_permissions")
        built = load(url, args.docs, args.per_doc, args.groups, args.seed)
        print(json.dumps(built), flush=True)
        result = {**built, **measure(url, queries=args.queries, readers=args.readers,
                                     groups=args.groups, seed=args.seed)}
    print(json.dumps(result, indent=2))
    if args.out is not None:
        args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
