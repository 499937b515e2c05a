"""A lone cell's words under a sheet's table: what opens a note, what reads as a sentence,
and the values (names, places, companies) that do neither."""

from __future__ import annotations

import pytest
from ragqa.index.documents.sheetnotes import is_total, reads_as_sentence, starts_like_note


@pytest.mark.parametrize("text", [
    "Source : DRH, mars 2025", "Sources: INSEE", "NB : hors stagiaires", "N.B. hors stagiaires",
    "Note : chiffres au 31/12", "Remarque : provisoire", "(1) hors contrats aidés",
    "1) hors contrats aidés", "* estimation", "Chiffres provisoires.", "Chiffres provisoires",
    "Données estimées en mai", "Donnees 2024", "Lecture : 12 % des agents ...",
    "Champ : agents titulaires", "Hors contrats aidés", "Mis à jour le 3 mars 2025",
    "Dernière mise à jour : 02/04/2025", "Situation au 31/12/2024", "Arrêté au 1er janvier"])
def test_a_note_s_first_words(text):
    assert starts_like_note(text)


@pytest.mark.parametrize("text", [
    "Moreau Jean-Baptiste", "de La Fontaine Jean", "Aix-en-Provence", "Le Puy-en-Velay",
    "Total", "Martin et Fils S.A.", "Source", "Chiffres", "Données", "NB", "Hors-série",
    "Direction des ressources humaines", "Notre-Dame-de-Monts", "Sourcieux-les-Mines"])
def test_a_value_s_first_words(text):
    assert not starts_like_note(text)


def test_a_sentence_is_several_words_longer_than_the_column_with_a_stop_or_a_verb():
    longest = len("Lefèvre Anne")
    assert reads_as_sentence("Les agents en disponibilité ne sont pas comptés", longest)
    assert reads_as_sentence("Effectifs estimés pour les services sans retour", longest)
    assert reads_as_sentence("Aucune donnée transmise pour 2025.", 0)  # under a header alone
    # A company ending in a full stop: too few words. A name with particles: no stop, no
    # verb.
    assert not reads_as_sentence("Martin et Fils S.A.", 0)
    assert not reads_as_sentence("Marie-Hélène de La Tour d'Auvergne", longest)
    # A service's long name: no stop, no verb ("qualité", "années" are nouns).
    assert not reads_as_sentence(
        "Direction des ressources humaines et des relations sociales", longest)
    assert not reads_as_sentence("Service de la qualité et de la sécurité des années", longest)
    # Not clearly longer than its column's values: a value of that column.
    assert not reads_as_sentence("Les agents en disponibilité ne sont pas comptés", 30)


def test_a_total_s_first_cell():
    assert is_total("Total") and is_total("Sous-total Nord") and is_total("TOTAL GÉNÉRAL")
    assert is_total("Ensemble")
    assert not is_total("Totalement libre") and not is_total("Toulouse")


def test_a_noun_after_a_determiner_is_no_verb():
    # "salariés", "données", "mise" after "des", "la": nouns, a service's or a role's name.
    assert not reads_as_sentence("Représentants des salariés au comité social", 5)
    assert not reads_as_sentence("Délégué à la protection des données", 5)
    assert not reads_as_sentence("Bureau de la mise en service des réseaux", 5)
    assert reads_as_sentence("Les agents détachés n'ont pas répondu", 5)
    assert reads_as_sentence("Il s'agit des effectifs au 31 décembre", 5)
