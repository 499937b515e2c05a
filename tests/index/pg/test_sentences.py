"""Sentence vectors in the PostgreSQL store: written with the passages (bulk index and
uploads), each embedded once, read back by the view close to the model's."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from ragqa.index.config import IndexConfig
from ragqa.index.documents.reading import Document, sha256_bytes
from ragqa.index.pg.connect import connect
from ragqa.index.pg.indexing import index_corpus_into, ingest_document
from ragqa.index.pg.pool import Pool
from ragqa.index.pg.sentences import held, insert, read_vectors
from ragqa.index.pg.view import PgView, store_identity
from ragqa.index.sentencetable import SentenceTable, sentence_texts, text_keys
from tests.index.pg.conftest import DIM
from tests.index.pg.models import CountingEmbedder, model_record

ZORGLUB = ("# Zorglub\n\nZorglub Telecom pose un câble sous-marin à Dakhla. Il reliera les "
           "Canaries en 2027.\n\nLe chantier emploie trois cents personnes.\n")


def _sync(conn, corpus: Path, counting: CountingEmbedder, config: IndexConfig = IndexConfig(),
          **kwargs):
    return index_corpus_into(conn, corpus, config=config, contextual=True,
                             load_embedder=lambda: counting, **kwargs)


def _sentences(conn, doc_id: str | None = None) -> list[str]:
    """The distinct sentences of the stored passages (of ``doc_id``), as a search cuts them."""
    quotes = conn.execute(
        "SELECT substr(d.text, p.start_offset + 1, p.end_offset - p.start_offset) "
        "FROM passages p JOIN documents d USING (doc_id) WHERE %s::text IS NULL OR doc_id = %s",
        (doc_id, doc_id)).fetchall()
    return list(dict.fromkeys(t for (q,) in quotes for t in sentence_texts(q)))


def _stored(conn) -> int:
    return conn.execute("SELECT count(*) FROM sentence_vectors").fetchone()[0]


def _view(pg_url, found, minilm, embedder, config: IndexConfig = IndexConfig()) -> PgView:
    pool = Pool(pg_url, size=1).open()
    return PgView(pool, found, config, model=model_record(minilm, embedder))


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def test_an_index_stores_every_sentence_of_its_passages_once(
        store_conn, pg_url, small_corpus, minilm, embedder):
    conn, found = store_conn
    counting = CountingEmbedder(embedder)
    told: list[tuple[int, int, str]] = []
    first = _sync(conn, small_corpus, counting,
                  progress=lambda done, total, unit="passages": told.append((done, total, unit)))
    texts = _sentences(conn)
    assert first.sentences_embedded == len(texts) == _stored(conn) > first.passages
    assert told[0][2] == "passages" and told[-1] == (len(texts), len(texts), "sentences")

    view = _view(pg_url, found, minilm, embedder)
    try:
        with view.session():
            there, vectors = view.stored_sentence_vectors(texts + texts[:2])
            assert there.all() and np.array_equal(vectors[:2], vectors[-2:])
            expected = embedder.encode_passages(texts)
            assert _cosines(vectors[: len(texts)], expected).min() >= 0.999
            unknown = ["Une phrase que personne n'a écrite.", texts[0]]
            there, vectors = view.stored_sentence_vectors(unknown)
            assert there.tolist() == [False, True] and not vectors[0].any()
    finally:
        view.close()

    calls = counting.calls
    again = _sync(conn, small_corpus, counting)
    assert counting.calls == calls and again.sentences_embedded == 0 and again.up_to_date

    # A store that lacks some (indexed before them, a run killed half-way) gets them back.
    conn.execute("DELETE FROM sentence_vectors WHERE key IN "
                 "(SELECT key FROM sentence_vectors ORDER BY key LIMIT 3)")
    filled = _sync(conn, small_corpus, counting)
    assert filled.sentences_embedded == 3 and filled.embedded == 0 and not filled.up_to_date
    assert counting.calls == calls + 1 and _stored(conn) == len(texts)


def test_an_upload_stores_its_new_sentences_with_it(
        store_conn, pg_url, small_corpus, minilm, embedder):
    conn, found = store_conn
    _sync(conn, small_corpus, CountingEmbedder(embedder))
    before = _stored(conn)
    doc = Document("notes/zorglub.md", ZORGLUB, "Zorglub", sha256_bytes(ZORGLUB.encode()))
    counting = CountingEmbedder(embedder)
    done = ingest_document(conn, doc, config=IndexConfig(), contextual=True,
                           embed=counting.encode_passages)
    texts = _sentences(conn, doc.doc_id)
    assert done.sentences == len(texts) == _stored(conn) - before > 2
    assert counting.embedded == done.embedded + done.sentences

    view = _view(pg_url, found, minilm, embedder)
    try:
        there, vectors = view.stored_sentence_vectors(texts)
    finally:
        view.close()
    assert there.all()
    assert _cosines(vectors, embedder.encode_passages(texts)).min() >= 0.999

    # A new version with the same sentences embeds none of them again.
    titled = ingest_document(conn, doc, config=IndexConfig(), contextual=True,
                             embed=counting.encode_passages, explicit_title="Câble")
    assert titled.outcome.changed and titled.sentences == 0


def test_without_sentence_vectors_nothing_is_written_nor_read(
        store_conn, pg_url, small_corpus, minilm, embedder):
    conn, found = store_conn
    off = IndexConfig(sentence_vectors=False, token_vectors=False)
    # The setting is not part of the store's identity: switching it refuses no database,
    # and one recorded before it existed is served.
    model = model_record(minilm, embedder)
    assert (store_identity(model, embedder.identity, off).settings_json()
            == store_identity(model, embedder.identity, IndexConfig()).settings_json()
            == found.settings_json())
    assert not {"sentence_vectors", "token_vectors"} & set(found.settings["config"])
    counting = CountingEmbedder(embedder)
    report = _sync(conn, small_corpus, counting, config=off)
    doc = Document("notes/zorglub.md", ZORGLUB, "Zorglub", sha256_bytes(ZORGLUB.encode()))
    done = ingest_document(conn, doc, config=off, contextual=True,
                           embed=counting.encode_passages)
    assert report.sentences_embedded == done.sentences == _stored(conn) == 0
    assert counting.embedded == report.embedded + done.embedded

    _sync(conn, small_corpus, counting)  # on again: the folder's sentences are filled in
    texts = _sentences(conn)
    view = _view(pg_url, found, minilm, embedder, config=off)
    try:
        there, vectors = view.stored_sentence_vectors(texts)
    finally:
        view.close()
    assert _stored(conn) > 0 and not there.any() and not vectors.any()


def test_keys_keep_their_64_bits_and_a_row_is_stored_once(conn):
    texts = [f"Phrase {i}." for i in range(6)]
    rng = np.random.default_rng(7)
    vectors = rng.standard_normal((len(texts), DIM)).astype(np.float16)
    table = SentenceTable(text_keys(texts), vectors)
    with conn.transaction():
        assert insert(conn, table) == len(texts)
    assert insert(conn, table) == 0  # already there: skipped, not an error
    found, read = read_vectors(conn, texts[::-1] + ["Absente."], DIM)
    assert found.tolist() == [True] * len(texts) + [False]
    assert np.array_equal(read[: len(texts)], vectors[::-1].astype(np.float32))

    edges = np.array([0, 1, 2**63 - 1, 2**63, 2**64 - 1], dtype=np.uint64)
    insert(conn, SentenceTable(edges, np.zeros((len(edges), DIM), dtype=np.float16)))
    assert held(conn, np.concatenate([edges, np.array([2], dtype=np.uint64)])).tolist() == [
        True] * len(edges) + [False]
    keys = [r[0] for r in conn.execute(
        "SELECT key FROM sentence_vectors WHERE key < 2 AND key > -2 OR key IN "
        "(-9223372036854775808, 9223372036854775807) ORDER BY key")]
    assert keys == [-2**63, -1, 0, 1, 2**63 - 1]


def test_writers_inserting_the_same_new_sentences_wait_for_each_other(conn, pg_url):
    """Two transactions inserting overlapping new keys (in opposite orders): the second
    waits for the first's commit, then skips what it stored; neither deadlocks."""
    keys = np.arange(1, 301, dtype=np.uint64)
    first = SentenceTable(keys[:200][::-1], np.ones((200, DIM), dtype=np.float16))
    second = SentenceTable(keys[100:], np.full((200, DIM), 2, dtype=np.float16))
    other = connect(pg_url)
    inserted: list[int] = []
    failures: list[BaseException] = []

    def write() -> None:
        try:
            with other.transaction():
                inserted.append(insert(other, second))
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    try:
        with conn.transaction():
            insert(conn, first)
            writer = threading.Thread(target=write)
            writer.start()
            writer.join(1.0)
            assert writer.is_alive()  # waiting on the uncommitted rows it shares
        writer.join(30)
        assert not failures and inserted == [100]
    finally:
        other.close()
    assert _stored(conn) == 300
    shared = conn.execute("SELECT count(*) FROM sentence_vectors WHERE key BETWEEN 101 AND 200 "
                          "AND get_byte(embedding, 1) = 60").fetchone()[0]
    assert shared == 100  # the first writer's (float16 1.0 is 0x3c00: byte 1 is 0x3c)


def test_a_vector_of_another_dimension_is_refused(conn):
    import psycopg

    table = SentenceTable(np.array([5], dtype=np.uint64),
                          np.zeros((1, DIM + 1), dtype=np.float16))
    with pytest.raises(psycopg.errors.CheckViolation):
        insert(conn, table)
