"""The corpus folder a PostgreSQL store was last synced with (``corpus_folder``, schema
version 6): a folder sync of the default ``./corpus`` run from somewhere else is refused
instead of removing the database's documents (see :mod:`ragqa.index.origin`).

Only the absolute path is kept: a database has no folder of its own for a relative one.
Replicas on other machines may not have the noted folder at all; a noted folder that does not
exist where the command runs is not held against it.
"""

from __future__ import annotations

import os
from pathlib import Path

import psycopg

from ragqa.index.origin import folder_path, other_folder


def recorded_folder(conn: psycopg.Connection) -> str | None:
    """The folder of the database's last folder sync (None before the first)."""
    row = conn.execute("SELECT path FROM corpus_folder").fetchone()
    return row[0] if row else None


def record_folder(conn: psycopg.Connection, corpus_dir: Path) -> None:
    """Note ``corpus_dir`` as the folder the database now holds (after a sync)."""
    conn.execute(
        "INSERT INTO corpus_folder (path) VALUES (%s) ON CONFLICT (singleton) DO UPDATE "
        "SET path = excluded.path, synced_at = now() WHERE corpus_folder.path <> excluded.path",
        (folder_path(corpus_dir),))


def check_default_folder(conn: psycopg.Connection, corpus_dir: Path, database: str) -> None:
    """Refuse (:class:`~ragqa.index.errors.ConfigError`) to sync the database (named
    ``database`` in the message) with the default ``corpus_dir`` when its last sync was of
    another folder that exists here."""
    recorded = recorded_folder(conn)
    if recorded is None or recorded == folder_path(corpus_dir) or not os.path.isdir(recorded):
        return
    raise other_folder("database", database, recorded, corpus_dir)
