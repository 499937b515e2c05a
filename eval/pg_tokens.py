"""The passages' token vectors on PostgreSQL: a search with them in the database and
without them (issue 28, item 4; ``index/pg/tokens.py``).

PIAF's articles are indexed into a fresh database with the default settings (the bundled
e5, whose relevance uses the token match: ``auto`` makes them), then distinct PIAF
questions are searched in process (``Engine.search``, k=5: the reorder of the top 5, the
relevance, the highlights), once with the rows, once in a fresh engine after they are
dropped (as a database indexed before migration 5): p50 and p90 a search, and the caches'
counts (``stored_tokens``: top passages whose tokens were read from the database;
``token_vectors_passage``: the embedder's token passes and their cache).

    python -m ragqa.eval.pg_tokens --out eval/results/pg-token-vectors.json

Without ``--database-url`` a throw-away PostgreSQL 16 + pgvector is started with pgserver.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

import psycopg

from ragqa.eval.pg_server import database_server, fresh_database
from ragqa.eval.squad import load_squad, materialise


def _searched(settings, questions: list[str], label: str) -> dict:
    from ragqa import wiring

    engine = wiring.start(settings, update=False).engine
    try:
        engine.search("Quelle est la question ?", 5)  # the model loaded, not timed
        times = []
        for question in questions:
            started = time.perf_counter()
            engine.search(question, 5)
            times.append((time.perf_counter() - started) * 1000)
        caches = {name: {"hits": count.hits, "misses": count.misses}
                  for name, count in engine.cache_counts().items() if "token" in name}
    finally:
        engine.close()
    times.sort()
    return {"label": label, "questions": len(questions),
            "p50_ms": round(statistics.median(times), 1),
            "p90_ms": round(times[int(0.9 * (len(times) - 1))], 1), "caches": caches}


def measure(squad: Path, work: Path, count: int, database_url: str | None) -> dict:
    from ragqa import wiring
    from ragqa.settings import load_settings

    documents, loaded = load_squad(squad)
    corpus = materialise(documents, work)
    questions = list(dict.fromkeys(q.question for q in loaded))[:count]
    with database_server(database_url) as (admin_url, url_for):
        url = fresh_database(admin_url, url_for, "ragqa_eval_pg_tokens")
        settings = load_settings(corpus_dir=corpus, store="postgres", database_url=url)
        started = time.perf_counter()
        wiring.start(settings, update=True).engine.close()  # an empty database: indexed
        indexed = time.perf_counter() - started
        with psycopg.connect(url) as conn:
            rows, size = conn.execute("SELECT count(*), pg_total_relation_size('token_vectors') "
                                      "FROM token_vectors").fetchone()
            passages = conn.execute("SELECT passages FROM corpus_stats").fetchone()[0]
        runs = [_searched(settings, questions, "tokens stored")]
        with psycopg.connect(url) as conn:
            conn.execute("TRUNCATE token_vectors")
        runs.append(_searched(settings, questions, "no tokens stored"))
    return {"command": "python -m ragqa.eval.pg_tokens", "squad": str(squad),
            "machine": {"cpus": len(os.sched_getaffinity(0)),
                        "python": platform.python_version()},
            "passages": int(passages), "indexed_seconds": round(indexed, 1),
            "token_rows": int(rows), "token_table_bytes": int(size),
            "bytes_per_passage": round(size / max(rows, 1)), "runs": runs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--squad", type=Path,
                        default=Path("../shared/benchmarks/piaf/piaf-v1.0.json"))
    parser.add_argument("--work", type=Path, default=Path(".ragqa/pg-tokens"))
    parser.add_argument("--questions", type=int, default=300)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    report = measure(args.squad, args.work, args.questions, args.database_url)
    text = json.dumps(report, indent=1, ensure_ascii=False)
    if args.out is not None:
        args.out.write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
