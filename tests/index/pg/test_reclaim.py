"""Reclaiming the sentence and token rows no stored passage holds: what goes, what stays
(rows shared with a live passage, an upload's), and that writers racing a reclaim lose no
row their committed passages hold (an upload prepared before a reclaim is prepared again,
holding the lock; a reclaim waits for an uncommitted write; a document written between the
scan and a batch keeps its rows); a reclaim the database fails leaves the run going."""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import random
import threading
import time
from pathlib import Path

import numpy as np
import psycopg
import pytest

from ragqa.index.config import IndexConfig
from ragqa.index.documents.reading import Document, sha256_bytes
from ragqa.index.pg import indexing
from ragqa.index.pg import reclaim as reclaim_module
from ragqa.index.pg import writes as writes_module
from ragqa.index.pg.connect import connect
from ragqa.index.pg.indexing import index_corpus_into, ingest_document
from ragqa.index.pg.pool import Pool
from ragqa.index.pg.reclaim import Reclaimed, reclaim
from ragqa.index.pg.sentences import held, insert, signed
from ragqa.index.pg.tokens import held_quotes
from ragqa.index.pg.tokens import insert as insert_tokens
from ragqa.index.pg.view import PgView
from ragqa.index.pg.writes import (DocumentWrite, PassageRow, delete_document,
                                   replace_document, replace_upload)
from ragqa.index.sentencetable import SentenceTable, sentence_texts, text_keys
from tests.index.pg.conftest import DIM
from tests.index.pg.docs import vector_for
from tests.index.pg.models import CountingEmbedder, model_record

ON = IndexConfig(token_vectors=True)  # both tables written (MiniLM's `auto` makes no tokens)
SHARED = "Orange Maroc lance la 5G à Casablanca en 2025."  # a sentence of orange.md
ZORGLUB = (f"# Zorglub\n\nZorglub Telecom pose un câble sous-marin à Dakhla. {SHARED}\n\n"
           "Le chantier emploie trois cents personnes.\n")


# -- helpers ---------------------------------------------------------------------------------

def _document(doc_id: str, paragraphs: list[str]) -> DocumentWrite:
    """One passage per paragraph, with made-up vectors (no model)."""
    text = "\n\n".join(paragraphs) + "\n"
    rows, offset = [], 0
    for i, paragraph in enumerate(paragraphs):
        rows.append(PassageRow(start=offset, end=offset + len(paragraph), section=doc_id,
                               page=None, terms=tuple(paragraph.lower().split()),
                               vector=vector_for(f"{doc_id}/{paragraph}"),
                               embed_key=hashlib.sha256(paragraph.encode()).hexdigest()))
        offset += len(paragraph) + 2
    return DocumentWrite(doc_id=doc_id, title=doc_id, text=text,
                         content_hash=hashlib.sha256(text.encode()).hexdigest(),
                         passages=tuple(rows), sections=(doc_id,))


def _quotes_of(doc: DocumentWrite) -> list[str]:
    return [doc.text[p.start:p.end] for p in doc.passages]


def _rows_for(quotes: list[str]) -> tuple[SentenceTable, tuple[list[int], list[bytes]]]:
    """Made-up sentence and token rows of ``quotes`` (what a model would make)."""
    texts = sorted({t for q in quotes for t in sentence_texts(q)})
    keys = text_keys(texts)
    order = np.argsort(keys)
    table = SentenceTable(keys[order], np.ones((len(texts), DIM), dtype=np.float16))
    distinct = list(dict.fromkeys(quotes))
    tokens = (signed(text_keys(distinct)).tolist(), [q.encode()[:DIM] for q in distinct])
    return table, tokens


def _write_with_rows(conn, doc: DocumentWrite) -> None:
    """A bulk write, then its rows filled in (as ``ragqa index`` does)."""
    replace_document(conn, doc)
    table, tokens = _rows_for(_quotes_of(doc))
    with conn.transaction():
        insert(conn, table)
        insert_tokens(conn, tokens)


