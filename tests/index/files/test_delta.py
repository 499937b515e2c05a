"""The pieces a search over segments is made of, against the slower forms they replaced
and against FAISS's exact index: seeded data, no model. (The whole search against a merged
index: tests/index/files/test_segments.py.)"""

import faiss
import numpy as np
import pytest
from ragqa.index.files.delta import inner_products
from ragqa.index.files.postings import best_rows, candidates
from ragqa.index.files.segmented import merged_positions


def _unit(rng: np.random.Generator, n: int, d: int) -> np.ndarray:
    x = rng.standard_normal((n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@pytest.mark.parametrize("d", [2, 4, 8, 12, 13, 16, 96, 383, 384, 768])
def test_inner_products_are_the_exact_index_scores_to_the_bit(d):
    rng = np.random.default_rng(d)
    for n in (1, 3, 4, 17, 70):
        vectors, query = _unit(rng, n, d), _unit(rng, 1, d)[0]
        index = faiss.IndexFlatIP(d)
        index.add(vectors)
        scores, rows = index.search(query.reshape(1, -1), n)
        expected = np.empty(n, dtype=np.float32)
        expected[rows[0]] = scores[0]
        np.testing.assert_array_equal(inner_products(vectors, query), expected)
        some = np.sort(rng.choice(n, size=max(1, n // 2), replace=False))
        np.testing.assert_array_equal(inner_products(vectors, query, some), expected[some])


def _candidates_before(scores: np.ndarray, k: int) -> np.ndarray:
    """candidates as it was (a partition of every score): the reference."""
    k = min(k, int(np.count_nonzero(scores > 0)))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    kth = np.partition(scores, len(scores) - k)[len(scores) - k]
    rows = np.flatnonzero(scores >= kth)
    return rows[np.argsort(-scores[rows], kind="stable")].astype(np.int64)


@pytest.mark.parametrize("seed", range(5))
def test_candidates_among_positive_scores_equal_a_partition_of_every_score(seed):
    rng = np.random.default_rng(seed)
    for n in (0, 1, 5, 300, 5000):
        # Mostly zeros, and few distinct values: ties at the k-th score are common.
        scores = np.where(rng.random(n) < 0.7, 0.0,
                          rng.integers(1, 40, n) / 8).astype(np.float32)
        for k in (1, 3, 100, n + 5):
            expected = _candidates_before(scores, k)
            found = candidates(scores, k)
            assert found.dtype == np.int64
            np.testing.assert_array_equal(found, expected)
            np.testing.assert_array_equal(best_rows(scores, k), np.sort(expected))


def test_merged_positions_order_rows_as_generation_row_then_part_then_rank():
    """One key orders rows as the three keys did: the generation row a row sits at or
    precedes, segment rows before it, then segment rows by their rank among themselves."""
    rng = np.random.default_rng(7)
    for base, delta in ((0, 5), (10, 0), (50, 30), (400, 90)):
        # A segment row's insertion row follows its rank (documents by id): sort both.
        insertion = np.sort(rng.integers(0, base + 1, delta)).astype(np.int64)
        rank = np.arange(delta, dtype=np.int64)
        shuffle = rng.permutation(delta)  # segment rows are stored in write order
        insertion, rank = insertion[shuffle], rank[shuffle]
        rows = np.arange(base + delta, dtype=np.int64)
        in_delta = rows >= base
        major, within = rows.copy(), rows.copy()
        major[in_delta] = insertion[rows[in_delta] - base]
        within[in_delta] = rank[rows[in_delta] - base]
        expected = np.lexsort((within, ~in_delta, major))
        positions = merged_positions(base, insertion, rank)
        np.testing.assert_array_equal(np.argsort(positions), expected)
        assert len(np.unique(positions)) == base + delta
