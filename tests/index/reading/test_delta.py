"""Low-rank deltas of the trained layers: exact at full rank, closer as the rank grows,
everything else stored whole, and a broken pair refused."""

from __future__ import annotations

import pytest
import torch
from ragqa.index.reading.delta import DOWN, UP, compress, expand


def _states(seed: int = 0) -> tuple[dict, dict]:
    g = torch.Generator().manual_seed(seed)
    base = {"layers.0.attention.self.query.weight": torch.randn(24, 16, generator=g),
            "layers.0.attention.self.query.bias": torch.randn(24, generator=g),
            "layers.0.output.LayerNorm.weight": torch.randn(16, generator=g),
            "answer.0.weight": torch.randn(8, 16, generator=g)}
    # a trained state: a rank-3 change plus a little noise on the matrix, other tensors moved
    u, v = torch.randn(24, 3, generator=g), torch.randn(3, 16, generator=g)
    trained = {k: t + 0.01 * torch.randn(t.shape, generator=g) for k, t in base.items()}
    trained["layers.0.attention.self.query.weight"] = (
        base["layers.0.attention.self.query.weight"] + u @ v
        + 1e-3 * torch.randn(24, 16, generator=g))
    return base, trained


def test_full_rank_gives_the_trained_state_back() -> None:
    base, trained = _states()
    back = expand(compress(trained, base, rank=16), base)
    assert back.keys() == trained.keys()
    for name, value in trained.items():
        assert torch.allclose(back[name], value, atol=1e-5), name


def test_only_the_trained_layers_matrices_are_factored() -> None:
    base, trained = _states()
    small = compress(trained, base, rank=2)
    name = "layers.0.attention.self.query.weight"
    assert name not in small and small[name + UP].shape == (24, 2)
    assert small[name + DOWN].shape == (2, 16)
    for whole in ("layers.0.attention.self.query.bias", "layers.0.output.LayerNorm.weight",
                  "answer.0.weight"):  # vectors, and the heads' matrices, stay whole
        assert torch.equal(small[whole], trained[whole])


def test_error_falls_as_the_rank_grows() -> None:
    base, trained = _states(1)
    name = "layers.0.attention.self.query.weight"
    errors = [float((expand(compress(trained, base, r), base)[name] - trained[name]).norm())
              for r in (1, 2, 3, 8)]
    assert errors == sorted(errors, reverse=True) and errors[0] > 10 * errors[2]
    assert errors[2] < 0.05  # the rank-3 change is kept; what is left is the noise


def test_a_factor_without_its_pair_is_refused() -> None:
    base, trained = _states()
    small = compress(trained, base, rank=2)
    del small["layers.0.attention.self.query.weight" + DOWN]
    with pytest.raises(KeyError):
        expand(small, base)