def _upload(conn, doc: DocumentWrite, pause=None) -> int:
    """An upload as :func:`ingest_document` makes it, without a model: look up which rows
    its passages lack, make those, write them with it, through the production retries
    (:func:`replace_upload`: ``UPLOAD_TRIES``, the lock held from the second). How many
    tries it took. ``pause()`` runs after each look-up, before the write (the window a
    reclaim could slip into)."""
    tries = 0

    def prepare() -> DocumentWrite:
        nonlocal tries
        tries += 1
        quotes = _quotes_of(doc)
        table, tokens = _rows_for(quotes)
        lack = ~held(conn, table.keys)
        lack_tokens = ~held_quotes(conn, list(dict.fromkeys(quotes)))
        table = SentenceTable(table.keys[lack], np.asarray(table.vectors)[lack])
        tokens = ([k for k, m in zip(tokens[0], lack_tokens) if m],
                  [b for b, m in zip(tokens[1], lack_tokens) if m])
        if pause is not None:
            pause()
        return dataclasses.replace(doc, sentences=table, tokens=tokens,
                                   needs_sentences=True, needs_tokens=True)

    replace_upload(conn, prepare)
    return tries


def _live(conn) -> tuple[set[int], set[int]]:
    """The keys (as stored) of the sentence and token rows the stored passages hold,
    computed here from the passages (sentences cut as a search cuts them)."""
    rows = conn.execute("SELECT substr(d.text, p.start_offset + 1, p.end_offset - "
                        "p.start_offset) FROM passages p JOIN documents d USING (doc_id)")
    quotes = [q for (q,) in rows]
    sentences = [t for q in quotes for t in sentence_texts(q)]
    return set(signed(text_keys(sentences)).tolist()), set(signed(text_keys(quotes)).tolist())


def _stored(conn) -> tuple[set[int], set[int]]:
    return ({k for (k,) in conn.execute("SELECT key FROM sentence_vectors")},
            {k for (k,) in conn.execute("SELECT key FROM token_vectors")})


def _keys_of(texts: list[str]) -> set[int]:
    return set(signed(text_keys(texts)).tolist())


# -- what goes and what stays --------------------------------------------------------------

def test_only_rows_no_stored_passage_holds_go_in_batches(conn, monkeypatch):
    kept_doc = _document("kept.md", ["Une phrase commune. La fibre arrive à Rabat.",
                                     "Le réseau couvre le nord."])
    changed = _document("changed.md", ["Une phrase commune. Le câble relie Dakhla.",
                                       "Trois cents personnes y travaillent."])
    gone = _document("gone.md", ["Une phrase commune. Le chantier ferme en mai."])
    for doc in (kept_doc, changed, gone):
        _write_with_rows(conn, doc)
    new = _document("changed.md", ["Une phrase commune. Le câble relie Dakhla.",
                                   "Quatre cents personnes y travaillent."])
    _write_with_rows(conn, new)
    delete_document(conn, "gone.md")
    stranger = SentenceTable(np.array([7], dtype=np.uint64), np.ones((1, DIM), np.float16))
    insert(conn, stranger)  # a row no passage ever held
    live_sentences, live_tokens = _live(conn)
    stored_sentences, stored_tokens = _stored(conn)
    orphans = stored_sentences - live_sentences
    assert orphans == _keys_of(["Trois cents personnes y travaillent.",
                                "Le chantier ferme en mai."]) | {7}
    assert _keys_of(["Une phrase commune."]) <= live_sentences  # gone.md's, shared
    assert len(stored_tokens - live_tokens) == 2  # the old paragraph, the deleted document's

    monkeypatch.setattr(reclaim_module, "DELETE_STEP",
                        {"sentence_vectors": 2, "token_vectors": 1})  # several batches each
    monkeypatch.setattr(reclaim_module, "READ_STEP", 1)  # a statement a document
    batches = []
    real_delete = reclaim_module._delete
    monkeypatch.setattr(reclaim_module, "_delete",
                        lambda c, table, keys: batches.append((table, len(keys)))
                        or real_delete(c, table, keys))
    done = reclaim(conn)
    assert (done.sentences, done.tokens) == (len(orphans), 2)
    assert done.bytes == 2 * DIM * len(orphans) + 2 * DIM  # float16 rows; DIM bytes a token row
    assert batches == [("sentence_vectors", 2), ("sentence_vectors", 1), ("token_vectors", 1),
                       ("token_vectors", 1)]
    assert _stored(conn) == (live_sentences, live_tokens)  # every live row kept, exactly
    assert reclaim(conn).rows == 0  # nothing left


