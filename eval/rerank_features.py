"""More per-hit features for the reorder, measured on dev (not served):
``python -m ragqa.eval.rerank_features``.

The served reorder (:mod:`ragqa.eval.rerank_learned`) weighs each top hit's rank, fused score
share and the relevance signal's measures. This experiment adds what else a search has at
hand without a model pass, each alone and all together: each ranker's own rank of the hit
(``dense_log_rank``, ``lexical_log_rank``: the fusion blends them), the best single
sentence's idf-weighted coverage of the question, the title and section's coverage, whether
the passage holds what the question's kind asks for (a digit for a quantity, a year or month
for a date, capitalised words for a person or a place) and the passage's length. Fitted like
the served one on PIAF's reader ``train`` articles, for the top 5 and 10 and two penalties;
recall@1 / MRR@10 on the same three dev sets. The `test` splits are not read.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ragqa.eval.highlight_learned import (_CAPITALISED, _DATE, _DIGIT, _PERSON, _PLACE,
                                          _QUANTITY, _YEAR)
from ragqa.eval.learned import arguments, corpora, fit_softmax, write_report
from ragqa.eval.rerank_learned import Search, collect, scores
from ragqa.index.search.highlight import sentence_spans
from ragqa.index.search.relevance import term_coverage
from ragqa.index.search.reorder import FEATURES

EXTRA = ("dense_log_rank", "lexical_log_rank", "best_sentence_coverage", "title_coverage",
         "kind_match", "log_length")


def extra(retriever, question: str, hits, vector: np.ndarray) -> np.ndarray:
    """The :data:`EXTRA` features of each of ``hits`` (rows)."""
    depth = retriever.params.candidates
    lexical, dense = retriever._rankings(question, vector, depth, None, lexical=True)
    dense_rank = {int(r): i for i, r in enumerate(dense[0])}
    lexical_rank = {int(r): i for i, r in enumerate(lexical[0])}
    analyzer = retriever.index.analyzer
    terms = list(dict.fromkeys(analyzer(question)))
    idf = retriever.index.idf(terms)
    asked = question.casefold()
    quantity, date, person, place = (bool(p.search(asked))
                                     for p in (_QUANTITY, _DATE, _PERSON, _PLACE))
    rows = []
    for hit in hits:
        sentences = [hit.quote[a:b] for a, b in sentence_spans(hit.quote, 0, len(hit.quote))]
        best = max([term_coverage(terms, idf, analyzer(s)) for s in sentences] or [0.0])
        title = term_coverage(terms, idf, analyzer(f"{hit.title} {hit.section}"))
        names = min(len(_CAPITALISED.findall(" " + hit.quote)), 20) / 20
        kind = (float(quantity and bool(_DIGIT.search(hit.quote)))
                + float(date and bool(_YEAR.search(hit.quote))) + (person or place) * names)
        rows.append([math.log(1 + dense_rank.get(hit.row, depth)),
                     math.log(1 + lexical_rank.get(hit.row, depth)), best, title, kind,
                     math.log(len(hit.quote) + 1)])
    return np.array(rows)


def main(argv: Sequence[str] | None = None) -> None:
    args = arguments(__doc__.splitlines()[0]).parse_args(argv)
    sets = {name: collect(engine.retriever, chosen, extra=extra)
            for name, engine, chosen in corpora(args)}
    train = [s for s in sets["PIAF"] if s.split == "train"]
    dev = {name: [s for s in found if s.split == "dev"] for name, found in sets.items()}
    names = [*FEATURES, *EXTRA]
    report: dict = {"fitted on": f"PIAF reader train, {len(train)} searches",
                    "dev searches": {name: len(found) for name, found in dev.items()},
                    "dev": {"served order": {n: scores(f, None, 10) for n, f in dev.items()}}}
    added = [[], ["dense_log_rank", "lexical_log_rank"], *[[e] for e in EXTRA[2:]], list(EXTRA)]
    for top in (5, 10):
        for l2 in (0.01, 0.1):
            for more in added:
                keep = [names.index(c) for c in [*FEATURES, *more]]
                w = fit_softmax([(s.features[:top, keep], s.right[:top]) for s in train], l2)
                measured = {n: scores([Search(s.split, s.features[:, keep], s.right)
                                       for s in f], w, top) for n, f in dev.items()}
                mean = float(np.mean([m["mrr@10"] for m in measured.values()]))
                label = f"top {top}, L2 {l2}, " + (" + ".join(more) or "the served features")
                report["dev"][label] = {**measured, "mean mrr@10": round(mean, 4)}
    write_report(report, args.out)


if __name__ == "__main__":
    main()
