"""Reordering a search's top hits by what the relevance signal already measures of each:
``python -m ragqa.eval.rerank_learned``.

The relevance signal (:mod:`ragqa.index.search.relevance`) measures the best passage of a
search: its idf-weighted coverage of the question, the passage vector's cosine, the best
sentence's cosine (stored sentence vectors) and the token match (stored token vectors).
Measured for each of the top ``N`` hits (:meth:`Retriever.relevance_features_each`), with the
hit's rank and fused score, they are features of a conditional logit (a softmax over a
search's top ``N``) fitted on PIAF's reader ``train`` articles
(:func:`ragqa.eval.reader_data.reader_split`), whose order replaces the top ``N``; recall@1
and MRR@10 are reported on PIAF's reader ``dev`` articles, the long pages' same articles
(:mod:`ragqa.eval.longdocs`) and the project's ``dev`` split, against the served order.
An experiment: nothing here changes the service. Each corpus is indexed under ``--work``
(sentence and token vectors stored, as served).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ragqa.eval.highlight_learned import arguments, corpora, fit_softmax

FEATURES = ("log_rank", "score_share", "coverage", "coverage_gap", "cosine", "cosine_gap",
            "sentence", "sentence_gap", "token_match", "token_match_gap")


@dataclass
class Search:
    """One answerable question's top hits: their features, and which hold its answer."""

    split: str
    features: np.ndarray  # (hits, len(FEATURES))
    right: np.ndarray  # bool


def features(ranks: np.ndarray, scores: np.ndarray, measured) -> np.ndarray:
    """The :data:`FEATURES` of a search's hits (1-based ``ranks``, fused ``scores``, each
    hit's :class:`~ragqa.index.search.relevance.RelevanceFeatures`), gaps to the best hit's."""
    columns = [np.log(ranks), scores / scores.max()]
    for name in ("coverage", "cosine", "sentence", "token_match"):
        values = np.array([getattr(m, name) for m in measured], dtype=float)
        columns += [values, values - values.max()]
    return np.column_stack(columns)


def collect(retriever, questions: Sequence[tuple[object, str]], k: int = 10) -> list[Search]:
    """Each answerable question (with its split) searched, its top ``k`` measured."""
    from ragqa.eval.metrics import is_hit

    out = []
    for q, split in questions:
        if not q.answerable:
            continue
        result = retriever.search(q.question, k)
        hits = result.hits
        if not hits:
            continue
        measured = retriever.relevance_features_each(q.question, hits, result.query_vector)
        out.append(Search(split, features(np.array([h.rank for h in hits], dtype=float),
                                          np.array([h.score for h in hits]), measured),
                          np.array([is_hit(h.doc_id, h.start, h.end, q.doc or "", q.spans)
                                    for h in hits])))
    return out


def reordered(search: Search, w: np.ndarray | None, top: int) -> np.ndarray:
    """Whether each hit holds the answer, in the order the weights give the top ``top``
    (the served order without weights); the rest keep their places."""
    order = np.arange(len(search.right))
    if w is not None:
        head = min(top, len(order))
        order[:head] = np.argsort(-(search.features[:head] @ w), kind="stable")
    return search.right[order]


def scores(searches: Sequence[Search], w: np.ndarray | None, top: int) -> dict[str, float]:
    """Recall@1 and MRR@10 of the order :func:`reordered` gives."""
    first = []
    for search in searches:
        right = reordered(search, w, top)[:10]
        first.append(int(np.argmax(right)) + 1 if right.any() else None)
    n = max(len(first), 1)
    return {"recall@1": round(sum(r == 1 for r in first) / n, 4),
            "mrr@10": round(sum(1 / r for r in first if r is not None) / n, 4)}


def main(argv: Sequence[str] | None = None) -> None:
    args = arguments(__doc__.splitlines()[0]).parse_args(argv)
    sets = {name: collect(engine.retriever, chosen) for name, engine, chosen in corpora(args)}

    train = [s for s in sets["PIAF"] if s.split == "train"]
    dev = {name: [s for s in found if s.split == "dev"] for name, found in sets.items()}
    report: dict = {"fitted on": f"PIAF reader train, {len(train)} searches",
                    "dev searches": {name: len(found) for name, found in dev.items()},
                    "features": list(FEATURES),
                    "dev": {"served order": {n: scores(f, None, 10) for n, f in dev.items()}},
                    "weights": {}}
    for top in (3, 5, 10):
        for l2 in (0.001, 0.01, 0.1, 1.0):
            w = fit_softmax([(s.features[:top], s.right[:top]) for s in train], l2)
            label = f"top {top} reordered, L2 {l2}"
            report["dev"][label] = {n: scores(f, w, top) for n, f in dev.items()}
            report["weights"][label] = dict(zip(FEATURES, np.round(w, 3).tolist()))
    text = json.dumps(report, indent=2, ensure_ascii=False)
    print(text)
    if args.out is not None:
        args.out.write_text(text + "\n", "utf-8")


if __name__ == "__main__":
    main()
