"""Seeded synthetic embeddings and exact search, for checking approximate dense search.

The vectors are shaped like sentence embeddings rather than uniform noise: a seeded
Gaussian mixture on the unit sphere (``clusters`` topic centres; each vector is its centre
plus a low-rank within-topic variation plus a little isotropic noise, normalised), so
neighbours are mostly within a topic, as with real passages. :func:`exact_top` is the exact
inner-product reference (brute force, like ``IndexFlatIP``), computed in blocks so the
vectors are not copied. Used by ``ragqa bench --scale`` and the dense index tests.
"""

from __future__ import annotations

import numpy as np


def synthetic_vectors(n: int, dim: int = 384, *, clusters: int = 2000, rank: int = 48,
                      seed: int = 0, block: int = 100_000) -> np.ndarray:
    """``n`` normalised float32 vectors from a seeded mixture (see the module docstring)."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, dim)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    basis = rng.standard_normal((clusters, rank, dim)).astype(np.float32) / np.sqrt(dim)
    out = np.empty((n, dim), dtype=np.float32)
    for begin in range(0, n, block):
        size = min(block, n - begin)
        topic = rng.integers(0, clusters, size)
        latent = rng.standard_normal((size, rank)).astype(np.float32) * (1.2 / np.sqrt(rank))
        x = centres[topic] + np.einsum("nr,nrd->nd", latent, basis[topic])
        x += rng.standard_normal((size, dim)).astype(np.float32) * (0.5 / np.sqrt(dim))
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        out[begin : begin + size] = x
    return out


def exact_top(vectors: np.ndarray, queries: np.ndarray, k: int, block: int = 100_000) -> np.ndarray:
    """Ids of the exact top-``k`` inner products of each query (blockwise brute force)."""
    best_ids = np.zeros((len(queries), 0), dtype=np.int64)
    best = np.zeros((len(queries), 0), dtype=np.float32)
    for begin in range(0, len(vectors), block):
        scores = queries @ vectors[begin : begin + block].T
        top = np.argpartition(-scores, k, axis=1)[:, :k]
        best = np.concatenate([best, np.take_along_axis(scores, top, 1)], axis=1)
        best_ids = np.concatenate([best_ids, top + begin], axis=1)
        keep = np.argsort(-best, axis=1)[:, :k]
        best, best_ids = np.take_along_axis(best, keep, 1), np.take_along_axis(best_ids, keep, 1)
    return best_ids
