"""Merging a generation and its segments into a new generation, without stopping writes.

A merge builds what ``ragqa index`` would build from the corpus folder (every document cut
with the context of the whole corpus, vectors reused by key, so normally nothing is
embedded), in a folder of its own (``.merging-*``) and without the index's lock: writes
go on meanwhile, as segments. It is then published under the lock, in milliseconds: the
new generation is named in ``CURRENT`` followed by the segments written since the merge
began (numbered above its snapshot; a write meanwhile may have dropped or rewritten some of
the snapshot's: :mod:`ragqa.index.files.erasure`), which apply to it as they applied to the
old one (a segment retires its documents' passages wherever they are); the old
generation's folder goes as ``CURRENT`` is replaced. A merge that finds the index changed
otherwise meanwhile (a ``ragqa index`` run, a write that failed and put a file back) is
dropped; a merge that is
killed leaves a folder that the next writer removes, and never touches the served state.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from ragqa.index.config import IndexConfig
from ragqa.index.documents.corpus import read_corpus
from ragqa.index.durable import fsync_file, fsync_tree
from ragqa.index.embedding.embedder import Embedder
from ragqa.index.embedding.identity import VectorIdentity
from ragqa.index.embedding.models import ResolvedModel
from ragqa.index.files.builder import (
    Generation,
    embed_plan,
    plan_corpus,
    plan_sentences,
    plan_tokens,
    write_generation,
)
from ragqa.index.files.folders import new_merging, place, write_lock
from ragqa.index.files.generation import LoadedIndex, load_generation
from ragqa.index.files.manifest import MANIFEST, write_manifest
from ragqa.index.files.pointer import (
    Pointer,
    generation_name,
    number_of,
    read_pointer,
    write_pointer,
)
from ragqa.index.files.segmented import SegmentedIndex
from ragqa.index.records import BuildReport, Progress

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MergePolicy:
    """When a store merges its segments, in the background: once there are
    ``max_segments`` of them, or once the passages they add and retire reach ``max_share``
    of the generation's (search costs a little per segment, and every merge costs a whole
    build, so neither too often nor too late); and at once when a passage is retired (a
    deleted or replaced document's text is still on disk until then)."""

    max_segments: int = 32
    max_share: float = 0.1
    background: bool = True

    def due(self, view: SegmentedIndex) -> bool:
        """Whether ``view`` is to be merged now: the thresholds above, or at once when a
        segment deletes or changes a document the generation holds (its text is still on
        disk: the merge erases it, :mod:`ragqa.index.files.erasure`; :func:`erases`)."""
        if not view.segments:
            return False
        return erases(view) or self._due(len(view.segments),
                                          view.size - view.base.size + view.dead,
                                          view.base.size)

    def due_after(self, view: SegmentedIndex, added: int, retired: int) -> bool:
        """Whether a merge would be due once one more segment, adding ``added`` passages and
        retiring ``retired`` live ones, is applied to ``view``."""
        churn = view.size - view.base.size + view.dead + added + retired
        return self._due(len(view.segments) + 1, churn, view.base.size)

    def _due(self, segments: int, churn: int, base: int) -> bool:
        return segments >= self.max_segments or churn >= self.max_share * max(base, 1)


def erases(view: SegmentedIndex) -> bool:
    """Whether a segment of ``view`` deletes or changes a document whose earlier text its
    generation holds (a merge erases it). A segment that writes a document again as the
    generation holds it (a merge's carried segments, whose files the merge had read) erases
    nothing: merging again at once for it would rebuild the generation after every write."""
    held = view.base.documents
    return any(doc_id in held and change.sha256 != held[doc_id].content_hash
               for segment in view.segments for doc_id, change in segment.changes.items())


@dataclass(frozen=True)
class Prepared:
    """A merged generation written and loaded, not yet served: ``snapshot`` is the state it
    was made from."""

    snapshot: Pointer
    folder: Path
    loaded: LoadedIndex
    report: BuildReport


def prepare_merge(corpus_dir: Path, index_dir: Path, view: SegmentedIndex, *,
                  model: ResolvedModel, identity: VectorIdentity,
                  load_embedder: Callable[[], Embedder], config: IndexConfig,
                  progress: Progress | None = None) -> Prepared:
    """Build a new generation from the corpus folder beside the served ``view`` (no lock:
    the folder is this merge's own)."""
    started = time.perf_counter()
    report = BuildReport(model=model.name, fallback=model.fallback)
    scan = read_corpus(corpus_dir, config.max_document_bytes)
    plan = plan_corpus(corpus_dir, scan, config, identity, False, view.manifest, report)
    matrix = embed_plan(plan, view.vectors_by_key(), model, identity, load_embedder, progress,
                        report)
    sentences = plan_sentences(plan, config, view, int(matrix.shape[1]), identity,
                               load_embedder, progress, report)
    tokens = plan_tokens(plan, config, view, int(matrix.shape[1]), identity, load_embedder,
                         progress, report, model.name)
    folder = new_merging(index_dir)
    try:
        write_generation(folder, Generation(0, plan, matrix, sentences, tokens), config, model,
                         identity)
        fsync_tree(folder)
        loaded = load_generation(folder)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    report.documents, report.passages = len(plan.documents), len(plan.passages)
    report.seconds = time.perf_counter() - started
    return Prepared(view.pointer, folder, loaded, report)


def publish_merge(index_dir: Path, prepared: Prepared,
                  current: SegmentedIndex) -> SegmentedIndex | None:
    """Serve ``prepared`` with the segments written since its snapshot, when ``current``
    (the caller's view, its writes held off) is still what the folder serves and grew from
    that snapshot by segments only; the new view, or None (the merge dropped)."""
    snapshot = prepared.snapshot
    try:
        with write_lock(index_dir):
            pointer = read_pointer(index_dir)
            if (pointer is None or pointer != current.pointer
                    or pointer.generation != snapshot.generation
                    or not _grew_from(snapshot, pointer)):
                logger.info("merge dropped: the index changed otherwise meanwhile")
                shutil.rmtree(prepared.folder, ignore_errors=True)
                return None
            number = pointer.version + 1
            manifest = replace(prepared.loaded.manifest, generation=number)
            write_manifest(prepared.folder, manifest)
            fsync_file(prepared.folder / MANIFEST)
            final = place(index_dir, prepared.folder, generation_name(number))
            carried = tuple(s for s in pointer.segments if number_of(s) > snapshot.version)
            write_pointer(index_dir, Pointer(final.name, carried))
    except BaseException:
        shutil.rmtree(prepared.folder, ignore_errors=True)
        raise
    base = replace(prepared.loaded, path=final, generation=number, manifest=manifest)
    prepared.report.generation = number
    return SegmentedIndex.over(base).with_segments(
        [s for s in current.segments if s.name in carried])


def _grew_from(snapshot: Pointer, pointer: Pointer) -> bool:
    """Whether ``pointer`` is ``snapshot`` with segments written since (numbered above
    it), some of the snapshot's dropped or rewritten by them (:mod:`ragqa.index.files.
    erasure`): then the merge, built from the corpus folder as those segments left it or
    later, serves the same documents with the new segments applied on top."""
    older = [s for s in pointer.segments if number_of(s) <= snapshot.version]
    remaining = iter(snapshot.segments)
    return all(name in remaining for name in older)  # in the snapshot, in its order


class Merger:
    """Runs ``merge`` on a thread of its own when asked, one at a time; a request made while
    one runs starts another after it."""

    def __init__(self, merge: Callable[[], object]) -> None:
        self._merge = merge
        self._lock = threading.Lock()
        self._wanted = False
        self._thread: threading.Thread | None = None
        self.stopping = threading.Event()

    def request(self) -> None:
        with self._lock:
            if self.stopping.is_set():
                return
            self._wanted = True
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="ragqa-merge",
                                                daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._wanted or self.stopping.is_set():
                    self._thread = None
                    return
                self._wanted = False
            try:
                self._merge()
            except Exception:
                logger.exception("background merge failed; the segments stay served")

    def wait(self) -> None:
        """Wait until the merges asked for have run (one asked for meanwhile included)."""
        while True:
            with self._lock:
                thread = self._thread
            if thread is None or not thread.is_alive():
                return
            thread.join()

    def close(self, timeout: float = 5.0) -> None:
        """Start no other merge and wait (up to ``timeout`` seconds) for the one running: a
        server stopping does not wait for a long merge, which is then dropped (it publishes
        nothing once stopping; its folder goes with the next writer, as a killed one's)."""
        self.stopping.set()
        with self._lock:
            thread = self._thread
        if thread is not None:
            thread.join(timeout)
