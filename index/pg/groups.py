"""The PostgreSQL store's document groups: the ``document_groups`` table (schema version 3;
version 8 adds what keeps a writer's groups from being undone by a sync).

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

The database is this store's truth, so what a writer gives is kept as the files store keeps
it in a ``.groups`` file: groups given to an id through the API are marked ``given`` (a
link's own: the link rule leaves them, at a sync too; ``[]`` removes the row, and the link
follows its target again), and a ``.groups`` file of the folder is applied when it appears
or changes (``folder_sidecars`` holds what was applied), not at every sync over a ``PUT``
made since. The folder's groups are applied again, whatever was given, to a document the
store does not hold or holds from an upload that the folder's file replaces (its text is
the folder's again). The links a sync finds are recorded (``document_links``), so that a
``PUT`` reaches them on a replica that cannot see the folder; those with a ``.groups`` file
of their own too (version 9: that file's groups, applied, are marked ``given``, so a
``PUT []`` there makes the link follow its target), and so are the documents a misnamed
``.groups`` file hides (``folder_hidden``), kept hidden there.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Collection
from dataclasses import dataclass, replace
from pathlib import Path

import psycopg

from ragqa.index.access import while_replacing
from ragqa.index.documents.folder import Listed, StampCache
from ragqa.index.documents.group_rules import FolderGroups, read_folder_groups
from ragqa.index.origin import folder_path
from ragqa.index.pg.origin import recorded_folder
from ragqa.index.pg.pool import Pool
from ragqa.index.search.view import IndexView

READABLE_SQL = """SELECT d.doc_id FROM documents d
LEFT JOIN document_groups g USING (doc_id)
WHERE g.doc_id IS NULL OR g.groups && %s::text[]"""

_SET = """INSERT INTO document_groups (doc_id, groups, given) VALUES (%s, %s, %s)
ON CONFLICT (doc_id) DO UPDATE SET groups = excluded.groups, given = excluded.given"""

_BUMP = "UPDATE corpus_stats SET changes = changes + 1"

# The links' targets as the table holds them: their groups, and whether they are stored.
_TARGETS = """SELECT t.doc_id, g.groups, d.doc_id IS NOT NULL
FROM unnest(%s::text[]) AS t(doc_id)
LEFT JOIN document_groups g USING (doc_id)
LEFT JOIN documents d USING (doc_id)"""

# Arbitrary constant shared by every ragqa process: the key of the lock that a change of
# groups (a PUT, an upload's rules, a sync's groups step) holds for its transaction, so that
# a sync reading which links were given groups never writes over a PUT committed meanwhile.
GROUPS_LOCK_KEY = 0x72616771_67727073  # "ragqgrps"


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
        """Give ``doc_id`` these groups, and the links to it theirs, in one transaction (the
        folder's rules then decide: a misnamed ``.groups`` file meant for it still hides it;
        groups given to a link are its own, kept by later syncs, and a link given none
        follows its target, as on the files store)."""
        folder = self._folder()  # listed before the transaction: no lock held meanwhile
        with self.pool.connection() as conn, conn.transaction():
            lock_groups(conn)
            set_groups(conn, {doc_id: groups}, given=True)
            _apply_rules_over(conn, folder, doc_id)

    def apply_rules(self, doc_id: str) -> None:
        """The folder's rules over ``doc_id`` and the links to it, written (an upload, before
        the document is: its text is the upload's, so groups given to a link's id stay),
        and its ``.groups`` file's groups when the database has not applied them yet and no
        writer gave it groups (one placed since the last sync: the files store's upload
        lands beside it, restricted at once)."""
        folder = self._folder()
        with self.pool.connection() as conn, conn.transaction():
            lock_groups(conn)
            if folder is not None:
                _apply_own_sidecar(conn, folder, doc_id)
            _apply_rules_over(conn, folder, doc_id)

    def _folder(self) -> FolderGroups | None:
        """What the folder says of groups (its links with a ``.groups`` file of their own
        among the links), when this process sees the folder the database is synced from
        (none synced yet: its own), under that path or another (a link, a mount: the same
        directory on disk); elsewhere None: its ``.groups`` files are a sync's to apply,
        and what the last sync found is read from the database (:func:`with_recorded`)."""
        if self.corpus_dir is None or not self.corpus_dir.is_dir():
            return None
        with self.pool.connection() as conn:
            synced = recorded_folder(conn)
        if synced is not None and not _same_folder(synced, self.corpus_dir):
            return None
        with self.reads.lock:
            folder = read_folder_groups(self.corpus_dir, stamps=self.reads.stamps)
        return folder.with_own_links()

    def readable(self, view: IndexView, groups: frozenset[str]) -> frozenset[str]:
        with self.pool.connection() as conn:
            rows = conn.execute(READABLE_SQL, (sorted(groups),)).fetchall()
        return frozenset(r[0] for r in rows)


def _apply_rules_over(conn: psycopg.Connection, seen: FolderGroups | None,
                      doc_id: str) -> None:
    """The rules over ``doc_id`` and the links to it (:func:`apply_rules`), the folder
    ``seen`` here (None: not seen) with what the last sync recorded; a link the folder
    now points elsewhere than the last sync recorded still holds its old target's text
    (a sync writes it, then settles it: :func:`settle_links`), so it gets only what both
    allow meanwhile, as the sync's own groups step gives it."""
    folder = with_recorded(conn, seen, doc_id)
    among = folder.affected([doc_id])
    repointed: list[str] = []
    if seen is not None and seen.links:
        links = sorted(link for link in among if link in seen.links)
        if links:
            rows = conn.execute("SELECT doc_id, target FROM document_links "
                                "WHERE doc_id = ANY(%s)", (links,)).fetchall()
            repointed = [link for link, target in rows if target != seen.links[link]]
    apply_rules(conn, folder, among, narrowing=repointed)


