"""Per-document writes: one transaction replaces one document's passages.

The cost of a write is proportional to the document (its passages, their postings and
index entries), never to the corpus. Writers of one document are serialised by a
transaction-scoped advisory lock on its id, so concurrent uploads of one document through
several replicas apply one after the other (the last commit wins, whole); writers of
different documents run in parallel and meet only on the one-row ``corpus_stats`` update
at the end of their transaction. A writer killed before its commit leaves nothing: the
transaction is rolled back and its locks are released with its connection. Every write of
passages also holds the side rows' lock shared (:func:`~ragqa.index.pg.reclaim.share_side_rows`):
a reclaim of the sentence and token rows no passage holds never runs while it is uncommitted.
An upload, which relies on rows it looked up before its transaction, is written with
:func:`replace_upload`.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass

import numpy as np
import psycopg

from ragqa.index.pg import sentences as sentence_rows
from ragqa.index.pg import tokens as token_rows
from ragqa.index.pg.errors import LastDocumentRefusal, SideRowsGone
from ragqa.index.pg.reclaim import share_side_rows, side_rows_held
from ragqa.index.sentencetable import SentenceTable

logger = logging.getLogger(__name__)

# Namespace of the per-document advisory locks (the second key is a hash of the doc id).
DOCUMENT_LOCK_SPACE = 0x7261  # "ra"
# Serialises deletes that must keep one document (so two replicas deleting the last two
# documents at once cannot both succeed). Writers of new documents never take it.
KEEP_ONE_LOCK_KEY = 0x72616771_6B656570  # "ragqkeep"
# Times an upload is prepared at most (replace_upload). The first try looks up the stored
# side rows without the side rows' lock, and a reclaim may delete some before its write (one
# reclaim can take rows from every batch it runs). The second and third hold the lock shared
# from before their look-up until their commit, so no reclaim can: one of them failing means
# rows went another way (deleted by hand), a fault.
UPLOAD_TRIES = 3


@dataclass(frozen=True)
class PassageRow:
    """One passage to store: a verbatim slice ``[start, end)`` of its document's text,
    with its analysed terms (in order, repeats kept), its embedding (or ``None``) and the
    key of the text that was embedded (see :func:`stored_vectors`)."""

    start: int
    end: int
    section: str
    page: int | None
    terms: tuple[str, ...]
    vector: np.ndarray | None = None
    embed_key: str | None = None


@dataclass(frozen=True)
class DocumentWrite:
    """A document with all its passages, in document order."""

    doc_id: str
    title: str
    text: str  # canonical text: what every offset refers to
    content_hash: str  # sha256 of the uploaded bytes
    passages: tuple[PassageRow, ...]
    pages: tuple[int, ...] = ()
    sections: tuple[str, ...] = ()
    explicit_title: str | None = None  # a title given by hand (kept by later uploads)
    source: str = "folder"  # "folder" (`ragqa index`) or "api" (an upload)
    # Vectors of its passages' sentences the store lacked (ragqa.index.pg.sentences), or None.
    sentences: SentenceTable | None = None
    # Token vectors of its passages the store lacked (ragqa.index.pg.tokens.rows_of), or None.
    tokens: tuple[list[int], list[bytes]] | None = None
    # Whether every sentence row (token row) of its passages must be stored when it commits:
    # an upload's, which relies on the rows it found stored before its transaction (a reclaim
    # may have deleted them since). A bulk write's are filled in after it commits.
    needs_sentences: bool = False
    needs_tokens: bool = False


@dataclass(frozen=True)
class WriteOutcome:
    doc_id: str
    changed: bool  # False: same content hash already stored, nothing written
    passages: int  # passages stored for the document now
    removed: int  # passages it had before


def replace_document(
    conn: psycopg.Connection,
    doc: DocumentWrite,
    *,
    before_commit: Callable[[], None] | None = None,
    force: bool = False,
) -> WriteOutcome:
    """Store ``doc`` in place of its previous version, in one transaction.

    An upload whose content hash (and explicit title) is already stored for ``doc.doc_id``
    writes nothing (the outcome says ``changed=False``) unless ``force`` (the same bytes
    processed with a new corpus context). ``doc.sentences`` and ``doc.tokens`` are inserted
    with it (those another writer stored meanwhile are skipped); with ``doc.needs_sentences``
    (``needs_tokens``) a row of its passages still missing then raises
    :class:`~ragqa.index.pg.errors.SideRowsGone` and nothing is written (a reclaim deleted it
    after the caller looked it up). A refusal recorded for the id is cleared. ``conn`` must
    not be inside a transaction (use :func:`ragqa.index.pg.connect.connect`).
    ``before_commit`` (for tests) runs with everything written, just before the commit.
    """
    for p in doc.passages:
        if not 0 <= p.start < p.end <= len(doc.text):
            raise ValueError(f"{doc.doc_id}: passage [{p.start}, {p.end}) is outside the text")
    with conn.transaction():
        lock_document(conn, doc.doc_id)
        row = conn.execute(
            "SELECT content_hash, passages, explicit_title FROM documents WHERE doc_id = %s",
            (doc.doc_id,),
        ).fetchone()
        if (row is not None and not force and row[0] == doc.content_hash
                and row[2] == doc.explicit_title):
            return WriteOutcome(doc.doc_id, changed=False, passages=row[1], removed=0)
        share_side_rows(conn)  # until the commit: no reclaim before it sees these passages
        removed, removed_length = _delete_passages(conn, doc.doc_id)
        conn.execute(
            """INSERT INTO documents (doc_id, title, content_hash, text, pages, sections,
                                      passages, indexed_at, explicit_title, source)
               VALUES (%s, %s, %s, %s, %s, %s, %s, now(), %s, %s)
               ON CONFLICT (doc_id) DO UPDATE SET title = excluded.title,
                   content_hash = excluded.content_hash, text = excluded.text,
                   pages = excluded.pages, sections = excluded.sections,
                   passages = excluded.passages, indexed_at = excluded.indexed_at,
                   explicit_title = excluded.explicit_title, source = excluded.source""",
            (doc.doc_id, doc.title, doc.content_hash, doc.text, list(doc.pages),
             list(doc.sections), len(doc.passages), doc.explicit_title, doc.source),
        )
        length = _insert_passages(conn, doc)
        if doc.sentences is not None:
            sentence_rows.insert(conn, doc.sentences)
        if doc.tokens is not None:
            token_rows.insert(conn, doc.tokens)
        _check_side_rows(conn, doc)
        conn.execute("DELETE FROM refused WHERE doc_id = %s", (doc.doc_id,))
        _update_stats(conn, len(doc.passages) - removed, length - removed_length)
        if before_commit is not None:
            before_commit()
    return WriteOutcome(doc.doc_id, changed=True, passages=len(doc.passages), removed=removed)


def replace_upload(conn: psycopg.Connection, prepare: Callable[[], DocumentWrite]) -> WriteOutcome:
    """Store what ``prepare()`` makes (it looks up the side rows the store holds and makes
    the others: an upload), with :func:`replace_document`. If a reclaim deleted a row it
    found (:class:`~ragqa.index.pg.errors.SideRowsGone`), prepare and write it again, this
    time holding the side rows' lock shared from before ``prepare()`` until the commit
    (:func:`~ragqa.index.pg.reclaim.side_rows_held`): no reclaim batch can run in between.
    ``conn`` must not be inside a transaction."""
    for attempt in range(1, UPLOAD_TRIES + 1):
        with ExitStack() as held:
            if attempt > 1:
                held.enter_context(side_rows_held(conn))
            write = prepare()
            try:
                return replace_document(conn, write)
            except SideRowsGone:
                if attempt >= UPLOAD_TRIES:
                    raise
                logger.info("%s: rows it found stored were reclaimed meanwhile; preparing it "
                            "again under the side rows' lock", write.doc_id)
    raise AssertionError("unreachable")  # the last try returned or raised


def delete_document(conn: psycopg.Connection, doc_id: str, *, keep_one: bool = False) -> bool:
    """Remove a document, its passages and any refusal recorded for it; whether it existed.

    With ``keep_one``, deleting the only stored document raises
    :class:`~ragqa.index.pg.errors.LastDocumentRefusal` (checked under a lock shared by such
    deletes, in the same transaction: concurrent ones cannot both pass).
    """
    with conn.transaction():
        if keep_one:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (KEEP_ONE_LOCK_KEY,))
            row = conn.execute("SELECT count(*) FILTER (WHERE doc_id = %s), count(*) "
                               "FROM documents", (doc_id,)).fetchone()
            if row is not None and row[0] and row[1] <= 1:
                raise LastDocumentRefusal(f"{doc_id} is the only document stored")
        lock_document(conn, doc_id)
        removed, removed_length = _delete_passages(conn, doc_id)
        existed = conn.execute("DELETE FROM documents WHERE doc_id = %s", (doc_id,)).rowcount > 0
        refused = conn.execute("DELETE FROM refused WHERE doc_id = %s", (doc_id,)).rowcount > 0
        if existed or refused:  # nothing deleted: nothing changed for readers' caches
            _update_stats(conn, -removed, -removed_length)
    return existed or refused


def refuse_document(
    conn: psycopg.Connection, doc_id: str, reason: str, content_hash: str | None = None
) -> None:
    """Record that ``doc_id`` could not be indexed (and drop any indexed version of it)."""
    with conn.transaction():
        lock_document(conn, doc_id)
        removed, removed_length = _delete_passages(conn, doc_id)
        conn.execute("DELETE FROM documents WHERE doc_id = %s", (doc_id,))
        conn.execute(
            """INSERT INTO refused (doc_id, reason, content_hash) VALUES (%s, %s, %s)
               ON CONFLICT (doc_id) DO UPDATE SET reason = excluded.reason,
                   content_hash = excluded.content_hash, refused_at = now()""",
            (doc_id, reason, content_hash),
        )
        _update_stats(conn, -removed, -removed_length)


def stored_vectors(conn: psycopg.Connection, doc_id: str) -> dict[str, np.ndarray]:
    """The stored vectors of ``doc_id``'s passages by ``embed_key``: a writer embeds only
    the passages of a new version whose key is not among them."""
    rows = conn.execute(
        "SELECT embed_key, embedding FROM passages "
        "WHERE doc_id = %s AND embed_key IS NOT NULL AND embedding IS NOT NULL",
        (doc_id,),
    ).fetchall()
    return {key: as_array(vector) for key, vector in rows}


def as_array(vector: object) -> np.ndarray:
    to_numpy = getattr(vector, "to_numpy", None)  # pgvector's Vector
    return np.asarray(to_numpy() if to_numpy else vector, dtype=np.float32)


def lock_document(conn: psycopg.Connection, doc_id: str) -> None:
    """Take the document's advisory lock until the end of the current transaction."""
    conn.execute(
        "SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (DOCUMENT_LOCK_SPACE, doc_id)
    )


