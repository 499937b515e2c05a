"""The PostgreSQL store's document groups: the ``document_groups`` table (schema version 3).

A reader's allowlist is computed in SQL (documents without a row, or whose groups overlap
the reader's, through the GIN index on ``groups``) and the search's own statements then
score only those documents' passages, with BM25's statistics counted over them alone. A
change of groups is one transaction that also bumps ``corpus_stats.changes``, so every
replica's caches (keyed by it) see it at their next request; nothing is re-embedded.

The corpus folder's rules (:mod:`ragqa.index.documents.group_rules`: a link gets its
target's groups, a misnamed ``.groups`` file hides the document it was meant for) are
written with every change from the folder (a sync, :func:`apply_sidecars`) and from the API
(a ``PUT``, an upload: :meth:`PgGroups.set`, :meth:`PgGroups.apply_rules`), in the same
transaction, so that every replica sees the links change with their target.
"""

from __future__ import annotations

import threading
from collections.abc import Collection
from pathlib import Path

import psycopg

from ragqa.index.documents.folder import Listed, StampCache
from ragqa.index.documents.group_rules import FolderGroups, read_folder_groups
from ragqa.index.pg.pool import Pool
from ragqa.index.search.view import IndexView

READABLE_SQL = """SELECT d.doc_id FROM documents d
LEFT JOIN document_groups g USING (doc_id)
WHERE g.doc_id IS NULL OR g.groups && %s::text[]"""

_SET = """INSERT INTO document_groups (doc_id, groups) VALUES (%s, %s)
ON CONFLICT (doc_id) DO UPDATE SET groups = excluded.groups"""

_BUMP = "UPDATE corpus_stats SET changes = changes + 1"

# The links' targets as the table holds them: their groups, and whether they are stored.
_TARGETS = """SELECT t.doc_id, g.groups, d.doc_id IS NOT NULL
FROM unnest(%s::text[]) AS t(doc_id)
LEFT JOIN document_groups g USING (doc_id)
LEFT JOIN documents d USING (doc_id)"""


class FolderReads:
    """What a store's writes keep of the folder's ``.groups`` files between them: each
    file's groups by its stat, so that a ``PUT`` or an upload lists the folder but reads
    only the ``.groups`` files that changed (one at a time: the cache is shared)."""

    def __init__(self) -> None:
        self.stamps = StampCache()
        self.lock = threading.Lock()


class PgGroups:
    """:class:`~ragqa.index.access.DocumentGroups` in the database, over the store's pool;
    ``corpus_dir``, the folder its syncs index (whose rules a change follows)."""

    def __init__(self, pool: Pool, corpus_dir: Path | None = None,
                 reads: FolderReads | None = None) -> None:
        self.pool = pool
        self.corpus_dir = corpus_dir
        self.reads = reads if reads is not None else FolderReads()

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
        """Give ``doc_id`` these groups, and the links of the folder to it theirs, in one
        transaction (the folder's rules then decide: a misnamed ``.groups`` file meant for
        it still hides it; groups given to a link are its own, and a link given none
        follows its target, as on the files store)."""
        folder = self._folder()  # listed before the transaction: no lock held meanwhile
        with self.pool.connection() as conn, conn.transaction():
            set_groups(conn, {doc_id: groups})
            # Groups given to a link are its own; none: it follows its target again, as a
            # link without a ``.groups`` file of its own does on the files store.
            apply_rules(conn, folder, folder.affected([doc_id]),
                        explicit=(doc_id,) if groups else ())

    def apply_rules(self, doc_id: str) -> None:
        """The folder's rules over ``doc_id`` and the links to it, written (an upload, before
        the document is: its text is the upload's, so a link's id keeps its own groups)."""
        folder = self._folder()
        with self.pool.connection() as conn, conn.transaction():
            held = conn.execute("SELECT 1 FROM document_groups WHERE doc_id = %s",
                                (doc_id,)).fetchone() is not None
            apply_rules(conn, folder, folder.affected([doc_id]),
                        explicit=(doc_id,) if held else ())

    def _folder(self) -> FolderGroups:
        if self.corpus_dir is None:
            return FolderGroups({}, frozenset(), {}, {})
        with self.reads.lock:
            return read_folder_groups(self.corpus_dir, stamps=self.reads.stamps)

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


def apply_rules(conn: psycopg.Connection, folder: FolderGroups,
                among: Collection[str] | None = None, explicit: Collection[str] = ()) -> bool:
    """The groups the folder's rules give its documents (``among`` only, when given),
    written in the caller's transaction over what the table holds; whether anything
    changed. A link's target's groups are the table's; for a target not stored yet (or
    deleted through the API), its ``.groups`` file's, else the link is left as it is. A
    misnamed ``.groups`` file hides the uploads it was meant for too (the folder does not
    list them). ``explicit``: documents a writer just gave groups, which a link's rule
    leaves as they are (:meth:`FolderGroups.ruled`)."""
    targets = sorted(folder.targets(among))
    own: dict[str, frozenset[str] | None] = {}
    if targets:
        for doc_id, groups, stored in conn.execute(_TARGETS, (targets,)).fetchall():
            if groups is not None:
                own[doc_id] = frozenset(groups)
            else:
                own[doc_id] = frozenset() if stored else folder.sidecars.get(doc_id)
    # The near-name rule reaches the documents uploaded through the API too: the folder
    # does not list them.
    unlisted = among if among is not None else _uploaded(conn) if folder.lonely else ()
    return set_groups(conn, folder.ruled(lambda target: own.get(target), among, unlisted,
                                         explicit))


def _uploaded(conn: psycopg.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT doc_id FROM documents WHERE source = 'api'")]


def apply_sidecars(conn: psycopg.Connection, corpus_dir: Path,
                   listing: list[Listed] | None = None) -> bool:
    """The corpus folder's ``.groups`` sidecars written to the database, and the folder's
    rules over them, in one transaction committed before a sync writes any document;
    ``listing``: the sync's own listing of the folder (none: listed here). A document whose
    sidecar was removed keeps its groups: on this store the database is the truth (``PUT
    /v1/documents/{id}/groups`` changes them)."""
    folder = read_folder_groups(corpus_dir, listing)
    with conn.transaction():
        changed = set_groups(conn, folder.sidecars)
        return apply_rules(conn, folder) or changed
