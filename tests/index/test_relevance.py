"""The low-relevance signal: its parts, and its verdicts with the real model and corpus."""

import pytest

from ragqa.index.fusion import default_fusion
from ragqa.index.relevance import GENERIC, RelevanceModel, default_relevance, term_coverage
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
