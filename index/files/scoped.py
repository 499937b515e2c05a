"""BM25 over a reader's allowlist: the statistics of the allowed documents' passages only.

A reader whose groups may not read every document searches with an allowlist (see
:mod:`ragqa.index.access`). Scoring only the allowed passages is not enough: BM25's idf
counts the passages holding each term, and its length normalisation divides by the average
passage length, so a document the reader cannot see would still move their scores (and a
reader could tell whether a rare word occurs in it). A :class:`Scope` scores from raw term
frequencies (:mod:`ragqa.index.files.postings`) with the passage count, the average length
and each term's document frequency of the allowed live passages only: what bm25s gives on
an index holding just those documents, to the bit. :class:`Scopes` keeps the last few per
view (an allowlist is the same object for every request of one store state and group set,
:class:`~ragqa.index.access.Allowlists`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import numpy as np
from cachetools import LRUCache
from ragqa.index.files.postings import (
    Part,
    Statistics,
    bm25_scores,
    candidates,
    document_frequencies,
    idf,
    length_norms,
)

_NO_ROWS = np.zeros(0, dtype=np.int64)


class Scope:
    """BM25 over the passages ``rows`` (live, ascending) of a collection made of ``parts``:
    their statistics, their length norms (made once), their scores."""

    def __init__(self, parts: Sequence[Part], rows: np.ndarray, k1: float, b: float) -> None:
        self.size = sum(part.postings.size for part in parts)
        allowed = np.zeros(self.size, dtype=bool)
        allowed[rows] = True
        # A part's live mask becomes "live and allowed": df counts only those passages.
        self.parts = [Part(p.postings, p.offset, allowed[p.offset : p.offset + p.postings.size])
                      for p in parts]
        self.rows = rows
        lengths = np.concatenate([p.postings.lengths for p in parts])
        self.stats = Statistics(len(rows), float(lengths[rows].sum(dtype=np.float64)))
        self._k1, self._b = k1, b
        self._norms = length_norms(self.parts, self.stats, k1, b)

    def idf(self, terms: Sequence[str]) -> list[float]:
        """BM25 (Lucene) idf of each term over the scope's passages."""
        n = self.stats.passages
        return [idf(df, n) for df in document_frequencies(self.parts, terms)]

    def scores(self, terms: Sequence[str]) -> np.ndarray:
        """Every row's score for the analysed query ``terms``; rows outside the scope may
        score too (the caller keeps only the rows it filters on, all within the scope)."""
        if not self.stats.passages:
            return np.zeros(self.size, dtype=np.float32)
        return bm25_scores(self.parts, terms, self.size, self.stats, self._k1, self._b,
                           self._norms, _NO_ROWS)


    def candidates(self, terms: Sequence[str], k: int,
                   rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The rows of the ``k`` best scores for ``terms`` among ``rows`` (ascending, within
        the scope; the scope's own when None) and every row tied with the k-th, best first,
        equal scores in row order; with their scores."""
        if not terms or not self.stats.passages:
            return _NO_ROWS, np.zeros(0, dtype=np.float32)
        scores = self.scores(terms)
        found = candidates_among(scores, self.rows if rows is None else rows, k)
        return found, scores[found]


class Scopes:
    """The :class:`Scope` of each allowlist, the last ``size`` used (thread-safe); ``make``
    builds one from the allowlist's document ids. A scope holds 9 bytes per passage of the
    store (its mask and length norms): 16 of them, 14 MB at 100,000 passages."""

    def __init__(self, make: Callable[[frozenset[str]], Scope], size: int = 16) -> None:
        self._make = make
        self._cache: LRUCache = LRUCache(maxsize=size)
        self._lock = threading.Lock()

    def get(self, doc_ids: frozenset[str]) -> Scope:
        with self._lock:
            found = self._cache.get(doc_ids)
        if found is None:  # two threads may both build it: the same scope, once kept
            found = self._make(doc_ids)
            with self._lock:
                self._cache[doc_ids] = found
        return found


def candidates_among(scores: np.ndarray, rows: np.ndarray, k: int) -> np.ndarray:
    """:func:`~ragqa.index.files.postings.candidates` of ``scores`` among ``rows``
    (ascending) only: the others count as 0."""
    return rows[candidates(scores[rows], k)] if len(rows) else _NO_ROWS
