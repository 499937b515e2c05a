"""index.search.answerkind: what a question asks for, and the highlight that follows."""

import pytest

from ragqa.index.documents.chunking import ChunkingParams, chunk_document, make_splitter
from ragqa.index.documents.loaders import load_document
from ragqa.index.documents.sections import split_sections
from ragqa.index.search.analysis import Analyzer, AnalyzerConfig
from ragqa.index.search.answerkind import (Asked, Kind, asked_kind, month_terms, periods,
                                           written_years, years)
from ragqa.index.search.highlight import Highlighter, highlight_span

ANALYZE = Analyzer(AnalyzerConfig())


@pytest.mark.parametrize("question, kind", [
    ("Combien de visiteurs sont attendus ?", Kind.FIGURE),
    ("Quel est le nombre de startups du programme ?", Kind.FIGURE),
    ("Quelle est la part de l'Afrique dans ce marché ?", Kind.FIGURE),
    ("Quel est le budget alloué au programme ?", Kind.FIGURE),
    ("How many engineers were trained?", Kind.FIGURE),
    ("Quand le centre a-t-il ouvert ?", Kind.TIME),
    ("En quelle année la société a-t-elle été fondée ?", Kind.TIME),
    ("Depuis quand l'accord est-il en vigueur ?", Kind.TIME),
    ("What year did the war end?", Kind.TIME),
    ("Qui a signé l'accord ?", None),
    ("Où se tient le salon ?", None),
    ("Quelle entreprise a participé ?", None),  # "part" is no word of its own here
    ("Quelle est la date du GITEX ?", Kind.TIME),
    ("Date du salon ?", Kind.TIME),
    ("Il ouvre quand ?", Kind.TIME),
    ("Quel est l'âge du fondateur ?", Kind.FIGURE),
    ("Quel est son coût ?", Kind.FIGURE),
    ("What is the price?", Kind.FIGURE),
    # a word alone asks nothing
    ("Que faire quand on perd sa carte ?", None),
    ("Qu'est-ce que le taux directeur ?", None),
    ("Qui a fondé un grand nombre de startups ?", None),
])
def test_the_kind_a_question_asks_for(question, kind):
    assert asked_kind(question) is kind


def _adjustment(asked: Asked, sentence: str) -> float:
    return asked.adjustment(frozenset(ANALYZE(sentence)), written_years(sentence))


def test_a_sentence_holding_what_is_asked_gains_one_of_another_year_loses():
    question = "Combien de visiteurs au GITEX 2025 ?"
    asked = Asked.of(question, month_terms(ANALYZE))
    assert asked is not None and asked.kind is Kind.FIGURE and asked.years == {"2025"}
    figures = "Plus de 45.000 visiteurs et 1.500 exposants attendus."
    other_year = "L'édition 2024 avait reçu 40.000 visiteurs."
    none = "Les visiteurs viendront de toute l'Afrique."
    assert _adjustment(asked, figures) == asked.bonus  # 1.500 is a figure, not a year
    assert _adjustment(asked, other_year) == asked.bonus - asked.penalty
    assert _adjustment(asked, none) == 0.0
    assert years("en 2024 et 1.500 exposants") == {"2024"}
    assert Asked.of("Qui a signé ?", month_terms(ANALYZE)) is None


@pytest.mark.parametrize("text, written", [
    # a count written with thousands separators is no year, whichever the separator
    ("2.000 emplois créés", set()), ("2 000 startups", set()), ("2,000 jobs", set()),
    ("1 950 lits", set()), ("1\u202f950 lits", set()), ("un solde de 2.000,5 euros", set()),
    ("2025,5 %", set()), ("version 1.2025", set()), ("Medias2025", set()),
    # a year as it is written, dates in figures and in words as dates.py reads them
    ("en 2025", {"2025"}), ("(2025).", {"2025"}), ("2023-2024", {"2023", "2024"}),
    ("le 14/04/2025", {"2025"}), ("le 2025-04-14", {"2025"}), ("le 14.04.2025", {"2025"}),
    ("le 14/04/25", {"2025"}), ("14 avril 2025", {"2025"}), ("en 1789", {"1789"}),
])
def test_a_year_is_four_figures_written_alone_not_a_count_with_separators(text, written):
    assert written_years(text) == written


@pytest.mark.parametrize("count", ["2.000", "2 000", "2,000", "2\u00a0000"])
def test_a_count_between_1900_and_2099_is_a_figure_not_a_year(count):
    """The analyzer makes "2.000" (and "2 000") the term "2000", as it does the year; the
    sentence still holds a figure, names no other year, and says no time."""
    sentence = f"Le programme a créé {count} emplois dans la région."
    figure = Asked.of("Combien d'emplois le programme a-t-il créés en 2024 ?",
                      month_terms(ANALYZE))
    time = Asked.of("Quand le programme a-t-il été lancé ?", month_terms(ANALYZE))
    assert figure is not None and figure.years == {"2024"}
    assert _adjustment(figure, sentence) == figure.bonus
    assert time is not None and _adjustment(time, sentence) == 0.0
    assert _adjustment(time, "Il a été lancé en 2000.") == time.bonus
    # the question's own years are read as written too
    assert years("Combien de startups parmi les 2 000 du programme ?") == frozenset()


