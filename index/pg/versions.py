"""Stored documents by the version of their row: what a process's syncs remember work by.

Every transaction that writes a document's passages rewrites its row in ``documents``
(:func:`~ragqa.index.pg.writes.replace_document`), so the row's version (``xmin``, the
transaction that wrote it) says whether anything of the document changed since it was last
read, whoever wrote it (this process, another replica, an upload through the API). The
content's hash is added to it, so that a memo kept across databases restored under one URL
is not fooled by a transaction id that happens to repeat. The reclaim of side rows
(:class:`~ragqa.index.pg.reclaim.KeptKeys`) and the fill of a sync's side rows
(:class:`~ragqa.index.pg.side_fill.FilledRows`) each read again only the documents whose
version moved since they last looked.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence

import psycopg

# Documents read a statement: each statement is short (no snapshot held for the whole scan,
# no statement_timeout reached), and each document's row version is read with its passages.
READ_STEP = 1_000

# Documents' text and passage offsets, with their row's version (one statement: one
# snapshot for a document's row and its passages). Followed by a WHERE on doc_id.
_DOCUMENTS = """SELECT d.doc_id, d.xmin::text || '/' || d.content_hash, d.text, p.starts, p.ends
FROM documents d
CROSS JOIN LATERAL (
    SELECT array_agg(start_offset ORDER BY ordinal) AS starts,
           array_agg(end_offset ORDER BY ordinal) AS ends
    FROM passages WHERE passages.doc_id = d.doc_id
) p"""
_THESE = _DOCUMENTS + " WHERE d.doc_id = ANY(%s)"
_VERSIONS = "SELECT doc_id, xmin::text || '/' || content_hash FROM documents"

# One stored document as read: its id, its row's version, its text and its passages'
# ``(start, end)`` offsets in order (none for a document without passages).
StoredDocument = tuple[str, str, str, list[tuple[int, int]]]


def versions(conn: psycopg.Connection) -> dict[str, str]:
    """Every stored document's row version (a few milliseconds for thousands)."""
    return dict(conn.execute(_VERSIONS).fetchall())


def versions_digest(found: dict[str, str]) -> str:
    """A digest of every stored document's row version (:func:`versions`): the same
    while no document is written, added or deleted."""
    text = json.dumps(sorted(found.items()), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_documents(conn: psycopg.Connection, doc_ids: Sequence[str],
                   step: int | None = None) -> Iterator[StoredDocument]:
    """The documents of ``doc_ids`` as stored now, ``step`` (:data:`READ_STEP`) a
    statement, each with its row's version (a document deleted meanwhile is left out)."""
    step = READ_STEP if step is None else step
    for i in range(0, len(doc_ids), step):
        for doc_id, version, text, starts, ends in conn.execute(
                _THESE, (list(doc_ids[i:i + step]),)).fetchall():
            yield doc_id, version, text, list(zip(starts, ends)) if starts else []