def test_a_memo_of_the_last_reclaim_cuts_only_the_documents_written_since(conn, monkeypatch):
    for doc_id, text in [("a.md", "La fibre arrive à Rabat."), ("b.md", "Le câble relie Dakhla."),
                         ("c.md", "Le chantier ferme en mai.")]:
        _write_with_rows(conn, _document(doc_id, [text]))
    cut = []
    real_cut = reclaim_module.kept_keys
    monkeypatch.setattr(reclaim_module, "kept_keys",
                        lambda text, spans: cut.append(text) or real_cut(text, spans))
    memo = reclaim_module.KeptKeys()
    assert reclaim(conn, memo=memo).rows == 0 and len(cut) == 3  # the first: every document
    cut.clear()
    assert reclaim(conn, memo=memo).rows == 0 and cut == []  # nothing written since
    _write_with_rows(conn, _document("b.md", ["Le câble relie Laâyoune."]))
    delete_document(conn, "c.md")
    done = reclaim(conn, memo=memo)
    assert [t.strip() for t in cut] == ["Le câble relie Laâyoune."]  # only what was written
    assert (done.sentences, done.tokens) == (2, 2)  # b's old sentence and c's, and tokens
    assert _stored(conn) == _live(conn)
    # the same text written again (a forced re-index: a new row version) is cut again
    cut.clear()
    replace_document(conn, _document("a.md", ["La fibre arrive à Rabat."]), force=True)
    assert reclaim(conn, memo=memo).rows == 0
    assert [t.strip() for t in cut] == ["La fibre arrive à Rabat."]


def test_ragqa_index_reclaims_what_deleted_and_changed_documents_held(
        store_conn, pg_url, small_corpus: Path, minilm, embedder, caplog):
    """Through the real pipeline: a changed file's old passages, a deleted file's, an
    upload's sentence shared with a deleted passage kept; every live passage reads its rows
    through the view."""
    conn, found = store_conn
    counting = CountingEmbedder(embedder)

    def sync():
        return index_corpus_into(conn, small_corpus, config=ON, contextual=True,
                                 load_embedder=lambda: counting, model_name=minilm.name)

    sync()
    upload = Document("notes/zorglub.md", ZORGLUB, "Zorglub", sha256_bytes(ZORGLUB.encode()))
    ingest_document(conn, upload, config=ON, contextual=True, embed=counting.encode_passages,
                    embed_tokens=counting.passage_token_vectors, model_name=minilm.name)
    before_sentences, before_tokens = _stored(conn)
    assert _stored(conn) == _live(conn)  # nothing to reclaim yet

    orange = small_corpus / "orange.md"
    orange.write_text(orange.read_text(encoding="utf-8").replace(
        f"{SHARED}\n", "Orange Maroc ouvre une boutique à Fès.\n"), encoding="utf-8")
    (small_corpus / "nokia.txt").unlink()
    with caplog.at_level(logging.INFO, logger="ragqa.index.pg.reclaim"):
        report = sync()
    assert report.changed == ["orange.md"] and report.removed == ["nokia.txt"]
    live_sentences, live_tokens = _live(conn)
    assert _stored(conn) == (live_sentences, live_tokens)
    gone_sentences = before_sentences - live_sentences
    gone_tokens = before_tokens - live_tokens
    assert gone_sentences and gone_tokens
    assert _keys_of([SHARED]) <= live_sentences  # the upload still holds it
    line = [r.getMessage() for r in caplog.records if r.name == "ragqa.index.pg.reclaim"]
    assert len(line) == 1 and line[0].startswith(
        f"reclaimed {len(gone_sentences)} sentence rows and {len(gone_tokens)} token rows (")

    quotes = [q for (q,) in conn.execute(
        "SELECT substr(d.text, p.start_offset + 1, p.end_offset - p.start_offset) "
        "FROM passages p JOIN documents d USING (doc_id)")]
    view = PgView(Pool(pg_url, size=1).open(), found, ON, model=model_record(minilm, embedder))
    try:
        there, _ = view.stored_sentence_vectors([t for q in quotes for t in sentence_texts(q)])
        assert there.all()
        assert all(t is not None for t in view.stored_token_vectors_each(quotes))
        old, _ = view.stored_sentence_vectors(["Nokia et le ministère signent un accord pour "
                                               "la fibre optique et la couverture nationale."])
        assert not old.any()
    finally:
        view.close()
    assert sync().up_to_date and reclaim(conn).rows == 0