def test_a_count_written_with_a_separator_is_the_highlight_of_how_many(tmp_path):
    """A page's sentence "2.000 emplois" answers "combien ... en 2024 ?": it was read as the
    year 2000 (another year than the question's, no figure), and the sentence naming the
    programme and the year won."""
    page = ("<html><head><title>Bilan du programme Emploi Plus</title></head><body>"
            "<h1>Bilan du programme Emploi Plus</h1>"
            "<p>Le programme Emploi Plus a été présenté en 2024 devant les élus régionaux.</p>"
            "<p>Le programme a créé 2.000 emplois dans les zones rurales.</p>"
            "</body></html>")
    (tmp_path / "bilan.html").write_text(page, encoding="utf-8")
    doc = load_document(tmp_path / "bilan.html", "bilan.html")
    passages = chunk_document(doc, split_sections(doc.text, doc.title), frozenset(),
                              make_splitter(ChunkingParams()))
    highlighter = Highlighter(ANALYZE)
    focus = highlighter.focus("Combien d'emplois le programme a-t-il créés en 2024 ?")
    start, end = highlighter.span(focus, doc.doc_id, doc.text, passages[0].start,
                                  passages[-1].end)
    assert "2.000 emplois" in doc.text[start:end], doc.text[start:end]


@pytest.mark.parametrize("question, passage, answer", [
    # The terms tie ("visiteurs"): the year the question names decides, not the order.
    ("Combien de visiteurs au GITEX 2025 ?",
     "L'édition 2024 avait accueilli 40.000 visiteurs venus de 130 pays. "
     "Cette fois, plus de 45.000 visiteurs sont prévus.", "45.000"),
    # "Quand": the terms tie again; the sentence that says when.
    ("Quand la plateforme a-t-elle été présentée ?",
     "La plateforme sera présentée aux entreprises partenaires. "
     "La plateforme a été présentée au public le 3 mars 2024.", "3 mars 2024"),
    # "Combien": the sentence with the count.
    ("Combien de startups participent au programme SPARK ?",
     "Le programme SPARK accompagne les startups marocaines dans leur croissance. "
     "Cette année, 26 startups y participent.", "26 startups"),
])
def test_the_highlight_holds_what_the_question_asks_for(question, passage, answer):
    start, end = highlight_span(passage, 0, len(passage), question, ANALYZE)
    assert answer in passage[start:end], passage[start:end]


@pytest.mark.parametrize("text, found", [
    ("au T3 2024", {"q3"}), ("Q1-2025", {"q1"}), ("au 3e trimestre", {"q3"}),
    ("le troisième trimestre", {"q3"}), ("premier semestre 2025", {"s1"}), ("H2 2024", {"s2"}),
    ("un t3 à louer", set()), ("le modèle T3-2", set()), ("la grippe H1N1", set()),
    ("S1-2025", {"s1"}), ("l'hydrogène H2 vert", set()), ("le H2 de 2024", set()),
])
def test_quarters_and_half_years(text, found):
    assert periods(text) == found


def test_a_sentence_naming_the_quarter_asked_gains_one_naming_another_loses():
    asked = Asked.of("Quel était le chiffre d'affaires au T3 2024 ?", month_terms(ANALYZE))
    assert asked is not None and asked.periods == {"q3"}

    def change(sentence: str) -> float:
        return asked.adjustment(frozenset(ANALYZE(sentence)), written_years(sentence),
                                periods(sentence)) - asked.bonus  # each holds a figure

    assert change("Trimestre : T3 2024 ; CA : 14,8") == asked.bonus
    assert change("Trimestre : T2 2024 ; CA : 13,1") == -asked.penalty
    assert change("Le chiffre d'affaires annuel atteint 55,5 M€.") == 0.0  # names none
    assert Asked.of("Qui dirige Nordis au T3 ?", month_terms(ANALYZE)) is not None


def test_a_number_in_words_is_a_figure():
    """"Combien y a-t-il de types de pièces ?": "l'une des trois pièces" says how many,
    "17 mornilles" what one is worth; both hold a figure, neither a year."""
    asked = Asked.of("Combien y a-t-il de types de pièces ?", month_terms(ANALYZE), ANALYZE)
    assert asked is not None
    assert _adjustment(asked, "Le gallion est l'une des trois pièces de la monnaie.") == (
        asked.bonus)
    assert _adjustment(asked, "Il est l'une des pièces de la monnaie.") == 0.0
    assert _adjustment(asked, "Une pièce neuve.") == 0.0  # an article, new: no figures
    # French words the analyzer makes English number words of: "tenir" is "ten", "four" an
    # oven
    assert _adjustment(asked, "Le salon va se tenir à Marrakech.") == 0.0
    assert _adjustment(asked, "Un four solaire chauffe la pièce.") == 0.0
