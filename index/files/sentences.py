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

The sentences, their keys and the in-memory table are store-neutral
(:mod:`ragqa.index.sentencetable`); this module holds the files store's side: the two files,
the tables of a generation and its segments read as one (:class:`SentenceLookup`), and a
build's table, reusing the rows they hold (:func:`embed_sentences`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np

from ragqa.index.errors import IndexCorruptError
from ragqa.index.files.manifest import REBUILD_HINT
from ragqa.index.files.rowfile import RowFile
from ragqa.index.records import Progress
from ragqa.index.sentencetable import SENTENCE_STEP, SentenceTable, sentence_texts, text_keys

logger = logging.getLogger(__name__)

KEYS = "sentence-keys.npy"
VECTORS = "sentence-vectors.npy"


def save_table(table: SentenceTable, folder: Path) -> None:
    """Write ``table`` as the sentence files of a generation or segment ``folder``."""
    np.save(folder / KEYS, table.keys)
    np.save(folder / VECTORS, table.vectors)


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