def _check_side_rows(conn: psycopg.Connection, doc: DocumentWrite) -> None:
    """Raise :class:`SideRowsGone` if a row ``doc`` needs is not stored (run under the
    side rows' lock: none can go between this check and the commit)."""
    if not (doc.needs_sentences or doc.needs_tokens):
        return
    quotes = [doc.text[p.start:p.end] for p in doc.passages]
    missing = 0
    if doc.needs_sentences:
        keys = np.unique(sentence_rows.sentence_keys(quotes))
        missing += int((~sentence_rows.held(conn, keys)).sum())
    if doc.needs_tokens:
        missing += int((~token_rows.held_quotes(conn, list(dict.fromkeys(quotes)))).sum())
    if missing:
        raise SideRowsGone(f"{doc.doc_id}: {missing} sentence or token rows its passages need "
                           "were reclaimed since it looked them up")


def _delete_passages(conn: psycopg.Connection, doc_id: str) -> tuple[int, int]:
    """Delete a document's passages (postings cascade); their count and total length."""
    row = conn.execute(
        "WITH gone AS (DELETE FROM passages WHERE doc_id = %s RETURNING length) "
        "SELECT count(*), coalesce(sum(length), 0) FROM gone",
        (doc_id,),
    ).fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def _insert_passages(conn: psycopg.Connection, doc: DocumentWrite) -> int:
    """COPY the passages and their postings; the total analysed length."""
    if not doc.passages:
        return 0
    ids = [
        r[0]
        for r in conn.execute(
            "SELECT nextval(pg_get_serial_sequence('passages', 'id')) "
            "FROM generate_series(1, %s)",
            (len(doc.passages),),
        ).fetchall()
    ]
    total = 0
    with conn.cursor() as cur:
        with cur.copy(
            "COPY passages (id, doc_id, ordinal, start_offset, end_offset, section, page, "
            "length, embed_key, embedding) FROM STDIN"
        ) as copy:
            for ordinal, (pid, p) in enumerate(zip(ids, doc.passages)):
                total += len(p.terms)
                vector = None if p.vector is None else np.asarray(p.vector, dtype=np.float32)
                copy.write_row((pid, doc.doc_id, ordinal, p.start, p.end, p.section, p.page,
                                len(p.terms), p.embed_key, vector))
        with cur.copy("COPY postings (term, passage_id, tf, length) FROM STDIN") as copy:
            for pid, p in zip(ids, doc.passages):
                for term, tf in Counter(p.terms).items():
                    copy.write_row((term, pid, tf, len(p.terms)))
    return total


def _update_stats(conn: psycopg.Connection, passages: int, length: int) -> None:
    # Last statement before the commit: the one row every writer updates is held briefly.
    conn.execute(
        "UPDATE corpus_stats SET passages = passages + %s, total_length = total_length + %s, "
        "changes = changes + 1",
        (passages, length),
    )
