"""Passages' token vectors in the PostgreSQL store: the ``token_vectors`` table (schema 5).

The relevance signal's token match, and the reorder of a search's top passages, compare
each token of the question with the tokens of a passage as the model reads it alone
(:mod:`ragqa.index.files.tokens`). Without them stored, each never-seen top passage costs a
model pass at query time (about 40 ms on 2 cores), and the reorder falls back to its fit
without the token match. As in the files store, they are made when a passage is written,
under the same setting (``token_vectors``: ``auto`` makes them while the store holds at
most :data:`~ragqa.index.tokenrows.AUTO_LIMIT` passages, for a model whose relevance
uses the token match).

A row is addressed by content, like a sentence's (:mod:`ragqa.index.pg.sentences`): its key
is a digest of the passage's quote, its bytes the int8 rows of the quote's tokens, one row
of ``dimension`` bytes a token (the files store's rows; their scales are not kept: a row's
one scale cancels when the row is normalised, :func:`~ragqa.index.tokenrows.normalised`).
Rows are shared by every passage of that text, inserted with ``ON CONFLICT DO NOTHING``
(replicas and concurrent writers are safe), so deleting a passage cannot delete its row. A
row no passage holds any more is a lookup nobody makes but costs its bytes (about 62 kB a
1,000-character passage): the end of every ``ragqa index`` reclaims such rows
(:mod:`ragqa.index.pg.reclaim`), keeping the :func:`quote_keys` of every stored passage.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence

import numpy as np
import psycopg

from ragqa.index.pg.sentences import held, in_batches, signed
from ragqa.index.records import PROGRESS_STEP, Progress
from ragqa.index.sentencetable import text_keys
from ragqa.index.tokenrows import normalised, quantise
from ragqa.index.tokenrows import wanted as tokens_wanted

logger = logging.getLogger(__name__)

# Token vectors of each of a list of passage quotes (the embedder's
# ``passage_token_vectors``: float rows, normalised).
EncodeTokens = Callable[[Sequence[str]], list[np.ndarray]]

# Rows per insert statement (about 64 kB each).
INSERT_STEP = 64

_HELD = "SELECT key FROM token_vectors WHERE key = ANY(%s::bigint[])"
_READ = "SELECT key, tokens FROM token_vectors WHERE key = ANY(%s::bigint[])"
_INSERT = ("INSERT INTO token_vectors (key, tokens) "
           "SELECT * FROM unnest(%s::bigint[], %s::bytea[]) ON CONFLICT (key) DO NOTHING")


def quote_keys(quotes: Sequence[str]) -> np.ndarray:
    """The key (uint64) of each passage quote: its row's."""
    return text_keys(quotes)


def held_quotes(conn: psycopg.Connection, quotes: Sequence[str]) -> np.ndarray:
    """Whether the table holds the row of each of ``quotes``."""
    return held(conn, quote_keys(quotes), _HELD)


def read_tokens(conn: psycopg.Connection, quotes: Sequence[str],
                dimension: int) -> list[np.ndarray | None]:
    """The normalised float32 token vectors of each passage of ``quotes``, read in one
    statement; None for a quote the table does not hold."""
    if not quotes:
        return []
    wanted = signed(text_keys(quotes)).tolist()
    rows = conn.execute(_READ, (sorted(set(wanted)),), binary=True).fetchall()
    by_key = {int(key): bytes(data) for key, data in rows}
    return [None if (data := by_key.get(key)) is None
            else normalised(np.frombuffer(data, dtype=np.int8).reshape(-1, dimension))
            for key in wanted]


def stored_quotes(conn: psycopg.Connection) -> Iterator[str]:
    """The quote of every stored passage (uploads' too), document by document."""
    rows = conn.execute("SELECT d.text, array_agg(p.start_offset ORDER BY p.ordinal), "
                        "array_agg(p.end_offset ORDER BY p.ordinal) FROM documents d "
                        "JOIN passages p USING (doc_id) GROUP BY d.doc_id, d.text")
    for text, starts, ends in rows:
        yield from (text[a:b] for a, b in zip(starts, ends))


def new_quotes(conn: psycopg.Connection, quotes: Iterable[str]) -> list[str]:
    """The distinct ``quotes`` whose token vectors the table lacks, in their order."""
    texts = list(dict.fromkeys(quotes))
    if not texts:
        return []
    known = held_quotes(conn, texts)
    return [text for text, there in zip(texts, known.tolist()) if not there]


def rows_of(quotes: Sequence[str], encode: EncodeTokens) -> tuple[list[int], list[bytes]]:
    """The table rows of ``quotes`` (distinct): their keys (as the table's bigint) and the
    int8 bytes of their token vectors, made with ``encode``."""
    keys = signed(text_keys(quotes)).tolist()
    return keys, [quantise(vectors)[0].tobytes() for vectors in encode(list(quotes))]


def insert(conn: psycopg.Connection, rows: tuple[list[int], list[bytes]]) -> int:
    """Insert ``rows`` (:func:`rows_of`) the table lacks, in ascending key order (two writers
    of the same new keys wait for one another instead of deadlocking), :data:`INSERT_STEP`
    a statement; how many were new."""
    keys, data = rows
    order = sorted(range(len(keys)), key=keys.__getitem__)
    inserted = 0
    for begin in range(0, len(order), INSERT_STEP):
        part = order[begin : begin + INSERT_STEP]
        cursor = conn.execute(_INSERT, ([keys[i] for i in part], [data[i] for i in part]))
        inserted += max(cursor.rowcount, 0)
    return inserted


def fill(conn: psycopg.Connection, quotes: Iterable[str], encode: EncodeTokens,
         progress: Progress | None = None) -> int:
    """Store the token vectors of every one of ``quotes`` the table lacks; how many passages
    were read (:func:`~ragqa.index.pg.sentences.in_batches` of
    :data:`~ragqa.index.records.PROGRESS_STEP`). Each batch bumps the store's generation
    (``corpus_stats.changes``): servers that found the table empty look again."""
    texts = new_quotes(conn, quotes)
    if texts:
        logger.info("making the token vectors of %d passages", len(texts))
        in_batches(conn, texts, PROGRESS_STEP, lambda batch: rows_of(batch, encode),
                   lambda rows: _insert_and_bump(conn, rows), progress, "token passes")
    return len(texts)


def _insert_and_bump(conn: psycopg.Connection, rows: tuple[list[int], list[bytes]]) -> None:
    insert(conn, rows)
    conn.execute("UPDATE corpus_stats SET changes = changes + 1")


def wanted_for(setting: bool | str, passages: int, model_name: str) -> bool:
    """Whether a store of ``passages`` passages makes token vectors under ``setting`` (the
    files store's rule, :func:`~ragqa.index.tokenrows.wanted`); ``auto`` needs the model's
    name (without one, none are made)."""
    if setting == "auto" and not model_name:
        return False
    return tokens_wanted(setting, passages, model_name)
