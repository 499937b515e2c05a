"""How often the highlighted sentence holds the known answer: ``python -m ragqa.eval.highlights``.

For every answerable question of a split, the first of the top-``k`` passages that holds a
gold answer span is highlighted as the service does it; the highlight *contains* the
answer when the whole gold span lies inside it, and *overlaps* when they share characters
(an answer longer than one sentence can only overlap). Questions whose answer passage is
not retrieved are counted apart: this measures the highlight, not retrieval.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from cachetools import LRUCache

from ragqa.eval.questions import Question, load_questions, select
from ragqa.index.search.highlight import Highlighter
from ragqa.index.search.retriever import Retriever

SpanFor = Callable[[str, str, int, int], tuple[int, int]]


@dataclass(frozen=True)
class HighlightReport:
    questions: int  # answerable questions of the split
    retrieved: int  # ... whose answer passage is in the top k
    contains: int  # ... whose highlight contains a whole gold answer span
    overlaps: int  # ... whose highlight shares characters with a gold answer span

    @property
    def contains_rate(self) -> float:
        return self.contains / self.retrieved if self.retrieved else 0.0

    @property
    def overlaps_rate(self) -> float:
        return self.overlaps / self.retrieved if self.retrieved else 0.0


def measure(retriever: Retriever, questions: Sequence[Question],
            span_for: Callable[[str], SpanFor], k: int = 10) -> HighlightReport:
    """Highlight each question's answer passage with ``span_for(question)``."""
    texts = {d: r.text for d, r in retriever.index.documents_by_id().items()}
    answerable = [q for q in questions if q.answerable]
    retrieved = contains = overlaps = 0
    for q in answerable:
        result = retriever.search(q.question, k)
        hits, asked = result.hits, result.read_as or q.question  # what the service reads
        found = next(((h, g) for h in hits if h.doc_id == q.doc for g in q.spans
                      if h.start <= g[0] and g[1] <= h.end), None)
        if found is None:
            continue
        hit, _ = found
        retrieved += 1
        s, e = span_for(asked)(hit.doc_id, texts[hit.doc_id], hit.start, hit.end)
        golds = [g for g in q.spans if hit.start <= g[0] and g[1] <= hit.end]
        contains += any(s <= gs and ge <= e for gs, ge in golds)
        overlaps += any(s < ge and gs < e for gs, ge in golds)
    return HighlightReport(len(answerable), retrieved, contains, overlaps)


def first_answer_hit(hits: Sequence, q: Question, top: int = 5) -> tuple[int, object] | None:
    """The first of the ``top`` hits holding a whole gold span of ``q``, with its index."""
    return next(((i, h) for i, h in enumerate(hits[:top]) if h.doc_id == q.doc
                 and any(h.start <= gs and ge <= h.end for gs, ge in q.spans)), None)


def measure_service(engine, questions: Sequence[Question], k: int = 10) -> dict:
    """The highlight as ``Engine.search`` gives it (with the reader when ``engine.reading``
    is set), for the first of the top 5 passages holding a gold span; with recall@1, MRR@10
    of that order and the seconds per question."""
    import time

    from ragqa.eval.metrics import first_hit_rank, is_hit

    answerable = [q for q in questions if q.answerable]
    retrieved = contains = overlaps = 0
    ranks: list[int | None] = []
    started = time.perf_counter()
    for q in answerable:
        found = engine.search(q.question, k)
        hits = found.result.hits
        ranks.append(first_hit_rank(
            [is_hit(h.doc_id, h.start, h.end, q.doc or "", q.spans) for h in hits]))
        first = first_answer_hit(hits, q)
        if first is None:
            continue
        i, hit = first
        retrieved += 1
        s, e = found.highlights[i]
        golds = [g for g in q.spans if hit.start <= g[0] and g[1] <= hit.end]
        contains += any(s <= gs and ge <= e for gs, ge in golds)
        overlaps += any(s < ge and gs < e for gs, ge in golds)
    report = asdict(HighlightReport(len(answerable), retrieved, contains, overlaps))
    n = max(len(ranks), 1)
    report.update({
        "contains_rate": round(contains / max(retrieved, 1), 4),
        "recall@1": round(sum(r == 1 for r in ranks) / n, 4),
        "mrr@10": round(sum(1 / r for r in ranks if r is not None and r <= 10) / n, 4),
        "seconds_per_question": round((time.perf_counter() - started) / n, 3)})
    return report


