"""Every segment of a view as one part: what a search reads after the generation.

A view can hold dozens of segments; searching each on its own would cost a FAISS call and a
term lookup per segment and per question. :class:`Delta` holds them together, extended
by each write with the new segment only (the previous view's delta is left as it was): their
passages and vector keys in one list, their vectors in one matrix (searched with FAISS's
exact kernel, so a score is the one a merged index gives, to the bit) and their BM25
statistics by term (:class:`DeltaPostings`). Rows are the delta's own, from 0; the view
adds the generation's size.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass

import faiss
import numpy as np
from ragqa.index.documents.chunking import Passage
from ragqa.index.files.segments import Segment

_NO_ROWS = np.zeros(0, dtype=np.int64)
_NO_TF = np.zeros(0, dtype=np.float32)
# Up to this dimension, FAISS 1.15's fvec_inner_products_ny has kernels of its own (2, 4, 8,
# 12) that an exact index's search does not use (tests/index/files/test_delta.py checks it).
_OWN_KERNELS = 12


@dataclass(frozen=True)
class DeltaPostings:
    """The segments' term frequencies by term (the interface of
    :class:`~ragqa.index.files.postings.Postings` that scoring reads)."""

    terms: dict[str, tuple[np.ndarray, np.ndarray]]  # term -> (rows ascending, tf)
    lengths: np.ndarray  # float32, one per row

    @property
    def size(self) -> int:
        return len(self.lengths)

    def lookup(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        return self.terms.get(term, (_NO_ROWS, _NO_TF))

    def frequency(self, term: str) -> int:
        """How many passages hold ``term``."""
        found = self.terms.get(term)
        return 0 if found is None else len(found[0])

    def extended(self, segment: Segment) -> DeltaPostings:
        """These postings and ``segment``'s after them (a new object; this one unchanged)."""
        offset = self.size
        terms = dict(self.terms)  # shallow: the arrays of terms it lacks are shared
        postings = segment.postings
        for term, v in postings.vocabulary.items():
            begin, end = postings.indptr[v], postings.indptr[v + 1]
            rows = postings.rows[begin:end] + offset
            tf = postings.tf[begin:end]
            if term in terms:
                old_rows, old_tf = terms[term]
                rows, tf = np.concatenate([old_rows, rows]), np.concatenate([old_tf, tf])
            terms[term] = rows, tf
        return DeltaPostings(terms, np.concatenate([self.lengths, postings.lengths]))


@dataclass(frozen=True)
class Delta:
    """The segments of a view as one part."""

    passages: list[Passage]
    keys: list[str]
    vectors: np.ndarray  # float32, row i = passage i
    postings: DeltaPostings
    # For each row, the generation row its document would precede in a merged index
    # (documents by id, passages in order): how ties are broken as a merged index would.
    insertion: np.ndarray

    @classmethod
    def empty(cls, dimension: int) -> Delta:
        return cls([], [], np.zeros((0, dimension), dtype=np.float32),
                   DeltaPostings({}, np.zeros(0, dtype=np.float32)), np.zeros(0, dtype=np.int64))

    @property
    def size(self) -> int:
        return len(self.passages)

    def extended(self, segments: Sequence[Segment], doc_order: list[str],
                 first_rows: np.ndarray, base_size: int) -> Delta:
        """This delta and ``segments`` after it; ``doc_order`` and ``first_rows``: the
        generation's document ids, sorted, and the first row of each."""
        if not segments:
            return self
        passages, keys, postings = list(self.passages), list(self.keys), self.postings
        vectors, insertion = [self.vectors], [self.insertion]
        for segment in segments:
            passages += segment.passages
            keys += segment.keys
            vectors.append(segment.vectors)
            postings = postings.extended(segment)
            where = {doc_id: _insertion(doc_id, doc_order, first_rows, base_size)
                     for doc_id in segment.documents}
            insertion.append(np.asarray([where[p.doc_id] for p in segment.passages],
                                        dtype=np.int64))
        return Delta(passages, keys, np.concatenate(vectors), postings,
                     np.concatenate(insertion))

    def search(self, vector: np.ndarray, k: int,
               rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` best ``(rows, scores)`` by inner product, among ``rows`` when given, and
        every row tied with the k-th, in no particular order (the view orders them): FAISS's
        exact kernel, so each score is the one an exact index computes, to the bit."""
        scores = inner_products(self.vectors, vector, rows)
        found = np.arange(len(scores), dtype=np.int64) if rows is None else rows
        k = min(k, len(scores))
        if k <= 0:
            return _NO_ROWS, _NO_TF
        if k < len(scores):
            kth = np.partition(scores, len(scores) - k)[len(scores) - k]
            keep = scores >= kth
            found, scores = found[keep], scores[keep]
        return found.astype(np.int64, copy=False), scores


def inner_products(vectors: np.ndarray, vector: np.ndarray,
                   rows: np.ndarray | None = None) -> np.ndarray:
    """``vectors @ vector`` (of ``rows`` only, when given) with the kernel FAISS's exact
    index searches one query with (``fvec_inner_products_ny``): numpy's BLAS sums in
    another order, so its last bit can differ. One C call, no top-k: a view's segments hold
    a few passages, and FAISS's own top-k search cost more in Python than the scores."""
    base = vectors if rows is None else vectors[rows]
    base = np.ascontiguousarray(base, dtype=np.float32)
    query = np.ascontiguousarray(vector, dtype=np.float32).reshape(-1)
    out = np.empty(len(base), dtype=np.float32)
    if not len(base):
        return out
    if len(query) <= _OWN_KERNELS:  # the index's search scores these with a kernel of its own
        scores, found = faiss.knn(query.reshape(1, -1), base, len(base),
                                  metric=faiss.METRIC_INNER_PRODUCT)
        out[found[0]] = scores[0]
        return out
    faiss.fvec_inner_products_ny(faiss.swig_ptr(out), faiss.swig_ptr(query),
                                 faiss.swig_ptr(base), len(query), len(base))
    return out


def _insertion(doc_id: str, doc_order: list[str], first_rows: np.ndarray, base_size: int) -> int:
    i = bisect_left(doc_order, doc_id)
    return int(first_rows[i]) if i < len(doc_order) else base_size