# -- writers racing a reclaim --------------------------------------------------------------

def test_an_upload_whose_rows_a_reclaim_took_meanwhile_is_prepared_again(
        store_conn, pg_url, small_corpus, minilm, embedder, monkeypatch):
    """The upload finds its rows stored (a deleted copy's), a reclaim deletes them between
    its look-up and its transaction: the write fails under the lock, is prepared again
    (embedding them) and commits with every row."""
    conn, _ = store_conn
    index_corpus_into(conn, small_corpus, config=ON, contextual=True,
                      load_embedder=lambda: embedder, model_name=minilm.name)
    upload = Document("notes/zorglub.md", ZORGLUB, "Zorglub", sha256_bytes(ZORGLUB.encode()))
    kwargs = dict(config=ON, contextual=True, model_name=minilm.name)
    first = ingest_document(conn, upload, embed=embedder.encode_passages,
                            embed_tokens=embedder.passage_token_vectors, **kwargs)
    assert first.sentences > 1 and first.tokens >= 1
    delete_document(conn, upload.doc_id)  # its rows stay until a reclaim
    assert _stored(conn) != _live(conn)

    other = connect(pg_url)
    writes = []
    real = writes_module.replace_document

    def reclaim_first(c, write, **kw):
        writes.append(write)
        if len(writes) == 1:
            assert write.sentences is None and write.tokens is None  # all found stored
            assert reclaim(other).rows > 0  # ... and deleted before its transaction
        return real(c, write, **kw)

    monkeypatch.setattr(writes_module, "replace_document", reclaim_first)
    counting = CountingEmbedder(embedder)
    try:
        again = ingest_document(conn, upload, embed=counting.encode_passages,
                                embed_tokens=counting.passage_token_vectors, **kwargs)
    finally:
        other.close()
    assert len(writes) == 2 and again.outcome.changed
    assert (again.sentences, again.tokens) == (first.sentences, first.tokens)  # made again
    assert _stored(conn) == _live(conn)  # every passage's rows, the upload's included


def test_an_upload_whose_rows_a_reclaim_takes_before_every_write_goes_in_at_its_second_try(
        store_conn, pg_url, small_corpus, minilm, embedder, monkeypatch):
    """Before each look-up the upload's rows are stored again as orphans (a deleted copy's)
    and before each write a reclaim runs: the first try (no lock) loses them and fails; the
    second holds the lock shared from its look-up to its commit, so that reclaim cannot take
    it (and deletes nothing), and the upload commits with every row it relies on."""
    conn, _ = store_conn
    index_corpus_into(conn, small_corpus, config=ON, contextual=True,
                      load_embedder=lambda: embedder, model_name=minilm.name)
    upload = Document("notes/zorglub.md", ZORGLUB, "Zorglub", sha256_bytes(ZORGLUB.encode()))
    kwargs = dict(config=ON, contextual=True, model_name=minilm.name,
                  embed=embedder.encode_passages, embed_tokens=embedder.passage_token_vectors)
    ingest_document(conn, upload, **kwargs)
    delete_document(conn, upload.doc_id)  # its rows stay until a reclaim
    conn.execute("CREATE TABLE saved_sentences AS TABLE sentence_vectors")
    conn.execute("CREATE TABLE saved_tokens AS TABLE token_vectors")

    other = connect(pg_url)
    reclaims: list[Reclaimed] = []
    real_look, real_write = indexing._upload_side_rows, writes_module.replace_document

    def orphans_back_then_look(*args, **kw):
        other.execute("INSERT INTO sentence_vectors TABLE saved_sentences ON CONFLICT DO NOTHING")
        other.execute("INSERT INTO token_vectors TABLE saved_tokens ON CONFLICT DO NOTHING")
        return real_look(*args, **kw)

    def reclaim_then_write(c, write, **kw):
        reclaims.append(reclaim(other, wait=0.3))
        return real_write(c, write, **kw)

    monkeypatch.setattr(indexing, "_upload_side_rows", orphans_back_then_look)
    monkeypatch.setattr(writes_module, "replace_document", reclaim_then_write)
    try:
        done = ingest_document(conn, upload, **kwargs)
    finally:
        other.close()
    assert len(reclaims) == 2 and done.outcome.changed
    assert reclaims[0].complete and reclaims[0].rows > 0  # the first try's rows, taken
    assert not reclaims[1].complete and reclaims[1].rows == 0  # the second's lock held
    assert (done.sentences, done.tokens) == (0, 0)  # each try found its rows stored
    assert _stored(conn) == _live(conn)  # every passage's rows, the upload's included
    lock = conn.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'").fetchone()
    assert lock[0] == 0  # the session's shared lock released


