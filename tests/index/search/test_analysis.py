import pytest

from ragqa.index.search.analysis import Analyzer, AnalyzerConfig


@pytest.fixture(scope="module")
def french():
    return Analyzer(AnalyzerConfig())


def test_elisions_accents_stopwords_and_stems(french):
    assert french("L’Afrique") == french("afrique") == french("AFRIQUE")
    assert french("l'intelligence artificielle") == french("Intelligence Artificielle")
    assert french("qu'il est de la") == []  # elided pronoun and stopwords only
    assert french("télécommunications") == french("telecommunication")
    assert french("développeurs") == french("développeur")


def test_numbers_and_compounds(french):
    assert french("45.000 visiteurs")[0] == french("45000")[0]
    assert set(french("santé")) <= set(french("e-santé"))


def test_language_is_a_setting():
    english = Analyzer(AnalyzerConfig(language="english"))
    assert english("the connections") == english("connected")
    with pytest.raises(ValueError, match="unknown analysis language"):
        Analyzer(AnalyzerConfig(language="klingon"))
