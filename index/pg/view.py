"""The PostgreSQL store as the retriever reads it: :class:`PgView`, an
:class:`~ragqa.index.search.view.IndexView` over a connection pool.

Nothing is held in memory but the analyzer and the identity: every read goes to the
database, so a write committed through any replica is seen by the next request of every
other. ``generation`` is ``corpus_stats.changes`` (bumped by every write), which keys the
retriever's result cache. A search costs a handful of statements (BM25 over postings, the
HNSW walk, one query for all candidate passages with their quotes), never one per hit.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import asdict

import numpy as np
import psycopg
from cachetools import LRUCache

from ragqa.index.search.analysis import Analyzer
from ragqa.index.config import IndexConfig
from ragqa.index.errors import ModelMismatchError
from ragqa.index.embedding.identity import VectorIdentity
from ragqa.index.pg.identity import StoreIdentity
from ragqa.index.pg.pool import Pool
from ragqa.index.pg.sentences import read_vectors
from ragqa.index.pg.search import TermStats, bm25_search, term_stats, vector_search
from ragqa.index.pg.tokens import read_tokens
from ragqa.index.pg.writes import as_array
from ragqa.index.records import (
    DocumentRecord,
    ModelRecord,
    PassageRecord,
    RefusedFile,
    line_context,
)

_EMPTY = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))

# One statement (one snapshot): the passages, and for each of their documents the title and
# the one slice of its text that covers them all, sent once (on the document's first row)
# and cut in Python. Slicing a long, compressed text once per passage in SQL cost ~1 ms a
# row. PostgreSQL's character offsets are Python's (code points).
# Characters of a document read around its passages: their lines' context for the
# highlighter (a line longer than that is no heading anyway).
CONTEXT_MARGIN = 300

_PASSAGES = """WITH p AS (
    SELECT id, doc_id, start_offset, end_offset, section, page FROM passages
    WHERE id = ANY(%(ids)s)
), span AS (
    SELECT doc_id, min(start_offset) AS lo, max(end_offset) AS hi FROM p GROUP BY doc_id
), t AS (
    SELECT s.doc_id, greatest(s.lo - %(margin)s, 0) AS lo, d.title,
           substr(d.text, greatest(s.lo - %(margin)s, 0) + 1,
                  s.hi + %(margin)s - greatest(s.lo - %(margin)s, 0)) AS chunk
    FROM span s JOIN documents d USING (doc_id)
)
SELECT p.id, p.doc_id, p.start_offset, p.end_offset, p.section, p.page, t.title, t.lo,
       CASE WHEN row_number() OVER (PARTITION BY p.doc_id ORDER BY p.id) = 1
            THEN t.chunk END
