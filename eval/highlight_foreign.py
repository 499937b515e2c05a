"""How often the highlight holds the answer, for questions read as another language than
the index's and for the others: ``python -m ragqa.eval.highlight_foreign``.

Each answerable question's first top-5 passage holding a gold span is highlighted as
:meth:`ragqa.engine.Engine.search` does it (the highlighter over the store's sentence
vectors, the question as the retriever read it, :attr:`SearchResult.foreign`), and counted
apart by whether the retriever read it as foreign. ``--weights`` compares other weights of
the model's cosine for the foreign ones (every sentence compared), the served one first.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from ragqa.eval.questions import Question
from ragqa.index.search.highlight import FOREIGN_SIMILARITY_WEIGHT, Focus, Highlighter
from ragqa.index.search.retriever import Retriever


def measure(retriever: Retriever, highlighter: Highlighter, questions: Sequence[Question],
            foreign_weights: Sequence[float] = (FOREIGN_SIMILARITY_WEIGHT,)) -> dict:
    """``{"french": [held, retrieved], "foreign at W": [held, retrieved], ...}``: the
    highlight holding a whole gold span, for each weight ``W`` of the foreign questions'
    cosine (the served highlighter's own focus for the others; 0.3 with three contenders,
    the French rule, is the served highlight before session 29)."""
    counts: dict[str, list[int]] = {"french": [0, 0]}
    counts.update({f"foreign at {w:g}": [0, 0] for w in foreign_weights})
    for q in (q for q in questions if q.answerable):
        result = retriever.search(q.question, 10)
        found = next((h for h in result.hits[:5] if h.doc_id == q.doc
                      and any(h.start <= gs and ge <= h.end for gs, ge in q.spans)), None)
        if found is None:
            continue
        golds = [(gs, ge) for gs, ge in q.spans if found.start <= gs and ge <= found.end]
        passage = (found.doc_id, found.before + found.quote + found.after, found.start,
                   found.end, found.start - len(found.before))
        asked = result.read_as or result.question
        focuses = {"french": highlighter.focus(asked, result.query_vector)}
        if result.foreign:
            plain = focuses.pop("french")
            focuses = {f"foreign at {w:g}": Focus(plain.terms, plain.weights, plain.vector,
                                                 w, 3 if w == 0.3 else None)
                       for w in foreign_weights}
        for name, focus in focuses.items():
            s, e = highlighter.spans(focus, [passage])[0]
            counts[name][0] += any(s <= gs and ge <= e for gs, ge in golds)
            counts[name][1] += 1
    return counts


def main(argv: Sequence[str] | None = None) -> None:
    import argparse

    from ragqa import wiring
    from ragqa.eval.questions import (QuestionSetError, load_questions, load_translations,
                                      select)
    from ragqa.eval.squad import load_squad, materialise
    from ragqa.settings import load_settings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=["project", "piaf-en"], default="project",
                        help="the project's questions over corpus/ (French and English), or "
                             "eval/piaf-en.jsonl's English ones over PIAF's articles")
    parser.add_argument("--piaf", type=Path,
                        default=Path("../shared/benchmarks/piaf/piaf-v1.0.json"))
    parser.add_argument("--split", default="dev", choices=["dev", "test", "all"])
    parser.add_argument("--weights", default=f"{FOREIGN_SIMILARITY_WEIGHT:g}",
                        help="weights of the model's cosine for foreign questions, "
                             "comma-separated (0.3: the French rule, three contenders)")
    args = parser.parse_args(argv)
    try:
        weights = [float(w) for w in args.weights.split(",") if w]
    except ValueError:
        parser.error(f"--weights: numbers separated by commas, not {args.weights!r}")
    if args.set == "project":
        corpus, index = Path("corpus"), Path(".ragqa/index")
    else:
        try:
            documents, loaded = load_squad(args.piaf)
        except QuestionSetError as exc:
            raise SystemExit(f"error: {exc}") from None
        corpus = materialise(documents, Path(".ragqa/eval"))
        index = corpus.parent / "index"
    engine = wiring.start(load_settings(corpus_dir=corpus, index_dir=index)).engine
    retriever = engine.retriever
    if args.set == "project":
        texts = {d: r.text for d, r in retriever.index.documents_by_id().items()}
        questions = select(load_questions(Path("eval/questions.jsonl"), texts), args.split)
    else:
        questions = select(load_translations(Path("eval/piaf-en.jsonl"), loaded), args.split)
    # the service's highlighter (Engine._highlight), made here from the same parts
    highlighter = Highlighter(retriever.index.analyzer, idf=retriever.index.idf,
                              embed=retriever.sentence_vectors,
                              weight=engine.settings.highlight_model_weight)
    print(json.dumps({"set": args.set, "split": args.split,
                      **measure(retriever, highlighter, questions, weights)}, indent=2))


if __name__ == "__main__":
    main()
