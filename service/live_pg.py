"""Uploads and deletes with the PostgreSQL store: the database is the source of truth.

No corpus folder is written and no generation is built: an upload is loaded and checked
from its bytes, cut with the store's corpus context (:func:`ragqa.index.pg.indexing.ingest_document`),
only its new passages are embedded, and it is written in one transaction, acknowledged
after the commit. The engine is never swapped: every replica reads the database, so the
write is visible through all of them at their next request. Same results and errors as the
files store's :class:`~ragqa.service.live.LiveIndex`.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path, PurePosixPath

from ragqa.engine import Engine
from ragqa.index.errors import UnknownDocumentError
from ragqa.index.documents.loaders import load_document
from ragqa.index.pg.errors import LastDocumentRefusal
from ragqa.index.pg.indexing import ingest_document
from ragqa.index.pg.store import PgStore
from ragqa.index.pg.writes import delete_document
from ragqa.index.documents.titles import clean_title
from ragqa.service.corpus import LastDocumentError, check_suffix
from ragqa.service.live import WriteResult

logger = logging.getLogger(__name__)


class PgLiveIndex:
    """The served engine over the PostgreSQL store, and the writes through it."""

    def __init__(self, engine: Engine) -> None:
        if not isinstance(engine.index, PgStore):
            raise TypeError("PgLiveIndex serves the PostgreSQL store only")
        self._engine = engine
        self._store: PgStore = engine.index

    @property
    def engine(self) -> Engine:
        return self._engine

    def upload(self, doc_id: str, data: bytes, title: str | None = None) -> WriteResult:
        """Store ``data`` as document ``doc_id`` (``title`` as for the files store: given, a
        blank string removes it, None keeps the stored one); acknowledged after commit."""
        check_suffix(doc_id)
        with tempfile.TemporaryDirectory(prefix="ragqa-upload-") as folder:
            path = Path(folder) / f"upload{PurePosixPath(doc_id).suffix.lower()}"
            path.write_bytes(data)
            document = load_document(path, doc_id)  # DocumentError: refused, nothing written
        settings, embedder = self._engine.settings, self._engine.embedder
        with self._store.pool.connection() as conn:
            existed = conn.execute("SELECT 1 FROM documents WHERE doc_id = %s",
                                   (doc_id,)).fetchone() is not None
            done = ingest_document(
                conn, document, config=settings.index_config(),
                contextual=embedder.identity.embed_context, embed=embedder.encode_passages,
                explicit_title=None if title is None else clean_title(title),
                keep_title=title is None)
        status = ("unchanged" if not done.outcome.changed
                  else "replaced" if existed else "created")
        generation = self._store.generation
        logger.info("%s %s (%d passages, %d embedded; changes %d)", status, doc_id,
                    done.outcome.passages, done.embedded, generation)
        return WriteResult(status, doc_id, self._store.document(doc_id), generation)

    def delete(self, doc_id: str) -> WriteResult:
        """Remove document ``doc_id`` (or a refused file's record) from the store."""
        with self._store.pool.connection() as conn:
            try:  # a refused file may always go; the last document may not
                existed = delete_document(conn, doc_id, keep_one=True)
            except LastDocumentRefusal:
                raise LastDocumentError("cannot delete the last document; an index needs at "
                                        "least one (upload another first)") from None
        if not existed:
            raise UnknownDocumentError(f"no document {doc_id!r}")
        generation = self._store.generation
        logger.info("deleted %s (changes %d)", doc_id, generation)
        return WriteResult("deleted", doc_id, None, generation)
