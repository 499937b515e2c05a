"""A word hyphenated at a line end (index/documents/linehyphens.py): the rule that joins
it or keeps its hyphen, as a heading's lines read it. The body's line ends are tested
through the PDF's text (test_pdftext.py)."""

import pytest

from ragqa.index.documents.linehyphens import joined_lines, vocabulary


@pytest.mark.parametrize("lines, expected", [
    (["Conditions d'accès au ser-", "vice public"], "Conditions d'accès au service public"),
    (["Relations avec Bank Al-", "Maghrib"], "Relations avec Bank Al-Maghrib"),  # a capital
    (["Rôle du porte-", "parole"], "Rôle du porte-parole"),  # a compound's start
    (["Réunion de l'après-", "midi"], "Réunion de l'après-midi"),
    (["Plan de continuité", "des services"], "Plan de continuité des services"),
    (["Gestion des ser\xad", "vices"], "Gestion des services"),  # a soft hyphen
    (["Appel à projets –", "édition 2024"], "Appel à projets – édition 2024"),  # a dash
    (["Titre"], "Titre"),
])
def test_a_heading_s_lines_read_as_one(lines, expected):
    assert joined_lines(lines, vocabulary([])) == expected


def test_the_document_s_own_word_decides():
    # "auto-" cuts "autorisation" by default; a document that writes "auto-école" keeps it
    lines = ["Inscription en auto-", "école"]
    assert joined_lines(lines, vocabulary([])) == "Inscription en autoécole"
    assert joined_lines(lines, vocabulary(["Une auto-école agréée."])) == (
        "Inscription en auto-école")
