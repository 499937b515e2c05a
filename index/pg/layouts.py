"""Documents' layouts: what a folder sync compares between the folder and the database.

A sync rewrites a stored document whose bytes or explicit title differ from its file's, or
whose passages a full index would cut otherwise (a new corpus context): its *layout*, its
title and each passage's ``(start, end, section, page, vector key)``. Reading every stored
passage's layout costs O(the store) at every sync (the largest part of a later sync at
10,000 passages once the folder is no longer read). :class:`StoredLayouts` keeps them by
their document's row version (:mod:`ragqa.index.pg.versions`: every write of a document's
passages rewrites its row, whoever writes it) and reads again only the documents whose
version moved; the row and its passages are read in one statement, so a kept layout is
always the one stored at its version.

Each stored document is also read with its cut's digest
(:func:`~ragqa.index.files.planning.cut_digest` of its stored title, sections, pages,
passages and vector keys): a document whose digest is the one the folder's plan gives holds
that plan's layout (the digest covers every field of it), so that a sync whose plan came
from a saved memo (:mod:`ragqa.index.pg.saved_memo`) compares it without cutting it.
"""

from __future__ import annotations

import psycopg

from ragqa.index.documents.chunking import Passage
from ragqa.index.documents.processing import ProcessedDocument
from ragqa.index.files.planning import cut_digest
from ragqa.index.pg.versions import READ_STEP, versions

# What is compared with a stored document: its title and each passage's
# ``(start, end, section, page, vector key)``.
Layout = tuple[str, tuple[tuple[int, int, str, int | None, str | None], ...]]
# A stored document as a sync compares it: its content hash, explicit title, layout and
# cut's digest.
Stored = tuple[str, str | None, Layout, str]

_LAYOUTS = (
    "SELECT d.doc_id, d.xmin::text || '/' || d.content_hash, d.content_hash, "
    "d.explicit_title, d.title, d.sections, d.pages, p.start_offset, p.end_offset, p.section, "
    "p.page, p.embed_key "
    "FROM documents d LEFT JOIN passages p USING (doc_id)")
_ALL = _LAYOUTS + " ORDER BY d.doc_id, p.ordinal"
_THESE = _LAYOUTS + " WHERE d.doc_id = ANY(%s) ORDER BY d.doc_id, p.ordinal"


def layout_of(processed: ProcessedDocument) -> Layout:
    """The layout a full index stores for ``processed``."""
    return (processed.document.title,
            tuple((p.start, p.end, p.section, p.page, key)
                  for p, key in zip(processed.passages, processed.keys)))


class StoredLayouts:
    """Every stored document's :data:`Stored`, kept by its row's version (see the module);
    one sync at a time uses it."""

    def __init__(self) -> None:
        self._docs: dict[str, tuple[str, Stored]] = {}

    def read(self, conn: psycopg.Connection) -> dict[str, Stored]:
        """Every stored document's content hash, explicit title and layout, as stored now
        (those whose row version did not move since the last read taken from memory)."""
        now = versions(conn)
        stale = sorted(d for d, version in now.items()
                       if (kept := self._docs.get(d)) is None or kept[0] != version)
        for doc_id in (self._docs.keys() - now.keys()) | (self._docs.keys() & set(stale)):
            del self._docs[doc_id]  # gone, or read again below
        if len(stale) * 2 > len(now):  # most of them (a first read): one statement
            self._docs = {}
            self._take(conn.execute(_ALL).fetchall())
        else:
            for i in range(0, len(stale), READ_STEP):
                self._take(conn.execute(_THESE, (stale[i:i + READ_STEP],)).fetchall())
        # A document deleted between the two statements is left out, as if read after.
        return {d: kept[1] for d, kept in self._docs.items() if d in now}

    def _take(self, rows: list[tuple]) -> None:
        found: dict[str, tuple] = {}
        for (doc_id, version, content_hash, explicit, title, sections, pages, start, end,
             section, page, key) in rows:
            entry = found.setdefault(doc_id, (version, content_hash, explicit, title,
                                              sections, pages, []))
            if start is not None:
                entry[6].append((int(start), int(end), section, page, key))
        for doc_id, (version, content_hash, explicit, title, sections, pages, passages) \
                in found.items():
            digest = cut_digest(title, sections, pages,
                                [Passage(doc_id, a, b, s, p) for a, b, s, p, _ in passages],
                                [k for *_, k in passages])
            self._docs[doc_id] = (version, (content_hash, explicit, (title, tuple(passages)),
                                            digest))
