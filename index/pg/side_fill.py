"""A folder sync's sentence and token rows, checked for the documents that may lack them.

The bulk writer stores a document's passages first and its side rows (sentence vectors,
token vectors) in a pass after (:func:`~ragqa.index.pg.sentences.fill`,
:func:`~ragqa.index.pg.tokens.fill`): that pass also fills in what a store indexed without
them, or a run killed half-way, lacks. Checking every stored passage's sentences and quote
on every sync costs O(the store) though (seconds at 100,000 passages) for the handful of
documents a later sync writes.

:class:`FilledRows` remembers, by table, the version of each document's row
(:mod:`ragqa.index.pg.versions`) at which its passages were last found holding all their
rows (or given them). A sync then checks only the documents whose version moved since:
those it wrote, those another process wrote meanwhile (a replica's sync killed before its
fill, an upload), and, on a process's first sync, every document, as before. Why skipping
the others is safe: a row a stored passage holds is never deleted (the reclaim keeps every
key a stored passage holds, :mod:`ragqa.index.pg.reclaim`), and a document whose passages
change gets a new row version. A pass that fails remembers nothing of what it did not
finish: the next one checks those documents again.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass

import numpy as np
import psycopg

from ragqa.index.pg import sentences, tokens
from ragqa.index.pg.versions import read_documents, versions
from ragqa.index.records import Progress

SENTENCES, TOKENS = "sentence_vectors", "token_vectors"


@dataclass(frozen=True)
class Filled:
    """What a pass embedded: sentences, and passages whose token vectors it made."""

    sentences: int = 0
    tokens: int = 0


class FilledRows:
    """By table, each document's row version whose passages hold all their rows (see the
    module); one pass at a time uses it (a store's syncs run one after another)."""

    def __init__(self) -> None:
        self._checked: dict[str, dict[str, str]] = {SENTENCES: {}, TOKENS: {}}

    def stale(self, table: str, now: dict[str, str]) -> set[str]:
        """Of the documents ``now`` names (with their row's version), those not checked for
        ``table`` at that version; forgets the documents it does not name."""
        checked = self._checked[table]
        for doc_id in checked.keys() - now.keys():
            del checked[doc_id]
        return {d for d, version in now.items() if checked.get(d) != version}

    def mark(self, table: str, checked: dict[str, str]) -> None:
        """Remember that the documents of ``checked`` hold all their ``table`` rows at
        those versions."""
        self._checked[table].update(checked)

    def forget(self) -> None:
        """Check every document again at the next pass (another database, other settings)."""
        for checked in self._checked.values():
            checked.clear()

    def to_json(self) -> dict:
        """What it holds, for :mod:`ragqa.index.pg.saved_memo`."""
        return {table: dict(checked) for table, checked in self._checked.items()}

    @classmethod
    def from_json(cls, data: dict) -> FilledRows:
        """What :meth:`to_json` gave; raises ``ValueError`` on a malformed record."""
        filled = cls()
        for table in (SENTENCES, TOKENS):
            checked = data[table]
            if not isinstance(checked, dict) or not all(
                    isinstance(d, str) and isinstance(v, str) for d, v in checked.items()):
                raise ValueError(f"a malformed record of the documents holding {table}")
            filled._checked[table] = dict(checked)
        return filled


def fill_side_rows(conn: psycopg.Connection, filled: FilledRows, *,
                   sentences_of: Collection[str] | None, with_tokens: bool,
                   encode: Callable[[list[str]], np.ndarray],
                   encode_tokens: tokens.EncodeTokens,
                   progress: Progress | None = None) -> Filled:
    """Store the sentence rows of the passages of ``sentences_of`` (document ids; None: no
    sentence rows) and, ``with_tokens``, the token rows of every stored passage, that the
    tables lack, reading only the documents ``filled`` does not know to hold them. The
    rows are checked and embedded as :func:`sentences.fill` and :func:`tokens.fill` do."""
    now = versions(conn)
    wanted_sentences = (filled.stale(SENTENCES, now) & set(sentences_of)
                        if sentences_of is not None else set())
    wanted_tokens = filled.stale(TOKENS, now) if with_tokens else set()
    if not (wanted_sentences or wanted_tokens):
        return Filled()
    done = {SENTENCES: 0, TOKENS: 0}
    for table, wanted in ((SENTENCES, wanted_sentences), (TOKENS, wanted_tokens)):
        if not wanted:
            continue
        # Each document's version as read with its passages: what is marked is the version
        # whose passages were checked (one written meanwhile is checked again next time).
        read: dict[str, str] = {}
        quotes = _quotes(conn, sorted(wanted), read)
        if table == SENTENCES:
            done[table] = sentences.fill(conn, quotes, encode, progress)
        else:
            done[table] = tokens.fill(conn, quotes, encode_tokens, progress)
        filled.mark(table, read)
    return Filled(done[SENTENCES], done[TOKENS])


def _quotes(conn: psycopg.Connection, doc_ids: list[str],
            read: dict[str, str]) -> Iterator[str]:
    """The quotes of the passages of ``doc_ids`` as stored now, streamed (a first sync's
    are every stored passage's); ``read`` is told each document's version as it goes."""
    for doc_id, version, text, spans in read_documents(conn, doc_ids):
        read[doc_id] = version
        yield from (text[a:b] for a, b in spans)
