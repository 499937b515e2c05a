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


def test_a_date_reads_alike_in_figures_and_in_words(french):
    """A table's "14/04/2025" and a question's "14 avril 2025" share their day, month and
    year, and a term of that day no other day has; a version number, a fraction or an
    impossible date stays figures only."""
    words = set(french("le 14 avril 2025"))
    assert "2025-04-14" in words and "04-14" in words
    for written in ("14/04/2025", "(14/04/2025)", "14/04/25", "14-04-2025", "14.04.2025",
                    "2025-04-14", "14/04/2025.", "«14/04/2025»"):
        assert words <= set(french(written)), written
    assert not {"2025-04-14", "04-14"} & set(french("le 14 mars 2025, avril 2025"))
    assert set(french("1er avril")) - {"1er"} <= set(french("01/04/2025"))
    assert set(french("le 1er avril")) & set(french("1 avril")) >= {"04-01"}
    assert set(french("le 1 avril")) <= set(french("01/04/2025"))
    assert set(french("avril 2025")) <= set(french("04/2025"))
    assert set(french("28 fevrier")) <= set(french("28.02.2024"))  # typed without accents
    for written in ("14/04/2025", "2025-04-14", "le 14 avril 2025"):
        counts = french(written)
        assert len(counts) == len(set(counts)), written  # no term counted twice
    dated = set(french("avril")) | {"04-14", "2025-04-14"}
    for other in ("1.4.10", "3/4", "14/13/2025", "32/04/2025", "14.04.25", "192.168.4.1",
                  "04-2025", "14/04/2025abc", "v14/04/2025", "14 avrils", "1,14 avril"):
        assert not dated - set(french("avril")) & set(french(other)), other
    for other in ("1.4.10", "3/4", "14/13/2025", "14.04.25", "192.168.4.1", "04-2025"):
        assert not set(french("avril")) & set(french(other)), other
    english = Analyzer(AnalyzerConfig(language="english"))
    assert english("14/04/2025") == english("14 04 2025")  # month first or day first: unsaid


def test_thousands_separated_by_a_space_make_one_number(french):
    """French writes "1 200 fintechs" (a space or a no-break space between thousands): the
    number is found as "1200" and "1.200" are."""
    for written in ("1 200 fintechs", "1\u00a0200 fintechs", "1\u202f200 fintechs"):
        assert set(french("1200 fintechs")) <= set(french(written)), written
        assert set(french("1.200")) <= set(french(written)), written
    assert "194000" in french("soit 194 000 emplois")
    assert "1500000" in french("1 500 000 visiteurs")
    for other in ("en 2024 200 entreprises", "06 12 34 56 78", "1,5 200", "12 3456"):
        assert not {"2024200", "0612", "5200", "123456"} & set(french(other)), other
