"""Passages' token vectors made at index time, for the relevance signal's token match.

The token match (:func:`~ragqa.index.search.relevance.token_match`) compares each token of
the question with the tokens of the top passage as the model reads the passage alone. That
pass over the top passage was most of what a search over never-seen passages cost once the
sentences' vectors were made at index time (:mod:`ragqa.index.files.sentences`): 38 of 55 ms
on 2 cores. A generation (and a segment) therefore holds them for each of its passages::

    token-keys.npy     uint64, ascending: a digest of each distinct passage quote
    token-offsets.npy  int64, len(keys) + 1: passage i's tokens are rows offsets[i]:offsets[i+1]
    token-vectors.npy  int8, one row per token: round(vector / scale)
    token-scales.npy   float32, one per token: its largest component / 127

Stored as int8 with one scale per token (388 bytes a token at 384 dimensions, about 160
tokens a 1,000-character passage: 62 kB), read back and normalised again: each token's
cosines move by about 0.001 (measured in tests). A search reads a passage's int8 rows alone
(a row's scale cancels when it is normalised: :func:`~ragqa.index.tokenrows.normalised`);
the keys and offsets are held in memory, the rows read when asked for, like the sentences'
vectors. Addressed by the quote's text like the sentences: a passage merged from two windows
is not in the table, but its windows are (their tokens together stand for it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ragqa.index.errors import IndexCorruptError
from ragqa.index.files.manifest import REBUILD_HINT
from ragqa.index.files.rowfile import RowFile
from ragqa.index.records import PROGRESS_STEP, Progress
from ragqa.index.sentencetable import text_keys
from ragqa.index.tokenrows import normalised, quantise

logger = logging.getLogger(__name__)

KEYS = "token-keys.npy"
OFFSETS = "token-offsets.npy"
VECTORS = "token-vectors.npy"
SCALES = "token-scales.npy"
FILES = (KEYS, OFFSETS, VECTORS, SCALES)


@dataclass(frozen=True)
class TokenTable:
    """The token vectors of distinct passage quotes, by key (``keys`` ascending)."""

    keys: np.ndarray  # uint64
    offsets: np.ndarray  # int64, len(keys) + 1
    vectors: np.ndarray | RowFile  # int8, (tokens, dimension); on disk once loaded
    scales: np.ndarray | RowFile  # float32, (tokens,)

    @classmethod
    def empty(cls, dimension: int) -> TokenTable:
        return cls(np.zeros(0, np.uint64), np.zeros(1, np.int64),
                   np.zeros((0, dimension), np.int8), np.zeros(0, np.float32))

    def __len__(self) -> int:
        return len(self.keys)

    def get(self, key: np.uint64) -> np.ndarray | None:
        """The normalised float32 token vectors of the quote of ``key``, None if absent."""
        at = int(self.keys.searchsorted(key))
        if at >= len(self.keys) or self.keys[at] != key:
            return None
        lo, hi = self.offsets[at : at + 2].tolist()
        return normalised(self.vectors[lo:hi])

    def save(self, folder: Path) -> None:
        for name, array in zip(FILES, (self.keys, self.offsets, self.vectors, self.scales)):
            np.save(folder / name, array)


def load_tokens(folder: Path, dimension: int) -> TokenTable | None:
    """The table of a generation or segment ``folder`` (read when needed), None when it has
    none; :class:`IndexCorruptError` when its files disagree."""
    paths = [folder / name for name in FILES]
    if not any(path.exists() for path in paths):
        return None
    try:
        # In memory (16 bytes a passage): a search looks several up, and a mapped array's
        # every read is a slower Python object.
        keys, offsets = np.load(paths[0]), np.load(paths[1])
        vectors, scales = RowFile(paths[2]), RowFile(paths[3])
    except (OSError, ValueError, TypeError) as exc:
        raise IndexCorruptError(f"{folder}: token vectors unreadable ({exc}); "
                                f"{REBUILD_HINT}") from None
    ok = (keys.dtype == np.uint64 and offsets.dtype == np.int64 and vectors.dtype == np.int8
          and scales.dtype == np.float32 and offsets.shape == (len(keys) + 1,)
          and vectors.ndim == 2 and vectors.shape[1] == dimension
          and scales.shape == (len(vectors),) and int(offsets[-1]) == len(vectors))
    if not ok:
        raise IndexCorruptError(f"{folder}: token vectors do not match ({len(keys)} keys, "
                                f"{vectors.shape} vectors of {dimension}); {REBUILD_HINT}")
    return TokenTable(keys, offsets, vectors, scales)


class TokenLookup:
    """Several tables read as one (a generation's and its segments'), first found wins."""

    def __init__(self, tables: Iterable[TokenTable | None]) -> None:
        self.tables = tuple(t for t in tables if t is not None and len(t))

    def __bool__(self) -> bool:
        return bool(self.tables)

    def find(self, quote: str) -> np.ndarray | None:
        """The token vectors of the passage ``quote``, None when no table holds it."""
        return self.find_key(text_keys([quote])[0]) if self.tables else None

    def find_key(self, key: np.uint64) -> np.ndarray | None:
        for table in self.tables:
            found = table.get(key)
            if found is not None:
                return found
        return None

    def rows_of(self, key: np.uint64) -> tuple[np.ndarray, np.ndarray] | None:
        """The stored (int8 rows, scales) of ``key``, copied as they are."""
        for table in self.tables:
            at = int(np.searchsorted(table.keys, key))
            if at < len(table.keys) and table.keys[at] == key:
                lo, hi = int(table.offsets[at]), int(table.offsets[at + 1])
                return np.asarray(table.vectors[lo:hi]), np.asarray(table.scales[lo:hi])
        return None


def embed_tokens(quotes: Iterable[str], known: TokenLookup, dimension: int,
                 encode: Callable[[Sequence[str]], list[np.ndarray]],
                 progress: Progress | None = None) -> tuple[TokenTable, int]:
    """The table of every distinct quote of ``quotes``: those ``known`` holds copied, the
    others' token vectors made with ``encode`` (the embedder's
    :meth:`~ragqa.index.embedding.embedder.Embedder.passage_token_vectors`); and how many
    were made."""
    texts = list(dict.fromkeys(quotes))
    if not texts:
        return TokenTable.empty(dimension), 0
    keys = text_keys(texts)
    parts: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    missing = []
    for i, key in enumerate(keys):
        held = known.rows_of(key) if known else None
        if held is None:
            missing.append(i)
        else:
            parts[i] = held
    if missing:
        logger.info("making the token vectors of %d passages", len(missing))
        if progress is not None:
            progress(0, len(missing), unit="token passes")
        for begin in range(0, len(missing), PROGRESS_STEP):
            rows = missing[begin : begin + PROGRESS_STEP]
            for i, vectors in zip(rows, encode([texts[i] for i in rows])):
                parts[i] = quantise(vectors)
            if progress is not None:
                progress(begin + len(rows), len(missing), unit="token passes")
    order, seen = [], set()
    for i in np.argsort(keys, kind="stable").tolist():
        if int(keys[i]) not in seen:  # two quotes of one key: a 2^-64 chance; keep one
            seen.add(int(keys[i]))
            order.append(i)
    counts = np.array([len(parts[i][0]) for i in order], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    vectors = np.empty((int(offsets[-1]), dimension), dtype=np.int8)
    scales = np.empty(int(offsets[-1]), dtype=np.float32)
    for n, i in enumerate(order):  # each part dropped once copied: the table is held once
        rows, row_scales = parts.pop(i)
        vectors[offsets[n] : offsets[n + 1]] = rows
        scales[offsets[n] : offsets[n + 1]] = row_scales
    return TokenTable(keys[order], offsets, vectors, scales), len(missing)
