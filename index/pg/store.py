"""PostgreSQL + pgvector as a :class:`~ragqa.index.store.Store`: the database is the truth.

:meth:`PgStore.open` connects, applies the schema's migrations (safely from several replicas
at once) and checks that the database was indexed with this model and these passage
settings (recorded on a new database), then serves it through a connection pool. No corpus
folder is written and no generation is built: an upload is loaded and checked from its
bytes, cut with the store's corpus context
(:func:`~ragqa.index.pg.indexing.ingest_document`), only its new passages (and sentences)
are embedded, and it is written in one transaction, acknowledged after the commit. Every
replica reads the database, so a write is visible through all of them at their next request.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np
import psycopg

from ragqa.index.config import IndexConfig
from ragqa.index.documents.ids import LastDocumentError, check_suffix
from ragqa.index.documents.loaders import load_document
from ragqa.index.documents.sidecars import clean_title
from ragqa.index.embedding.embedder import Embedder
from ragqa.index.errors import ConfigError, UnknownDocumentError
from ragqa.index.pg.connect import connect, redact
from ragqa.index.pg.errors import LastDocumentRefusal
from ragqa.index.pg.groups import FolderReads, PgGroups
from ragqa.index.pg.identity import StoreIdentity, ensure_identity
from ragqa.index.pg.indexing import holds_documents, index_corpus_into, ingest_document
from ragqa.index.pg.migrations import migrate
from ragqa.index.pg.origin import check_default_folder, record_folder
from ragqa.index.pg.pool import Pool
from ragqa.index.pg.reclaim import KeptKeys
from ragqa.index.pg.sync_memo import SyncMemo
from ragqa.index.pg.view import PgView, store_identity
from ragqa.index.pg.writes import delete_document
from ragqa.index.records import BuildReport, ModelRecord, Progress
from ragqa.index.store import WriteResult

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PgOptions:
    """How to reach the database and serve it."""

    url: str
    pool_size: int = 8
    timeout: float = 10.0
    ef_search: int = 100  # HNSW candidates per vector search (at least k)


class PgStore:
    """The PostgreSQL store: a view over a pool, and per-document writes."""

    name = "postgres"

    def __init__(self, options: PgOptions, corpus_dir: Path, *, config: IndexConfig,
                 model: ModelRecord, embedder: Embedder, default_corpus: bool = False,
                 watching: bool = False) -> None:
        """Check the database (connect, migrate, identity); the pool opens at first use.

        ``default_corpus``: ``corpus_dir`` is the default ``./corpus``, not a folder given,
        so a sync with it is refused when the database holds another folder that exists
        (:mod:`ragqa.index.pg.origin`): checked before every sync, and here already when
        ``watching`` (``serve --watch``, whose syncs come later, in a job)."""
        self.options = options
        self.corpus_dir = corpus_dir
        self._config = config
        self._model = model
        self._embedder = embedder
        self._default_corpus = default_corpus
        with self._connection() as conn:
            self._identity = self._checked(conn)
            if watching:
                self._check_folder(conn)
        self._view: PgView | None = None
        # The passages' side-row keys the last sync's reclaim cut (its syncs run one at a
        # time: the jobs' one worker, or a command's one call).
        self._kept = KeptKeys()
        # What its syncs keep of the folder (stamps, plan, side rows found complete): a later
        # sync reads, cuts and checks only what changed (same syncs, one at a time).
        self._memo = SyncMemo()
        self._group_reads = FolderReads()  # the .groups files its writes read, by stat

    @property
    def location(self) -> str:
        return f"database {redact(self.options.url)}"

    # -- reading ---------------------------------------------------------------------------

    def view(self) -> PgView:
        """The store over its pool (one for the process: every read goes to the database)."""
        if self._view is None:
            pool = Pool(self.options.url, size=self.options.pool_size,
                        timeout=self.options.timeout).open()
            self._view = PgView(pool, self._identity, self._config, model=self._model,
                                ef_search=self.options.ef_search)
        return self._view

    @property
    def groups(self) -> PgGroups:
        """The documents' groups, in the database (read through the view's pool)."""
        return PgGroups(self.view().pool, self.corpus_dir, self._group_reads)

    def keep_links(self, doc_id: str) -> None:
        """Nothing: an upload writes no corpus file, so no hard link of one is parted."""

    def settle(self) -> None:
        """Nothing: no write leaves work running in the background (a deleted row's bytes
        go with VACUUM, the operator's step: docs/postgres.md)."""

    def close(self) -> None:
        if self._view is not None:
            self._view.close()
            self._view = None

    # -- writing ---------------------------------------------------------------------------

    def start(self, *, update: bool = True, strict: bool = False,
              progress: Progress | None = None) -> BuildReport | None:
        """Ready to serve: an empty database is indexed from the corpus folder (when
        ``update``); one that holds documents is served as it is (``ragqa index`` syncs)."""
        with self._connection() as conn:
            empty = not holds_documents(conn)
            if empty and update:
                return self._sync(conn, strict=strict, progress=progress)
        if not empty:
            logger.info("serving the database as it is (run `ragqa index` to bring it in "
                        "line with %s)", self.corpus_dir)
        return None

    def sync(self, *, rebuild: bool = False, strict: bool = False,
             progress: Progress | None = None) -> BuildReport:
        """Bring the database in line with the corpus folder; ``rebuild`` is refused (index
        into a new database to start over)."""
        if rebuild:
            raise ConfigError("--rebuild is for the files store; with the PostgreSQL store, "
                              "index into a new database to start over")
        with self._connection() as conn:
            return self._sync(conn, strict=strict, progress=progress)

    def upload(self, doc_id: str, data: bytes, title: str | None = None, *,
               progress: Progress | None = None) -> WriteResult:
        """Store ``data`` as document ``doc_id`` in one transaction, acknowledged after the
        commit (see :meth:`ragqa.index.store.Store.upload`)."""
        check_suffix(doc_id)
        with tempfile.TemporaryDirectory(prefix="ragqa-upload-") as folder:
            path = Path(folder) / f"upload{PurePosixPath(doc_id).suffix.lower()}"
            path.write_bytes(data)
            document = load_document(path, doc_id)  # DocumentError: refused, nothing written
        view, embedder = self.view(), self._embedder

        def embed(texts: list[str], unit: str = "passages") -> np.ndarray:
            if progress is not None:
                progress(0, len(texts), unit=unit)
            vectors = embedder.encode_passages(texts)
            if progress is not None:
                progress(len(texts), len(texts), unit=unit)
            return vectors

        def embed_tokens(quotes: list[str]) -> list[np.ndarray]:
            if progress is not None:
                progress(0, len(quotes), unit="token passes")
            made = embedder.passage_token_vectors(quotes)
            if progress is not None:
                progress(len(quotes), len(quotes), unit="token passes")
            return made

        # The folder's rules over it, written before it is (a misnamed ``.groups`` file
        # meant for it hides it, as a sync would).
        self.groups.apply_rules(doc_id)
        with view.pool.connection() as conn:
            existed = conn.execute("SELECT 1 FROM documents WHERE doc_id = %s",
                                   (doc_id,)).fetchone() is not None
            done = ingest_document(
                conn, document, config=self._config,
                contextual=embedder.identity.embed_context, embed=embed,
                embed_sentences=lambda texts: embed(texts, unit="sentences"),
                embed_tokens=embed_tokens, model_name=self._model.name,
                explicit_title=None if title is None else clean_title(title),
                keep_title=title is None)
        status = ("unchanged" if not done.outcome.changed
                  else "replaced" if existed else "created")
        generation = view.generation
        logger.info("%s %s (%d passages, %d embedded, %d sentences, %d token passes; "
                    "changes %d)", status, doc_id, done.outcome.passages, done.embedded,
                    done.sentences, done.tokens, generation)
        return WriteResult(status, doc_id, view.document(doc_id), generation)

    def delete(self, doc_id: str) -> WriteResult:
        """Remove document ``doc_id`` (or a refused file's record) from the store."""
        view = self.view()
        with view.pool.connection() as conn:
            try:  # a refused file may always go; the last document may not
                existed = delete_document(conn, doc_id, keep_one=True)
            except LastDocumentRefusal:
                raise LastDocumentError("cannot delete the last document; an index needs at "
                                        "least one (upload another first)") from None
        if not existed:
            raise UnknownDocumentError(f"no document {doc_id!r}")
        generation = view.generation
        logger.info("deleted %s (changes %d)", doc_id, generation)
        return WriteResult("deleted", doc_id, None, generation)

    # -- helpers ---------------------------------------------------------------------------

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection]:
        """One connection of its own (migrations and bulk indexing run outside the pool)."""
        conn = connect(self.options.url, timeout=self.options.timeout)
        try:
            yield conn
        finally:
            conn.close()

    def _checked(self, conn: psycopg.Connection) -> StoreIdentity:
        """Migrate to this ragqa's schema; the database's identity, checked against the
        model and settings (recorded on a new database)."""
        migrate(conn, dimension=self._embedder.dimension)
        wanted = store_identity(self._model, self._embedder.identity, self._config)
        return ensure_identity(conn, wanted)

    def _check_folder(self, conn: psycopg.Connection) -> None:
        if self._default_corpus:
            check_default_folder(conn, self.corpus_dir, redact(self.options.url))

    def _sync(self, conn: psycopg.Connection, *, strict: bool,
              progress: Progress | None) -> BuildReport:
        self._check_folder(conn)
        embedder = self._embedder
        report = index_corpus_into(conn, self.corpus_dir, config=self._config,
                                   contextual=embedder.identity.embed_context,
                                   load_embedder=lambda: embedder, model_name=self._model.name,
                                   fallback=self._model.fallback, strict=strict,
                                   progress=progress, kept=self._kept, memo=self._memo)
        record_folder(conn, self.corpus_dir)
        return report
