"""The BM25 side of the index (bm25s), over terms produced by :mod:`ragqa.index.search.analysis`.

A generation keeps its passages' raw statistics beside the bm25s index
(:class:`~ragqa.index.files.postings.Postings`, ``terms.npz``): what scores it together
with the segments written after it (see :mod:`ragqa.index.files.segmented`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import bm25s
import numpy as np
from ragqa.index.files.postings import Postings, candidates
from ragqa.index.search.analysis import Analyzer


@dataclass(frozen=True)
class BM25Params:
    k1: float = 1.2
    b: float = 0.75
    method: str = "lucene"


class LexicalIndex:
    """BM25 scores for analysed queries against analysed passages."""

    def __init__(self, bm25: bm25s.BM25, analyzer: Analyzer, size: int,
                 postings: Postings | None = None) -> None:
        self._bm25 = bm25
        self.analyzer = analyzer
        self.size = size
        # None in a generation written before segments existed (its writes rebuild it).
        self.postings = postings

    @classmethod
    def build(cls, texts: Sequence[str], analyzer: Analyzer, params: BM25Params) -> LexicalIndex:
        bm25 = bm25s.BM25(k1=params.k1, b=params.b, method=params.method)
        corpus = passage_terms(texts, analyzer)
        # bm25s needs at least one term per document to build its matrix.
        bm25.index(corpus or [[""]], show_progress=False)
        return cls(bm25, analyzer, len(texts), Postings.build(corpus))

    def save(self, folder: Path, postings_path: Path | None = None) -> None:
        self._bm25.save(str(folder), show_progress=False)
        if self.postings is not None and postings_path is not None:
            self.postings.save(postings_path)

    @classmethod
    def load(cls, folder: Path, analyzer: Analyzer, size: int,
             postings: Postings | None = None) -> LexicalIndex:
        bm25 = bm25s.BM25.load(str(folder), show_progress=False)
        return cls(bm25, analyzer, size, postings)

    def idf(self, terms: Sequence[str]) -> list[float]:
        """BM25 (Lucene) idf of each term; a term no passage contains gets the maximum."""
        # bm25s keeps a term-major sparse matrix: its indptr gives each term's document count.
        indptr = self._bm25.scores["indptr"]
        vocab = self._bm25.vocab_dict
        n = self.size
        out = []
        for term in terms:
            tid = vocab.get(term)
            df = 0 if tid is None or tid + 1 >= len(indptr) else int(indptr[tid + 1] - indptr[tid])
            out.append(math.log(1.0 + (n - df + 0.5) / (df + 0.5)))
        return out

    def search(
        self, query: str, k: int, rows: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` ``(ids, scores)``, best first, optionally among ``rows`` (an int64
        array of allowed ids); passages matching no term are left out."""
        terms = self.analyzer(query)
        if not terms or self.size == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        scores = np.asarray(self._bm25.get_scores(terms), dtype=np.float32)[: self.size]
        if rows is not None:
            kept = np.zeros_like(scores)
            kept[rows] = scores[rows]
            scores = kept
        # Equal scores in row order: the order a generation holds passages in (documents by
        # id, passages in order), which a search over segments keeps too.
        top = candidates(scores, k)[:k]
        return top, scores[top]


def passage_terms(texts: Sequence[str], analyzer: Analyzer) -> list[list[str]]:
    """What BM25 indexes of each passage: its analysed terms, ``[""]`` for none (bm25s
    needs one term per passage, and counts it in the passage's length)."""
    return [analyzer(text) or [""] for text in texts]
