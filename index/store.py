"""The store seam: one protocol for reading and writing an index, whichever backend holds it.

Two stores implement :class:`Store`: the embedded files store
(:class:`~ragqa.index.files.store.FilesStore`: a corpus folder and FAISS + BM25 generations on
disk) and PostgreSQL + pgvector (:class:`~ragqa.index.pg.store.PgStore`). The composition
root (:func:`ragqa.wiring.open_store`) opens one from the settings; nothing above it asks
which one it has. A search reads one :meth:`Store.view` (an
:class:`~ragqa.index.search.view.IndexView`) for the whole of a request; a write goes through
:meth:`Store.upload` or :meth:`Store.delete` and is visible to the next view.

A new backend is one module implementing this protocol, one line in the composition root's
table of stores and one name in the settings' ``Store`` type.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ragqa.index.access import DocumentGroups
from ragqa.index.records import BuildReport, DocumentRecord, Progress
from ragqa.index.search.view import IndexView

WRITE_STATUSES = ("created", "replaced", "unchanged", "deleted")


@dataclass(frozen=True)
class WriteResult:
    """What a write did: ``created``, ``replaced``, ``unchanged`` or ``deleted`` document
    ``doc_id`` (its record after the write, None once deleted), and the generation that
    serves it."""

    status: str
    doc_id: str
    record: DocumentRecord | None
    generation: int


class Store(Protocol):
    """An index to search and to write, opened once by the composition root."""

    name: str  # "files" or "postgres": what /health reports
    location: str  # where the index lives, for messages (a folder; a database, no password)

    # Who may read each document (ragqa.index.access), kept outside the vectors: a change
    # re-embeds nothing. An attribute or a property.
    groups: DocumentGroups

    def view(self) -> IndexView:
        """The searchable state to read one whole request from (a write made after this call
        is seen by the next view, never half-way through this one)."""

    def start(self, *, update: bool = True, strict: bool = False,
              progress: Progress | None = None) -> BuildReport | None:
        """Make the store ready to serve; the report of the indexing run this needed (None
        when none ran). The files store indexes its corpus folder's changes (``update``);
        PostgreSQL indexes the folder into an empty database (``update``) and serves one
        that holds documents as it is (the database is the truth)."""

    def sync(self, *, rebuild: bool = False, strict: bool = False,
             progress: Progress | None = None) -> BuildReport:
        """Bring the store in line with its corpus folder (``ragqa index``, a server's start):
        new and changed files indexed, removed ones dropped; ``strict`` refuses a corpus with
        any unreadable file; ``rebuild`` starts over where the store can."""

    def upload(self, doc_id: str, data: bytes, title: str | None = None, *,
               progress: Progress | None = None) -> WriteResult:
        """Store ``data`` as document ``doc_id`` durably and index it. ``title``: the
        document's explicit title; a blank string removes it (found in the text again); None
        keeps the current one. A file the indexer cannot read is refused with a
        :class:`~ragqa.index.errors.DocumentError` and nothing is stored. ``progress`` is
        told ``(passages embedded, passages to embed)`` as embedding goes; an exception it
        raises fails the write, and the store is left as it was."""

    def delete(self, doc_id: str) -> WriteResult:
        """Remove document ``doc_id`` (:class:`~ragqa.index.errors.UnknownDocumentError`
        when absent; the last document cannot go: an index needs one)."""

    def keep_links(self, doc_id: str) -> None:
        """Before a write that replaces ``doc_id``'s file under groups held for the time of
        the write: the folder's other names of that file (hard links) keep the groups they
        follow now, the file's own (files store; nothing where uploads write no folder)."""

    def settle(self) -> None:
        """Before a one-shot command exits (``ragqa index``): finish what its writes left to
        run in the background (the files store's merge that erases the text of a document
        deleted, or removed or replaced in the folder); nothing for PostgreSQL."""

    def close(self) -> None:
        """Release what the store holds open (connections); nothing for files."""
