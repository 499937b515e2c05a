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


def test_a_text_is_its_words_analysed_one_after_the_other(french):
    """Whatever separates two words (a space of any kind, a line break, punctuation, a
    zero-width space), the analysis of a text is its words' analyses in order: the analyzer
    splits at whitespace first and at the other separators inside each word."""
    words = ["L’Afrique", "(télécommunications),", "e-santé", "45.000", "«Maroc»",
             "(jusqu'ici", "data-centers;", "aujourd'hui", "--", "U.S.A.", "/l'État"]
    expected = [term for word in words for term in french(word)]
    assert len(expected) > len(words)
    for separator in (" ", "\t", "\n", "\u00a0", "\u2009", "\u2028", "\x1c", " — ", ", ",
                      "/", "\u200b", "…"):
        assert french(separator.join(words)) == expected, repr(separator)
    assert french("l'\u200bAfrique") == french("l'") + french("Afrique")
    # an elision behind punctuation is still one: the separators go before it is read
    assert french("(jusqu'ici)") == french("«jusqu'ici»") == french("ici")
    assert french("(lorsqu'on") == french("lorsqu'on") == []
