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
Both fits (with the token match, and without it for stores that do not hold every top
hit's token vectors) are made for N in :data:`TOPS` and four L2 penalties; the one chosen
per fit is the fewest hits within :data:`NEAR` of the best mean MRR@10 over the three dev
sets, and its weights are what :data:`ragqa.index.search.reorder.MEASURED` serves. Searches
are made with the fusion's order (``RAGQA_REORDER=false``). Each corpus is indexed under
``--work`` (sentence and token vectors stored, as served).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ragqa.eval.learned import arguments, corpora, fit_softmax, write_report
from ragqa.index.search.reorder import FEATURES, WITHOUT_TOKENS, features


TOPS = (3, 5, 10)
NEAR = 0.002  # of the mean dev MRR@10: a larger top must gain more than this to be chosen


@dataclass
class Search:
    """One answerable question's top hits: their features, and which hold its answer."""

    split: str
    features: np.ndarray  # (hits, len(FEATURES))
    right: np.ndarray  # bool


def collect(retriever, questions: Sequence[tuple[object, str]], k: int = 10,
            extra: Callable[..., np.ndarray] | None = None) -> list[Search]:
    """Each answerable question (with its split) searched, its top ``k`` measured (and
    ``extra(retriever, question, hits, query_vector)``'s columns after, when given)."""
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
        x = features(np.array([h.score for h in hits]), measured)
        if extra is not None:
            x = np.hstack([x, extra(retriever, q.question, hits, result.query_vector)])
        out.append(Search(split, x, np.array([is_hit(h.doc_id, h.start, h.end, q.doc or "", q.spans)
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


def _columns(searches: Sequence[Search], keep: list[int]) -> list[Search]:
    return [Search(s.split, s.features[:, keep], s.right) for s in searches]


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
                    "weights": {}, "chosen": {}}
    for variant, columns in (("", FEATURES), (" without the token match", WITHOUT_TOKENS)):
        keep = [FEATURES.index(c) for c in columns]
        best: dict[int, tuple[float, str]] = {}  # by top: the best mean MRR@10 and its label
        for top in TOPS:
            for l2 in (0.001, 0.01, 0.1, 1.0):
                w = fit_softmax([(s.features[:top, keep], s.right[:top]) for s in train], l2)
                label = f"top {top} reordered, L2 {l2}{variant}"
                measured = {n: scores(_columns(f, keep), w, top) for n, f in dev.items()}
                report["dev"][label] = measured
                report["weights"][label] = [round(float(x), 4) for x in w]
                mean = float(np.mean([m["mrr@10"] for m in measured.values()]))
                if top not in best or mean > best[top][0] + 1e-9:
                    best[top] = (mean, label)
        # the fewest hits measured (each costs its features) within NEAR of the best
        most = max(mean for mean, _ in best.values())
        top = min(t for t, (mean, _) in best.items() if mean >= most - NEAR)
        report["chosen"][variant.strip() or "with the token match"] = (
            f"{best[top][1]} (mean dev MRR@10 {best[top][0]:.4f}, best {most:.4f})")
    write_report(report, args.out)


if __name__ == "__main__":
    main()