@pytest.mark.parametrize("how", ["in place", "deleted and created again"])
def test_a_document_written_between_the_scan_and_a_batch_keeps_its_rows(
        conn, pg_url, monkeypatch, how):
    """``a.md`` is written again (same id) after the reclaim's unlocked reads and before its
    batch takes the lock, now holding a row that only a deleted document held (a bulk write:
    it relies on the stored row): the batch reads it again (its row's ``xmin`` changed) and
    keeps that row; its old version's rows go at the next reclaim."""
    _write_with_rows(conn, _document("a.md", ["Le réseau couvre le nord."]))
    _write_with_rows(conn, _document("old.md", ["La fibre arrive à Rabat.",
                                                "Le chantier ferme en mai."]))
    delete_document(conn, "old.md")  # both its rows: candidates of the scan
    other = connect(pg_url)
    real_lock = reclaim_module._lock_exclusively
    written: list[str] = []

    def write_then_lock(c, wait):
        if not written:  # after the unlocked refresh, before the locked one
            if how != "in place":
                delete_document(other, "a.md")
            replace_document(other, _document("a.md", ["La fibre arrive à Rabat."]))
            written.append("a.md")
        return real_lock(c, wait)

    monkeypatch.setattr(reclaim_module, "_lock_exclusively", write_then_lock)
    try:
        done = reclaim(conn)
    finally:
        other.close()
    assert written and done.complete
    assert (done.sentences, done.tokens) == (1, 1)  # "Le chantier ferme en mai." only
    live_sentences, live_tokens = _live(conn)
    stored_sentences, stored_tokens = _stored(conn)
    assert _keys_of(["La fibre arrive à Rabat."]) <= live_sentences <= stored_sentences
    assert live_tokens <= stored_tokens
    again = reclaim(conn)
    assert (again.sentences, again.tokens) == (1, 1)
    assert _stored(conn) == _live(conn)  # a.md's old version's, gone now


def test_a_reclaim_the_database_fails_warns_and_leaves_the_connection_usable(
        conn, monkeypatch, caplog):
    _write_with_rows(conn, _document("gone.md", ["Le chantier ferme en mai."]))
    delete_document(conn, "gone.md")

    def failing(c, table, keys):
        c.execute("SELECT 1 / 0")
        raise AssertionError("unreachable")

    monkeypatch.setattr(reclaim_module, "_delete", failing)
    with caplog.at_level(logging.WARNING, logger="ragqa.index.pg.reclaim"):
        done = reclaim(conn)
    assert not done.complete and done.rows == 0
    assert "the database failed it" in caplog.text and "division by zero" in caplog.text
    assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    assert conn.execute("SELECT 1").fetchone() == (1,)
    monkeypatch.undo()
    assert reclaim(conn).rows == 2  # the next one goes on


def test_a_reclaim_of_empty_tables_reads_no_document(conn, monkeypatch):
    _write_with_rows(conn, _document("a.md", ["Le réseau couvre le nord."]))
    conn.execute("DELETE FROM sentence_vectors")
    conn.execute("DELETE FROM token_vectors")

    def no_scan(*args, **kw):
        raise AssertionError("scanned the documents")

    monkeypatch.setattr(reclaim_module, "_Orphans", no_scan)
    done = reclaim(conn)
    assert done.complete and done.rows == 0


