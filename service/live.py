"""The served index, swapped atomically after every upload or delete.

Readers take :attr:`LiveIndex.engine` once per request and use only that object, so a query
runs entirely against one generation. Writers are serialised by a lock in this process and
by the index's ``flock`` across processes; they change the corpus folder, build a new
generation and only then swap the engine. If indexing fails, the corpus file is put back
as it was, so nothing already indexed is lost.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ragqa.index.errors import UnknownDocumentError
from ragqa.index.documents.loaders import load_document
from ragqa.index.records import DocumentRecord
from ragqa.index.documents.titles import clean_title, read_title_sidecar, title_sidecar
from ragqa import wiring
from ragqa.engine import Engine
from ragqa.service.corpus import (
    CorpusConflictError,
    LastDocumentError,
    check_suffix,
    corpus_path,
    is_file,
    remove_durably,
    replace_durably,
    staging_path,
    write_durably,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class WriteResult:
    """What a write did: ``created``, ``replaced``, ``unchanged`` or ``deleted``."""

    status: str
    doc_id: str
    record: DocumentRecord | None
    generation: int


class LiveWrites(Protocol):
    """What the routes use: the engine for one request, uploads and deletes (the files
    store's :class:`LiveIndex`, the PostgreSQL store's
    :class:`~ragqa.service.live_pg.PgLiveIndex`)."""

    @property
    def engine(self) -> Engine: ...

    def upload(self, doc_id: str, data: bytes, title: str | None = None) -> WriteResult: ...

    def delete(self, doc_id: str) -> WriteResult: ...


class LiveIndex:
    """Holds the engine being served and applies corpus changes to it (the files store)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._write = threading.Lock()

    @property
    def engine(self) -> Engine:
        """The engine to use for one whole request (replaced, never mutated)."""
        return self._engine

    @property
    def corpus_dir(self) -> Path:
        return self._engine.settings.corpus_dir

    def upload(self, doc_id: str, data: bytes, title: str | None = None) -> WriteResult:
        """Store ``data`` as document ``doc_id`` durably, index it, then serve it.

        ``title``, when given, is the document's explicit title, kept in a ``.title``
        sidecar file beside it so that every re-index keeps it; a blank string removes
        it (the title is found in the text again); None leaves the current one as it is.
        """
        check_suffix(doc_id)
        target = corpus_path(self.corpus_dir, doc_id)
        sidecar = title_sidecar(target)
        new_title = None if title is None else clean_title(title)
        with self._write:
            if target.is_dir():
                raise CorpusConflictError(f"{doc_id!r} is a folder in the corpus")
            old = target.read_bytes() if target.is_file() else None
            old_title = sidecar.read_bytes() if is_file(sidecar) else None
            same_title = title is None or read_title_sidecar(target) == new_title
            if old is not None and _sha(old) == _sha(data) and same_title:
                current = self._engine
                record = current.index.document(doc_id)
                if record is not None and record.content_hash == _sha(data):
                    return WriteResult("unchanged", doc_id, record, current.generation)
            tmp = staging_path(target)
            try:
                write_durably(tmp, data)
                load_document(tmp, doc_id)  # refuse what the indexer could not read
                replace_durably(tmp, target)
                if title is not None:
                    self._put(sidecar, new_title.encode("utf-8") if new_title else None)
            finally:
                tmp.unlink(missing_ok=True)
            try:
                fresh = self._reindex()
            except BaseException:
                self._restore(target, old)
                if title is not None:
                    self._put(sidecar, old_title)
                raise
            status = "created" if old is None else "replaced"
            logger.info("%s %s (generation %d)", status, doc_id, fresh.generation)
            return WriteResult(status, doc_id, fresh.index.document(doc_id),
                               fresh.generation)

    def delete(self, doc_id: str) -> WriteResult:
        """Remove document ``doc_id`` from the corpus and the served index."""
        target = corpus_path(self.corpus_dir, doc_id)
        with self._write:
            if self._engine.index.document(doc_id) is None and not is_file(target):
                raise UnknownDocumentError(f"no document {doc_id!r}")
            if not is_file(target):
                raise CorpusConflictError(f"{doc_id!r} is indexed but not in the corpus "
                                          "folder; reindex the corpus")
            indexed = self._engine.index
            if indexed.document(doc_id) is not None and indexed.counts()[0] <= 1:
                # a refused file may always go
                raise LastDocumentError("cannot delete the last document; an index needs at "
                                        "least one (upload another first)")
            old = target.read_bytes()
            sidecar = title_sidecar(target)
            old_title = sidecar.read_bytes() if is_file(sidecar) else None
            remove_durably(target)
            if old_title is not None:
                remove_durably(sidecar)
            try:
                fresh = self._reindex()
            except BaseException:
                self._restore(target, old)
                self._put(sidecar, old_title)
                raise
            logger.info("deleted %s (generation %d)", doc_id, fresh.generation)
            return WriteResult("deleted", doc_id, None, fresh.generation)

    def _reindex(self) -> Engine:
        fresh = wiring.refresh(self._engine)
        self._engine = fresh  # one reference assignment: readers see old or new, never a mix
        return fresh

    @staticmethod
    def _put(target: Path, data: bytes | None) -> None:
        """Write ``data`` to ``target`` durably, or remove it when None."""
        if data is None:
            remove_durably(target)
            return
        tmp = staging_path(target)
        write_durably(tmp, data)
        replace_durably(tmp, target)

    @staticmethod
    def _restore(target: Path, old: bytes | None) -> None:
        logger.warning("indexing failed; restoring %s", target)
        if old is None:
            remove_durably(target)
            return
        tmp = staging_path(target)
        write_durably(tmp, old)
        replace_durably(tmp, target)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
