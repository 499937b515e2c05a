"""The files store's document groups: ``<file>.groups`` sidecars in the corpus folder.

The corpus folder is the files store's truth, so a document's groups live beside it, as
its explicit title does: written by an upload's ``groups`` field or ``PUT
/v1/documents/{id}/groups`` (atomically, fsynced), or by hand and picked up by the next
sync (``ragqa index``, a server's start, ``--watch``). They are held in memory as a map of
the restricted documents; the vectors and the generations never hold them, so a change
re-embeds nothing and builds no generation.
"""

from __future__ import annotations

import threading
from pathlib import Path

from ragqa.index.access import UNREADABLE, format_groups, may_read
from ragqa.index.documents.folder import StampCache
from ragqa.index.documents.ids import corpus_path
from ragqa.index.documents.sidecars import groups_sidecar, read_corpus_groups
from ragqa.index.durable import remove_durably, write_atomic
from ragqa.index.search.view import IndexView


class SidecarGroups:
    """:class:`~ragqa.index.access.DocumentGroups` of a corpus folder."""

    def __init__(self, corpus_dir: Path) -> None:
        self.corpus_dir = corpus_dir
        self._lock = threading.Lock()
        self._restricted: dict[str, frozenset[str]] = {}
        self._version = 0
        self._loaded = False
        self._stamps = StampCache()  # sidecars read again only when their stat moved

    def reload(self) -> None:
        """Read every sidecar of the corpus folder again (a sync's last step)."""
        with self._lock:  # held while reading: a PUT meanwhile is never undone by old data
            found = read_corpus_groups(self.corpus_dir, self._stamps)
            if found != self._restricted or not self._loaded:
                self._restricted = found
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
        sidecar = groups_sidecar(corpus_path(self.corpus_dir, doc_id))
        self._map()
        with self._lock:
            if groups:  # UNREADABLE as a sidecar naming no group: it reads back as itself
                sidecar.parent.mkdir(parents=True, exist_ok=True)
                text = "" if groups == UNREADABLE else format_groups(groups) + "\n"
                write_atomic(sidecar, text.encode("utf-8"))
            elif sidecar.exists():
                remove_durably(sidecar)
            restricted = dict(self._restricted)  # replaced, never mutated: readers iterate it
            if groups:
                restricted[doc_id] = frozenset(groups)
            else:
                restricted.pop(doc_id, None)
            self._restricted = restricted
            self._version += 1

    def readable(self, view: IndexView, groups: frozenset[str]) -> frozenset[str]:
        restricted = self._map()
        return frozenset(d for d in view.documents_by_id()
                         if may_read(restricted.get(d, frozenset()), groups))