def lock_groups(conn: psycopg.Connection) -> None:
    """Hold :data:`GROUPS_LOCK_KEY` until the caller's transaction ends."""
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (GROUPS_LOCK_KEY,))


def set_groups(conn: psycopg.Connection, changes: dict[str, frozenset[str]],
               given: bool = False) -> bool:
    """Write ``changes`` (empty groups: the row goes) in the caller's transaction, marked
    ``given`` (by a writer, not by the folder), bumping ``changes`` once when any document's
    groups differ; whether any did."""
    if not changes:
        return False
    rows = conn.execute("SELECT doc_id, groups, given FROM document_groups "
                        "WHERE doc_id = ANY(%s)", (list(changes),)).fetchall()
    current = {r[0]: (frozenset(r[1]), r[2]) for r in rows}
    changed = False
    for doc_id, groups in changes.items():
        before = current.get(doc_id)
        if groups:
            if before == (groups, given):
                continue
            conn.execute(_SET, (doc_id, sorted(groups), given))
            changed = changed or before is None or before[0] != groups
        elif before is not None:
            conn.execute("DELETE FROM document_groups WHERE doc_id = %s", (doc_id,))
            changed = True
    if changed:
        conn.execute(_BUMP)
    return changed


def _apply_own_sidecar(conn: psycopg.Connection, folder: FolderGroups, doc_id: str) -> None:
    """``doc_id``'s ``.groups`` file's groups written, as a sync would write them now
    (:func:`apply_sidecars`), unless a writer gave it groups."""
    groups = folder.sidecars.get(doc_id)
    if groups is None:
        return
    given, current, applied, stored = conn.execute(
        "SELECT g.given, g.groups, s.groups, d.doc_id IS NOT NULL "
        "FROM (SELECT %s::text AS doc_id) x "
        "LEFT JOIN document_groups g USING (doc_id) LEFT JOIN folder_sidecars s "
        "USING (doc_id) LEFT JOIN documents d USING (doc_id)", (doc_id,)).fetchone()
    # A file's groups a sync applied are marked given too (a link's own): they are a
    # writer's only where they differ from what the file said then.
    writers = given and (applied is None or frozenset(current or ()) != frozenset(applied))
    if writers or (stored and applied is not None and frozenset(applied) == groups):
        return
    set_groups(conn, {doc_id: groups}, given=True)  # its own, as a sync applies it
    _record_sidecars(conn, {}, {doc_id: groups})


def _same_folder(synced: str, corpus_dir: Path) -> bool:
    """Whether ``corpus_dir`` is the folder recorded as ``synced``: the same path, or the
    same directory on disk reached through another (a link, a bind mount)."""
    if synced == folder_path(corpus_dir):
        return True
    try:
        return os.path.samefile(synced, corpus_dir)
    except OSError:  # not there here: another machine's folder
        return False


def with_recorded(conn: psycopg.Connection, folder: FolderGroups | None,
                  doc_id: str) -> FolderGroups:
    """``folder`` (None: not seen here) with the links the last sync recorded that are
    ``doc_id`` or point at it (what the store holds of them is what the sync found), the
    folder's own listing, when seen, having the last word; where the folder is not seen,
    with the documents the last sync found hidden by a misnamed ``.groups`` file, so that
    a change here never shows one."""
    rows = conn.execute("SELECT doc_id, target FROM document_links "
                        "WHERE doc_id = %s OR target = %s", (doc_id, doc_id)).fetchall()
    links = {r[0]: r[1] for r in rows}
    if folder is None:
        hidden = frozenset(r[0] for r in conn.execute("SELECT doc_id FROM folder_hidden"))
        return FolderGroups({}, hidden, links, {})
    if not links:
        return folder
    links.update(folder.links)
    return replace(folder, links=links)


