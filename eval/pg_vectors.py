"""pgvector's HNSW beside FAISS on the same synthetic vectors (decision data, issue 17).

The vectors are ``eval.bench.scale.synthetic_vectors`` (seeded, shaped like sentence
embeddings, normalised) and recall@10 is against exact inner-product search
(``eval.bench.scale.exact_top``), as in ``ragqa bench --scale``. Both HNSW graphs use the same
parameters (pgvector's defaults: M 16, ef_construction 64) and are searched with
ef_search 40 (pgvector's default), 100 and 400. FAISS's exact scan (``IndexFlatIP``, what the files
store serves up to 100,000 passages) is timed too. pgvector's latency is a whole query from
Python (psycopg over a Unix socket, binary vector parameter); FAISS's is an in-process call.
Also timed: inserting more vectors one small document at a time (10 rows per transaction)
into the indexed table, the cost a per-document write pays for its vectors.

    nice -n 10 python -m ragqa.eval.pg_vectors --n 100000 --out eval/results/pg-vectors.json

Without ``--database-url`` a throw-away PostgreSQL 16 + pgvector is started with pgserver.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import faiss
import numpy as np
import psycopg

from ragqa.eval.bench.scale import exact_top, synthetic_vectors
from ragqa.eval.pg_server import database_server, fresh_database
from ragqa.index.pg.connect import register_vector_type

M, EF_CONSTRUCTION = 16, 64
EF_SEARCH = (40, 100, 400)


def _recall(found: list[np.ndarray], truth: np.ndarray, k: int) -> float:
    return float(np.mean([len(set(f.tolist()) & set(t.tolist())) / k
                          for f, t in zip(found, truth)]))


def _timed(search, queries: np.ndarray) -> tuple[list[np.ndarray], list[float]]:
    found, ms = [], []
    search(queries[0])  # warm
    for q in queries:
        started = time.perf_counter()
        found.append(search(q))
        ms.append((time.perf_counter() - started) * 1000)
    return found, ms


def _row(name: str, build_s: float | None, ms: list[float], recall: float) -> dict:
    return {"index": name, "build_s": None if build_s is None else round(build_s, 1),
            "p50_ms": round(float(np.percentile(ms, 50)), 2),
            "p99_ms": round(float(np.percentile(ms, 99)), 2), "recall@10": round(recall, 4)}


def faiss_rows(xb: np.ndarray, xq: np.ndarray, truth: np.ndarray, k: int) -> list[dict]:
    rows = []
    flat = faiss.IndexFlatIP(xb.shape[1])
    flat.add(xb)
    found, ms = _timed(lambda q: flat.search(q[None, :], k)[1][0], xq)
    rows.append(_row("FAISS IndexFlatIP (exact)", None, ms, _recall(found, truth, k)))
    started = time.perf_counter()
    hnsw = faiss.IndexHNSWFlat(xb.shape[1], M, faiss.METRIC_INNER_PRODUCT)
    hnsw.hnsw.efConstruction = EF_CONSTRUCTION
    hnsw.add(xb)
    build_s = time.perf_counter() - started
    for ef in EF_SEARCH:
        hnsw.hnsw.efSearch = ef
        found, ms = _timed(lambda q: hnsw.search(q[None, :], k)[1][0], xq)
        rows.append(_row(f"FAISS IndexHNSWFlat, ef_search {ef}", build_s, ms,
                         _recall(found, truth, k)))
    return rows


def pgvector_rows(url: str, xb: np.ndarray, xq: np.ndarray, truth: np.ndarray, k: int,
                  extra: np.ndarray, work_mem: str = "1GB") -> tuple[list[dict], dict]:
    dim = xb.shape[1]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        register_vector_type(conn)
        conn.execute("DROP TABLE IF EXISTS items")
        conn.execute(f"CREATE TABLE items (id bigint PRIMARY KEY, embedding vector({dim}))")
        started = time.perf_counter()
        with conn.cursor().copy("COPY items (id, embedding) FROM STDIN WITH (FORMAT BINARY)") as copy:
            copy.set_types(["int8", "vector"])
            for i, v in enumerate(xb):
                copy.write_row((i, v))
        load_s = time.perf_counter() - started
        # The whole graph in memory while building (else pgvector builds far slower on disk).
        conn.execute(f"SET maintenance_work_mem = '{work_mem}'")
        workers = conn.execute("SHOW max_parallel_maintenance_workers").fetchone()[0]
        started = time.perf_counter()
        conn.execute("CREATE INDEX items_hnsw ON items USING hnsw (embedding vector_ip_ops) "
                     f"WITH (m = {M}, ef_construction = {EF_CONSTRUCTION})")
        build_s = time.perf_counter() - started
        conn.execute("VACUUM ANALYZE items")
        size_mb = conn.execute("SELECT pg_relation_size('items_hnsw')").fetchone()[0] / 2**20
        rows = []
        for ef in EF_SEARCH:
            conn.execute(f"SET hnsw.ef_search = {ef}")
            sql = "SELECT id FROM items ORDER BY embedding <#> %s LIMIT %s"

            def search(q: np.ndarray) -> np.ndarray:
                return np.array([r[0] for r in conn.execute(sql, (q, k), binary=True)])

            plan = " ".join(r[0] for r in conn.execute("EXPLAIN " + sql, (xq[0], k)))
            assert "items_hnsw" in plan, plan  # the graph, not a sequential scan
            found, ms = _timed(search, xq)
            rows.append(_row(f"pgvector HNSW, ef_search {ef}", build_s, ms,
                             _recall(found, truth, k)))
        started = time.perf_counter()
        for begin in range(0, len(extra), 10):
            with conn.transaction():
                with conn.cursor().copy("COPY items (id, embedding) FROM STDIN "
                                        "WITH (FORMAT BINARY)") as copy:
                    copy.set_types(["int8", "vector"])
                    for i, v in enumerate(extra[begin:begin + 10], len(xb) + begin):
                        copy.write_row((i, v))
        insert_ms = (time.perf_counter() - started) * 1000 / len(extra)
    info = {"load_s": round(load_s, 1), "maintenance_work_mem": work_mem, "index_mb": round(size_mb, 1),
            "parallel_maintenance_workers": int(workers),
            "insert_ms_per_vector_into_graph": round(insert_ms, 2), "inserted": len(extra)}
    return rows, info


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--database-url")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--maintenance-work-mem", default="1GB",
                        help="PostgreSQL memory for the HNSW build (the graph must fit: "
                             "about 8GB for 1,000,000 384-d vectors)")
    args = parser.parse_args(argv)
    k, extra_n = 10, 1000
    vectors = synthetic_vectors(args.n + args.queries + extra_n, seed=0)
    xb, xq = vectors[:args.n], vectors[args.n:args.n + args.queries]
    extra = vectors[args.n + args.queries:]
    truth = exact_top(xb, xq, k)
    print(f"{args.n} vectors, {args.queries} queries; FAISS threads {faiss.omp_get_max_threads()}",
          flush=True)
    rows = faiss_rows(xb, xq, truth, k)
    for row in rows:
        print(row, flush=True)
    with database_server(args.database_url) as (admin_url, url_for):
        url = fresh_database(admin_url, url_for, "ragqa_pg_vectors")
        pg_rows, info = pgvector_rows(url, xb, xq, truth, k, extra,
                                      args.maintenance_work_mem)
    for row in pg_rows:
        print(row, flush=True)
    print(info)
    result = {"vectors": args.n, "dimension": xb.shape[1], "queries": args.queries,
              "M": M, "ef_construction": EF_CONSTRUCTION, "rows": rows + pg_rows,
              "pgvector": info, "faiss_threads": faiss.omp_get_max_threads()}
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=1), "utf-8")


if __name__ == "__main__":
    main()
