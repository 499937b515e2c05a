import numpy as np
import pytest

from ragqa.index.fusion import RRF_K, FusionParams, fuse


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