def test_a_reclaim_waits_for_an_uncommitted_write_and_keeps_its_rows(conn, pg_url, caplog):
    """A write holding rows no committed passage holds (a deleted document's) is not
    committed yet: a reclaim keeps trying the lock (one with a short wait gives up, deleting
    nothing), then sees the write once committed and keeps its rows."""
    _write_with_rows(conn, _document("old.md", ["La fibre arrive à Rabat. Le réseau couvre "
                                                "le nord."]))
    _write_with_rows(conn, _document("other.md", ["Le chantier ferme en mai."]))
    delete_document(conn, "old.md")
    delete_document(conn, "other.md")
    revived = _document("new.md", ["La fibre arrive à Rabat. Le réseau couvre le nord."])
    stored = _stored(conn)
    watcher, reclaimer = connect(pg_url), connect(pg_url)
    outcome: list[Reclaimed | BaseException] = []

    def run() -> None:
        try:
            outcome.append(reclaim(reclaimer))
        except BaseException as exc:  # noqa: BLE001 - reported below
            outcome.append(exc)

    thread = threading.Thread(target=run)

    def while_uncommitted() -> None:
        with caplog.at_level(logging.WARNING, logger="ragqa.index.pg.reclaim"):
            hurried = reclaim(watcher, wait=0.2)
        assert not hurried.complete and hurried.rows == 0
        assert "writes held the lock" in caplog.text
        thread.start()
        pid = reclaimer.info.backend_pid
        deadline = time.monotonic() + 30
        while "pg_try_advisory_xact_lock" not in (watcher.execute(
                "SELECT query FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone()[0]):
            assert time.monotonic() < deadline and thread.is_alive() and not outcome
            time.sleep(0.01)
        time.sleep(0.3)  # trying the lock all along, nothing deleted
        assert thread.is_alive() and not outcome and _stored(watcher) == stored

    try:
        # A bulk write: it inserts no rows, those it needs are stored (the deleted copy's).
        replace_document(conn, revived, before_commit=while_uncommitted)
        thread.join(30)
    finally:
        watcher.close()
        reclaimer.close()
    assert len(outcome) == 1 and isinstance(outcome[0], Reclaimed), outcome
    assert outcome[0].complete and (outcome[0].sentences, outcome[0].tokens) == (1, 1)
    assert _stored(conn) == _live(conn) and _live(conn)[0]  # other.md's went, new.md's stay


def test_writers_and_reclaims_at_once_lose_no_live_row(conn, pg_url):
    """Three writers upload (through the production retries), replace and delete documents
    made of a few shared sentences (rows go orphan and come back) while reclaims run in a
    loop: at the end every stored passage has all its rows. One upload waits after its
    look-up until a whole reclaim ran: at least one reclaim overlaps a write in flight."""
    phrases = [f"Phrase {i} du réseau." for i in range(6)]
    stop = threading.Event()
    failures: list[BaseException] = []
    counts = {"writes": 0, "retries": 0, "reclaims": 0, "overlaps": 0}
    lock = threading.Lock()

    def wait_for_a_reclaim() -> None:
        """In the first try's window (no lock held): until a reclaim started and ended."""
        seen = counts["reclaims"]
        deadline = time.monotonic() + 60
        while counts["reclaims"] < seen + 2:
            assert time.monotonic() < deadline, "no reclaim ran during an upload"
            time.sleep(0.005)
        counts["overlaps"] += 1

    def writer(seed: int) -> None:
        rng = random.Random(seed)
        c = connect(pg_url)
        try:
            for _ in range(25):
                doc_id = f"doc-{rng.randrange(3)}.md"
                if rng.random() < 0.3:
                    delete_document(c, doc_id)
                    continue
                paragraphs = [" ".join(rng.sample(phrases, 2)) for _ in range(rng.randint(1, 3))]
                tries = _upload(c, _document(doc_id, paragraphs),
                                pause=lambda: wait_for_a_reclaim() if seed == 0
                                and not counts["overlaps"] else time.sleep(rng.random() * 0.02))
                with lock:
                    counts["writes"] += 1
                    counts["retries"] += tries - 1
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)
        finally:
            c.close()

    def reclaimer() -> None:
        c = connect(pg_url)
        try:
            while not stop.is_set():
                reclaim(c)
                counts["reclaims"] += 1
                time.sleep(0.005)
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)
        finally:
            c.close()

    threads = [threading.Thread(target=writer, args=(seed,)) for seed in range(3)]
    background = threading.Thread(target=reclaimer)
    background.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    stop.set()
    background.join(60)
    assert not failures, failures
    assert counts["writes"] > 20 and counts["reclaims"] > 1
    assert counts["overlaps"] + counts["retries"] >= 1
    live_sentences, live_tokens = _live(conn)
    stored_sentences, stored_tokens = _stored(conn)
    assert live_sentences <= stored_sentences and live_tokens <= stored_tokens
    reclaim(conn)
    assert _stored(conn) == _live(conn)
