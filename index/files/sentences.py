"""Sentence vectors made at index time, so that reading a never-seen passage is a lookup.

The highlight and the relevance signal compare the question with single sentences of the
passages a search returns (:mod:`ragqa.index.search.highlight`,
:mod:`ragqa.index.search.relevance`). Made at query time, those vectors were most of the
cost of a search whose top passages are new (issue 28: 53 % and 13 % of it). A generation
(and a segment) therefore holds the passage-side vector of every sentence of its passages,
as :func:`~ragqa.index.search.highlight.sentence_spans` cuts a passage's quote::

    sentence-keys.npy     uint64, ascending: a digest of each distinct sentence's text
    sentence-vectors.npy  float16, row i = the sentence of key i

The table is addressed by content: a sentence's key is a digest of its text alone (the
prefix and the model are the index's vector identity), so a passage merged from two
windows, or cut at another place, still finds those of its sentences the table holds, and
anything it lacks is embedded at query time as before. The keys are memory-mapped, the
vectors read row by row when asked for (:class:`~ragqa.index.files.rowfile.RowFile`): they
cost the page cache, not the process. An index written before them (or with
``RAGQA_SENTENCE_VECTORS=false``) simply has none.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ragqa.index.errors import IndexCorruptError
from ragqa.index.files.manifest import REBUILD_HINT
from ragqa.index.files.rowfile import RowFile
from ragqa.index.records import PROGRESS_STEP, Progress
from ragqa.index.search.highlight import sentence_spans

logger = logging.getLogger(__name__)

KEYS = "sentence-keys.npy"
VECTORS = "sentence-vectors.npy"
# Sentences per encode call between two progress reports: short texts, about 300 a second.
SENTENCE_STEP = 8 * PROGRESS_STEP


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
    vectors: np.ndarray | RowFile  # float16, (len(keys), dimension); on disk once loaded

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

    def save(self, folder: Path) -> None:
        np.save(folder / KEYS, self.keys)
        np.save(folder / VECTORS, self.vectors)


def load_table(folder: Path, dimension: int) -> SentenceTable | None:
    """The table of a generation or segment ``folder`` (read when needed), None when it has
    none; :class:`IndexCorruptError` when its files disagree."""
    keys_path, vectors_path = folder / KEYS, folder / VECTORS
    if not keys_path.exists() and not vectors_path.exists():
        return None
    try:
        keys, vectors = np.load(keys_path, mmap_mode="r"), RowFile(vectors_path)
    except (OSError, ValueError, TypeError) as exc:
        raise IndexCorruptError(f"{folder}: sentence vectors unreadable ({exc}); "
                                f"{REBUILD_HINT}") from None
    if (keys.dtype != np.uint64 or vectors.dtype != np.float16 or keys.ndim != 1
            or vectors.shape != (len(keys), dimension)):
        raise IndexCorruptError(f"{folder}: sentence vectors do not match ({keys.shape} keys, "
                                f"{vectors.shape} vectors of {dimension}); {REBUILD_HINT}")
    return SentenceTable(keys, vectors)


class SentenceLookup:
    """Several tables read as one (a generation's and its segments'), first found wins."""

    def __init__(self, tables: Iterable[SentenceTable | None]) -> None:
        self.tables = tuple(t for t in tables if t is not None and len(t))

    def __bool__(self) -> bool:
        return bool(self.tables)

    def find(self, texts: Sequence[str], dimension: int) -> tuple[np.ndarray, np.ndarray]:
        """``(found, vectors)``: whether each text's vector is held, and the float32
        vectors (rows of zeros where not)."""
        return self.find_keys(text_keys(texts), dimension)

    def find_keys(self, keys: np.ndarray, dimension: int) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`find` of texts given by their keys (:func:`text_keys`)."""
        found = np.zeros(len(keys), dtype=bool)
        vectors = np.zeros((len(keys), dimension), dtype=np.float32)
        if not self.tables or not len(keys):
            return found, vectors
        for table in self.tables:
            wanted = np.flatnonzero(~found)
            if not len(wanted):
                break
            rows = table.rows(keys[wanted])
            hit = rows >= 0
            vectors[wanted[hit]] = table.vectors[rows[hit]]
            found[wanted[hit]] = True
        return found, vectors


def embed_sentences(quotes: Iterable[str], known: SentenceLookup, dimension: int,
                    encode: Callable[[list[str]], np.ndarray],
                    progress: Progress | None = None) -> tuple[SentenceTable, int]:
    """The table of every sentence of ``quotes``: those ``known`` holds copied, the others
    embedded with ``encode`` (the index's passage encoder), shortest first (less padding
    per batch); and how many were embedded."""
    texts = list(dict.fromkeys(t for quote in quotes for t in sentence_texts(quote)))
    if not texts:
        return SentenceTable.empty(dimension), 0
    keys = text_keys(texts)
    found, vectors = known.find_keys(keys, dimension)
    missing = sorted(np.flatnonzero(~found).tolist(), key=lambda i: len(texts[i]))
    if missing:
        logger.info("embedding %d new sentences", len(missing))
        if progress is not None:
            progress(0, len(missing), unit="sentences")
        for begin in range(0, len(missing), SENTENCE_STEP):
            rows = missing[begin : begin + SENTENCE_STEP]
            vectors[rows] = encode([texts[i] for i in rows])
            if progress is not None:
                progress(begin + len(rows), len(missing), unit="sentences")
    order = np.argsort(keys, kind="stable")
    keys, vectors = keys[order], vectors[order]
    unique = np.ones(len(keys), dtype=bool)  # two texts of one key: a 2^-64 chance; keep one
    unique[1:] = keys[1:] != keys[:-1]
    return SentenceTable(keys[unique], vectors[unique].astype(np.float16)), len(missing)
