"""BM25 with a reader's allowlist in the files store at scale (issue 29): the allowlist's own
statistics against the whole store's.

The same synthetic store as :mod:`ragqa.eval.pg_permissions` (``--docs`` documents of
``--per-doc`` passages of Zipf words from ``eval.bench.scale.synthetic_passages``, analysed by
the project's French analysis; each document given 1-3 of ``--groups`` groups, one in ten
none; readers holding 1-10 groups), as one files-store generation's BM25 side
(:class:`~ragqa.index.files.lexical.LexicalIndex`: bm25s and the raw postings). For each
query (the first six words of a held-out passage) the lexical top 100 is timed three ways:
unfiltered (bm25s), restricted to a reader's allowlist with the whole store's statistics
(bm25s's scores filtered: what a restricted reader got before), and with the allowlist's own
statistics (:class:`~ragqa.index.files.scoped.Scope`, as a search with an allowlist runs
now); and the idf of the query's terms both ways. A :class:`Scope` is made once per
allowlist and view (its first use is timed apart).

    nice -n 10 python -m ragqa.eval.files_permissions --docs 10000 --per-doc 10 --groups 1000
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from ragqa.eval.bench.scale import synthetic_passages
from ragqa.index.access import may_read
from ragqa.index.files.lexical import BM25Params, LexicalIndex
from ragqa.index.files.postings import Part
from ragqa.index.files.scoped import Scope
from ragqa.index.search.analysis import Analyzer, AnalyzerConfig


def measure(docs: int, per_doc: int, groups: int, queries: int, readers: int,
            seed: int) -> dict:
    rng = np.random.default_rng(seed)
    analyzer = Analyzer(AnalyzerConfig())
    params = BM25Params()
    started = time.perf_counter()
    lexical = LexicalIndex.build(synthetic_passages(docs * per_doc, seed=seed), analyzer, params)
    built_s = time.perf_counter() - started
    assert lexical.postings is not None
    document_groups = [frozenset() if rng.random() < 0.1 else frozenset(
        f"g{g}" for g in rng.choice(groups, size=int(rng.integers(1, 4)), replace=False))
        for _ in range(docs)]
    rng = np.random.default_rng(seed + 1)
    holders = [frozenset(f"g{g}" for g in rng.choice(groups, size=int(rng.integers(1, 11)),
                                                     replace=False)) for _ in range(readers)]
    # A document's passages are rows d * per_doc ... (documents by id, as a generation).
    allowlists = [np.concatenate([np.arange(d * per_doc, (d + 1) * per_doc) for d in range(docs)
                                  if may_read(document_groups[d], held)]
                                 or [np.zeros(0, dtype=np.int64)]) for held in holders]
    made_ms, scopes = [], []
    for rows in allowlists:
        begin = time.perf_counter()
        scopes.append(Scope([Part(lexical.postings, 0)], rows, params.k1, params.b))
        made_ms.append((time.perf_counter() - begin) * 1000)
    questions = [" ".join(t.split()[:6]) for t in synthetic_passages(queries, seed=seed + 7)]

    def timed(run, *args) -> float:
        begin = time.perf_counter()
        run(*args)
        return (time.perf_counter() - begin) * 1000

    def scoped(scope: Scope, question: str) -> None:  # as a search with an allowlist runs
        scope.candidates(analyzer(question), 100)

    times: dict[str, list[float]] = {name: [] for name in (
        "unfiltered", "whole_store_statistics", "allowlist_statistics",
        "idf_whole_store", "idf_allowlist")}
    for i, question in enumerate(questions):  # alternated: the load weighs on all alike
        rows, scope = allowlists[i % readers], scopes[i % readers]
        terms = analyzer(question)
        times["unfiltered"].append(timed(lexical.search, question, 100))
        times["whole_store_statistics"].append(timed(lexical.search, question, 100, rows))
        times["allowlist_statistics"].append(timed(scoped, scope, question))
        times["idf_whole_store"].append(timed(lexical.idf, terms))
        times["idf_allowlist"].append(timed(scope.idf, terms))

    def p(values: list[float], q: int) -> float:
        return round(float(np.percentile(values, q)), 3)

    result: dict = {"passages": docs * per_doc, "documents": docs, "groups": groups,
                    "build_s": round(built_s, 1), "queries": queries, "readers": readers,
                    "readable_passages_median": int(np.median([len(r) for r in allowlists])),
                    "scope_first_use_p50_ms": p(made_ms, 50)}
    for name, values in times.items():
        result[name] = {"p50_ms": p(values, 50), "p99_ms": p(values, 99)}
    result["ratio_p50_allowlist_vs_whole_store_statistics"] = round(
        float(np.percentile(times["allowlist_statistics"], 50)
              / np.percentile(times["whole_store_statistics"], 50)), 2)
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--per-doc", type=int, default=10)
    parser.add_argument("--groups", type=int, default=1000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--readers", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    result = measure(args.docs, args.per_doc, args.groups, args.queries, args.readers,
                     args.seed)
    print(json.dumps(result, indent=2))
    if args.out is not None:
        args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
