"""The highlight with what a question asks for weighed, at several weights:
``python -m ragqa.eval.highlight_kinds [--squad FILE] --split dev``.

Each answerable question of the split is searched once as the service searches it
(``Engine.search``); the first of its top 5 passages holding a gold answer is highlighted
again with every pair of :data:`~ragqa.index.search.answerkind.KIND_BONUS` and
:data:`~ragqa.index.search.answerkind.OTHER_YEAR_PENALTY` given (the service's highlighter
otherwise: its analyzer, corpus weights, stored sentence vectors and model weight). The
report gives, for each pair, how often the highlight holds the whole answer, over all the
questions and over those whose kind or years the rules read (the others cannot move);
``0/0`` is the highlight without the rules, and the served pair's count equals the
service's own (a check of this harness).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path


def main(argv: Sequence[str] | None = None) -> None:
    from ragqa import wiring
    from ragqa.eval.highlights import first_answer_hit
    from ragqa.eval.questions import load_questions, select
    from ragqa.index.search.answerkind import KIND_BONUS, OTHER_YEAR_PENALTY
    from ragqa.index.search.highlight import Highlighter
    from ragqa.settings import load_settings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=Path, default=Path("eval/questions.jsonl"))
    parser.add_argument("--squad", type=Path, default=None,
                        help="a SQuAD-format set instead (its contexts become the corpus)")
    parser.add_argument("--corpus", type=Path, default=Path("corpus"))
    parser.add_argument("--index", type=Path, default=Path(".ragqa/index"))
    parser.add_argument("--split", default="dev", choices=["dev", "test", "all"])
    parser.add_argument("--bonuses", default="0,0.1,0.2,0.3,0.5")
    parser.add_argument("--penalties", default="0,0.1,0.2,0.3,0.5")
    args = parser.parse_args(argv)
    corpus, index = args.corpus, args.index
    if args.squad is not None:
        from ragqa.eval.squad import load_squad, materialise

        documents, loaded = load_squad(args.squad)
        corpus = materialise(documents, Path(".ragqa/eval"))
        index = corpus.parent / "index"
    settings = load_settings(corpus_dir=corpus, index_dir=index)
    started = wiring.start(settings)
    engine = started.engine
    if args.squad is None:
        texts = {d: r.text for d, r in engine.retriever.index.documents_by_id().items()}
        loaded = load_questions(args.questions, texts)
    questions = [q for q in select(loaded, args.split) if q.answerable]
    retriever = engine.retriever
    weight = settings.highlight_model_weight
    highlighter = Highlighter(retriever.index.analyzer, idf=retriever.index.idf,
                              embed=retriever.sentence_vectors if weight else None,
                              weight=weight)
    pairs = [(b, p) for b in map(float, args.bonuses.split(","))
             for p in map(float, args.penalties.split(","))]
    served = (KIND_BONUS, OTHER_YEAR_PENALTY)
    if served not in pairs:
        pairs.append(served)
    counts = {pair: [0, 0] for pair in pairs}  # held: all, read
    retrieved = read = service = 0
    for q in questions:
        found = engine.search(q.question, 10)
        hits = found.result.hits
        first = first_answer_hit(hits, q)
        if first is None:
            continue
        i, hit = first
        retrieved += 1
        golds = [g for g in q.spans if hit.start <= g[0] and g[1] <= hit.end]

        def holds(span: tuple[int, int]) -> bool:
            return any(span[0] <= gs and ge <= span[1] for gs, ge in golds)

        service += holds(found.highlights[i])
        result = found.result
        focus = highlighter.focus(result.read_as or result.question, result.query_vector,
                                  foreign=result.foreign)
        read += focus.asked is not None
        passage = (hit.doc_id, hit.before + hit.quote + hit.after, hit.start, hit.end,
                   hit.start - len(hit.before))
        for pair in pairs:
            asked = focus.asked
            if asked is not None:
                asked = dataclasses.replace(asked, bonus=pair[0], penalty=pair[1])
            span = highlighter.spans(dataclasses.replace(focus, asked=asked), [passage])[0]
            if holds(span):
                counts[pair][0] += 1
                counts[pair][1] += asked is not None
    report = {"set": str(args.squad or args.questions), "split": args.split,
              "questions": len(questions), "retrieved": retrieved,
              "read by the rules": read, "service (served pair)": service,
              "pairs": {f"{b}/{p}": {"held": held, "held_of_read": of_read,
                                     "rate": round(held / max(retrieved, 1), 4)}
                        for (b, p), (held, of_read) in counts.items()}}
    engine.close()
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
