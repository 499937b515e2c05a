"""Questions in another language than the index analyses are ranked by the model."""

from dataclasses import replace

import pytest

from ragqa.index.search.fusion import FusionParams
from ragqa.index.search.language import QuestionLanguage
from ragqa.index.search.retriever import Retriever, RetrievalParams
from ragqa.index.files.generations import load_index


@pytest.mark.parametrize("question", [
    "How many visitors and exhibitors are expected at Gitex Africa 2025?",
    "What did Nokia and the Moroccan government sign?",
    "Welche Unternehmen investieren in Marokko?",
])
def test_a_question_in_another_language_is_foreign(question):
    assert QuestionLanguage("french").is_foreign(question)


@pytest.mark.parametrize("question", [
    "Combien de visiteurs et d'exposants sont attendus au Gitex Africa 2025 ?",
    "Qui a signé un protocole d'accord avec le gouvernement du Maroc ?",
    "Huawei SPARK",  # names only: no language to speak of, so not foreign
])
def test_a_question_in_the_analysed_language_is_not(question):
    assert not QuestionLanguage("french").is_foreign(question)


def test_a_short_question_is_told_by_its_function_words():
    """The identifier is not sure of "Who signed it?" (English at 0.42): its function words
    tell it, and the one test says so everywhere it is asked."""
    language = QuestionLanguage("french")
    for english in ("Who signed it?", "Who runs it?", "Wer hat es unterschrieben?"):
        assert language.is_foreign(english)
    for french in ("Qui l'a signé ?", "Et en Égypte ?", "A quelle famille appartient-il ?",
                   "Huawei SPARK"):
        assert not language.is_foreign(french)
    assert not QuestionLanguage("yiddish").is_foreign("Who signed it?")


@pytest.mark.parametrize("question", [
    "Où a vécu Zoltán Kodály ?",  # Hungarian to the identifier, at 0.69
    "A quelle dynastie appartient Ferdinando Gonzaga ?",  # "a", "quelle": Italian words too
    "Qui est Anselm Franz",
])
def test_a_french_question_about_foreign_names_is_french(question):
    """Its French function words decide, not what its names make the identifier believe."""
    assert not QuestionLanguage("french").is_foreign(question)


@pytest.mark.parametrize("question", [
    "Qui a écrit Harry Potter and the Chamber of Secrets ?",  # 3 English words > 2 French
    "Quand a paru Of the Sea and the Sky ?",
    "Quel label a sorti « Songs of the Old Days » ?",
])
def test_a_french_question_quoting_an_english_title_is_french(question):
    """A reader goes by the question's frame ("Qui a écrit", "Quand"), not by the title it
    quotes: words inside quotes or a run of capitalised words are a name's, not the
    question's."""
    assert not QuestionLanguage("french").is_foreign(question)


@pytest.mark.parametrize("question", [
    "Who judged Paul?", "Who discovered penicillin?", "What replaced rhetorical algebra?",
    "Is Paris big?",
])
def test_a_short_question_opening_with_another_languages_interrogative_is_foreign(question):
    """One function word each, and the identifier unsure: the opening "Who", "What", "Is"
    is English's, and nothing of French's is outside the names."""
    assert QuestionLanguage("french").is_foreign(question)


@pytest.mark.parametrize("question", [
    "how are you ça veut dire quoi", "Is it safe ? veut dire quoi", "What's up veut dire quoi ?",
])
def test_a_french_question_about_an_english_phrase_is_not_foreign_by_its_opening(question):
    """It opens with the phrase it asks about, but holds French words ("quoi"): the
    opening alone does not make it foreign; the identifier and the counts decide, as they
    did before the frame rule."""
    assert not QuestionLanguage("french").is_foreign(question)


def test_the_frame_rule_holds_in_other_analysed_languages():
    english, german = QuestionLanguage("english"), QuestionLanguage("german")
    assert english.is_foreign("Qui a tué César ?")
    assert not english.is_foreign("Who wrote Le Comte de Monte-Cristo?")
    assert not english.is_foreign("What is Le Rouge et le Noir about?")
    assert german.is_foreign("Who wrote Faust?")
    assert not german.is_foreign("Wer hat Faust geschrieben?")
    assert not german.is_foreign("Wann erschien The Lord of the Rings?")


