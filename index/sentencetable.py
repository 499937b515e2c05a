"""The sentences of a passage, their keys, and a table of their vectors: what both stores use.

The highlight and the relevance signal compare the question with single sentences of the
passages a search returns, as :func:`~ragqa.index.search.highlight.sentence_spans` cuts a
passage's quote. Both stores make those sentences' passage-side vectors at index time and
address them by content: a sentence's key is a digest of its text alone (the prefix and the
model are the index's vector identity), so a passage merged from two windows, or cut at
another place, still finds the sentences a table holds. Where each store keeps the table is
its own business (:mod:`ragqa.index.files.sentences`, :mod:`ragqa.index.pg.sentences`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from ragqa.index.records import PROGRESS_STEP
from ragqa.index.search.highlight import sentence_spans

# Sentences per encode call between two progress reports: short texts, about 300 a second.
SENTENCE_STEP = 8 * PROGRESS_STEP


class Rows(Protocol):
    """Vectors indexed by row numbers without being in memory (the files store's
    :class:`~ragqa.index.files.rowfile.RowFile`): an array of them is read when asked for."""

    shape: tuple[int, ...]
    dtype: np.dtype

    def __len__(self) -> int: ...

    def __getitem__(self, key) -> np.ndarray: ...


def sentence_texts(quote: str) -> list[str]:
    """The sentences of a passage's quote, as the search reads them."""
    return [quote[a:b] for a, b in sentence_spans(quote, 0, len(quote))]


def text_keys(texts: Sequence[str]) -> np.ndarray:
    """The table key of each text: the first 8 bytes of its BLAKE2b digest, as uint64."""
    return np.fromiter((int.from_bytes(hashlib.blake2b(t.encode("utf-8"), digest_size=8)
                                       .digest(), "little") for t in texts),
                       dtype=np.uint64, count=len(texts))


@dataclass(frozen=True)
class SentenceTable:
    """Vectors of distinct sentences by key (``keys`` ascending, row i = key i)."""

    keys: np.ndarray  # uint64
    vectors: np.ndarray | Rows  # float16, (len(keys), dimension); on disk once loaded

    @classmethod
    def empty(cls, dimension: int) -> SentenceTable:
        return cls(np.zeros(0, dtype=np.uint64), np.zeros((0, dimension), dtype=np.float16))

    def __len__(self) -> int:
        return len(self.keys)

    def rows(self, keys: np.ndarray) -> np.ndarray:
        """The row of each of ``keys``, -1 where the table does not hold it."""
        if not len(self.keys):
            return np.full(len(keys), -1, dtype=np.int64)
        at = np.searchsorted(self.keys, keys)
        inside = at < len(self.keys)
        found = inside.copy()
        found[inside] = self.keys[at[inside]] == keys[inside]
        return np.where(found, at, -1).astype(np.int64)
