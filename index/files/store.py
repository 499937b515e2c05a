"""The embedded files store: a corpus folder and its FAISS + BM25 generations on disk.

:class:`FilesStore` implements :class:`~ragqa.index.store.Store`. The corpus folder is the
truth: :meth:`~FilesStore.sync` brings the index directory in line with it, appending what
changed as a segment (:mod:`ragqa.index.files.sync`) or building a whole generation
(:func:`~ragqa.index.files.builder.update_index`: ``--rebuild``, or when a segment cannot
serve). A write changes the folder durably,
appends a segment that costs the one document (:mod:`ragqa.index.files.writes`) and only
then swaps the served view (one reference assignment), so a request reads one state from
start to end (readers take :meth:`~FilesStore.view` once). Segments are merged into a new
generation in the background once the :class:`~ragqa.index.files.merge.MergePolicy` says
so (:meth:`~FilesStore.merge`). Writers are serialised by a lock in this process and by the
index's ``flock`` across processes, and what another process wrote is served within a
second (:mod:`ragqa.index.files.follow`). If indexing fails, the corpus file is put back as
it was, so nothing already indexed is lost.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

from ragqa.index.config import IndexConfig
from ragqa.index.documents.corpus import read_corpus
from ragqa.index.documents.folder import StampCache, suffix_of
from ragqa.index.documents.ids import (
    CorpusConflictError,
    LastDocumentError,
    check_suffix,
    entry_path,
    is_file,
)
from ragqa.index.documents.loaders import SUPPORTED_SUFFIXES, load_document
from ragqa.index.documents.reading import Document
from ragqa.index.documents.sidecars import (
    GROUPS_SIDECAR_SUFFIX,
    clean_title,
    groups_sidecar,
    read_title_sidecar,
    title_sidecar,
)
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
from ragqa.index.errors import IndexWriteError, UnknownDocumentError
from ragqa.index.files.builder import note_changes, served_manifest, up_to_date, update_index
from ragqa.index.files.folders import clean_stale, write_lock
from ragqa.index.files.follow import PointerFollower
from ragqa.index.files.generations import load_index
from ragqa.index.files.groups import SidecarGroups
from ragqa.index.files.merge import MergePolicy, Merger, prepare_merge, publish_merge
from ragqa.index.files.origin import record_folder
from ragqa.index.files.planning import PlanMemo, StaleMemoError
from ragqa.index.files.pointer import read_pointer
from ragqa.index.files.segmented import SegmentedIndex
from ragqa.index.files.sync import Synced, append_sync
from ragqa.index.files.sync_state import SyncState, load_state, save_state, state_key
from ragqa.index.files.writes import append_delete, append_upload, as_view
from ragqa.index.records import BuildReport, Progress
from ragqa.index.store import WriteResult

logger = logging.getLogger(__name__)

SAVE_EVERY_S = 30.0  # the sync state is saved at most this often (and when the store closes)


class FilesStore:
    """The corpus folder and the index directory built from it."""

    name = "files"

    def __init__(self, corpus_dir: Path, index_dir: Path, *, config: IndexConfig,
                 model: ResolvedModel, identity: VectorIdentity,
                 load_embedder: Callable[[], Embedder],
                 merge_policy: MergePolicy | None = None) -> None:
        self.corpus_dir = corpus_dir
        self.index_dir = index_dir
        self._config = config
        self._model = model
        self._identity = identity
        self._load_embedder = load_embedder
        self.merge_policy = merge_policy or MergePolicy()  # may be replaced (a benchmark)
        self._view: SegmentedIndex | None = None
        self._write = threading.Lock()
        self.groups = SidecarGroups(corpus_dir)  # who may read what: `.groups` sidecars
        # Writes that failed and put a corpus file back: a merge reading the folder
        # meanwhile may have seen the file that was refused, so it is dropped.
        self._failures = 0
        self._merger = Merger(self.merge)
        # What each corpus file contributes to a plan: a sync loads and cuts only the
        # files that changed (ragqa.index.files.planning); with the files' stamps and what
        # the last sync left served, saved beside the index (ragqa.index.files.sync_state)
        # and loaded at the first sync.
        self._memo = PlanMemo(config, identity.embed_context)
        self._state: SyncState | None = None
        self._state_key = state_key(corpus_dir, config, identity.embed_context)
        self._saved_at: float | None = None  # time.monotonic() of the last save or load
        # What another process (`ragqa index`, a server on the same folder) writes is
        # served too, without a restart.
        self._follower = PointerFollower(index_dir, self._serve_outside_write,
                                         moved=lambda: self.groups.moved())

    @property
    def location(self) -> str:
        return str(self.index_dir)

    # -- reading ---------------------------------------------------------------------------

    def view(self) -> SegmentedIndex:
        """The served generation and segments (loaded on first use; replaced, never
        mutated, by a write)."""
        view = self._view
        if view is None:
            with self._write:
                view = self._current()
        else:
            self._follower.check(view.pointer)
        return view

    def close(self) -> None:
        """Stop merging (a merge running is waited for, or dropped) and save what the syncs
        know of the folder: nothing else to release, the index is memory only."""
        self._merger.close()
        self._follower.wait()
        with self._write:
            self._save_state(now=True)

    # -- writing ---------------------------------------------------------------------------

    def start(self, *, update: bool = True, strict: bool = False,
              progress: Progress | None = None) -> BuildReport | None:
        """Ready to serve: the corpus folder's changes indexed first when ``update``."""
        report = self.sync(strict=strict, progress=progress) if update else None
        self._after_write(self.view())  # a broken index fails here, not at the first question
        return report

    def sync(self, *, rebuild: bool = False, strict: bool = False,
             progress: Progress | None = None) -> BuildReport:
        """Index the corpus folder's changes (only new passages are embedded; the model is
        loaded only if something must be embedded) and serve them. A folder exactly as
        served (segments included) is up to date; a change is appended as one segment,
        which costs what changed (:mod:`ragqa.index.files.sync`), or builds a whole
        generation when a segment cannot serve it or ``rebuild`` is asked."""
        with self._write:
            report = None if rebuild else self._sync_segment(strict, progress)
            if report is None:
                report = update_index(self.corpus_dir, self.index_dir, model=self._model,
                                      identity=self._identity,
                                      load_embedder=self._load_embedder, config=self._config,
                                      rebuild=rebuild, strict=strict, progress=progress,
                                      served=self._view)
                # sidecars edited by hand, read before a new view is served: a reader never
                # sees a document whose groups are not loaded yet
                self.groups.reload()
                if self._view is not None and self._view.generation != report.generation:
                    self._view = as_view(load_index(self.index_dir))
            self._save_state()
            record_folder(self.index_dir, self.corpus_dir)  # what `check_folders` compares
        return report

    def _sync_segment(self, strict: bool, progress: Progress | None) -> BuildReport | None:
        """The folder's changes as one segment (the write lock held): its report, or None
        when a generation is to be built instead."""
        started = time.perf_counter()
        report = BuildReport(model=self._model.name, fallback=self._model.fallback)
        state = self._loaded_state()
        with write_lock(self.index_dir):
            clean_stale(self.index_dir)  # what a killed write left, as a build removes it
            scan = read_corpus(self.corpus_dir, self._config.max_document_bytes, state.stamps)
            found = read_pointer(self.index_dir)
            if found is None:
                return None
            previous = served_manifest(self.index_dir, found)
        if previous.vectors != self._identity or previous.config != self._config:
            return None
        if up_to_date(report, found, previous, scan, self._identity, self._config, strict):
            self.groups.reload()
            if self._view is not None and self._view.pointer != found:
                # another process (`ragqa index`) wrote the folder's state: serve it (read
                # again: the folders it names go once another write replaces it), as the
                # follower does, a merge asked for when due
                self._after_write(as_view(load_index(self.index_dir)))
        else:
            plan = self._memo.plan(self.corpus_dir, scan, strict)
            current = self._current()
            try:
                fresh = append_sync(self.index_dir, current, plan, self._memo,
                                    identity=self._identity, load_embedder=self._load_embedder,
                                    policy=self.merge_policy, report=report,
                                    synced=state.synced, progress=progress)
            except StaleMemoError as exc:
                logger.warning("%s; the sync state is forgotten and the index built from the "
                               "corpus folder", exc)
                self._memo.load_json({})
                self._memo.changed = True  # the forgotten state replaces the saved one
                self._state = SyncState(StampCache())
                self._saved_at = None  # at once, so no other process trusts it again
                return None
            if fresh is None:
                state.synced = None
                return None
            state.synced = Synced(fresh.pointer, plan.cuts)
            report.up_to_date = fresh is current  # the folder's files, cut as served
            note_changes(report, plan.files, current.manifest)
            report.refused = {d: r.reason for d, r in plan.refused.items()}
            report.generation = fresh.generation
            report.documents, report.passages = fresh.counts()
            self.groups.reload()  # before the view that serves the folder's documents
            # served as a write's segment is: a file removed or replaced by hand whose text
            # the generation holds asks for the merge that erases it, as a delete does
            self._after_write(fresh)
            logger.info("synced %s as a segment (generation %d): %d files read, %d loaded "
                        "again, %d passages embedded", self.corpus_dir, fresh.generation,
                        scan.hashed, plan.loaded, report.embedded)
        report.seconds = time.perf_counter() - started
        return report

    def _loaded_state(self) -> SyncState:
        """What the syncs know of the folder (the write lock held): loaded at first use
        from what the last one saved."""
        if self._state is None:
            self._state = load_state(self.index_dir, self._state_key, self._memo)
            if self._state.saved is not None:  # a whole state, not an empty one
                self._saved_at = time.monotonic()
        return self._state

    def _forget(self, doc_id: str) -> None:
        """After ``doc_id`` was deleted or replaced (the write lock held): what the sync
        state holds of its old file (lines of its text) goes from disk at once."""
        self._loaded_state()
        if self._memo.forget(doc_id):
            self._save_state(now=True)

    def _save_state(self, now: bool = False) -> None:
        """Save what the syncs know of the folder when it moved (the write lock held): at
        once when ``now`` or when none was saved yet, else at most every
        :data:`SAVE_EVERY_S` (a save encodes the whole folder's state: 0.1-0.2 s at 25,000
        files, which a sync after one file changed need not pay; what a lost save forgets
        costs the next process a few files read again)."""
        state = self._state
        if state is None or not state.unsaved(self._memo):
            return
        if (now or self._saved_at is None
                or time.monotonic() - self._saved_at >= SAVE_EVERY_S):
            try:
                with write_lock(self.index_dir):
                    save_state(self.index_dir, self._state_key, state, self._memo)
            except IndexWriteError as exc:  # a cache: never an error
                logger.warning("the sync state is not saved: %s", exc)
            self._saved_at = time.monotonic()

    def settle(self) -> None:
        """Before a one-shot command exits (``ragqa index``): ask for the merge the policy
        says is due on the view this process served (a document deleted, or removed or
        replaced in the folder, whose text the generation holds:
        :mod:`~ragqa.index.files.erasure`), and wait for the merges asked for, which
        :meth:`close` would drop. A process that synced nothing loads the served index
        only where ``CURRENT`` names segments, so an erasure an interrupted run left is
        finished by the next ``ragqa index``."""
        view = self._view
        if self.merge_policy.background:
            if view is None and read_pointer(self.index_dir).segments:
                with self._write:
                    view = self._current()
            if view is not None and self.merge_policy.due(view):
                self._merger.request()
        self._merger.wait()

    def merge(self) -> BuildReport | None:
        """Merge the segments into a new generation built from the corpus folder, as
        ``ragqa index`` would build it, while writes go on (see
        :mod:`ragqa.index.files.merge`); its report, or None when there was nothing to
        merge or the merge was dropped. The background merges call this."""
        with self._write:
            view, failures = self._current(), self._failures
        if not view.segments:
            return None
        prepared = prepare_merge(self.corpus_dir, self.index_dir, view, model=self._model,
                                 identity=self._identity, load_embedder=self._load_embedder,
                                 config=self._config)
        with self._write:
            if self._failures != failures or self._merger.stopping.is_set():
                shutil.rmtree(prepared.folder, ignore_errors=True)
                if self._failures != failures:  # asked for again when still due (erasure)
                    self._after_write(self._current())
                return None
            self.groups.reload()  # the merge indexed the folder: its sidecars too, first
            fresh = publish_merge(self.index_dir, prepared, self._current())
            if fresh is None:  # another process wrote: serving its state asks again
                return None
            # another merge at once when still due: a write meanwhile retired passages
            # of the documents the new generation holds (their text is on disk)
            self._after_write(fresh)
        logger.info("merged %d segments into generation %d (%.1f s)", len(view.segments),
                    fresh.generation, prepared.report.seconds)
        return prepared.report

    def upload(self, doc_id: str, data: bytes, title: str | None = None, *,
               progress: Progress | None = None) -> WriteResult:
        """Write ``data`` to the corpus folder as ``doc_id`` durably, index it, then serve
        it; ``title`` is kept in a ``.title`` sidecar beside the file so that every re-index
        keeps it (see :meth:`ragqa.index.store.Store.upload`)."""
        check_suffix(doc_id)
        # The entry itself: an upload under a link's id replaces the link with the file,
        # never the document the link points at.
        target = entry_path(self.corpus_dir, doc_id)
        sidecar = title_sidecar(target)
        new_title = None if title is None else clean_title(title)
        with self._write:
            if target.is_dir():
                raise CorpusConflictError(f"{doc_id!r} is a folder in the corpus")
            above = _file_above(self.corpus_dir, target)
            if above is not None:
                raise CorpusConflictError(f"{doc_id!r} would be inside {above!r}, a file in "
                                          "the corpus, not a folder")
            old = target.read_bytes() if target.is_file() else None
            link = _link(target)
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
                document = load_document(tmp, doc_id)  # refuse what the indexer could not read
                _keep_twins_groups(self.corpus_dir, target)
                replace_durably(tmp, target)
                if title is not None:
                    _put(sidecar, new_title.encode("utf-8") if new_title else None)
            finally:
                tmp.unlink(missing_ok=True)
            try:
                fresh = self._index_upload(document, read_title_sidecar(target), len(data),
                                           progress)
            except BaseException:
                self._failures += 1
                _restore(target, old, link)
                if title is not None:
                    _put(sidecar, old_title)
                raise
            status = "created" if old is None else "replaced"
            if old is not None:
                self._forget(doc_id)
            logger.info("%s %s (generation %d)", status, doc_id, fresh.generation)
            return WriteResult(status, doc_id, fresh.document(doc_id), fresh.generation)

    def keep_links(self, doc_id: str) -> None:
        _keep_twins_groups(self.corpus_dir, entry_path(self.corpus_dir, doc_id))

    def delete(self, doc_id: str) -> WriteResult:
        """Remove document ``doc_id`` from the corpus folder and the served index."""
        target = entry_path(self.corpus_dir, doc_id)  # a link's id: the link goes, not its target
        with self._write:
            indexed = self._current()
            if indexed.document(doc_id) is None and (
                    not is_file(target) or suffix_of(doc_id).lower() not in SUPPORTED_SUFFIXES):
                # a refused file may go; a sidecar (.groups, .title) or another file the
                # indexer never reads is no document
                raise UnknownDocumentError(f"no document {doc_id!r}")
            if not is_file(target):
                raise CorpusConflictError(f"{doc_id!r} is indexed but not in the corpus "
                                          "folder; reindex the corpus")
            if indexed.document(doc_id) is not None and indexed.counts()[0] <= 1:
                # a refused file may always go
                raise LastDocumentError("cannot delete the last document; an index needs at "
                                        "least one (upload another first)")
            old, link = target.read_bytes(), _link(target)
            sidecar = title_sidecar(target)
            old_title = sidecar.read_bytes() if is_file(sidecar) else None
            _keep_twins_groups(self.corpus_dir, target)
            remove_durably(target)
            if old_title is not None:
                remove_durably(sidecar)
            try:
                fresh = append_delete(self.index_dir, indexed, doc_id) or self._reindex()
            except BaseException:
                self._failures += 1
                _restore(target, old, link)
                _put(sidecar, old_title)
                raise
            self._after_write(fresh)
            self._forget(doc_id)
            logger.info("deleted %s (generation %d)", doc_id, fresh.generation)
            return WriteResult("deleted", doc_id, None, fresh.generation)

    def _index_upload(self, document: Document, explicit_title: str | None, size: int,
                      progress: Progress | None) -> SegmentedIndex:
        """Index an upload already in the corpus folder: a segment, or a whole generation
        when one cannot serve (a generation of an older ragqa, a file over the size limit:
        the builder refuses it as ``ragqa index`` would)."""
        limit = self._config.max_document_bytes
        fresh = None
        if limit is None or size <= limit:
            fresh = append_upload(self.index_dir, self._current(), document, explicit_title,
                                  config=self._config, identity=self._identity,
                                  load_embedder=self._load_embedder, progress=progress)
        if fresh is None:
            fresh = self._reindex(progress)  # the folder's groups read with it
        else:  # the folder's rules over the new file (a misnamed sidecar meant for it, the
            self.groups.reload()  # links to it), read before it is served, as a sync does
        self._after_write(fresh)
        return fresh

    def _after_write(self, fresh: SegmentedIndex) -> None:
        """Serve ``fresh`` (one reference assignment: readers see old or new, never a mix),
        and ask for a merge when the policy says it is time."""
        self._view = fresh
        if self.merge_policy.background and self.merge_policy.due(fresh):
            self._merger.request()

    def _serve_outside_write(self) -> None:
        """Serve what ``CURRENT`` names when another process moved it (the follower's
        thread); skipped while a write of this process runs: it reads ``CURRENT`` itself."""
        if not self._write.acquire(blocking=False):
            return
        try:
            served = self._view
            if served is None or read_pointer(self.index_dir) == served.pointer:
                if self.groups.moved():  # groups another server changed (a PUT)
                    self.groups.reload()
                return
            fresh = as_view(load_index(self.index_dir))
            fresh.check_vectors(self._identity, self._model.name)  # another model: not served
            self.groups.reload()  # sidecars first: never a document without its groups
            self._after_write(fresh)
            logger.info("serving %s as another process left it: %d documents, %d passages",
                        self.index_dir, *fresh.counts())
        finally:
            self._write.release()

    def _current(self) -> SegmentedIndex:
        """The served view, the write lock held."""
        if self._view is None:
            self._view = as_view(load_index(self.index_dir))
        return self._view

    def _reindex(self, progress: Progress | None = None) -> SegmentedIndex:
        """A whole new generation from the corpus folder (the write lock held)."""
        update_index(self.corpus_dir, self.index_dir, model=self._model, identity=self._identity,
                     load_embedder=self._load_embedder, config=self._config, progress=progress,
                     served=self._view)
        self.groups.reload()  # hand-placed sidecars, loaded before the caller serves it
        return as_view(load_index(self.index_dir))


