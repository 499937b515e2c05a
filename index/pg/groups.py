"""The PostgreSQL store's document groups: the ``document_groups`` table (schema version 3).

A reader's allowlist is computed in SQL (documents without a row, or whose groups overlap
the reader's, through the GIN index on ``groups``) and the search's own statements then
score only those documents' passages, with BM25's statistics counted over them alone. A change of groups is one transaction that also
bumps ``corpus_stats.changes``, so every replica's caches (keyed by it) see it at their
next request; nothing is re-embedded.
"""

from __future__ import annotations

from pathlib import Path

import psycopg

from ragqa.index.documents.sidecars import read_corpus_groups
from ragqa.index.pg.pool import Pool
from ragqa.index.search.view import IndexView

READABLE_SQL = """SELECT d.doc_id FROM documents d
LEFT JOIN document_groups g USING (doc_id)
WHERE g.doc_id IS NULL OR g.groups && %s::text[]"""

_SET = """INSERT INTO document_groups (doc_id, groups) VALUES (%s, %s)
ON CONFLICT (doc_id) DO UPDATE SET groups = excluded.groups"""

_BUMP = "UPDATE corpus_stats SET changes = changes + 1"


class PgGroups:
    """:class:`~ragqa.index.access.DocumentGroups` in the database, over the store's pool."""

    def __init__(self, pool: Pool) -> None:
        self.pool = pool

    def version(self) -> int:
        return 0  # every change bumps the generation, which keys the allowlists already

    def of(self, doc_id: str) -> frozenset[str]:
        with self.pool.connection() as conn:
            row = conn.execute("SELECT groups FROM document_groups WHERE doc_id = %s",
                               (doc_id,)).fetchone()
        return frozenset(row[0]) if row else frozenset()

    def all(self) -> dict[str, frozenset[str]]:
        with self.pool.connection() as conn:
            rows = conn.execute("SELECT doc_id, groups FROM document_groups").fetchall()
        return {r[0]: frozenset(r[1]) for r in rows}

    def set(self, doc_id: str, groups: frozenset[str]) -> None:
        with self.pool.connection() as conn, conn.transaction():
            set_groups(conn, {doc_id: groups})

    def readable(self, view: IndexView, groups: frozenset[str]) -> frozenset[str]:
        with self.pool.connection() as conn:
            rows = conn.execute(READABLE_SQL, (sorted(groups),)).fetchall()
        return frozenset(r[0] for r in rows)


def set_groups(conn: psycopg.Connection, changes: dict[str, frozenset[str]]) -> bool:
    """Write ``changes`` (empty groups: the row goes) in the caller's transaction, bumping
    ``changes`` once when anything differs; whether anything did."""
    if not changes:
        return False
    rows = conn.execute("SELECT doc_id, groups FROM document_groups WHERE doc_id = ANY(%s)",
                        (list(changes),)).fetchall()
    current = {r[0]: frozenset(r[1]) for r in rows}
    changed = False
    for doc_id, groups in changes.items():
        if current.get(doc_id, frozenset()) == groups:
            continue
        changed = True
        if groups:
            conn.execute(_SET, (doc_id, sorted(groups)))
        else:
            conn.execute("DELETE FROM document_groups WHERE doc_id = %s", (doc_id,))
    if changed:
        conn.execute(_BUMP)
    return changed


def apply_sidecars(conn: psycopg.Connection, corpus_dir: Path) -> bool:
    """The corpus folder's ``.groups`` sidecars written to the database, in one
    transaction committed before a sync writes any document. A document whose sidecar was
    removed keeps its groups: on this store the database is the truth (``PUT
    /v1/documents/{id}/groups`` changes them)."""
    found = read_corpus_groups(corpus_dir)
    with conn.transaction():
        return set_groups(conn, found)
