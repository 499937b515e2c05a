"""What a process's PostgreSQL folder syncs learnt of the corpus folder, kept in the
database (``sync_memo``, schema version 7) so that the next process's first sync (every
``ragqa index``, a server's start) costs what changed too, as later ones do.

One row per corpus folder (its absolute path, links not followed:
:func:`~ragqa.index.origin.folder_path`), holding the parts of a
:class:`~ragqa.index.pg.sync_memo.SyncMemo` that are functions of the files or of a stored
row's version, never a record of what the database holds:

* the files' stat stamps and hashes, and their title sidecars'
  (:class:`~ragqa.index.documents.folder.StampCache`: a file whose stat moved is read;
  git's racy-file rule: a file changed within :data:`~ragqa.index.documents.folder.RACY_NS`
  of the read that hashed it was never kept);
* the plan memo (:class:`~ragqa.index.files.planning.PlanMemo`: each file's part of the
  corpus context and its cut's digest, by its hash, title and the context);
* which documents were found holding their sentence and token rows, by their row's version
  (:class:`~ragqa.index.pg.side_fill.FilledRows`);
* a digest of the stored documents' row versions before the last reclaim that went through
  (:func:`~ragqa.index.pg.versions.versions_digest`): while it is the digest of the
  versions now, no passage let go of a side row, and the reclaim is skipped. (A fill of
  another process racing a rewrite may leave rows no passage holds: they stay until the
  next document write makes a reclaim run; nothing a passage holds is ever skipped.)

The files store's encodings of the first two are reused (the files store's
``sync-state.json`` holds the same). The stored documents' layouts are not kept: they are
read from the database with their cut's digest (:mod:`ragqa.index.pg.layouts`). The row's
``key`` says what it is valid for (:func:`memo_key`: this format, the folder, the settings
that decide how documents are cut, the code and libraries that cut them, the model): a row
of another key, or one that cannot be read, is set aside with a line in the log and the
sync reads the whole folder. Saved after a sync when it moved, in one statement; two
processes syncing at once each write a whole row (the last one stays), and whichever row
stays is checked entry by entry by the next process, as its own memory would be.
"""

from __future__ import annotations

import hashlib
import json
import logging
import zlib
from dataclasses import dataclass
from pathlib import Path

import psycopg

from ragqa.index.config import IndexConfig
from ragqa.index.documents.folder import StampCache
from ragqa.index.files.planning import PlanMemo
from ragqa.index.files.sync_state import state_key
from ragqa.index.origin import folder_path
from ragqa.index.pg.side_fill import FilledRows

logger = logging.getLogger(__name__)

VERSION = 1  # bumped whenever what is saved changes meaning


@dataclass
class Saved:
    """A memo as read from its row (the plan memo is filled into the caller's)."""

    stamps: StampCache
    filled: FilledRows
    reclaimed: str | None
    row: bytes  # as read (its digest says whether a sync moved it)


def memo_key(corpus_dir: Path, config: IndexConfig, contextual: bool, model: str) -> str:
    """What a saved memo is valid for (see the module)."""
    text = json.dumps([VERSION, state_key(corpus_dir, config, contextual), model])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_memo(conn: psycopg.Connection, corpus_dir: Path, key: str,
              plans: PlanMemo) -> Saved | None:
    """The memo saved for ``corpus_dir`` under ``key`` (``plans`` filled from it), or None,
    said in the log, when none can be trusted."""
    folder = folder_path(corpus_dir)
    row = conn.execute("SELECT key, memo FROM sync_memo WHERE folder = %s",
                       (folder,)).fetchone()
    if row is None:
        logger.info("no sync memo saved in the database for %s yet; this sync reads the "
                    "whole corpus folder", folder)
        return None
    try:
        if row[0] != key:
            raise ValueError("saved under other settings, another model or another version")
        data = json.loads(zlib.decompress(row[1]))
        if not isinstance(data, dict):
            raise ValueError("not a memo")
        stamps = StampCache.from_json(data["stamps"])
        filled = FilledRows.from_json(data["filled"])
        reclaimed = data["reclaimed"]
        if not isinstance(reclaimed, str | None):
            raise ValueError("a malformed reclaim digest")
        plans.load_json(data["memo"])
    except (zlib.error, ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        plans.load_json({})
        logger.info("the sync memo saved in the database for %s is set aside (%s); this "
                    "sync reads the whole corpus folder", folder, exc)
        return None
    return Saved(stamps, filled, reclaimed, bytes(row[1]))


def encode_memo(stamps: StampCache, plans: PlanMemo, filled: FilledRows,
                reclaimed: str | None) -> bytes:
    """The memo's row (compressed JSON); the stamps and the plan memo encoded again only
    where they moved."""
    text = ('{"stamps":' + stamps.encoded() + ',"memo":' + plans.encoded() + ',"filled":'
            + json.dumps(filled.to_json(), ensure_ascii=False, separators=(",", ":"))
            + ',"reclaimed":' + json.dumps(reclaimed) + "}")
    return zlib.compress(text.encode("utf-8"), 1)


def save_memo(conn: psycopg.Connection, corpus_dir: Path, key: str, memo: bytes) -> bool:
    """Save ``memo`` (:func:`encode_memo`) for ``corpus_dir`` under ``key``, in place of
    what was saved for it (by any process); whether it was (a failure is said in the log:
    the sync it ends went through, and the next process checks what was saved before)."""
    try:
        conn.execute(
            "INSERT INTO sync_memo (folder, key, memo) VALUES (%s, %s, %s) ON CONFLICT "
            "(folder) DO UPDATE SET key = excluded.key, memo = excluded.memo, "
            "saved_at = now()", (folder_path(corpus_dir), key, memo))
    except psycopg.Error as exc:
        logger.warning("the sync memo of %s cannot be saved in the database (%s); the next "
                       "process's first sync checks what was saved before, if anything",
                       folder_path(corpus_dir), " ".join(str(exc).split()))
        return False
    return True


def forget_memo(conn: psycopg.Connection, corpus_dir: Path) -> None:
    """Delete the memo saved for ``corpus_dir`` (found stale: no process trusts it again)."""
    conn.execute("DELETE FROM sync_memo WHERE folder = %s", (folder_path(corpus_dir),))