def main(argv: Sequence[str] | None = None) -> None:
    import argparse

    from ragqa import wiring
    from ragqa.settings import load_settings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=Path, default=Path("eval/questions.jsonl"))
    parser.add_argument("--corpus", type=Path, default=Path("corpus"))
    parser.add_argument("--index", type=Path, default=Path(".ragqa/highlight-index"))
    parser.add_argument("--split", default="dev", choices=["dev", "test", "all"])
    parser.add_argument("--weights", default="0,0.05,0.1,0.2,0.4",
                        help="similarity weights to compare (0: terms only)")
    parser.add_argument("--reader", action="store_true",
                        help="compare the service's highlight and order without and with the "
                             "trained reader (RAGQA_READER) instead of the weights")
    parser.add_argument("--squad", type=Path, default=None,
                        help="with --reader: a SQuAD-format set instead (its reader split: "
                             "dev is the third of the dev articles the reader did not train on)")
    parser.add_argument("--limit", type=int, default=0, help="with --squad: first N questions")
    parser.add_argument("--betas", default="",
                        help="with --reader: weights of ln(rank) against the reader's logit "
                             "to compare, the reader reranking every top (one the reorder "
                             "ordered too; comma-separated; readings are reused)")
    parser.add_argument("--answerability", default="",
                        help="with --reader: other least answerabilities for an answer span "
                             "to compare (comma-separated; readings are reused)")
    args = parser.parse_args(argv)
    if args.reader:
        print(json.dumps(_with_reader(args), indent=2, ensure_ascii=False))
        return
    settings = load_settings(corpus_dir=args.corpus, index_dir=args.index)
    eng = wiring.start(settings).engine
    model, embedder = eng.model, eng.embedder
    analyzer = eng.retriever.index.analyzer
    texts = {d: r.text for d, r in eng.retriever.index.documents_by_id().items()}
    questions = select(load_questions(args.questions, texts), args.split)
    results = {"model": model.name, "split": args.split}

    def terms_only_without_heading_rule(question: str) -> SpanFor:
        return legacy_span_for(analyzer, question)

    results["before (terms only, no heading rule)"] = asdict(
        measure(eng.retriever, questions, terms_only_without_heading_rule))
    for weight in (float(w) for w in args.weights.split(",")):
        highlighter = Highlighter(analyzer, embed=embedder.encode_passages, weight=weight,
                                  idf=eng.retriever.index.idf)

        def span_for(question: str, h: Highlighter = highlighter) -> SpanFor:
            vector = embedder.encode_queries([question])[0] if weight > 0 else None
            return functools.partial(h.span, h.focus(question, vector))

        results[f"weight {weight}"] = asdict(measure(eng.retriever, questions, span_for))
    print(json.dumps(results, indent=2, ensure_ascii=False))


def _with_reader(args) -> dict:
    """The service's highlight, recall@1 and MRR@10 with the reader off and on."""
    from ragqa import wiring
    from ragqa.settings import load_settings

    corpus, index = args.corpus, args.index
    if args.squad is not None:
        from ragqa.eval.squad import load_squad, materialise

        documents, loaded = load_squad(args.squad)
        corpus = materialise(documents, Path(".ragqa/eval"))
        index = corpus.parent / "index"
    settings = load_settings(corpus_dir=corpus, index_dir=index, reader=True)
    eng = wiring.start(settings).engine
    if eng.reading is None:
        raise SystemExit("the reader did not load (see the warning above)")
    if args.squad is None:
        texts = {d: r.text for d, r in eng.retriever.index.documents_by_id().items()}
        loaded = load_questions(args.questions, texts)
    if args.squad is not None:  # the reader trained on two thirds of the dev articles
        from ragqa.eval.reader_data import reader_split

        questions = [q for q in loaded if reader_split(q.group) == args.split]
    else:
        questions = select(loaded, args.split)
    if args.limit:
        questions = questions[:args.limit]
    reading, results = eng.reading, {"set": str(args.squad or args.questions),
                                     "split": args.split}
    eng.reading = None
    results["reader off"] = measure_service(eng, questions)
    eng.reading = reading
    # every reading kept, so that the other betas and answerabilities reuse them
    reading._cache = LRUCache(maxsize=max(len(questions) * reading.top, 1))
    results[f"reader on (top {reading.top}, as served)"] = measure_service(
        eng, questions)
    for beta in (float(x) for x in args.betas.split(",") if x):
        # the reader's own rerank, of a top the reorder ordered too
        chosen, reading.beta, reading.keep_reordered = reading.beta, beta, False
        results[f"reader reranks (top {reading.top}, beta {beta})"] = measure_service(
            eng, questions)
        reading.beta, reading.keep_reordered = chosen, True
    for least in (float(x) for x in args.answerability.split(",") if x):
        chosen, reading.min_answerability = reading.min_answerability, least
        results[f"reader on, answer span from answerability {least}"] = measure_service(
            eng, questions)
        reading.min_answerability = chosen
    return results


def legacy_span_for(analyze: Callable[[str], list[str]], question: str) -> SpanFor:
    """The highlight before the heading rule and the model (for the before/after figures):
    the sentence sharing the most question terms, headings included, else the first."""
    import math

    from ragqa.index.search.highlight import sentence_spans

    wanted = set(analyze(question))

    def span(doc_id: str, text: str, start: int, end: int) -> tuple[int, int]:
        sentences = [((s, e), set(analyze(text[s:e]))) for s, e in sentence_spans(text, start, end)]
        if not sentences:
            return start, end
        shared = [found & wanted for _, found in sentences]
        frequency: dict[str, int] = {}
        for found in shared:
            for term in found:
                frequency[term] = frequency.get(term, 0) + 1
        best, best_score = sentences[0][0], 0.0
        for (s_e, _), found in zip(sentences, shared):
            score = sum(1.0 + math.log(len(sentences) / frequency[t]) for t in found)
            if score > best_score:
                best, best_score = s_e, score
        return best

    return span


if __name__ == "__main__":
    main()
