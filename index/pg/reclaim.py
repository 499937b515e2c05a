"""Reclaiming the side rows no stored passage holds: sentence and token vectors.

``sentence_vectors`` and ``token_vectors`` (:mod:`ragqa.index.pg.sentences`,
:mod:`ragqa.index.pg.tokens`) are addressed by content and shared by every passage holding a
sentence or a quote, so deleting or rewriting a document cannot delete its rows: another
passage may hold them. Left alone they grow with every change of every document (62 kB of
token rows a 1,000-character passage). :func:`reclaim` (at the end of every PostgreSQL
``ragqa index``) deletes the rows whose key no stored passage holds, computing the kept keys
in Python exactly as the writers compute them (:func:`~ragqa.index.pg.sentences.sentence_keys`,
:func:`~ragqa.index.pg.tokens.quote_keys`).

Why it is safe beside writers (uploads through any replica, another ``ragqa index``):

* A writer relies on a row before its passage commits: an upload looks up which of its
  sentences and quotes the tables hold before its transaction (the model pass runs outside
  it) and inserts only the others. Every transaction that writes passages
  (:func:`~ragqa.index.pg.writes.replace_document`) therefore holds :data:`SIDE_ROWS_LOCK`
  in shared mode until it commits (:func:`share_side_rows`), and an upload checks under it
  that every row its passages need is stored; a row reclaimed since its look-up fails the
  write (:class:`~ragqa.index.pg.errors.SideRowsGone`), which
  :func:`~ragqa.index.pg.indexing.ingest_document` prepares again (embedding what is gone).
  Shared holders never wait for one another.
* :func:`reclaim` deletes in transactions that each hold the lock exclusively: while one
  runs, no passage commits. Each first reads again the documents whose row changed since the
  keys were computed (every passage write rewrites its document's row, so the row version,
  ``xmin``, says which), adds their keys, and deletes only candidates no stored passage holds
  at that moment. A passage committed before the lock is seen and its rows kept; one
  committed after finds its rows deleted and (an upload) fails and is prepared again, or (a
  bulk write, whose side rows are filled after its commit) is filled in by the pass that
  follows its commit.
* The heavy part (reading every passage, cutting its sentences, hashing them, reading the
  tables' keys: about 11 s for 100,000 passages of 10 sentences on 2 cores) runs before,
  without the lock; each locked transaction deletes at most :data:`DELETE_STEP` rows (about
  60 ms a batch at that size), so writers wait for one short batch at most. The lock is
  tried, not waited for (a waiting exclusive request would queue every new writer behind
  it): while writes keep it for :data:`LOCK_WAIT_S`, the reclaim stops with a warning and
  the next run goes on. A reclaim killed half-way deleted whole batches of rows nobody holds
  and nothing else.

The view reads side rows by key and never by passage, so a search that reads a passage
replaced meanwhile may find its rows gone: it embeds them at query time, as for any
passage without rows. No generation is bumped: no stored passage loses a row.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import psycopg

from ragqa.index.pg.sentences import sentence_keys, signed
from ragqa.index.pg.tokens import quote_keys

logger = logging.getLogger(__name__)

# Key of the advisory lock passage writers hold shared and a reclaim exclusively ("ragqside").
SIDE_ROWS_LOCK = 0x72616771_73696465
# Rows deleted per locked transaction, by table: a batch of token rows frees ~60 MB.
DELETE_STEP = {"sentence_vectors": 20_000, "token_vectors": 1_000}
# Seconds a batch tries to take the lock while writes in flight hold it, and between tries.
LOCK_WAIT_S = 60.0
LOCK_POLL_S = 0.02

# Every document's text and passage offsets, with its row's version; one statement, one
# snapshot. A document without passages has none to keep.
_DOCUMENTS = """SELECT d.doc_id, d.xmin::text, d.text, p.starts, p.ends FROM documents d
CROSS JOIN LATERAL (
    SELECT array_agg(start_offset ORDER BY ordinal) AS starts,
           array_agg(end_offset ORDER BY ordinal) AS ends
    FROM passages WHERE passages.doc_id = d.doc_id
) p"""
_VERSIONS = "SELECT doc_id, xmin::text FROM documents"
# The value column of each side table, for the bytes a deletion frees.
_TABLES = {"sentence_vectors": "embedding", "token_vectors": "tokens"}


@dataclass(frozen=True)
class Reclaimed:
    """What :func:`reclaim` deleted: rows of each table, the bytes of their vectors, how
    long it took, and whether it went through (not stopped by writes holding the lock)."""

    sentences: int = 0
    tokens: int = 0
    bytes: int = 0
    seconds: float = 0.0
    complete: bool = True

    @property
    def rows(self) -> int:
        return self.sentences + self.tokens

    def describe(self) -> str:
        """For a person: ``12 sentence rows and 3 token rows (196.3 kB)``."""
        size = next((f"{self.bytes / scale:.1f} {unit}" for scale, unit in
                     ((1e9, "GB"), (1e6, "MB")) if self.bytes >= scale),
                    f"{self.bytes / 1e3:.1f} kB")
        return f"{self.sentences} sentence rows and {self.tokens} token rows ({size})"


def share_side_rows(conn: psycopg.Connection) -> None:
    """Hold :data:`SIDE_ROWS_LOCK` shared until the current transaction ends: no reclaim
    deletes a row while this transaction writes passages, nor before it commits."""
    conn.execute("SELECT pg_advisory_xact_lock_shared(%s)", (SIDE_ROWS_LOCK,))


def reclaim(conn: psycopg.Connection, *, wait: float | None = None) -> Reclaimed:
    """Delete every row of ``sentence_vectors`` and ``token_vectors`` that no stored
    passage holds (see the module's docstring for why concurrent writers lose none).

    ``conn`` must not be inside a transaction (:func:`ragqa.index.pg.connect.connect`):
    each batch commits on its own. A batch that cannot take the lock within ``wait``
    seconds (:data:`LOCK_WAIT_S`) stops the reclaim (``complete=False``, a warning).
    """
    started = time.perf_counter()
    wait = LOCK_WAIT_S if wait is None else wait
    orphans = _Orphans(conn)
    deleted = {table: 0 for table in _TABLES}
    freed = 0
    complete = True
    for table in _TABLES:
        step = DELETE_STEP[table]
        while complete and len(orphans.candidates[table]):
            with conn.transaction():
                complete = _lock_exclusively(conn, wait)
                if not complete:
                    break
                orphans.refresh(conn)
                batch = orphans.take(table, step)
                if len(batch):
                    rows, size = _delete(conn, table, batch)
                    deleted[table] += rows
                    freed += size
    done = Reclaimed(sentences=deleted["sentence_vectors"], tokens=deleted["token_vectors"],
                     bytes=freed, seconds=time.perf_counter() - started, complete=complete)
    if not complete:
        logger.warning("stopped reclaiming the rows no stored passage holds after %s: writes "
                       "held the lock for %.0f s (the next `ragqa index` goes on)",
                       done.describe(), wait)
    elif done.rows:
        logger.info("reclaimed %s no stored passage holds (%.1f s)", done.describe(),
                    done.seconds)
    else:
        logger.debug("no side row to reclaim (%.1f s)", done.seconds)
    return done


def kept_keys(text: str, spans: Sequence[tuple[int, int]]) -> dict[str, np.ndarray]:
    """The side rows (by table, as the tables' bigint) that the passages ``spans`` of a
    document of ``text`` hold: each quote's tokens, each sentence of each quote."""
    quotes = [text[a:b] for a, b in spans]
    return {"sentence_vectors": signed(sentence_keys(quotes)),
            "token_vectors": signed(quote_keys(quotes))}


class _Orphans:
    """The rows of each table no stored passage held when last looked, and the version of
    each document they were computed from (to read again only those that changed)."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.versions: dict[str, str] = {}
        kept = self._read(conn, None)
        self.candidates = {table: np.setdiff1d(_table_keys(conn, table), kept[table])
                           for table in _TABLES}
        if any(len(c) for c in self.candidates.values()):
            logger.debug("%d sentence rows and %d token rows to reclaim, checked again "
                         "under the lock", len(self.candidates["sentence_vectors"]),
                         len(self.candidates["token_vectors"]))

    def refresh(self, conn: psycopg.Connection) -> None:
        """Keep the candidates that passages written since hold (the caller holds the lock
        exclusively: no passage commits until it ends)."""
        now = dict(conn.execute(_VERSIONS).fetchall())
        changed = sorted(d for d, version in now.items() if self.versions.get(d) != version)
        self.versions = {d: v for d, v in self.versions.items() if d in now}
        if not changed:
            return
        kept = self._read(conn, changed)
        for table, keys in kept.items():
            held = self.candidates[table]
            self.candidates[table] = held[~np.isin(held, keys)]

    def take(self, table: str, count: int) -> np.ndarray:
        """The next ``count`` candidates of ``table`` (ascending), no longer candidates."""
        batch, self.candidates[table] = (self.candidates[table][:count],
                                         self.candidates[table][count:])
        return batch

    def _read(self, conn: psycopg.Connection, doc_ids: list[str] | None) -> dict[str, np.ndarray]:
        """The keys the passages of ``doc_ids`` (all documents: None) hold, by table,
        sorted and distinct; records the versions read."""
        parts: dict[str, list[np.ndarray]] = {table: [] for table in _TABLES}
        query, params = ((_DOCUMENTS, None) if doc_ids is None
                         else (_DOCUMENTS + " WHERE d.doc_id = ANY(%s)", (doc_ids,)))
        with conn.cursor() as cur:
            for doc_id, version, text, starts, ends in cur.stream(query, params):
                self.versions[doc_id] = version
                if starts:
                    for table, keys in kept_keys(text, list(zip(starts, ends))).items():
                        parts[table].append(keys)
        return {table: np.unique(np.concatenate(found)) if found
                else np.zeros(0, dtype=np.int64) for table, found in parts.items()}


def _lock_exclusively(conn: psycopg.Connection, wait: float) -> bool:
    """Take :data:`SIDE_ROWS_LOCK` exclusively for the current transaction, trying every
    :data:`LOCK_POLL_S` for ``wait`` seconds; whether it was taken. Never queued: writers
    that come meanwhile take it shared at once instead of waiting behind this request."""
    deadline = time.monotonic() + wait
    while True:
        row = conn.execute("SELECT pg_try_advisory_xact_lock(%s)", (SIDE_ROWS_LOCK,)).fetchone()
        if row and row[0]:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(LOCK_POLL_S)


def _table_keys(conn: psycopg.Connection, table: str) -> np.ndarray:
    """Every key of ``table``, sorted (``COPY``: a million keys in well under a second)."""
    blocks: list[bytes] = []
    with conn.cursor() as cur:
        with cur.copy(f"COPY (SELECT key FROM {table} ORDER BY key) TO STDOUT") as copy:
            blocks.extend(bytes(block) for block in copy)
    return np.array(b"".join(blocks).split(), dtype=np.int64)


def _delete(conn: psycopg.Connection, table: str, keys: np.ndarray) -> tuple[int, int]:
    """Delete the rows of ``keys`` from ``table``; how many went and their vectors' bytes
    (``octet_length`` of an out-of-line value reads its pointer, not the value)."""
    row = conn.execute(
        f"WITH gone AS (DELETE FROM {table} WHERE key = ANY(%s::bigint[]) "
        f"RETURNING octet_length({_TABLES[table]}) AS size) "
        "SELECT count(*), coalesce(sum(size), 0) FROM gone",
        (keys.tolist(),)).fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)
