"""The BM25 side of the index (bm25s), over terms produced by :mod:`ragqa.index.search.analysis`."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import bm25s
import numpy as np

from ragqa.index.search.analysis import Analyzer


@dataclass(frozen=True)
class BM25Params:
    k1: float = 1.2
    b: float = 0.75
    method: str = "lucene"


class LexicalIndex:
    """BM25 scores for analysed queries against analysed passages."""

    def __init__(self, bm25: bm25s.BM25, analyzer: Analyzer, size: int) -> None:
        self._bm25 = bm25
        self.analyzer = analyzer
        self.size = size

    @classmethod
    def build(cls, texts: Sequence[str], analyzer: Analyzer, params: BM25Params) -> LexicalIndex:
        bm25 = bm25s.BM25(k1=params.k1, b=params.b, method=params.method)
        # bm25s needs at least one term per document to build its matrix.
        corpus = [analyzer(text) or [""] for text in texts] or [[""]]
        bm25.index(corpus, show_progress=False)
        return cls(bm25, analyzer, len(texts))

    def save(self, folder: Path) -> None:
        self._bm25.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path, analyzer: Analyzer, size: int) -> LexicalIndex:
        bm25 = bm25s.BM25.load(str(folder), show_progress=False)
        return cls(bm25, analyzer, size)

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
        k = min(k, int(np.count_nonzero(scores > 0)))
        if k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return top.astype(np.int64), scores[top]
