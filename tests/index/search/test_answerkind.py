"""index.search.answerkind: what a question asks for, and the highlight that follows."""

import pytest

from ragqa.index.search.analysis import Analyzer, AnalyzerConfig
from ragqa.index.search.answerkind import Asked, Kind, asked_kind, month_terms, years
from ragqa.index.search.highlight import highlight_span

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


def test_a_sentence_holding_what_is_asked_gains_one_of_another_year_loses():
    question = "Combien de visiteurs au GITEX 2025 ?"
    asked = Asked.of(question, frozenset(ANALYZE(question)), month_terms(ANALYZE))
    assert asked is not None and asked.kind is Kind.FIGURE and asked.years == {"2025"}
    figures = frozenset(ANALYZE("Plus de 45.000 visiteurs et 1.500 exposants attendus."))
    other_year = frozenset(ANALYZE("L'édition 2024 avait reçu 40.000 visiteurs."))
    none = frozenset(ANALYZE("Les visiteurs viendront de toute l'Afrique."))
    assert asked.adjustment(figures) == asked.bonus  # 1.500 is a figure, not a year
    assert asked.adjustment(other_year) == asked.bonus - asked.penalty
    assert asked.adjustment(none) == 0.0
    assert years(ANALYZE("en 2024 et 1.500 exposants")) == {"2024"}
    assert Asked.of("Qui a signé ?", frozenset(ANALYZE("Qui a signé ?")),
                    month_terms(ANALYZE)) is None


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
