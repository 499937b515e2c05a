"""Retrieval metrics from ranked hits and gold answer spans (plain functions)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def is_hit(doc_id: str, start: int, end: int, gold_doc: str, spans: Sequence[tuple[int, int]]) -> bool:
    """A passage hits when it comes from the gold document and overlaps at least half of
    one gold answer span (by offsets, not by string search)."""
    if doc_id != gold_doc:
        return False
    for s, e in spans:
        overlap = min(end, e) - max(start, s)
        if overlap > 0 and overlap * 2 >= (e - s):
            return True
    return False


def first_hit_rank(hits: Sequence[bool]) -> int | None:
    """1-based rank of the first relevant passage, or ``None``."""
    for rank, hit in enumerate(hits, 1):
        if hit:
            return rank
    return None


def recall_at(ranks: Sequence[int | None], k: int) -> float:
    return float(np.mean([r is not None and r <= k for r in ranks])) if ranks else 0.0


def mrr_at(ranks: Sequence[int | None], k: int = 10) -> float:
    return float(np.mean([1.0 / r if r is not None and r <= k else 0.0 for r in ranks])) if ranks else 0.0


def ndcg_at(relevance: Sequence[Sequence[bool]], k: int = 10) -> float:
    """Binary-relevance nDCG@k; the ideal ranking puts one relevant passage first.

    Several overlapping passages can "hit" one answer; counting only the first keeps the
    metric about finding the answer, not about how many chunks repeat it.
    """
    scores = []
    for hits in relevance:
        rank = first_hit_rank(hits[:k])
        scores.append(1.0 / math.log2(rank + 1) if rank else 0.0)
    return float(np.mean(scores)) if scores else 0.0


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(values, q)) if len(values) else 0.0


def auc(positives: Sequence[float], negatives: Sequence[float]) -> float:
    """Area under the ROC curve: the chance that a random positive scores above a random
    negative (ties count half)."""
    if not positives or not negatives:
        return float("nan")
    pos = np.asarray(positives, dtype=float)[:, None]
    neg = np.asarray(negatives, dtype=float)[None, :]
    return float(((pos > neg).sum() + 0.5 * (pos == neg).sum()) / (pos.size * neg.size))
