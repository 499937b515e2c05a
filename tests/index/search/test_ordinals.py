"""index.search.ordinals: the numbered item a question asks for, the number an item opens
with."""

import pytest

from ragqa.index.search.analysis import Analyzer, AnalyzerConfig
from ragqa.index.search.ordinals import LAST, asked_position, item_number

ANALYZE = Analyzer(AnalyzerConfig())


@pytest.mark.parametrize("question, number, counted", [
    ("Quelle est la première étape ?", 1, {"etap"}),
    ("Quelle est la dernière étape ?", LAST, {"etap"}),
    ("Que faire à l'étape 3 ?", 3, {"etap"}),
    ("What is the second step?", 2, {"step"}),
])
def test_the_position_a_question_asks_for(question, number, counted):
    position = asked_position(question, ANALYZE)
    assert position is not None and (position.number, position.counted) == (number, counted)


@pytest.mark.parametrize("question", ["Qui a gagné 3 médailles ?", "Combien de visiteurs ?"])
def test_no_position_asked(question):
    assert asked_position(question, ANALYZE) is None


@pytest.mark.parametrize("sentence, number", [
    ("1. Créez votre compte", 1), ("2) Remplissez", 2), ("- 3. Joignez", 3),
    ("**Étape 1 :** Téléchargez", 1), ("Étape 2 : Saisissez", 2),
    ("Première étape : créer un compte", 1), ("2024. Une année", None),
    ("12 000 visiteurs", None), ("1.5 million", None),
])
def test_the_number_a_list_item_opens_with(sentence, number):
    assert item_number(sentence) == number
