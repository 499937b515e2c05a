"""Does reading from index-time vectors hold quality? ``python -m ragqa.eval.stored_vectors``.

One corpus indexed twice, the passage vectors shared: as served by default (every
sentence's vector and every passage's token vectors made at index time,
:mod:`ragqa.index.files.sentences`, :mod:`ragqa.index.files.tokens`) and without them
(``RAGQA_SENTENCE_VECTORS=false``, ``RAGQA_TOKEN_VECTORS=false``: the model makes them at query
time, as before). Each question of a split is searched once with each (its own embedder, so
no cache is shared), and the report gives, for each: the highlight holding the answer (among
questions answered in the top 5), recall@1, MRR@10, the answerable questions flagged
``low_relevance``, milliseconds a search (each question once: the passages are new to the
caches as often as a stream of distinct questions makes them), and between the two: searches
whose hits, highlights or verdicts differ, and the largest difference of ``relevance``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path

import numpy as np

VARIANTS = {"stored": {}, "query time": {"sentence_vectors": False, "token_vectors": False}}


def run(settings, questions_for: Callable[[dict[str, str]], list], work: Path,
        limit: int = 0) -> dict:
    """The report (see the module) for the questions ``questions_for`` gives from the
    documents' texts (by id) over ``settings``' corpus."""
    from ragqa import wiring
    from ragqa.eval.highlights import measure_service

    model = wiring.resolve(settings)
    out: dict = {"model": model.name, "variants": {}}
    answerable: list = []
    found: dict[str, list] = {}
    stored_dir = work / "stored"
    for name, change in VARIANTS.items():
        index_dir = work / name.replace(" ", "-")
        if name != "stored" and not index_dir.exists() and stored_dir.exists():
            shutil.copytree(stored_dir, index_dir)  # its passage vectors, reused
        served = settings.model_copy(update={"index_dir": index_dir, **change})
        started = time.perf_counter()
        report = wiring.index_corpus(served, model)
        built = time.perf_counter() - started
        engine = wiring.start(served, update=False, model=model).engine
        if not answerable:
            texts = {d: r.text for d, r in engine.index.documents_by_id().items()}
            answerable = [q for q in questions_for(texts) if q.answerable][: limit or None]
            out["questions"] = len(answerable)
        try:
            engine.search("Quelle est la question ?")  # first-search costs out of the way
            latencies, results = [], []
            for q in answerable:
                begun = time.perf_counter()
                results.append(engine.search(q.question, 10))
                latencies.append((time.perf_counter() - begun) * 1000)
            quality = measure_service(engine, answerable)  # the same searches, cached
            counts = engine.cache_counts()
        finally:
            engine.close()
        found[name] = results
        out["variants"][name] = {
            "index_seconds": round(built, 1), "up_to_date": report.up_to_date,
            "highlight_contains": quality["contains_rate"], "retrieved": quality["retrieved"],
            "recall@1": quality["recall@1"], "mrr@10": quality["mrr@10"],
            "answerable_flagged": sum(r.result.low_relevance for r in results),
            "p50_ms": round(float(np.percentile(latencies, 50)), 1),
            "mean_ms": round(float(np.mean(latencies)), 1),
            "stored_sentences": asdict(counts["stored_sentences"]),
            "stored_tokens": asdict(counts["stored_tokens"])}
    a, b = found["stored"], found["query time"]
    out["differences"] = {
        "hits": sum([h.row for h in x.result.hits] != [h.row for h in y.result.hits]
                    for x, y in zip(a, b)),
        "highlights": sum(x.highlights != y.highlights for x, y in zip(a, b)),
        "low_relevance": sum(x.result.low_relevance != y.result.low_relevance
                             for x, y in zip(a, b)),
        "relevance_max": round(max((abs((x.result.relevance or 0) - (y.result.relevance or 0))
                                    for x, y in zip(a, b)), default=0.0), 4)}
    return out


def main(argv: Sequence[str] | None = None) -> None:
    from ragqa.eval.questions import load_questions, select
    from ragqa.settings import load_settings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=Path, default=Path("eval/questions.jsonl"))
    parser.add_argument("--corpus", type=Path, default=Path("corpus"))
    parser.add_argument("--squad", type=Path, default=None,
                        help="a SQuAD-format set instead (its articles are the corpus)")
    parser.add_argument("--split", default="dev", choices=["dev", "test", "all"])
    parser.add_argument("--limit", type=int, default=0, help="first N answerable questions")
    parser.add_argument("--work", type=Path, default=Path(".ragqa/stored-vectors"))
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON here")
    args = parser.parse_args(argv)
    corpus = args.corpus
    if args.squad is not None:
        from ragqa.eval.squad import load_squad, materialise

        documents, loaded = load_squad(args.squad)
        corpus = materialise(documents, args.work / "corpora")
        work = corpus.parent

        def questions_for(texts: dict[str, str]) -> list:
            return select(loaded, args.split)
    else:
        work = args.work / "project"

        def questions_for(texts: dict[str, str]) -> list:
            return select(load_questions(args.questions, texts), args.split)
    settings = load_settings(corpus_dir=corpus, index_dir=work / "stored")
    report = run(settings, questions_for, work, args.limit)
    report.update({"set": str(args.squad or args.questions), "split": args.split})
    text = json.dumps(report, indent=2, ensure_ascii=False)
    print(text)
    if args.out is not None:
        args.out.write_text(text + "\n", "utf-8")


if __name__ == "__main__":
    main()
