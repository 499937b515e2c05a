"""What a search needs from a store: the :class:`IndexView` protocol.

The retrieval logic (:class:`~ragqa.index.search.retriever.Retriever`: validation, fusion,
near-duplicate removal, the relevance signal, the result cache) is written once, against
this protocol. Two stores implement it: a loaded files generation
(:class:`~ragqa.index.files.generations.LoadedIndex`) and the PostgreSQL store
(:class:`~ragqa.index.pg.view.PgView`). A passage is named by an integer ``row``: its
position in a files generation, its id in the database.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from contextlib import AbstractContextManager
from typing import Protocol

import numpy as np

from ragqa.index.embedding.identity import VectorIdentity
from ragqa.index.records import DocumentRecord, ModelRecord, PassageRecord, RefusedFile
from ragqa.index.search.analysis import Analyzer

# Top-k results of one ranker: passage rows and their scores, best first.
Ranked = tuple[np.ndarray, np.ndarray]


class IndexView(Protocol):
    """The searchable state of one store, as the retriever and the service read it."""

    store: str  # "files" or "postgres"

    @property
    def generation(self) -> int:
        """Changes with every write: results cached under another generation are stale."""

    @property
    def analyzer(self) -> Analyzer: ...

    @property
    def model(self) -> ModelRecord:
        """The embedding model that made the stored vectors."""

    def check_vectors(self, identity: VectorIdentity, model_name: str) -> None:
        """Raise :class:`~ragqa.index.errors.ModelMismatchError` unless the stored vectors
        were made with ``identity``."""

    def idf(self, terms: Sequence[str], scope: Collection[str] | None = None) -> list[float]:
        """BM25 (Lucene) idf of each analysed term over the whole store, or over the
        passages of the documents of ``scope`` (a reader's allowlist) when given."""

    def lexical_top(self, question: str, k: int, doc_ids: Collection[str] | None = None,
                    scope: Collection[str] | None = None) -> Ranked:
        """BM25 top-``k`` for ``question`` (passages matching no term left out), among the
        passages of ``doc_ids`` when given. With ``scope`` (a reader's allowlist, holding
        ``doc_ids``), every statistic (document frequencies, passage count, average
        length) is that of its documents' passages, as if the store held nothing else,
        and only they are ranked when ``doc_ids`` is None."""

    def dense_top(self, vector: np.ndarray, k: int,
                  doc_ids: Collection[str] | None = None) -> Ranked:
        """Top-``k`` passages by inner product with the (normalised) query ``vector``."""

    def tie_order(self, rows: np.ndarray) -> np.ndarray:
        """A sort key per row that orders rows as an index rebuilt from the store holds
        them (documents by id, passages in order): where fused scores tie, hits fall as
        they would after a rebuild (a files generation's rows are that order already; its
        segments' are not)."""

    def unknown_documents(self, doc_ids: Collection[str]) -> list[str]:
        """Those of ``doc_ids`` the store does not hold, sorted."""

    def passages_of(self, rows: Iterable[int]) -> dict[int, PassageRecord]:
        """The records of ``rows``, read together (rows that no longer exist are absent)."""

    def vector(self, row: int) -> np.ndarray:
        """The stored vector of passage ``row``."""

    def vectors(self, rows: Sequence[int]) -> np.ndarray:
        """The stored vectors of ``rows``, one row each, read together."""

    def stored_sentence_vectors(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """``(found, vectors)``: whether the store holds each sentence's vector, made at
        index time (:mod:`ragqa.index.files.sentences`), and those vectors (float32 rows,
        zeros where not held)."""

    def stored_token_vectors(self, quote: str) -> np.ndarray | None:
        """The token vectors of the passage ``quote`` made at index time
        (:mod:`ragqa.index.files.tokens`), normalised float32 rows; None when not held."""

    def stored_token_vectors_each(self, quotes: Sequence[str]) -> list[np.ndarray | None]:
        """:meth:`stored_token_vectors` of each of ``quotes``, read together."""

    def document(self, doc_id: str) -> DocumentRecord | None: ...

    def documents_by_id(self, doc_ids: Iterable[str] | None = None) -> dict[str, DocumentRecord]:
        """The records of ``doc_ids`` (all documents when None), by id, sorted."""

    def refused(self) -> dict[str, RefusedFile]:
        """Files left out, by id, sorted, with the reason."""

    def counts(self) -> tuple[int, int]:
        """``(documents, passages)``."""

    def session(self) -> AbstractContextManager[None]:
        """A block whose reads share what they can: one connection for the whole of a
        search on postgres (nested blocks share the outer one); nothing for files."""

    def close(self) -> None:
        """Release what the store holds open (connections); nothing for files."""
