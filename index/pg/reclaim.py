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
  :func:`~ragqa.index.pg.writes.replace_upload` prepares again (embedding what is gone),
  this time holding the lock shared from before its look-up until its commit
  (:func:`side_rows_held`): no reclaim batch runs in between, so the second try cannot lose
  a row. Shared holders never wait for one another.
* :func:`reclaim` deletes in transactions that each hold the lock exclusively: while one
  runs, no passage can be written. Each first reads again the documents whose row changed
  since the keys were computed (every passage write rewrites its document's row, so the row
  version, ``xmin``, says which), adds their keys, and deletes only candidates no stored
  passage holds at that moment. A passage committed before the lock is seen and its rows
  kept; one written after finds its rows deleted and (an upload) fails and is prepared
  again, or (a bulk write, whose side rows are filled after its commit) is filled in by the
  pass that follows its commit (token rows only while the store wants them:
  :func:`~ragqa.index.pg.tokens.wanted_for`, with ``auto`` up to 10,000 passages).
* The heavy part (reading every document, 1,000 a statement, cutting its passages'
  sentences, hashing them, reading the tables' keys: about 16 s for 100,000 passages of 10
  sentences on 2 shared cores, whether or not anything goes (``eval/pg_reclaim.py``); a process's later reclaims, with the
  keys it cut before (:class:`KeptKeys`: a server's syncs), cut only the documents written
  since, by their row's version) runs before, without the lock; before
  each batch the documents changed since are read again, still without it, so a locked
  transaction reads the documents' versions, the few documents written in the moment since,
  and deletes at most :data:`DELETE_STEP` rows: its hold grows with the number of documents
  and with what was written in that moment, not with what was written during the scan. The
  lock is tried, not waited for (a waiting exclusive request would queue every new writer
  behind it): while writes keep it for :data:`LOCK_WAIT_S`, the reclaim stops with a
  warning and the next run goes on; so it does (and the run it ends goes through) when the
  database fails it. A reclaim killed half-way deleted whole batches of rows nobody holds
  and nothing else. When both tables are empty it returns at once.

The view reads side rows by key and never by passage, so a search that reads a passage
replaced meanwhile may find its rows gone: it embeds them at query time, as for any
passage without rows. No generation is bumped: no stored passage loses a row.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass

import numpy as np
import psycopg

from ragqa.index.pg.sentences import sentence_keys, signed
from ragqa.index.pg import versions as row_versions
from ragqa.index.pg.tokens import quote_keys

logger = logging.getLogger(__name__)

# Key of the advisory lock passage writers hold shared and a reclaim exclusively ("ragqside").
SIDE_ROWS_LOCK = 0x72616771_73696465
# Rows deleted per locked transaction, by table: a batch of token rows frees ~60 MB.
DELETE_STEP = {"sentence_vectors": 20_000, "token_vectors": 1_000}
# Seconds a batch tries to take the lock while writes in flight hold it, and between tries.
LOCK_WAIT_S = 60.0
LOCK_POLL_S = 0.02

# Documents read a statement (see :data:`ragqa.index.pg.versions.READ_STEP`).
READ_STEP = row_versions.READ_STEP

_ANY_ROW = ("SELECT EXISTS (SELECT 1 FROM sentence_vectors) "
            "OR EXISTS (SELECT 1 FROM token_vectors)")
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


@contextmanager
def side_rows_held(conn: psycopg.Connection) -> Iterator[None]:
    """Hold :data:`SIDE_ROWS_LOCK` shared until the block ends, across its transactions
    (session level): no reclaim batch deletes a row between a look-up of the stored rows
    and the commit of the write relying on it. ``conn`` must not be inside a transaction:
    the lock and the unlock each run in their own, so the block's writes open theirs as
    usual (not savepoints of one left open). A reclaim waits meanwhile (it tries the lock)."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_lock_shared(%s)", (SIDE_ROWS_LOCK,))
    try:
        yield
    finally:
        if not conn.closed:  # a connection lost has released it with its session
            with conn.transaction():
                conn.execute("SELECT pg_advisory_unlock_shared(%s)", (SIDE_ROWS_LOCK,))


def reclaim(conn: psycopg.Connection, *, wait: float | None = None,
            memo: KeptKeys | None = None) -> Reclaimed:
    """Delete every row of ``sentence_vectors`` and ``token_vectors`` that no stored
    passage holds (see the module's docstring for why concurrent writers lose none).
    ``memo``: the documents' keys a previous reclaim of this process cut (kept up to date
    here; None: every document is cut).

    ``conn`` must not be inside a transaction (:func:`ragqa.index.pg.connect.connect`):
    each batch commits on its own. A batch that cannot take the lock within ``wait``
    seconds (:data:`LOCK_WAIT_S`) stops the reclaim (``complete=False``, a warning); so
    does an error of the database (the batches committed before it stay done, and the
    connection is left outside any transaction, usable).
    """
    started = time.perf_counter()
    wait = LOCK_WAIT_S if wait is None else wait
    deleted = {table: 0 for table in _TABLES}
    freed = 0
    complete = True
    failure: psycopg.Error | None = None
    try:
        row = conn.execute(_ANY_ROW).fetchone()
        if not (row and row[0]):  # nothing stored, nothing to reclaim: no scan
            logger.debug("no side row stored: nothing to reclaim")
            return Reclaimed(seconds=time.perf_counter() - started)
        orphans = _Orphans(conn, memo if memo is not None else KeptKeys())
        for table in _TABLES:
            step = DELETE_STEP[table]
            while complete and len(orphans.candidates[table]):
                # Unlocked, what changed since the scan (or the last batch); locked, only
                # what changed in the moment since: the lock's hold stays short.
                orphans.refresh(conn)
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
    except psycopg.Error as exc:
        failure, complete = exc, False
        _leave_transaction(conn)
    done = Reclaimed(sentences=deleted["sentence_vectors"], tokens=deleted["token_vectors"],
                     bytes=freed, seconds=time.perf_counter() - started, complete=complete)
    if failure is not None:
        reason = " ".join(str(failure).split()) or type(failure).__name__
        logger.warning("stopped reclaiming the rows no stored passage holds after %s: the "
                       "database failed it (%s; the next `ragqa index` goes on)",
                       done.describe(), reason)
    elif not complete:
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


class KeptKeys:
    """The side-row keys each stored document's passages hold, by the version of the
    document's row they were cut from: what the reclaims of one process share (a server's
    folder syncs), so that a reclaim cuts and hashes only the documents written since the
    last one (the first, every document). One reclaim at a time uses it (a store's syncs
    run one after another)."""

    def __init__(self) -> None:
        self._docs: dict[str, tuple[str, dict[str, np.ndarray]]] = {}

    def stale(self, versions: dict[str, str]) -> list[str]:
        """Of the documents ``versions`` names (each with its row's version now), those
        whose keys are not known at that version; forgets the documents it does not name."""
        for doc_id in self._docs.keys() - versions.keys():
            del self._docs[doc_id]
        return sorted(d for d, version in versions.items() if self.version(d) != version)

    def version(self, doc_id: str) -> str | None:
        known = self._docs.get(doc_id)
        return known[0] if known is not None else None

    def read(self, conn: psycopg.Connection, doc_ids: list[str]) -> dict[str, np.ndarray]:
        """Cut and hash the passages of ``doc_ids`` as stored now (:data:`READ_STEP`
        documents a statement, each with its version), remember them; their keys by table,
        sorted and distinct (a document deleted meanwhile has none)."""
        parts: dict[str, list[np.ndarray]] = {table: [] for table in _TABLES}
        found_now = row_versions.read_documents(conn, doc_ids, READ_STEP)
        for doc_id, version, text, spans in found_now:
            keys = (kept_keys(text, spans) if spans
                    else {table: np.zeros(0, dtype=np.int64) for table in _TABLES})
            self._docs[doc_id] = (version, keys)
            for table, found in keys.items():
                parts[table].append(found)
        return _distinct(parts)

    def every(self) -> dict[str, np.ndarray]:
        """The keys of every document remembered, by table, sorted and distinct."""
        return _distinct({table: [keys[table] for _, keys in self._docs.values()]
                          for table in _TABLES})


def _distinct(parts: dict[str, list[np.ndarray]]) -> dict[str, np.ndarray]:
    return {table: np.unique(np.concatenate(found)) if found else np.zeros(0, dtype=np.int64)
            for table, found in parts.items()}


class _Orphans:
    """The rows of each table no stored passage held when last looked (the documents' keys
    in ``memo``, at the versions it remembers: a refresh reads again only those that
    changed)."""

    def __init__(self, conn: psycopg.Connection, memo: KeptKeys) -> None:
        self.memo = memo
        memo.read(conn, memo.stale(row_versions.versions(conn)))
        kept = memo.every()
        # (both distinct, the table's keys sorted: the candidates stay sorted, and the
        # difference of a million keys takes milliseconds instead of a second)
        self.candidates = {table: np.setdiff1d(_table_keys(conn, table), kept[table],
                                               assume_unique=True) for table in _TABLES}
        if any(len(c) for c in self.candidates.values()):
            logger.debug("%d sentence rows and %d token rows to reclaim, checked again "
                         "under the lock", len(self.candidates["sentence_vectors"]),
                         len(self.candidates["token_vectors"]))

    def refresh(self, conn: psycopg.Connection) -> None:
        """Keep the candidates that passages written since the last look hold. Under the
        lock held exclusively (no passage can be written until it ends) what is left is
        held by no stored passage; without it, this only shortens the locked one."""
        changed = self.memo.stale(row_versions.versions(conn))
        if not changed:
            return
        for table, keys in self.memo.read(conn, changed).items():
            held = self.candidates[table]
            self.candidates[table] = held[~np.isin(held, keys)]

    def take(self, table: str, count: int) -> np.ndarray:
        """The next ``count`` candidates of ``table`` (ascending), no longer candidates."""
        batch, self.candidates[table] = (self.candidates[table][:count],
                                         self.candidates[table][count:])
        return batch


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


def _leave_transaction(conn: psycopg.Connection) -> None:
    """After an error: the connection out of any transaction (autocommit leaves none; a
    caller's, against the contract, is rolled back), unless it was lost."""
    if not conn.closed and conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        with suppress(psycopg.Error):  # lost meanwhile: its next use says so
            conn.rollback()


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