def apply_rules(conn: psycopg.Connection, folder: FolderGroups,
                among: Collection[str] | None = None,
                narrowing: Collection[str] = ()) -> bool:
    """The groups the folder's rules give its documents (``among`` only, when given),
    written in the caller's transaction over what the table holds; whether anything
    changed. A link's target's groups are the table's; for a target not stored yet (or
    deleted through the API), its ``.groups`` file's, else the link is left as it is. A
    misnamed ``.groups`` file hides the uploads it was meant for too (the folder does not
    list them). A link given groups by a writer keeps them (:meth:`FolderGroups.ruled`'s
    ``explicit``). The documents of ``narrowing`` (links whose stored text is not yet the
    one the rules are for) get only what both their groups and the rules' allow
    (:func:`~ragqa.index.access.while_replacing`)."""
    targets = sorted(folder.targets(among))
    own: dict[str, frozenset[str] | None] = {}
    if targets:
        for doc_id, groups, stored in conn.execute(_TARGETS, (targets,)).fetchall():
            if groups is not None:
                own[doc_id] = frozenset(groups)
            else:
                own[doc_id] = frozenset() if stored else folder.sidecars.get(doc_id)
    links = [link for link in folder.links if among is None or link in among]
    given = {r[0] for r in conn.execute(
        "SELECT doc_id FROM document_groups WHERE given AND doc_id = ANY(%s)", (links,))
    } if links else set()
    # The near-name rule reaches the documents uploaded through the API too: the folder
    # does not list them.
    unlisted = among if among is not None else _uploaded(conn) if folder.lonely else ()
    ruled = folder.ruled(lambda target: own.get(target), among, unlisted, given)
    narrowed = sorted(doc_id for doc_id in narrowing if doc_id in ruled)
    if narrowed:
        held = {r[0]: frozenset(r[1]) for r in conn.execute(
            "SELECT doc_id, groups FROM document_groups WHERE doc_id = ANY(%s)", (narrowed,))}
        for doc_id in narrowed:
            ruled[doc_id] = while_replacing(held.get(doc_id, frozenset()), ruled[doc_id])
    return set_groups(conn, ruled)


