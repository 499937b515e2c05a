"""The embedded files store: a corpus folder and its FAISS + BM25 generations on disk.

:class:`FilesStore` implements :class:`~ragqa.index.store.Store`. The corpus folder is the
truth: :meth:`~FilesStore.sync` brings the index directory in line with it
(:func:`~ragqa.index.files.builder.update_index`), and a write changes the folder durably,
builds a new generation and only then swaps the served view, so a request reads one
generation from start to end (readers take :meth:`~FilesStore.view` once). Writers are
serialised by a lock in this process and by the index's ``flock`` across processes. If
indexing fails, the corpus file is put back as it was, so nothing already indexed is lost.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from pathlib import Path

from ragqa.index.config import IndexConfig
from ragqa.index.documents.ids import (
    CorpusConflictError,
    LastDocumentError,
    check_suffix,
    corpus_path,
    is_file,
)
from ragqa.index.documents.loaders import load_document
from ragqa.index.documents.sidecars import clean_title, read_title_sidecar, title_sidecar
from ragqa.index.durable import (
    remove_durably,
    replace_durably,
    temporary_name,
    write_atomic,
    write_bytes,
)
from ragqa.index.embedding.embedder import Embedder
from ragqa.index.embedding.identity import VectorIdentity
from ragqa.index.embedding.models import ResolvedModel
from ragqa.index.errors import UnknownDocumentError
from ragqa.index.files.groups import SidecarGroups
from ragqa.index.files.builder import update_index
from ragqa.index.files.generations import LoadedIndex, load_index
from ragqa.index.records import BuildReport, Progress
from ragqa.index.store import WriteResult

logger = logging.getLogger(__name__)


class FilesStore:
    """The corpus folder and the index directory built from it."""

    name = "files"

    def __init__(self, corpus_dir: Path, index_dir: Path, *, config: IndexConfig,
                 model: ResolvedModel, identity: VectorIdentity,
                 load_embedder: Callable[[], Embedder]) -> None:
        self.corpus_dir = corpus_dir
        self.index_dir = index_dir
        self._config = config
        self._model = model
        self._identity = identity
        self._load_embedder = load_embedder
        self._view: LoadedIndex | None = None
        self._write = threading.Lock()
        self.groups = SidecarGroups(corpus_dir)  # who may read what: `.groups` sidecars

    @property
    def location(self) -> str:
        return str(self.index_dir)

    # -- reading ---------------------------------------------------------------------------

    def view(self) -> LoadedIndex:
        """The served generation (loaded on first use; replaced, never mutated, by a write)."""
        view = self._view
        if view is None:
            with self._write:
                if self._view is None:
                    self._view = load_index(self.index_dir)
                view = self._view
        return view

    def close(self) -> None:
        """Nothing to release: a generation is memory (and mapped files) only."""

    # -- writing ---------------------------------------------------------------------------

    def start(self, *, update: bool = True, strict: bool = False,
              progress: Progress | None = None) -> BuildReport | None:
        """Ready to serve: the corpus folder's changes indexed first when ``update``."""
        report = self.sync(strict=strict, progress=progress) if update else None
        self.view()  # a broken index fails here, at start, not at the first question
        return report

    def sync(self, *, rebuild: bool = False, strict: bool = False,
             progress: Progress | None = None) -> BuildReport:
        """Index the corpus folder's changes (only new passages are embedded; the model is
        loaded only if something must be embedded) and serve the new generation."""
        report = update_index(self.corpus_dir, self.index_dir, model=self._model,
                              identity=self._identity, load_embedder=self._load_embedder,
                              config=self._config, rebuild=rebuild, strict=strict,
                              progress=progress)
        if self._view is not None and self._view.generation != report.generation:
            self._view = load_index(self.index_dir)
        self.groups.reload()  # sidecars edited by hand
        return report

    def upload(self, doc_id: str, data: bytes, title: str | None = None, *,
               progress: Progress | None = None) -> WriteResult:
        """Write ``data`` to the corpus folder as ``doc_id`` durably, index it, then serve
        it; ``title`` is kept in a ``.title`` sidecar beside the file so that every re-index
        keeps it (see :meth:`ragqa.index.store.Store.upload`)."""
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
                current = self._current()
                record = current.document(doc_id)
                if record is not None and record.content_hash == _sha(data):
                    return WriteResult("unchanged", doc_id, record, current.generation)
            tmp = temporary_name(target, ".upload")
            try:
                write_bytes(tmp, data)
                load_document(tmp, doc_id)  # refuse what the indexer could not read
                replace_durably(tmp, target)
                if title is not None:
                    _put(sidecar, new_title.encode("utf-8") if new_title else None)
            finally:
                tmp.unlink(missing_ok=True)
            try:
                fresh = self._reindex(progress)
            except BaseException:
                _restore(target, old)
                if title is not None:
                    _put(sidecar, old_title)
                raise
            status = "created" if old is None else "replaced"
            logger.info("%s %s (generation %d)", status, doc_id, fresh.generation)
            return WriteResult(status, doc_id, fresh.document(doc_id), fresh.generation)

    def delete(self, doc_id: str) -> WriteResult:
        """Remove document ``doc_id`` from the corpus folder and the served index."""
        target = corpus_path(self.corpus_dir, doc_id)
        with self._write:
            indexed = self._current()
            if indexed.document(doc_id) is None and not is_file(target):
                raise UnknownDocumentError(f"no document {doc_id!r}")
            if not is_file(target):
                raise CorpusConflictError(f"{doc_id!r} is indexed but not in the corpus "
                                          "folder; reindex the corpus")
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
                _restore(target, old)
                _put(sidecar, old_title)
                raise
            logger.info("deleted %s (generation %d)", doc_id, fresh.generation)
            return WriteResult("deleted", doc_id, None, fresh.generation)

    def _current(self) -> LoadedIndex:
        """The served view, the write lock held."""
        if self._view is None:
            self._view = load_index(self.index_dir)
        return self._view

    def _reindex(self, progress: Progress | None = None) -> LoadedIndex:
        update_index(self.corpus_dir, self.index_dir, model=self._model, identity=self._identity,
                     load_embedder=self._load_embedder, config=self._config, progress=progress)
        fresh = load_index(self.index_dir)
        self._view = fresh  # one reference assignment: readers see old or new, never a mix
        return fresh


def _put(target: Path, data: bytes | None) -> None:
    """Write ``data`` to ``target`` durably, or remove it when None."""
    if data is None:
        remove_durably(target)
    else:
        write_atomic(target, data)


def _restore(target: Path, old: bytes | None) -> None:
    logger.warning("indexing failed; restoring %s", target)
    _put(target, old)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
