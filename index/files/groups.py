"""The files store's document groups: ``<file>.groups`` sidecars in the corpus folder.

The corpus folder is the files store's truth, so a document's groups live beside it, as
its explicit title does: written by an upload's ``groups`` field or ``PUT
/v1/documents/{id}/groups`` (atomically, fsynced), or by hand and picked up by the next
sync (``ragqa index``, a server's start, ``--watch``). Whatever changes them here (a
``PUT``, an upload) reads the folder again as a sync does, so the folder's rules (a link
gets its target's groups, a misnamed sidecar hides the document it was meant for:
:mod:`ragqa.index.documents.group_rules`) hold at once. They are held in memory as a map of
the restricted documents; the vectors and the generations never hold them, so a change
re-embeds nothing and builds no generation.
"""

from __future__ import annotations

import logging
import os
import threading
import uuid
from pathlib import Path

from ragqa.index.access import UNREADABLE, format_groups, may_read
from ragqa.index.documents.folder import StampCache
from ragqa.index.documents.ids import entry_path
from ragqa.index.documents.group_rules import read_corpus_groups
from ragqa.index.documents.sidecars import HELD_SIDECAR, groups_sidecar
from ragqa.index.durable import remove_durably, write_atomic
from ragqa.index.search.view import IndexView

logger = logging.getLogger(__name__)


# Rewritten (a new file each time) by every change made through :meth:`SidecarGroups.set`:
# another server on the same folder sees it move and reads the sidecars again. Hidden, so
# no indexer, sync or watcher reads it as a document.
CHANGED_MARKER = ".ragqa-groups-changed"


class SidecarGroups:
    """:class:`~ragqa.index.access.DocumentGroups` of a corpus folder."""

    def __init__(self, corpus_dir: Path) -> None:
        self.corpus_dir = corpus_dir
        self._lock = threading.Lock()
        self._restricted: dict[str, frozenset[str]] = {}
        self._version = 0
        self._loaded = False
        self._stamps = StampCache()  # sidecars read again only when their stat moved
        self._marker: tuple[int, int] | None = None  # CHANGED_MARKER as last seen

    def moved(self) -> bool:
        """Whether another process changed groups through its API since they were read
        (:data:`CHANGED_MARKER`); one ``stat``."""
        return self._loaded and self._marker_stamp() != self._marker

    def _marker_stamp(self) -> tuple[int, int] | None:
        try:
            found = os.stat(self.corpus_dir / CHANGED_MARKER)
        except OSError:
            return None
        return found.st_ino, found.st_mtime_ns

    def reload(self) -> None:
        """Read every sidecar of the corpus folder again (a sync's last step, an upload's,
        or serving what another process wrote), with the folder's rules over them
        (:mod:`ragqa.index.documents.group_rules`). A restricted document whose file is gone
        from the folder keeps its groups: an index may still hold it (another process's
        upload appended a segment without a sync), and the absence of its sidecar then says
        nothing."""
        with self._lock:  # held while reading: a PUT meanwhile is never undone by old data
            self._read()

    def _read(self, forget: str | None = None) -> None:
        """:meth:`reload`, the lock held; ``forget``: a document whose groups were just
        removed, not kept when its file is gone (deleted: a later upload starts open)."""
        self._marker = self._marker_stamp()  # before reading: a change meanwhile moves it
        found = read_corpus_groups(self.corpus_dir, self._stamps)
        for doc_id, groups in self._restricted.items():
            if doc_id != forget and doc_id not in found and not os.path.lexists(
                    os.path.join(self.corpus_dir, doc_id)):
                found[doc_id] = groups
        if found != self._restricted or not self._loaded:
            self._restricted = found  # replaced, never mutated: readers iterate it
            self._version += 1
        self._loaded = True

    def _map(self) -> dict[str, frozenset[str]]:
        if not self._loaded:
            self.reload()
        return self._restricted

    def version(self) -> int:
        self._map()
        return self._version

    def of(self, doc_id: str) -> frozenset[str]:
        return self._map().get(doc_id, frozenset())

    def all(self) -> dict[str, frozenset[str]]:
        return dict(self._map())

    def set(self, doc_id: str, groups: frozenset[str]) -> None:
        sidecar = groups_sidecar(entry_path(self.corpus_dir, doc_id))  # a link's own
        self._map()
        with self._lock:
            if groups:  # UNREADABLE as a sidecar naming no group: it reads back as itself
                sidecar.parent.mkdir(parents=True, exist_ok=True)
                text = HELD_SIDECAR if groups == UNREADABLE else format_groups(groups) + "\n"
                write_atomic(sidecar, text.encode("utf-8"))
            elif sidecar.exists():
                remove_durably(sidecar)
            try:  # another server on this folder reads the sidecars again
                write_atomic(self.corpus_dir / CHANGED_MARKER, uuid.uuid4().hex.encode())
            except OSError as exc:
                logger.warning("%s: cannot be written (%s); other servers on this folder see "
                               "the change at their next sync", self.corpus_dir / CHANGED_MARKER,
                               exc.strerror or exc)
            # The folder read again, as a sync reads it: the links to the document follow
            # it, and a misnamed sidecar meant for it still hides it.
            self._read(forget=doc_id)

    def readable(self, view: IndexView, groups: frozenset[str]) -> frozenset[str]:
        restricted = self._map()
        return frozenset(d for d in view.documents_by_id()
                         if may_read(restricted.get(d, frozenset()), groups))
