"""The reorder of a hybrid search's top hits: its fitted order, measured with the real model
(e5) over the real corpus, and what it leaves alone."""

from dataclasses import replace

import numpy as np
import pytest

from ragqa.index.files.generations import load_index
from ragqa.index.search.fusion import default_fusion
from ragqa.index.search.relevance import RelevanceFeatures, default_relevance
from ragqa.index.search.reorder import (FEATURES, WITHOUT_TOKENS, Reorder,
                                        default_reorder, features)
from ragqa.index.search.retriever import Retriever, RetrievalParams

QUESTIONS = [
    "Combien de visiteurs et d'exposants sont attendus au Gitex Africa 2025 ?",
    "Combien de startups sont inscrites au programme SPARK ?",
    "Qui a signé le protocole d'accord au nom de Nokia ?",
    "Quel est l'objectif de la stratégie Maroc Digital 2030 ?",
    "Where did Amazon Web Services open the first Wavelength zone in Africa?",
    "Quels partenaires soutiennent les startups marocaines ?",
]


def test_a_reorder_sorts_by_its_weights_and_keeps_ties_in_the_fusions_order():
    measured = [RelevanceFeatures(0.2, 0.80, 0.1, 0.7, 0.5),
                RelevanceFeatures(0.9, 0.85, 0.1, 0.6, 0.5),
                RelevanceFeatures(0.9, 0.70, 0.1, 0.9, 0.5)]
    by_coverage = Reorder((0.0, 0.0, 1.0, 0.0, 0.0, 0.0), top=3)
    assert by_coverage.order([0.03, 0.02, 0.01], measured) == [1, 2, 0]
    by_sentence = Reorder((0.0, 0.0, 0.0, 0.0, 1.0), top=3, tokens=False)
    assert by_sentence.order([0.03, 0.02, 0.01], measured) == [2, 0, 1]
    x = features(np.array([0.04, 0.02, 0.01]), measured)
    assert x.shape == (3, len(FEATURES))
    assert x[:, 0].tolist() == pytest.approx(np.log([1, 2, 3]).tolist())
    assert x[:, 1].tolist() == [1.0, 0.5, 0.25]
    assert features(np.array([0.04, 0.02, 0.01]), measured, tokens=False).shape == (
        3, len(WITHOUT_TOKENS))
    with pytest.raises(ValueError, match="6 weights"):
        Reorder((1.0,) * 5)
    with pytest.raises(ValueError, match="at least 2"):
        Reorder((1.0,) * 6, top=1)


def _retriever(index_dir, embedder, reorder, *, token_match=True):
    name = embedder.model.name
    params = RetrievalParams(fusion=default_fusion(name),
                             relevance=default_relevance(name, token_match=token_match),
                             reorder=reorder)
    return Retriever(load_index(index_dir), embedder, params)


@pytest.fixture(scope="module")
def served(e5_corpus_index, e5_embedder):
    """The fits served for the bundled e5, and the fusion's order beside them."""
    reorders = default_reorder(e5_embedder.model.name)
    assert reorders is not None
    return (reorders, _retriever(e5_corpus_index, e5_embedder, reorders),
            _retriever(e5_corpus_index, e5_embedder, None))


def test_the_top_five_are_the_fusions_in_the_fitted_order_the_rest_and_the_verdict_kept(served):
    reorders, reordering, fused = served
    moved = 0
    for question in QUESTIONS:
        vector = fused.embedder.encode_queries([question])[0]
        before = fused.search(question, 8, query_vector=vector)
        after = reordering.search(question, 8, query_vector=vector)
        head = before.hits[:5]
        # the order computed here from the public measures of each of the fusion's top 5
        # (the test index holds every passage's token vectors: the fit with the token match)
        measured = fused.relevance_features_each(question, head, vector)
        expected = [head[i] for i in reorders.with_tokens.order([h.score for h in head],
                                                                measured)]
        assert [(h.doc_id, h.start, h.end) for h in after.hits[:5]] == [
            (h.doc_id, h.start, h.end) for h in expected]
        assert [h.rank for h in after.hits] == list(range(1, 9))
        assert after.hits[5:] == before.hits[5:]
        # the relevance signal still reads the fusion's best passage
        assert (after.relevance, after.low_relevance, after.borderline) == (
            before.relevance, before.low_relevance, before.borderline)
        moved += [(h.doc_id, h.start) for h in after.hits[:5]] != [
            (h.doc_id, h.start) for h in head]
        # asked for fewer hits than the reorder reads, a search reads the top 5 all the
        # same: its hits and verdict are those of a search for 5 (windows of a section found
        # among the top 5 joined as a search for 5 joins them)
        five = reordering.search(question, 5, query_vector=vector)
        for k in range(1, 5):
            fewer = reordering.search(question, k, query_vector=vector)
            assert fewer.hits == five.hits[:k]
            assert (fewer.relevance, fewer.low_relevance) == (five.relevance, five.low_relevance)
    assert moved, "the fitted order never differed from the fusion's on these questions"


