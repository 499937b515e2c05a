"""The raw model's speed: what every other figure of the bench is compared with.

Rates are measured with sentence-transformers' ``encode`` (or the exported backend) called
directly, bypassing ragqa's caches and micro-batching, so they are the ceiling a service
built on this model could reach on this machine.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ragqa.index.embedding.embedder import Embedder
from ragqa.index.records import PROGRESS_STEP


def _rate(fn, items: int, min_seconds: float, max_rounds: int = 1000) -> float:
    """Items per second of ``fn`` (which processes ``items`` items), after one warm-up."""
    fn()
    rounds, started = 0, time.perf_counter()
    while True:
        fn()
        rounds += 1
        elapsed = time.perf_counter() - started
        if elapsed >= min_seconds or rounds >= max_rounds:
            return rounds * items / elapsed


def raw_rates(
    embedder: Embedder,
    queries: Sequence[str],
    passages: Sequence[str],
    *,
    seconds: float = 3.0,
    passage_count: int = 64,
) -> dict[str, float]:
    """``query_single_per_s``, ``query_batch16_per_s``, ``passage_per_s`` and the single
    query's mean latency (``query_single_ms``)."""
    encode = embedder.encode  # the model itself: no cache, no micro-batching
    qs = [embedder.query_prefix + q for q in queries]
    ps = [embedder.passage_prefix + p for p in passages[:passage_count]]
    position = iter(range(10**9))

    def one() -> None:
        encode([qs[next(position) % len(qs)]])

    def sixteen() -> None:
        start = next(position) * 16
        encode([qs[(start + i) % len(qs)] for i in range(16)])

    single = _rate(one, 1, seconds)
    batch = _rate(sixteen, 16, seconds)
    passage = _rate(lambda: encode(ps), len(ps), seconds, max_rounds=3)
    return {
        "query_single_per_s": round(single, 2),
        "query_single_ms": round(1000.0 / single, 2),
        "query_batch16_per_s": round(batch, 2),
        "passage_per_s": round(passage, 2),
        "passages_timed": len(ps),
    }


def agreement(reference: np.ndarray, other: np.ndarray) -> float:
    """Smallest cosine between matching rows of two normalised embedding matrices."""
    return float(np.min(np.sum(reference * other, axis=1)))


def squad_contexts(path: Path, count: int, *, seed: int = 0) -> list[str]:
    """``count`` paragraphs of a SQuAD-format file (PIAF's are 689 characters on average),
    drawn at random with ``seed``: passages of real text to time the model on."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))["data"]
    contexts = [p["context"] for article in data for p in article["paragraphs"]]
    random.Random(seed).shuffle(contexts)
    return contexts[:count]


def indexing_rate(embedder: Embedder, passages: Sequence[str], *,
                  step: int = PROGRESS_STEP) -> dict[str, float]:
    """Passages per second (and CPU seconds per passage, all threads) of embedding
    ``passages`` the way an index build does: ``encode_passages`` on ``step`` at a time
    (index/files/builder.py), after a warm-up on the first few."""
    embedder.encode_passages(list(passages[:4]))
    cpu, started = time.process_time(), time.perf_counter()
    for begin in range(0, len(passages), step):
        embedder.encode_passages(list(passages[begin : begin + step]))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {"passages": len(passages), "passages_per_s": round(len(passages) / elapsed, 2),
            "cpu_s_per_passage": round(cpu / len(passages), 4)}