def test_the_analysed_language_decides():
    english = "What did Nokia and the Moroccan government sign?"
    assert not QuestionLanguage("english").is_foreign(english)
    assert QuestionLanguage("english").is_foreign("Qu'a signé Nokia avec le gouvernement ?")
    # A language the identifier does not know: nothing is foreign, BM25 is never set aside.
    assert QuestionLanguage("yiddish").code is None
    assert not QuestionLanguage("yiddish").is_foreign(english)


def test_a_foreign_texts_function_words_are_those_of_its_language():
    """What an English turn over a French index lends a follow-up: not "who", "how",
    "many", "were", "there" (the French stopword list knows none of them)."""
    french = QuestionLanguage("french")
    words = french.function_words("And how many exhibitors were there in 2024?")
    assert {"and", "how", "many", "were", "there", "in", "who", "does"} <= words
    assert "exhibitors" not in words
    assert french.function_words("Qui l'a signé côté marocain ?") == frozenset()
    assert "wer" in french.function_words("Wer hat Faust geschrieben?")
    assert QuestionLanguage("yiddish").function_words("Who organises it?") == frozenset()


@pytest.fixture(scope="module")
def index(e5_corpus_index):
    return load_index(e5_corpus_index)


def test_an_english_question_is_ranked_by_the_model_alone(index, e5_embedder):
    params = RetrievalParams(fusion=FusionParams("minmax", 0.5), crosslingual_dense_weight=1.0)
    retriever = Retriever(index, e5_embedder, params)
    english = "Which Moroccan cities did Huawei's teams visit to meet startups?"
    assert retriever.fusion_for(english) == FusionParams("minmax", 1.0)
    hybrid = retriever.search(english, 5)
    dense = retriever.search(english, 5, mode="dense")
    assert [h.row for h in hybrid.hits] == [h.row for h in dense.hits]
    assert hybrid.foreign and not retriever.search(
        "Quelles villes marocaines les équipes de Huawei ont-elles visitées ?", 5).foreign
    # A French question keeps the measured fusion, and BM25 its half of the score.
    french = "Quelles villes marocaines les équipes de Huawei ont-elles visitées ?"
    assert retriever.fusion_for(french) == FusionParams("minmax", 0.5)
    # A short English question is as English to the fusion as to the rest; a French one
    # about foreign names as French.
    assert retriever.fusion_for("Who signed it?") == FusionParams("minmax", 1.0)
    assert retriever.fusion_for("Où a vécu Zoltán Kodály ?") == FusionParams("minmax", 0.5)
    # Off: one fusion for every question (BM25's list reorders the English one's passages).
    off = Retriever(index, e5_embedder, replace(params, crosslingual_dense_weight=None))
    assert off.fusion_for(english) == FusionParams("minmax", 0.5)
    assert [h.row for h in off.search(english, 5).hits] != [h.row for h in hybrid.hits]
    assert not off.search(english, 5).foreign  # its reading (and highlight) as a French one's


def test_a_bad_weight_is_refused():
    with pytest.raises(ValueError, match="crosslingual_dense_weight"):
        RetrievalParams(crosslingual_dense_weight=1.5)


@pytest.mark.parametrize(("question", "low"), [
    ("How many visitors and exhibitors are expected at Gitex Africa 2025?", False),
    ("Which Moroccan cities did Huawei's teams visit to meet startups?", False),
    ("How long should I knead bread dough?", True),
])
def test_an_english_question_is_judged_by_the_fit_for_such_questions(index, e5_embedder,
                                                                     question, low):
    from ragqa.settings import Settings

    params = Settings(_env_file=None).retrieval_params(e5_embedder.model.name)
    assert params.relevance_crosslingual is not None
    retriever = Retriever(index, e5_embedder, params)
    result = retriever.search(question, 5)
    vector = e5_embedder.encode_queries([question])[0]
    features = retriever.relevance_features(question, result.hits[0], vector)
    assert result.relevance == pytest.approx(
        params.relevance_crosslingual.probability(*features), abs=1e-4)
    assert result.relevance != pytest.approx(params.relevance.probability(*features), abs=1e-4)
    assert result.low_relevance is low


def test_a_short_english_question_is_judged_as_english(index, e5_embedder):
    """"Who runs it?" is English to the relevance model as to the fusion and the typos."""
    from ragqa.settings import Settings

    params = Settings(_env_file=None).retrieval_params(e5_embedder.model.name)
    retriever = Retriever(index, e5_embedder, params)
    for question in ("Who runs it?", "Who signed it?"):
        assert retriever.relevance_model_for(question) is params.relevance_crosslingual
    assert retriever.relevance_model_for("Qui est Anselm Franz") is params.relevance
