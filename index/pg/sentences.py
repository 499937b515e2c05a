"""Sentence vectors in the PostgreSQL store: the ``sentence_vectors`` table (schema 4).

The highlight and the relevance signal compare the question with single sentences of the
passages a search returns. As in the files store, the passage-side vector of every sentence
of every stored passage is made when the passage is written, so that a search reads them
with one lookup instead of a model pass.

A row is addressed by content: its key is a digest of the sentence's text alone
(:func:`~ragqa.index.sentencetable.text_keys`, uint64, stored as the bigint of the same
bits), its vector float16 bytes. Rows are shared by every passage (of any document) holding
the sentence, so writers insert with ``ON CONFLICT DO NOTHING`` (replicas and concurrent
writers are safe) and deleting a passage cannot delete its rows. A row no passage holds any
more is harmless (a lookup nobody makes) but costs its bytes: the end of every ``ragqa
index`` reclaims such rows (:mod:`ragqa.index.pg.reclaim`), keeping those of
:func:`sentence_keys` of every stored passage.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

import numpy as np
import psycopg

from ragqa.index.records import Progress
from ragqa.index.sentencetable import SENTENCE_STEP, SentenceTable, sentence_texts, text_keys

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Keys per lookup statement, rows per insert statement.
LOOKUP_STEP = 10_000
INSERT_STEP = 2_000
# Float16, little-endian: what a row's bytes hold (the files store's precision).
STORED = np.dtype("<f2")
# Normalised passage-side vectors of texts (the embedder's ``encode_passages``).
EmbedTexts = Callable[[list[str]], np.ndarray]

_HELD = "SELECT key FROM sentence_vectors WHERE key = ANY(%s::bigint[])"
_READ = "SELECT key, embedding FROM sentence_vectors WHERE key = ANY(%s::bigint[])"
_INSERT = ("INSERT INTO sentence_vectors (key, embedding) "
           "SELECT * FROM unnest(%s::bigint[], %s::bytea[]) ON CONFLICT (key) DO NOTHING")


def signed(keys: np.ndarray) -> np.ndarray:
    """uint64 keys as the table's bigint: the same 64 bits read as signed."""
    return np.ascontiguousarray(keys, dtype=np.uint64).view(np.int64)


def held(conn: psycopg.Connection, keys: np.ndarray, statement: str = _HELD) -> np.ndarray:
    """Whether the table holds each of ``keys`` (uint64), one statement per
    :data:`LOOKUP_STEP` keys (``statement``: the lookup of another table addressed the same
    way, the passages' token vectors)."""
    wanted = signed(keys)
    found: set[int] = set()
    distinct = np.unique(wanted).tolist()
    for begin in range(0, len(distinct), LOOKUP_STEP):
        rows = conn.execute(statement, (distinct[begin : begin + LOOKUP_STEP],)).fetchall()
        found.update(int(r[0]) for r in rows)
    return np.fromiter((k in found for k in wanted.tolist()), dtype=bool, count=len(wanted))


def sentence_keys(quotes: Iterable[str]) -> np.ndarray:
    """The keys (uint64) of every sentence of ``quotes``, repeats kept: the rows their
    passages need, cut as the writers cut them (:func:`new_sentences`)."""
    return text_keys([text for quote in quotes for text in sentence_texts(quote)])


def read_vectors(conn: psycopg.Connection, texts: Sequence[str],
                 dimension: int) -> tuple[np.ndarray, np.ndarray]:
    """``(found, vectors)`` of ``texts`` in one statement: whether the table holds each,
    and their float32 vectors (rows of zeros where not)."""
    found = np.zeros(len(texts), dtype=bool)
    vectors = np.zeros((len(texts), dimension), dtype=np.float32)
    if not texts:
        return found, vectors
    wanted = signed(text_keys(texts)).tolist()
    rows = conn.execute(_READ, (sorted(set(wanted)),), binary=True).fetchall()
    by_key = {int(key): bytes(data) for key, data in rows}
    for i, key in enumerate(wanted):
        data = by_key.get(key)
        if data is not None:
            vectors[i] = np.frombuffer(data, dtype=STORED)
            found[i] = True
    return found, vectors


def insert(conn: psycopg.Connection, table: SentenceTable) -> int:
    """Insert ``table``'s rows the table lacks (in the caller's transaction, if any); how
    many were new. Rows go in ascending key order: two writers inserting the same new keys
    then wait for one another instead of deadlocking."""
    if not len(table):
        return 0
    keys = signed(table.keys)
    order = np.argsort(keys, kind="stable")
    data = np.ascontiguousarray(table.vectors, dtype=STORED)
    inserted = 0
    for begin in range(0, len(order), INSERT_STEP):
        rows = order[begin : begin + INSERT_STEP]
        cursor = conn.execute(_INSERT, (keys[rows].tolist(), [data[i].tobytes() for i in rows]))
        inserted += max(cursor.rowcount, 0)
    return inserted


def new_sentences(conn: psycopg.Connection, quotes: Iterable[str]) -> list[str]:
    """The distinct sentences of ``quotes`` the table does not hold, shortest first (less
    padding per batch), looked up :data:`LOOKUP_STEP` at a time."""
    missing: dict[str, None] = {}
    pending: dict[str, None] = {}

    def look_up() -> None:
        texts = list(pending)
        for text, known in zip(texts, held(conn, text_keys(texts))):
            if not known:
                missing[text] = None
        pending.clear()

    for quote in quotes:
        for text in sentence_texts(quote):
            if text not in missing:
                pending[text] = None
        if len(pending) >= LOOKUP_STEP:
            look_up()
    if pending:
        look_up()
    return sorted(missing, key=len)


def embed_table(texts: Sequence[str], encode: EmbedTexts) -> SentenceTable:
    """The rows of ``texts`` (distinct, at least one), embedded with ``encode`` in one
    call."""
    vectors = np.asarray(encode(list(texts)), dtype=np.float32)
    return SentenceTable(text_keys(texts), vectors.astype(STORED))


def fill(conn: psycopg.Connection, quotes: Iterable[str], encode: EmbedTexts,
         progress: Progress | None = None) -> int:
    """Store the vector of every sentence of ``quotes`` the table lacks; how many were
    embedded (:func:`in_batches` of :data:`SENTENCE_STEP`)."""
    texts = new_sentences(conn, quotes)
    if texts:
        logger.info("embedding %d new sentences", len(texts))
        in_batches(conn, texts, SENTENCE_STEP, lambda batch: embed_table(batch, encode),
                   lambda table: insert(conn, table), progress, "sentences")
    return len(texts)


def in_batches(conn: psycopg.Connection, texts: Sequence[str], step: int,
               make: Callable[[Sequence[str]], T], write: Callable[[T], object],
               progress: Progress | None, unit: str) -> None:
    """``write(make(batch))`` for each ``step`` of ``texts``: made by the model outside any
    transaction, written in one of its own (``conn`` is in autocommit), so a run killed
    half-way keeps what it wrote and the next one goes on; ``progress`` told in ``unit``."""
    if progress is not None:
        progress(0, len(texts), unit=unit)
    for begin in range(0, len(texts), step):
        batch = texts[begin : begin + step]
        made = make(batch)
        with conn.transaction():
            write(made)
        if progress is not None:
            progress(begin + len(batch), len(texts), unit=unit)
