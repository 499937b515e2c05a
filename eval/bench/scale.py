"""A million passages on one machine: the automatic FAISS index and BM25 at that size.

The vectors are synthetic but shaped like sentence embeddings rather than uniform noise:
a seeded Gaussian mixture on the unit sphere (``clusters`` topic centres; each vector is its
centre plus a low-rank within-topic variation plus a little isotropic noise, normalised), so
neighbours are mostly within a topic, as with real passages. Queries are fresh draws from
the same mixture. recall@10 compares the automatic index (``index.dense.build_dense``, the
one the builder uses) with exact inner-product search (brute force, like ``IndexFlatIP``),
computed in blocks so the vectors are not copied.

The BM25 side indexes as many short synthetic passages (Zipf-distributed words from a
synthetic vocabulary) with the service's own French analysis and bm25s.
"""

from __future__ import annotations

import gc
import time

import numpy as np
import psutil

from ragqa.index.search.analysis import Analyzer, AnalyzerConfig
from ragqa.index.files.dense import build_dense, describe, search_dense
from ragqa.index.files.lexical import BM25Params, LexicalIndex
from ragqa.index.search.synthetic import exact_top, synthetic_vectors


def _rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


def dense_scale(n: int, *, queries: int = 200, k: int = 10, seed: int = 0) -> dict:
    """Build time, memory, p50 latency and recall@k of the automatic index over ``n`` vectors."""
    vectors = synthetic_vectors(n + queries, seed=seed)
    xq, xb = vectors[n:].copy(), vectors[:n]
    truth = exact_top(xb, xq, k)
    before = _rss_mb()
    started = time.perf_counter()
    index = build_dense(xb)
    build_s = time.perf_counter() - started
    index_mb = _rss_mb() - before
    latencies, found = [], []
    for q in xq:
        t = time.perf_counter()
        ids, _ = search_dense(index, q, k)
        latencies.append((time.perf_counter() - t) * 1000)
        found.append(ids)
    recall = np.mean([len(set(f.tolist()) & set(t.tolist())) / k for f, t in zip(found, truth)])
    # The exact scan for the same queries, for the README's "why not flat" line.
    flat_ms = []
    for q in xq[:20]:
        t = time.perf_counter()
        scores = xb @ q
        np.argpartition(-scores, k)[:k]
        flat_ms.append((time.perf_counter() - t) * 1000)
    info = describe(index)
    del index, vectors, xb
    gc.collect()
    return {
        "vectors": n, "dimension": 384, "index": info,
        "build_s": round(build_s, 1), "index_rss_mb": round(index_mb, 1),
        "p50_ms": round(float(np.percentile(latencies, 50)), 3),
        "p99_ms": round(float(np.percentile(latencies, 99)), 3),
        f"recall@{k}": round(float(recall), 4),
        "exact_scan_p50_ms": round(float(np.percentile(flat_ms, 50)), 1),
    }


def synthetic_passages(n: int, *, vocabulary: int = 50_000, seed: int = 0) -> list[str]:
    """``n`` short passages (12-40 words) from a Zipf-distributed synthetic vocabulary."""
    rng = np.random.default_rng(seed)
    syllables = ["ba", "ce", "di", "fo", "gu", "la", "me", "ni", "po", "ru", "sa", "te",
                 "vi", "zo", "an", "on", "ou", "ei", "ar", "ol"]
    words = []
    for i in range(vocabulary):
        parts, x = [], i + 1
        while x:
            parts.append(syllables[x % len(syllables)])
            x //= len(syllables)
        words.append("".join(parts) + "s")
    ranks = np.minimum(rng.zipf(1.2, size=n * 40), vocabulary) - 1
    lengths = rng.integers(12, 41, size=n)
    out, position = [], 0
    for length in lengths:
        out.append(" ".join(words[r] for r in ranks[position : position + length]))
        position += length
    return out


def lexical_scale(n: int, *, queries: int = 200, seed: int = 0) -> dict:
    """Build time, memory and p50 latency of BM25 over ``n`` synthetic passages."""
    texts = synthetic_passages(n + queries, seed=seed)
    questions = [" ".join(t.split()[:6]) for t in texts[n:]]
    before = _rss_mb()
    started = time.perf_counter()
    lexical = LexicalIndex.build(texts[:n], Analyzer(AnalyzerConfig()), BM25Params())
    build_s = time.perf_counter() - started
    index_mb = _rss_mb() - before
    del texts
    latencies = []
    for q in questions:
        t = time.perf_counter()
        lexical.search(q, 100, None)
        latencies.append((time.perf_counter() - t) * 1000)
    return {"passages": n, "build_s": round(build_s, 1), "index_rss_mb": round(index_mb, 1),
            "p50_ms": round(float(np.percentile(latencies, 50)), 2),
            "p99_ms": round(float(np.percentile(latencies, 99)), 2)}


def run_scale(n: int, seed: int = 0) -> dict:
    return {"dense": dense_scale(n, seed=seed), "bm25": lexical_scale(n, seed=seed),
            "peak_rss_mb": round(psutil.Process().memory_info().rss / 2**20, 1)}