def test_the_top_is_measured_as_the_relevance_signal_measures_each_passage(served):
    """The reorder's own measure of its top (each passage's sentences analysed once, one
    stored-vector read for them all) gives the relevance signal's values to the bit."""
    _, reordering, fused = served
    for question in QUESTIONS:
        vector = fused.embedder.encode_queries([question])[0]
        head = fused.search(question, 5, query_vector=vector).hits
        lexical, dense = reordering._rankings(question, vector, reordering.params.candidates,
                                              None, lexical=True)
        fast = reordering._measured(question, head, vector, dense[0], lexical[0], None)
        reference = fused.relevance_features_each(question, head, vector)
        assert fast == [m._replace(token_match=None) for m in reference]
        assert all(m.sentence for m in fast) and len({m.coverage for m in fast}) > 1


def test_without_the_token_match_or_the_stored_tokens_the_second_fit_orders(
        served, e5_corpus_index, e5_embedder, monkeypatch):
    reorders, _, fused = served
    plain = _retriever(e5_corpus_index, e5_embedder, reorders, token_match=False)
    lacking = _retriever(e5_corpus_index, e5_embedder, reorders)
    # a store that does not hold the tokens (above RAGQA_TOKEN_VECTORS' auto limit, a
    # database not filled since schema 5): simulated here by this retriever's own view of
    # the index finding none
    monkeypatch.setattr(lacking.index, "stored_token_vectors", lambda quote: None)
    monkeypatch.setattr(lacking.index, "stored_token_vectors_each",
                        lambda quotes: [None] * len(quotes))
    for question in QUESTIONS:
        vector = fused.embedder.encode_queries([question])[0]
        head = fused.search(question, 5, query_vector=vector).hits
        measured = [m._replace(token_match=None)
                    for m in fused.relevance_features_each(question, head, vector)]
        order = reorders.without_tokens.order([h.score for h in head], measured)
        expected = [(head[i].doc_id, head[i].start) for i in order]
        for retriever in (plain, lacking):
            found = retriever.search(question, 5, query_vector=vector).hits
            assert [(h.doc_id, h.start) for h in found] == expected
    # no model pass for the order: the token match the relevance signal itself needs (the
    # fusion's best) is the only one left to the model, once a search
    assert lacking.passage_tokens.counter.snapshot().misses == len(QUESTIONS)


def test_other_modes_keep_their_rankers_order(served):
    _, reordering, fused = served
    for mode in ("bm25", "dense"):
        for question in QUESTIONS[:3]:
            assert reordering.search(question, 5, mode=mode).hits == fused.search(
                question, 5, mode=mode).hits


def test_the_served_settings_carry_the_fits_and_turn_them_off(e5_embedder):
    from ragqa.settings import load_settings

    name = e5_embedder.model.name
    assert load_settings().retrieval_params(name).reorder is default_reorder(name)
    assert load_settings(reorder=False).retrieval_params(name).reorder is None
    # fitted on the measured fusion's scores: another fusion keeps its own order
    assert load_settings(fusion="rrf").retrieval_params(name).reorder is None
    assert load_settings(dense_weight=0.3).retrieval_params(name).reorder is None
    # scores whose best is not positive (z-scores, say) keep the fusion's order
    assert default_reorder(name).with_tokens.order([-0.1, -0.5], [
        RelevanceFeatures(0.0, 0.1, 0.0, 0.1, 0.1), RelevanceFeatures(1.0, 0.9, 0.0, 0.9, 0.9)
    ]) == [0, 1]
    assert default_reorder("sentence-transformers/all-MiniLM-L6-v2") is None
    assert replace(default_reorder(name).with_tokens, top=3).top == 3