def _put(target: Path, data: bytes | None) -> None:
    """Write ``data`` to ``target`` durably, or remove it when None."""
    if data is None:
        remove_durably(target)
    else:
        write_atomic(target, data)


def _keep_twins_groups(corpus_dir: Path, target: Path) -> None:
    """Before ``target`` is replaced or removed: give its other names in the folder (hard
    links, the same file) without a ``.groups`` file of their own the one they follow now.

    A second name of a restricted file takes its groups from the name that has a ``.groups``
    file (:mod:`~ragqa.index.documents.group_rules`); replacing or deleting that name makes
    the other one a file of its own, still holding the restricted text, and it was then
    every reader's. An upload that changes the groups holds them for the time of the write
    (:func:`~ragqa.index.access.while_replacing`): its job calls this first
    (:meth:`FilesStore.keep_links`), so the link keeps the groups it followed, not the hold.
    Only a file with other names and a ``.groups`` file walks the folder (hidden folders
    aside), as a write lists it anyway."""
    try:
        status = target.stat(follow_symlinks=False)
    except OSError:
        return
    sidecar = groups_sidecar(target)
    if status.st_nlink < 2 or not target.is_file() or target.is_symlink() or not is_file(sidecar):
        return
    groups = sidecar.read_bytes()
    root = corpus_dir.resolve()
    for folder, folders, names in os.walk(root):
        folders[:] = [f for f in folders if not f.startswith(".")]  # the index's, a .git
        for name in names:
            if name.startswith(".") or name.endswith(GROUPS_SIDECAR_SUFFIX):
                continue
            twin = Path(folder) / name
            if twin == target or is_file(groups_sidecar(twin)):
                continue
            try:
                other = twin.stat(follow_symlinks=False)
            except OSError:
                continue
            if (other.st_ino, other.st_dev) == (status.st_ino, status.st_dev):
                write_atomic(groups_sidecar(twin), groups)
                logger.info("%s: a hard link of %s, given its groups before it is changed",
                            twin.relative_to(root), target.relative_to(root))


def _file_above(corpus_dir: Path, target: Path) -> str | None:
    """The corpus-relative path of a file where ``target`` needs a folder, if any."""
    root = corpus_dir.resolve()
    for folder in reversed(target.relative_to(root).parents[:-1]):  # "a", then "a/b"
        if (root / folder).is_file():
            return folder.as_posix()
    return None


def _restore(target: Path, old: bytes | None, link: str | None = None) -> None:
    logger.warning("indexing failed; restoring %s", target)
    if link is None:
        _put(target, old)
        return
    target.unlink(missing_ok=True)  # it was a link: the link again, pointing where it did
    target.symlink_to(link)


def _link(path: Path) -> str | None:
    """Where ``path`` points when it is a link, else None."""
    try:
        return os.readlink(path)
    except OSError:  # not a link, or gone
        return None


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
