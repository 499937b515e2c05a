import numpy as np
import pytest

from ragqa.index.search.fusion import RRF_K, FusionParams, fuse


def _ranked(ids, scores):
    return np.array(ids, dtype=np.int64), np.array(scores, dtype=np.float32)


def test_rrf_matches_the_formula():
    lexical = _ranked([1, 2, 3], [9.0, 5.0, 1.0])
    dense = _ranked([3, 1], [0.9, 0.8])
    fused = dict(fuse(lexical, dense, FusionParams("rrf", 0.5)))
    assert fused[1] == pytest.approx(0.5 / (RRF_K + 1) + 0.5 / (RRF_K + 2))
    assert fused[3] == pytest.approx(0.5 / (RRF_K + 3) + 0.5 / (RRF_K + 1))
    assert fused[2] == pytest.approx(0.5 / (RRF_K + 2))


def test_weights_zero_and_one_reduce_to_a_single_ranker():
    lexical = _ranked([1, 2], [3.0, 2.0])
    dense = _ranked([2, 1], [0.9, 0.1])
    assert [i for i, _ in fuse(lexical, dense, FusionParams("linear", 0.0))] == [1, 2]
    assert [i for i, _ in fuse(lexical, dense, FusionParams("linear", 1.0))] == [2, 1]


def test_bad_fusion_settings():
    with pytest.raises(ValueError):
        FusionParams("max", 0.5)
    with pytest.raises(ValueError):
        FusionParams("rrf", 1.5)


def test_minmax_spreads_a_flat_list_over_the_same_range_as_a_steep_one():
    # BM25 is steep, cosines are flat: with max-normalisation the flat list's runner-up
    # keeps 0.99 of the top score; min-max gives it 0, as BM25's last candidate gets.
    lexical = (np.array([1, 2, 3]), np.array([20.0, 10.0, 1.0]))
    dense = (np.array([3, 1, 2]), np.array([0.86, 0.85, 0.84]))
    linear = dict(fuse(lexical, dense, FusionParams("linear", 0.5)))
    minmax = dict(fuse(lexical, dense, FusionParams("minmax", 0.5)))
    assert linear[3] < linear[2]  # the flat list barely counts
    assert minmax[3] == pytest.approx(0.5)  # dense top, lexical bottom
    assert minmax[1] == pytest.approx(0.5 + 0.25)
    assert [i for i, _ in fuse(lexical, dense, FusionParams("minmax", 0.5))] == [1, 3, 2]


def test_zscore_gives_a_missing_passage_the_list_minimum():
    lexical = (np.array([1, 2]), np.array([3.0, 1.0]))  # z: +1, -1
    dense = (np.array([3]), np.array([0.9]))  # a single score: z 0
    fused = dict(fuse(lexical, dense, FusionParams("zscore", 0.5)))
    assert fused[3] == pytest.approx(0.5 * -1.0 + 0.5 * 0.0)  # missing from BM25: its minimum
    assert fused[1] == pytest.approx(0.5 * 1.0)


def test_equal_fused_scores_fall_in_the_stores_tie_order():
    """min-max gives 0.5 to a passage at the top of one list and the bottom of the other:
    ties are common. They fall by id, or in the order the store says a rebuilt index
    would hold the rows (a files store's segments number rows otherwise)."""
    lexical = (np.array([7, 3]), np.array([2.0, 1.0]))
    dense = (np.array([3, 7]), np.array([0.9, 0.1]))
    by_id = fuse(lexical, dense, FusionParams("minmax", 0.5))
    assert [i for i, _ in by_id] == [3, 7] and by_id[0][1] == by_id[1][1] == 0.5
    reversed_order = fuse(lexical, dense, FusionParams("minmax", 0.5), lambda rows: -rows)
    assert [i for i, _ in reversed_order] == [7, 3]