def _uploaded(conn: psycopg.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT doc_id FROM documents WHERE source = 'api'")]


@dataclass(frozen=True)
class PendingLinks:
    """What a sync's groups step left for after its writes (:func:`settle_links`): the
    links whose stored text is not yet their target's (repointed, or an upload under the
    link's id), given meanwhile only what both their old and new groups allow."""

    folder: FolderGroups
    links: frozenset[str]


def apply_sidecars(conn: psycopg.Connection, corpus_dir: Path,
                   listing: list[Listed] | None = None) -> PendingLinks:
    """The corpus folder's ``.groups`` sidecars written to the database, and the folder's
    rules over them, in one transaction committed before a sync writes any document;
    ``listing``: the sync's own listing of the folder (none: listed here). The links whose
    text the sync is about to write anew are returned: :func:`settle_links` gives them
    their rules' groups once it is written (until then, a link repointed from a restricted
    target to an open one, or stored from an upload, keeps what both allow, also when the
    sync dies in between: the next one narrows them again).

    On this store the database is the truth (``PUT /v1/documents/{id}/groups`` changes
    it): a ``.groups`` file is applied when it appears or its groups change, and a
    document whose file was removed keeps its groups. The folder's groups are applied again
    where the folder's text is, or is about to be, what the store holds again: a document
    the store does not hold, or holds from an upload under its id that the folder's file
    replaces (its ``.groups`` file applied; a link's given groups dropped, so that it
    follows its target). The folder's links are recorded (:func:`with_recorded`)."""
    folder = read_folder_groups(corpus_dir, listing)
    own_links = folder.own_links
    folder = folder.with_own_links()
    alone = {doc_id for names in folder.lonely.values() for doc_id in names}
    with conn.transaction():
        lock_groups(conn)
        applied = {r[0]: frozenset(r[1]) for r in conn.execute(
            "SELECT doc_id, groups FROM folder_sidecars")}
        named = sorted(set(folder.sidecars) | set(folder.links))
        sources = dict(conn.execute("SELECT doc_id, source FROM documents "
                                    "WHERE doc_id = ANY(%s)", (named,)).fetchall())

        def folder_text_again(doc_id: str) -> bool:
            source = sources.get(doc_id)
            return source is None or (source != "folder" and doc_id not in alone)

        due = {doc_id: groups for doc_id, groups in folder.sidecars.items()
               if applied.get(doc_id) != groups or folder_text_again(doc_id)}
        if conn.execute("DELETE FROM folder_sidecars_unknown RETURNING true").fetchone():
            # The first sync since an upgrade from schema 7, which did not record what it
            # applied: every file looks new, but a writer's groups given since stand.
            given = {r[0] for r in conn.execute(
                "SELECT doc_id FROM document_groups WHERE given AND doc_id = ANY(%s)",
                (sorted(due),))}
            due = {doc_id: groups for doc_id, groups in due.items()
                   if doc_id not in given or folder_text_again(doc_id)}
        # A .groups file's groups are its document's own (a link's: the link rule leaves
        # them; a PUT [] removes them and the link follows its target until the file changes).
        set_groups(conn, due, given=True)
        _record_sidecars(conn, applied, folder.sidecars)
        # A link's given groups dropped where the folder's text returns, or its own
        # .groups file was removed: it follows its target, as on the files store.
        again = [link for link in folder.links if link not in own_links
                 and (folder_text_again(link) or link in applied)]
        if again:
            conn.execute("UPDATE document_groups SET given = false "
                         "WHERE given AND doc_id = ANY(%s)", (again,))
        held = {r[0]: r[1] for r in conn.execute("SELECT doc_id, target FROM document_links")}
        pending = frozenset(
            link for link, target in folder.links.items() if link in sources
            and (held.get(link, "") != target or folder_text_again(link)))
        # A pending link stays recorded with the target whose text the store holds.
        _record_links(conn, {link: held[link] if link in pending else target
                             for link, target in folder.links.items()
                             if link not in pending or link in held})
        hidden = folder.near | folder.nearly_named(_uploaded(conn) if folder.lonely else ())
        _record_hidden(conn, hidden)
        apply_rules(conn, folder, narrowing=pending)
    return PendingLinks(folder, pending)


def settle_links(conn: psycopg.Connection, pending: PendingLinks,
                 unwritten: Collection[str] = ()) -> None:
    """After a sync's writes: its :class:`PendingLinks` recorded with their new targets and
    given their rules' groups (but those of ``unwritten``, the files the sync refused, and
    those still stored from an upload: their text is not the target's)."""
    links = [link for link in pending.links if link not in unwritten]
    if not links:
        return
    with conn.transaction():
        lock_groups(conn)
        written = [r[0] for r in conn.execute(
            "SELECT doc_id FROM documents WHERE source = 'folder' AND doc_id = ANY(%s)",
            (links,))]
        if not written:
            return
        conn.cursor().executemany(
            "INSERT INTO document_links (doc_id, target) VALUES (%s, %s) "
            "ON CONFLICT (doc_id) DO UPDATE SET target = excluded.target",
            [(link, pending.folder.links[link]) for link in written])
        apply_rules(conn, pending.folder, among=written)


def _record_sidecars(conn: psycopg.Connection, applied: dict[str, frozenset[str]],
                     found: dict[str, frozenset[str]]) -> None:
    """``folder_sidecars`` made ``found`` (the folder's ``.groups`` files' groups)."""
    gone = [doc_id for doc_id in applied if doc_id not in found]
    if gone:
        conn.execute("DELETE FROM folder_sidecars WHERE doc_id = ANY(%s)", (gone,))
    moved = [(doc_id, sorted(groups)) for doc_id, groups in found.items()
             if applied.get(doc_id) != groups]
    if moved:
        conn.cursor().executemany(
            "INSERT INTO folder_sidecars (doc_id, groups) VALUES (%s, %s) "
            "ON CONFLICT (doc_id) DO UPDATE SET groups = excluded.groups", moved)


def _record_hidden(conn: psycopg.Connection, hidden: Collection[str]) -> None:
    """``folder_hidden`` made ``hidden`` (the documents misnamed ``.groups`` files hide)."""
    held = {r[0] for r in conn.execute("SELECT doc_id FROM folder_hidden")}
    gone = sorted(held - set(hidden))
    if gone:
        conn.execute("DELETE FROM folder_hidden WHERE doc_id = ANY(%s)", (gone,))
    new = sorted(set(hidden) - held)
    if new:
        conn.cursor().executemany("INSERT INTO folder_hidden (doc_id) VALUES (%s)",
                                  [(doc_id,) for doc_id in new])


def _record_links(conn: psycopg.Connection, links: dict[str, str | None]) -> None:
    """``document_links`` made ``links`` (the folder's, to their targets)."""
    held = {r[0]: r[1] for r in conn.execute("SELECT doc_id, target FROM document_links")}
    gone = [link for link in held if link not in links]
    if gone:
        conn.execute("DELETE FROM document_links WHERE doc_id = ANY(%s)", (gone,))
    moved = [(link, target) for link, target in links.items()
             if link not in held or held[link] != target]
    if moved:
        conn.cursor().executemany(
            "INSERT INTO document_links (doc_id, target) VALUES (%s, %s) "
            "ON CONFLICT (doc_id) DO UPDATE SET target = excluded.target", moved)
