"""Passage token vectors in the PostgreSQL store: written with the passages (bulk index and
uploads) when ``token_vectors`` asks, each made once, read back close to the model's, and a
search over the bundled e5 that reads its top passages' tokens without a model pass."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ragqa.index.config import IndexConfig
from ragqa.index.documents.reading import Document, sha256_bytes
from ragqa.index.embedding.models import BUNDLED_MODEL_NAME
from ragqa.index.pg.connect import connect
from ragqa.index.pg.identity import ensure_identity
from ragqa.index.pg.indexing import index_corpus_into, ingest_document
from ragqa.index.pg.migrations import migrate
from ragqa.index.pg.pool import Pool
from ragqa.index.pg.tokens import read_tokens, wanted_for
from ragqa.index.pg.view import PgView, store_identity
from ragqa.index.records import ModelRecord
from ragqa.index.search.fusion import default_fusion
from ragqa.index.search.relevance import default_relevance, token_match
from ragqa.index.search.reorder import default_reorder
from ragqa.index.search.retriever import RetrievalParams, Retriever
from ragqa.index.tokenrows import AUTO_LIMIT
from tests.index.pg.models import CountingEmbedder, model_record

ON = IndexConfig(token_vectors=True)  # MiniLM's relevance does not use them: asked for
ZORGLUB = ("# Zorglub\n\nZorglub Telecom pose un câble sous-marin à Dakhla. Il reliera les "
           "Canaries en 2027.\n\nLe chantier emploie trois cents personnes.\n")


def _quotes(conn, doc_id: str | None = None) -> list[str]:
    rows = conn.execute(
        "SELECT substr(d.text, p.start_offset + 1, p.end_offset - p.start_offset) "
        "FROM passages p JOIN documents d USING (doc_id) WHERE %s::text IS NULL OR doc_id = %s",
        (doc_id, doc_id)).fetchall()
    return list(dict.fromkeys(q for (q,) in rows))


def _stored(conn) -> int:
    return conn.execute("SELECT count(*) FROM token_vectors").fetchone()[0]


def _view(pg_url, found, model: ModelRecord, config: IndexConfig) -> PgView:
    return PgView(Pool(pg_url, size=1).open(), found, config, model=model)


def _close_to_the_model(held: np.ndarray | None, made: np.ndarray) -> bool:
    return (held is not None and held.shape == made.shape
            and float((held * made).sum(axis=1).min()) > 0.995)


def test_auto_makes_them_for_a_model_that_uses_them_in_a_store_small_enough():
    assert wanted_for("auto", 10, BUNDLED_MODEL_NAME)
    assert not wanted_for("auto", AUTO_LIMIT + 1, BUNDLED_MODEL_NAME)
    assert not wanted_for("auto", 10, "sentence-transformers/all-MiniLM-L6-v2")
    assert not wanted_for("auto", 10, "")  # a model the caller did not name
    assert wanted_for(True, 10 * AUTO_LIMIT, "") and not wanted_for(False, 1, BUNDLED_MODEL_NAME)


def test_an_index_stores_every_passages_tokens_once(store_conn, pg_url, small_corpus, minilm,
                                                    embedder):
    conn, found = store_conn
    counting = CountingEmbedder(embedder)
    told: list[tuple[int, int, str]] = []
    first = index_corpus_into(conn, small_corpus, config=ON, contextual=True,
                              load_embedder=lambda: counting, model_name=minilm.name,
                              progress=lambda d, t, unit="passages": told.append((d, t, unit)))
    quotes = _quotes(conn)
    assert first.tokens_embedded == len(quotes) == _stored(conn) == counting.token_passes > 1
    assert told[-1] == (len(quotes), len(quotes), "token passes")

    view = _view(pg_url, found, model_record(minilm, embedder), ON)
    try:
        with view.session():
            for quote in quotes:
                assert _close_to_the_model(view.stored_token_vectors(quote),
                                           embedder.token_vectors(quote, query=False))
            assert view.stored_token_vectors("Un texte qu'aucun passage ne cite.") is None
            each = view.stored_token_vectors_each(
                [quotes[1], "Un texte qu'aucun passage ne cite.", quotes[0], quotes[1]])
            assert each[1] is None
            for got, quote in zip([each[0], each[2], each[3]], [quotes[1], quotes[0], quotes[1]]):
                assert got is not None
                assert np.array_equal(got, view.stored_token_vectors(quote))
    finally:
        view.close()

    again = index_corpus_into(conn, small_corpus, config=ON, contextual=True,
                              load_embedder=lambda: counting, model_name=minilm.name)
    assert again.tokens_embedded == 0 and again.up_to_date
    assert counting.token_passes == len(quotes)
    # A store that lacks some (indexed before them, a run killed half-way) gets them back.
    conn.execute("DELETE FROM token_vectors WHERE key IN "
                 "(SELECT key FROM token_vectors ORDER BY key LIMIT 2)")
    filled = index_corpus_into(conn, small_corpus, config=ON, contextual=True,
                               load_embedder=lambda: counting, model_name=minilm.name)
    assert filled.tokens_embedded == 2 and filled.embedded == 0 and not filled.up_to_date
    assert _stored(conn) == len(quotes)
    # MiniLM's own `auto` makes none; neither does `false`.
    conn.execute("TRUNCATE token_vectors")
    for config in (IndexConfig(), IndexConfig(token_vectors=False)):
        report = index_corpus_into(conn, small_corpus, config=config, contextual=True,
                                   load_embedder=lambda: counting, model_name=minilm.name)
        assert report.tokens_embedded == _stored(conn) == 0


def test_an_upload_stores_its_new_passages_tokens_with_it(store_conn, pg_url, small_corpus,
                                                          minilm, embedder):
    conn, found = store_conn
    index_corpus_into(conn, small_corpus, config=ON, contextual=True,
                      load_embedder=lambda: embedder, model_name=minilm.name)
    before = _stored(conn)
    doc = Document("notes/zorglub.md", ZORGLUB, "Zorglub", sha256_bytes(ZORGLUB.encode()))
    counting = CountingEmbedder(embedder)
    done = ingest_document(conn, doc, config=ON, contextual=True,
                           embed=counting.encode_passages,
                           embed_tokens=counting.passage_token_vectors, model_name=minilm.name)
    quotes = _quotes(conn, doc.doc_id)
    assert done.tokens == len(quotes) == _stored(conn) - before == counting.token_passes >= 1
    view = _view(pg_url, found, model_record(minilm, embedder), ON)
    try:
        for quote in quotes:
            assert _close_to_the_model(view.stored_token_vectors(quote),
                                       embedder.token_vectors(quote, query=False))
        # Switched off, the view reads none (the rows stay).
        off = _view(pg_url, found, model_record(minilm, embedder),
                    IndexConfig(token_vectors=False))
        try:
            assert off.stored_token_vectors(quotes[0]) is None
        finally:
            off.close()
    finally:
        view.close()
    # A new version with the same passages makes none again; under `auto`, MiniLM none.
    titled = ingest_document(conn, doc, config=ON, contextual=True,
                             embed=counting.encode_passages,
                             embed_tokens=counting.passage_token_vectors,
                             model_name=minilm.name, explicit_title="Câble")
    assert titled.outcome.changed and titled.tokens == 0
    other = Document("notes/autre.md", ZORGLUB.replace("Dakhla", "Agadir"), "Autre",
                     sha256_bytes(b"autre"))
    auto = ingest_document(conn, other, config=IndexConfig(), contextual=True,
                           embed=counting.encode_passages,
                           embed_tokens=counting.passage_token_vectors, model_name=minilm.name)
    assert auto.outcome.changed and auto.tokens == 0

    # `ragqa index` fills in an uploaded document's too (not in the folder).
    conn.execute("TRUNCATE token_vectors")
    filled = index_corpus_into(conn, small_corpus, config=ON, contextual=True,
                               load_embedder=lambda: embedder, model_name=minilm.name)
    assert filled.tokens_embedded == len(_quotes(conn)) == _stored(conn)
    assert set(_quotes(conn, "notes/autre.md")) <= set(_quotes(conn))


def test_auto_counts_the_store_once_the_upload_is_written(store_conn, small_corpus, embedder,
                                                          minilm, monkeypatch):
    """``auto`` stops at the limit counting the upload's passages in and a replaced
    version's out (the rule reads the name only: MiniLM embeds, e5's name is given)."""
    conn, _ = store_conn
    index_corpus_into(conn, small_corpus, config=IndexConfig(token_vectors=False),
                      contextual=True, load_embedder=lambda: embedder, model_name=minilm.name)
    held = conn.execute("SELECT passages FROM corpus_stats").fetchone()[0]
    doc = Document("notes/zorglub.md", ZORGLUB, "Zorglub", sha256_bytes(ZORGLUB.encode()))
    counting = CountingEmbedder(embedder)
    kwargs = dict(config=IndexConfig(), contextual=True, embed=counting.encode_passages,
                  embed_tokens=counting.passage_token_vectors, model_name=BUNDLED_MODEL_NAME)
    monkeypatch.setattr("ragqa.index.tokenrows.AUTO_LIMIT", held)  # one passage too many
    assert ingest_document(conn, doc, **kwargs).tokens == 0
    written = conn.execute("SELECT passages FROM corpus_stats").fetchone()[0]
    assert written > held
    monkeypatch.setattr("ragqa.index.tokenrows.AUTO_LIMIT", written)  # a new version: as many
    again = ingest_document(conn, doc, explicit_title="Câble", **kwargs)
    assert again.outcome.changed and again.tokens == len(_quotes(conn, doc.doc_id)) >= 1


@pytest.fixture
def e5_store(pg_url: str, e5_embedder, small_corpus: Path):
    """A fresh database indexed from ``small_corpus`` with the bundled e5 and default
    settings (``auto``: its relevance uses the token match)."""
    connection = connect(pg_url)
    migrate(connection, dimension=e5_embedder.dimension)
    model = ModelRecord(BUNDLED_MODEL_NAME, BUNDLED_MODEL_NAME,
                        e5_embedder.identity.weights_sha256, e5_embedder.dimension, False)
    found = ensure_identity(connection, store_identity(model, e5_embedder.identity,
                                                       IndexConfig()))
    try:
        report = index_corpus_into(connection, small_corpus, config=IndexConfig(),
                                   contextual=e5_embedder.identity.embed_context,
                                   load_embedder=lambda: e5_embedder, model_name=model.name)
        yield connection, found, model, report
    finally:
        connection.close()


def test_a_search_over_the_bundled_model_reads_its_top_passages_tokens(e5_store, pg_url,
                                                                       e5_embedder,
                                                                       monkeypatch):
    conn, found, model, report = e5_store
    assert report.tokens_embedded == len(_quotes(conn)) == _stored(conn) > 1
    view = _view(pg_url, found, model, IndexConfig())
    try:
        name = model.name
        params = RetrievalParams(fusion=default_fusion(name), relevance=default_relevance(name),
                                 reorder=default_reorder(name), merge_neighbours=0)
        retriever = Retriever(view, e5_embedder, params)
        question = "Quand Orange lance-t-il la 5G à Casablanca ?"
        made = e5_embedder.cache_counts()["token_vectors_passage"]
        reads = []
        monkeypatch.setattr("ragqa.index.pg.view.read_tokens",
                            lambda conn, quotes, dimension: reads.append(list(quotes))
                            or read_tokens(conn, quotes, dimension))
        result = retriever.search(question, 5)
        assert result.reordered and len(result.hits) > 1
        # the top passages' tokens read in one statement, the relevance's from that read
        assert len(reads) == 1 and len(reads[0]) >= len(result.hits)
        monkeypatch.undo()
        # every top passage's tokens read from the database: no model pass over one
        assert retriever.passage_tokens.counter.snapshot().hits >= len(result.hits)
        assert e5_embedder.cache_counts()["token_vectors_passage"] == made
        top = result.hits[0]
        vector = e5_embedder.encode_queries([question])[0]
        stored = retriever.relevance_features(question, top, vector).token_match
        exact = token_match(e5_embedder.token_vectors(question, query=True),
                            e5_embedder.token_vectors(top.quote, query=False))
        assert abs(stored - exact) < 0.005
        # Without them (a database indexed before them), none is looked up once the view
        # has seen the table empty, and the top passage's are made by the model.
        conn.execute("TRUNCATE token_vectors")
        conn.execute("UPDATE corpus_stats SET changes = changes + 1")
        read = retriever.passage_tokens.counter.snapshot()
        passes = e5_embedder.cache_counts()["token_vectors_passage"]
        lookups = []
        monkeypatch.setattr("ragqa.index.pg.view.read_tokens",
                            lambda *args: lookups.append(args))
        retriever.search("Qui signe un accord pour la fibre optique ?", 5)
        assert lookups == []
        after = retriever.passage_tokens.counter.snapshot()
        assert after.hits == read.hits and after.misses == read.misses + 1  # the relevance's
        now = e5_embedder.cache_counts()["token_vectors_passage"]
        assert now.hits + now.misses == passes.hits + passes.misses + 1
    finally:
        view.close()