FROM p JOIN t USING (doc_id)
ORDER BY p.doc_id, p.id"""

_DOCUMENTS = """SELECT doc_id, title, content_hash, text, sections, passages,
       to_char(indexed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"'), pages
FROM documents"""


# IndexConfig settings left out of the store's identity (see :func:`store_identity`).
UNRECORDED = frozenset({"sentence_vectors", "token_vectors"})


def store_identity(model: ModelRecord, vectors: VectorIdentity,
                   config: IndexConfig) -> StoreIdentity:
    """What a database records about how it was indexed: the model, and everything else
    that decides its vectors and passages (a server configured otherwise is refused).

    Not :data:`UNRECORDED` settings: they decide no passage (a store switched to
    ``sentence_vectors`` or ``token_vectors`` fills in the vectors it lacks at its next
    sync, and reads the model's until then), so a database recorded before they existed is
    served as it is, and switching them refuses none."""
    shape = {k: v for k, v in asdict(vectors).items() if k != "weights_sha256"}
    settings = {k: v for k, v in config.to_json().items() if k not in UNRECORDED}
    return StoreIdentity(model_name=model.name, weights_sha256=vectors.weights_sha256,
                         dimension=model.dimension,
                         settings={"vectors": shape, "config": settings})


class PgView:
    """The PostgreSQL store's :class:`~ragqa.index.search.view.IndexView` over a pool."""

    store = "postgres"

    def __init__(self, pool: Pool, identity: StoreIdentity, config: IndexConfig, *,
                 model: ModelRecord, ef_search: int = 100) -> None:
        self.pool = pool
        self.identity = identity
        self.config = config
        self._model = model
        self._analyzer = Analyzer(config.analysis)
        self.ef_search = ef_search
        # Passages stored when the generation was last read (one query gives both): below
        # the config's exact_limit the dense search scans every vector, as the files store.
        self._passages: int | None = None
        self._changes: int | None = None  # the generation last read
        # An allowlist's term statistics, by (generation, allowlist, terms): counted once
        # per search for its BM25, its relevance and its highlights (three reads of them).
        self._scoped: LRUCache = LRUCache(maxsize=256)
        self._scoped_lock = threading.Lock()
        # Whether token_vectors holds any row, by generation (see _holds_tokens).
        self._tokens_held: tuple[int, bool] | None = None

    @property
    def generation(self) -> int:
        return self._stats()[0]

    def _stats(self) -> tuple[int, int]:
        """``(changes, passages)``; remembers the passage count for :meth:`dense_top`."""
        with self.pool.connection() as conn:
            row = conn.execute("SELECT changes, passages FROM corpus_stats").fetchone()
        changes, passages = (int(row[0]), int(row[1])) if row else (0, 0)
        self._passages, self._changes = passages, changes
        return changes, passages

    def _scoped_stats(self, conn: psycopg.Connection, terms: Sequence[str],
                      scope: Collection[str]) -> TermStats:
        """The statistics of ``terms`` over the passages of ``scope``'s documents, counted
        once per generation (the one the search read: a write committed since moves them
        by a hair, as between any two statements of a search)."""
        changes = self._changes if self._changes is not None else self._stats()[0]
        key = (changes, frozenset(scope), frozenset(terms))
        with self._scoped_lock:
            found = self._scoped.get(key)
        if found is None:
            found = term_stats(conn, sorted(set(terms)), sorted(scope))
            with self._scoped_lock:
                self._scoped[key] = found
        return found

    @property
    def analyzer(self) -> Analyzer:
        return self._analyzer

    @property
    def model(self) -> ModelRecord:
        return self._model

    def check_vectors(self, identity: VectorIdentity, model_name: str) -> None:
        if identity.weights_sha256 != self.identity.weights_sha256:
            raise ModelMismatchError(
                f"the database was embedded with model {self.identity.model_name!r} but "
                f"{model_name!r} is loaded now; configure that model, or index into a new "
                "database with this one")
        shape = {k: v for k, v in asdict(identity).items() if k != "weights_sha256"}
        if shape != self.identity.settings.get("vectors"):
            raise ModelMismatchError(
                f"the database's vectors were made with {self.identity.settings.get('vectors')}"
                f" but {shape} is configured now; restore those settings or use a new database")

    def idf(self, terms: Sequence[str], scope: Collection[str] | None = None) -> list[float]:
        with self.pool.connection() as conn:
            stats = (term_stats(conn, list(terms)) if scope is None
                     else self._scoped_stats(conn, terms, scope))
        return [stats.idf(term) for term in terms]

    def lexical_top(self, question: str, k: int, doc_ids: Collection[str] | None = None,
                    scope: Collection[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
        terms = self._analyzer(question)
        if not terms:
            return _EMPTY
        bm25 = self.config.bm25
        with self.pool.connection() as conn:
            found = bm25_search(conn, terms, k, k1=bm25.k1, b=bm25.b,
                                doc_ids=None if doc_ids is None else sorted(doc_ids),
                                scope=None if scope is None else sorted(scope),
                                stats=None if scope is None
                                else self._scoped_stats(conn, terms, scope))
        return _arrays(found)

    def tie_order(self, rows: np.ndarray) -> np.ndarray:
        return rows  # passage ids: the order they were written in (no rebuild to follow)

    def dense_top(self, vector: np.ndarray, k: int,
                  doc_ids: Collection[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
        stored = self._passages if self._passages is not None else self._stats()[1]
        with self.pool.connection() as conn:
            found = vector_search(conn, vector, k, ef_search=max(k, self.ef_search),
                                  doc_ids=None if doc_ids is None else sorted(doc_ids),
                                  exact=stored <= self.config.exact_limit)
        return _arrays(found)

    def unknown_documents(self, doc_ids: Collection[str]) -> list[str]:
        wanted = sorted(set(doc_ids))
        with self.pool.connection() as conn:
            found = conn.execute("SELECT doc_id FROM documents WHERE doc_id = ANY(%s)",
                                 (wanted,)).fetchall()
        known = {r[0] for r in found}
        return [d for d in wanted if d not in known]

    def passages_of(self, rows: Iterable[int]) -> dict[int, PassageRecord]:
        ids = [int(r) for r in rows]
        if not ids:
            return {}
        with self.pool.connection() as conn:
            found = conn.execute(_PASSAGES, {"ids": ids, "margin": CONTEXT_MARGIN}).fetchall()
        chunks: dict[str, str] = {}
        records = {}
        for row, doc_id, start, end, section, page, title, lo, chunk in found:
            if chunk is not None:
                chunks[doc_id] = chunk
            text = chunks[doc_id]
            before, after = line_context(text, start - lo, end - lo, CONTEXT_MARGIN)
            records[int(row)] = PassageRecord(int(row), doc_id, int(start), int(end), section,
                                              page, title, text[start - lo : end - lo],
                                              before, after)
        return records

    def vector(self, row: int) -> np.ndarray:
        with self.pool.connection() as conn:
            found = conn.execute("SELECT embedding FROM passages WHERE id = %s",
                                 (int(row),)).fetchone()
        if found is None or found[0] is None:
            return np.zeros(self._model.dimension, dtype=np.float32)  # deleted meanwhile
        return as_array(found[0])

    def vectors(self, rows: Sequence[int]) -> np.ndarray:
        """:meth:`vector` of each of ``rows``, in one statement."""
        wanted = [int(r) for r in rows]
        if not wanted:
            return np.zeros((0, self._model.dimension), dtype=np.float32)
        with self.pool.connection() as conn:
            found = dict(conn.execute("SELECT id, embedding FROM passages WHERE id = ANY(%s)",
                                      (wanted,)).fetchall())
        out = np.zeros((len(wanted), self._model.dimension), dtype=np.float32)
        for i, row in enumerate(wanted):
            if found.get(row) is not None:  # else deleted meanwhile
                out[i] = as_array(found[row])
        return out

    def stored_sentence_vectors(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """The sentence vectors written with the passages, in one statement; none looked up
        with ``sentence_vectors`` off (the store then neither writes nor reads them)."""
        if not self.config.sentence_vectors or not texts:
            return (np.zeros(len(texts), dtype=bool),
                    np.zeros((len(texts), self._model.dimension), dtype=np.float32))
        with self.pool.connection() as conn:
            return read_vectors(conn, texts, self._model.dimension)

    def stored_token_vectors(self, quote: str) -> np.ndarray | None:
        """The token vectors written with the passage ``quote`` (:mod:`ragqa.index.pg.tokens`),
        None where the database holds none (then made at query time); none looked up with
        ``token_vectors`` off."""
        return self.stored_token_vectors_each([quote])[0]

    def stored_token_vectors_each(self, quotes: Sequence[str]) -> list[np.ndarray | None]:
        """:meth:`stored_token_vectors` of each of ``quotes``, in one statement."""
        if self.config.token_vectors is False or not quotes:
            return [None] * len(quotes)
        changes = self._changes if self._changes is not None else self._stats()[0]
        with self.pool.connection() as conn:
            if not self._holds_tokens(conn, changes):
                return [None] * len(quotes)
            return read_tokens(conn, quotes, self._model.dimension)

    def _holds_tokens(self, conn: psycopg.Connection, changes: int) -> bool:
        """Whether ``token_vectors`` holds any row, asked once a generation (a fill bumps
        it): a database that makes none (above ``auto``'s limit, a model whose relevance
        does not use them, not filled since migration 5) pays no lookup per top passage."""
        held = self._tokens_held
        if held is None or held[0] != changes:
            row = conn.execute("SELECT EXISTS (SELECT 1 FROM token_vectors)").fetchone()
            held = self._tokens_held = (changes, bool(row and row[0]))
        return held[1]

    def document(self, doc_id: str) -> DocumentRecord | None:
        return self.documents_by_id([doc_id]).get(doc_id)

    def documents_by_id(self, doc_ids: Iterable[str] | None = None) -> dict[str, DocumentRecord]:
        with self.pool.connection() as conn:
            if doc_ids is None:
                found = conn.execute(_DOCUMENTS + " ORDER BY doc_id").fetchall()
            else:
                found = conn.execute(_DOCUMENTS + " WHERE doc_id = ANY(%s) ORDER BY doc_id",
                                     (list(doc_ids),)).fetchall()
        return {r[0]: DocumentRecord(doc_id=r[0], title=r[1], content_hash=r[2], text=r[3],
                                     sections=tuple(r[4]), passages=int(r[5]), indexed_at=r[6],
                                     pages=tuple(r[7])) for r in found}

    def refused(self) -> dict[str, RefusedFile]:
        with self.pool.connection() as conn:
            found = conn.execute(
                "SELECT doc_id, reason, content_hash FROM refused ORDER BY doc_id").fetchall()
        return {r[0]: RefusedFile(r[1], r[2]) for r in found}

    def counts(self) -> tuple[int, int]:
        with self.pool.connection() as conn:
            row = conn.execute("SELECT (SELECT count(*) FROM documents), passages "
                               "FROM corpus_stats").fetchone()
        return (int(row[0]), int(row[1])) if row else (0, 0)


    def session(self) -> AbstractContextManager[None]:
        return self.pool.session()

    def close(self) -> None:
        self.pool.close()


def _arrays(found: list[tuple[int, float]]) -> tuple[np.ndarray, np.ndarray]:
    if not found:
        return _EMPTY
    return (np.fromiter((r for r, _ in found), dtype=np.int64, count=len(found)),
            np.fromiter((s for _, s in found), dtype=np.float32, count=len(found)))
