"""Raw BM25 statistics of a set of passages, and BM25 scores computed from them at query time.

bm25s (:mod:`ragqa.index.files.lexical`) stores each passage's score for each term with
the collection's statistics baked in (idf from the document frequency, the average
passage length). That serves one generation as it is, but not a generation plus segments
(:mod:`ragqa.index.files.segmented`): a segment adds passages and retires others, so every
idf and the average length move. Lucene keeps term frequencies and lengths and scores at
query time for that reason; so do we. :class:`Postings` holds, for each term, the passages
containing it and how often (a term-major sparse matrix), and each passage's length;
:func:`bm25_scores` scores a query over several such parts with the statistics of their
live passages together, with bm25s's Lucene formula (checked against bm25s itself on a
merged index in ``tests/index/files/test_segments.py``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

_EMPTY_ROWS = np.zeros(0, dtype=np.int64)
_EMPTY_TF = np.zeros(0, dtype=np.float32)


@dataclass(frozen=True)
class Postings:
    """Term frequencies of ``size`` passages: term ``t``'s passages are
    ``rows[indptr[v] : indptr[v + 1]]`` (ascending) with frequencies ``tf[...]``, where
    ``v = vocabulary[t]``; ``lengths[i]`` is passage i's number of terms."""

    vocabulary: dict[str, int]
    indptr: np.ndarray  # int64, len(vocabulary) + 1
    rows: np.ndarray  # int64 in memory (numpy gathers convert narrower indices each time)
    tf: np.ndarray  # float32
    lengths: np.ndarray  # float32, one per passage

    @property
    def size(self) -> int:
        return len(self.lengths)

    @classmethod
    def build(cls, corpus: Sequence[Sequence[str]]) -> Postings:
        """From each passage's analysed terms (as given to bm25s: an empty passage is
        ``[""]``, one term long, as bm25s counts it)."""
        vocabulary: dict[str, int] = {}
        ids = [vocabulary.setdefault(term, len(vocabulary)) for terms in corpus for term in terms]
        lengths = np.fromiter((len(terms) for terms in corpus), dtype=np.int64, count=len(corpus))
        if not ids:
            return cls({}, np.zeros(1, dtype=np.int64), _EMPTY_ROWS, _EMPTY_TF,
                       lengths.astype(np.float32))
        passage = np.repeat(np.arange(len(corpus), dtype=np.int64), lengths)
        # One key per (term, passage), sorted: term-major, passages ascending within a term.
        keys, tf = np.unique(np.asarray(ids, dtype=np.int64) * len(corpus) + passage,
                             return_counts=True)
        terms, rows = np.divmod(keys, len(corpus))
        indptr = np.zeros(len(vocabulary) + 1, dtype=np.int64)
        np.cumsum(np.bincount(terms, minlength=len(vocabulary)), out=indptr[1:])
        return cls(vocabulary, indptr, rows.astype(np.int64), tf.astype(np.float32),
                   lengths.astype(np.float32))

    def lookup(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        """``(rows, tf)`` of the passages holding ``term`` (empty when none does)."""
        v = self.vocabulary.get(term)
        if v is None:
            return _EMPTY_ROWS, _EMPTY_TF
        begin, end = self.indptr[v], self.indptr[v + 1]
        return self.rows[begin:end], self.tf[begin:end]

    def frequency(self, term: str) -> int:
        """How many passages hold ``term``."""
        v = self.vocabulary.get(term)
        return 0 if v is None else int(self.indptr[v + 1] - self.indptr[v])

    def select(self, keep: np.ndarray) -> Postings:
        """The statistics of the passages ``keep`` (rows, ascending) alone, renumbered from
        0; a term no kept passage holds leaves the vocabulary (a segment rewritten without a
        deleted document keeps none of its words: :mod:`ragqa.index.files.erasure`)."""
        keep = np.asarray(keep, dtype=np.int64)
        new_row = np.full(self.size, -1, dtype=np.int64)
        new_row[keep] = np.arange(len(keep), dtype=np.int64)
        term_of = np.repeat(np.arange(len(self.vocabulary), dtype=np.int64),
                            np.diff(self.indptr))
        mapped = new_row[self.rows]
        kept = mapped >= 0
        terms, rows, tf = term_of[kept], mapped[kept], self.tf[kept]
        present = np.bincount(terms, minlength=len(self.vocabulary)) > 0
        renumber = np.cumsum(present) - 1
        vocabulary = {t: int(renumber[v]) for t, v in self.vocabulary.items() if present[v]}
        indptr = np.zeros(len(vocabulary) + 1, dtype=np.int64)
        np.cumsum(np.bincount(renumber[terms], minlength=len(vocabulary)), out=indptr[1:])
        # rows stay ascending within a term: the renumbering keeps their order
        return Postings(vocabulary, indptr, rows, tf.astype(np.float32, copy=False),
                        self.lengths[keep])

    def save(self, path: Path) -> None:
        terms = np.array(sorted(self.vocabulary, key=self.vocabulary.__getitem__), dtype=str)
        with open(path, "wb") as handle:
            np.savez(handle, terms=terms, indptr=self.indptr, rows=self.rows.astype(np.int32),
                     tf=self.tf, lengths=self.lengths)

    @classmethod
    def load(cls, path: Path) -> Postings:
        """Raises ``OSError``, ``ValueError`` or ``KeyError`` on a bad file."""
        with np.load(path, allow_pickle=False) as data:
            terms = data["terms"].tolist()
            postings = cls({t: i for i, t in enumerate(terms)}, data["indptr"],
                           data["rows"].astype(np.int64), data["tf"], data["lengths"])
        if (len(postings.indptr) != len(terms) + 1 or postings.indptr[-1] != len(postings.rows)
                or len(postings.rows) != len(postings.tf)
                or (len(postings.rows) and postings.rows.max() >= postings.size)):
            raise ValueError("inconsistent postings")
        return postings


@dataclass(frozen=True)
class Part:
    """One part of a scored collection: its postings, its first row in the collection,
    and which of its rows are live (None: all)."""

    postings: Postings
    offset: int
    live: np.ndarray | None = None  # bool, one per passage of the part


@dataclass(frozen=True)
class Statistics:
    """The collection's live passages: how many, and their total length."""

    passages: int
    length: float

    @property
    def average_length(self) -> float:
        return self.length / self.passages if self.passages else 1.0


def idf(df: int, n: int) -> float:
    """BM25's Lucene idf, as bm25s computes it."""
    return math.log(1.0 + (n - df + 0.5) / (df + 0.5))


def document_frequencies(parts: Sequence[Part], terms: Sequence[str]) -> list[int]:
    """How many live passages hold each term."""
    return [_live_count(parts, term) for term in terms]


def _live_count(parts: Sequence[Part], term: str) -> int:
    count = 0
    for part in parts:
        if part.live is None:
            count += part.postings.frequency(term)
        else:
            rows, _ = part.postings.lookup(term)
            count += int(np.count_nonzero(part.live[rows]))
    return count


def length_norms(parts: Sequence[Part], stats: Statistics, k1: float, b: float) -> np.ndarray:
    """``k1 * (1 - b + b * length / average length)`` of every row (float64), the part of a
    BM25 denominator that depends on the passage alone: made once per view."""
    lengths = np.concatenate([part.postings.lengths for part in parts]).astype(np.float64)
    return k1 * ((1 - b) + b * lengths / stats.average_length)


def bm25_scores(parts: Sequence[Part], terms: Sequence[str], size: int, stats: Statistics,
                k1: float, b: float, norms: np.ndarray | None = None,
                dead: np.ndarray | None = None) -> np.ndarray:
    """BM25 (Lucene) score of every row of a collection of ``size`` rows (the parts' rows,
    one after the other) for the analysed query ``terms``; rows matching no term, or not
    live, score 0. ``norms`` (:func:`length_norms`) and ``dead`` (the rows not live), when
    the caller keeps them.

    Computed exactly as bm25s computes a merged index's scores, to the bit: each term's
    contribution in float64 with bm25s's float32 idf, rounded to float32, and added in the
    query's order (a repeated term once per occurrence). So the same passages score the same
    in a merged generation and across segments, ties included. Every term of every part is
    scored in one pass of numpy (a few calls per question, not per term and part: at a
    thousand passages the per-call overhead was most of a search's BM25 time).
    """
    if norms is None:
        norms = length_norms(parts, stats, k1, b)
    scores = np.zeros(size, dtype=np.float32)
    rows, tfs, weights, spans = [], [], [], {}
    begin = 0
    for term in terms:
        if term in spans:
            continue
        df = count = 0
        for part in parts:
            found, tf = part.postings.lookup(term)
            if len(found):
                rows.append(found + part.offset if part.offset else found)
                tfs.append(tf)
                count += len(found)
                df += len(found) if part.live is None else int(
                    np.count_nonzero(part.live[found]))
        weights.append(float(np.float32(idf(df, stats.passages))))
        spans[term] = (begin, begin + count)
        begin += count
    if begin:
        every = np.concatenate(rows) if len(rows) > 1 else rows[0]
        tf = np.concatenate(tfs).astype(np.float64)
        # bm25s: idf * (tf / (norm + tf)), in float64, then float32 (in place here).
        contribution = norms.take(every)
        contribution += tf
        np.divide(tf, contribution, out=contribution)
        contribution *= np.repeat(weights, [end - start for start, end in spans.values()])
        contribution = contribution.astype(np.float32)
        if len(spans) < len(terms):  # a repeated term: its contributions again, in place
            order = np.concatenate([np.arange(*spans[term], dtype=np.int64) for term in terms])
            every, contribution = every[order], contribution[order]
        # Unbuffered, in order: each row's sum in float32, term by term as the query has them.
        np.add.at(scores, every, contribution)
    if dead is None:
        dead = np.concatenate([np.flatnonzero(~part.live) + part.offset for part in parts
                               if part.live is not None] or [np.zeros(0, dtype=np.int64)])
    if len(dead):
        scores[dead] = 0.0  # retired rows were scored with the rest: they score nothing
    return scores


def candidates(scores: np.ndarray, k: int) -> np.ndarray:
    """The rows of the ``k`` best positive ``scores`` and of every row tied with the k-th,
    best first, equal scores in row order."""
    rows = best_rows(scores, k)
    return rows[np.argsort(-scores[rows], kind="stable")]


def best_rows(scores: np.ndarray, k: int) -> np.ndarray:
    """The rows of the ``k`` best positive ``scores`` and of every row tied with the k-th,
    ascending (for a caller that orders them its own way)."""
    # Among the positive scores only: most rows of a BM25 search score 0, and selecting
    # among many equal values is what made a partition of every row slow (3 ms of 100,000).
    rows = np.flatnonzero(scores > 0)
    k = min(k, len(rows))
    if k <= 0:
        return _EMPTY_ROWS
    if k < len(rows):
        values = scores[rows]
        kth = np.partition(values, len(values) - k)[len(values) - k]
        rows = rows[values >= kth]
    return rows
