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
        hits = retriever.search(q.question, k).hits
        found = next(((h, g) for h in hits if h.doc_id == q.doc for g in q.spans
                      if h.start <= g[0] and g[1] <= h.end), None)
        if found is None:
            continue
        hit, _ = found
        retrieved += 1
        s, e = span_for(q.question)(hit.doc_id, texts[hit.doc_id], hit.start, hit.end)
        golds = [g for g in q.spans if hit.start <= g[0] and g[1] <= hit.end]
        contains += any(s <= gs and ge <= e for gs, ge in golds)
        overlaps += any(s < ge and gs < e for gs, ge in golds)
    return HighlightReport(len(answerable), retrieved, contains, overlaps)


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
    args = parser.parse_args(argv)
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
