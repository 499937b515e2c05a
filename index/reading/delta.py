"""The trained layers as low-rank deltas over the bundled weights they started from.

Six trained BERT layers are 21 MB in fp16; what training changed in each weight matrix is
close to low rank (LoRA's observation, and what the issue's "adapter-sized" asks for). So
the artifact keeps, for each 2-D weight ``W`` of the trained layers, the truncated SVD of
``W - W_base`` as two factors ``up`` (out x r) and ``down`` (r x in), and everything else
(biases, LayerNorms, the heads) whole. :func:`expand` rebuilds the state at load from the
base's own layers, which the loader has anyway. The quality this costs is measured on dev
by ``python -m ragqa.eval.reader_train`` and recorded in the card.
"""

from __future__ import annotations

from typing import Any

UP, DOWN = ".delta_up", ".delta_down"


def _factored(name: str, value: Any) -> bool:
    return name.startswith("layers.") and name.endswith(".weight") and value.dim() == 2


def compress(state: dict[str, Any], base: dict[str, Any], rank: int) -> dict[str, Any]:
    """``state`` (a trained ``ReaderTop``'s) with each trained layer's weight matrix
    replaced by the rank-``rank`` factors of its difference from ``base`` (the same
    ``ReaderTop`` as built, before training)."""
    import torch

    out: dict[str, Any] = {}
    for name, value in state.items():
        if not _factored(name, value) or rank <= 0:
            out[name] = value
            continue
        delta = (value.float() - base[name].float()).cpu()
        u, s, vh = torch.linalg.svd(delta, full_matrices=False)
        r = min(rank, s.numel())
        out[name + UP] = u[:, :r] * s[:r]
        out[name + DOWN] = vh[:r]
    return out


def expand(tensors: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    """The full state from :func:`compress`'s output and the same ``base``; tensors stored
    whole pass through."""
    out: dict[str, Any] = {}
    for name, value in tensors.items():
        if name.endswith(DOWN):
            continue
        if name.endswith(UP):
            weight = name[: -len(UP)]
            down = tensors.get(weight + DOWN)
            if down is None or weight not in base:
                raise KeyError(weight)
            out[weight] = base[weight].float() + value.float() @ down.float()
        else:
            out[name] = value
    return out
