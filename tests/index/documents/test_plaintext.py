"""Headings of plain text files, found from their lines (index/documents/plaintext.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ragqa.index.documents.loaders import load_document
from ragqa.index.documents.outline import OutlinedDocument
from tests.index.documents.structured import passages, section_titles

RULES = """Règlement intérieur de la salle des fêtes

ARTICLE 1 - OBJET
Le présent règlement fixe les conditions d'utilisation de la salle des fêtes communale par
les associations et les particuliers de la commune.

ARTICLE 2 - RÉSERVATION
La réservation se fait auprès du secrétariat de mairie au moins un mois à l'avance. Elle
n'est définitive qu'après le versement des arrhes.

ARTICLE 3 - TARIFS
1. Habitants de la commune
Le tarif est de 150 euros pour un week-end complet, chauffage compris.
2. Extérieurs
Le tarif est de 300 euros pour un week-end complet, chauffage compris.

Fait à Villeurbanne, le 3 mars 2024
Le Maire
Jean Dupont
"""

# A Word document saved as text: one line a paragraph, no blank line, bare headings.
SAVED_FROM_WORD = "\n".join([
    "Le congé parental d'éducation",
    "De quoi s'agit-il ?",
    "Le congé parental d'éducation permet au salarié de cesser son"
    " activité pour élever son enfant.",
    "Qui est concerné ?",
    "Cas général",
    "Tout salarié qui justifie d'une ancienneté minimale d'un an dans"
    " l'entreprise à la date de la naissance.",
    "Cas particulier",
    "Le salarié qui adopte un enfant de moins de 16 ans peut aussi en"
    " bénéficier dans les mêmes conditions.",
    "Durée du congé",
    "Le congé dure un an au plus, renouvelable deux fois, jusqu'aux trois"
    " ans de l'enfant.",
    "",
]) + "\n"


def _load(tmp_path: Path, text: str, name: str = "doc.txt"):
    (tmp_path / name).write_text(text, encoding="utf-8")
    return load_document(tmp_path / name, name)


def test_divisions_and_numbered_lines_are_sections_nested_by_rank(tmp_path):
    doc = _load(tmp_path, RULES)
    assert isinstance(doc, OutlinedDocument) and doc.text == RULES  # offsets are the file's
    assert section_titles(doc) == [
        "Règlement intérieur de la salle des fêtes", "ARTICLE 1 - OBJET",
        "ARTICLE 2 - RÉSERVATION", "ARTICLE 3 - TARIFS › 1. Habitants de la commune",
        "ARTICLE 3 - TARIFS › 2. Extérieurs"]
    for heading in doc.headings:
        assert doc.text[heading.start:].startswith(heading.path[-1])
    # the signature under the last article heads nothing and stays in its section
    found = passages(doc)
    assert any("Jean Dupont" in doc.text[p.start:p.end] and p.section.endswith("2. Extérieurs")
               for p in found)


def test_a_word_document_saved_as_text_has_its_bare_headings(tmp_path):
    doc = _load(tmp_path, SAVED_FROM_WORD)
    assert section_titles(doc) == [
        "Le congé parental d'éducation", "De quoi s'agit-il ?", "Qui est concerné ? › Cas général",
        "Cas particulier", "Durée du congé"]
    passages(doc)


def test_a_typed_text_wrapped_by_hand_keeps_its_paragraphs_whole(tmp_path):
    """Lines wrapped at 72 columns are one paragraph: a line cut short before a capital
    ("...la" / "Direction régionale...", "... de J. K." / "Rowling"), or going on in lower
    case or in brackets, heads nothing; numbered headings do."""
    text = ("Guide du télétravail\n\n"
            "1. Principes\n\n"
            "Le télétravail est ouvert aux agents dont les missions le permettent, après\n"
            "accord de leur responsable et avis de la\n"
            "Direction régionale des ressources humaines qui instruit la demande dans un\n"
            "délai d'un mois.\n\n"
            "Les agents sont à la tête d'une administration sénatoriale (Senatsverwaltung)\n"
            "elle-même organisée en dix services.\n\n"
            "Voir aussi la charte des personnages du monde des sorciers de J. K.\n"
            "Rowling\n\n"
            "Il partage aussi une frontière maritime avec la France\n"
            "(Saint-Pierre-et-Miquelon) et avec le Danemark.\n\n"
            "« Nous avons hâte de commencer… Les agents vont adorer… »\n"
            "Ainsi parlait le directeur lors de la réunion de lancement du projet.\n\n"
            "1.1 Jours autorisés\n\n"
            "Deux jours par semaine au plus, fixés à l'avance avec le responsable du\n"
            "service.\n\n"
            "2. Équipement\n\n"
            "Un ordinateur portable est fourni à chaque agent en télétravail régulier.\n")
    doc = _load(tmp_path, text)
    assert doc.title == "Guide du télétravail"  # not the wrapped paragraph's first line
    assert section_titles(doc) == ["Guide du télétravail", "1. Principes",
                                   "1. Principes › 1.1 Jours autorisés", "2. Équipement"]


def test_a_footer_in_short_lines_heads_no_section(tmp_path):
    """Short lines with no sentence under them have an outline's shape, not its text: the
    page's footer stays in the last section."""
    text = SAVED_FROM_WORD + ("Cette page vous a-t-elle été utile ?\nOui Non\n"
                              "Partager la page : Facebook Twitter LinkedIn Courriel\n"
                              "Haut de page\nAccueil > Particuliers > Fiches pratiques\n")
    titles = section_titles(_load(tmp_path, text))
    assert titles[-1] == "Durée du congé" and len(titles) == 5


def test_capital_headings_rank_above_bare_ones(tmp_path):
    text = ("Tarifs 2025\n\nCONDITIONS GÉNÉRALES\n\nAdultes\n\nL'entrée coûte 8 euros le jour "
            "de la visite, sur présentation d'un justificatif.\n\nEnfants\n\nL'entrée est "
            "gratuite jusqu'à douze ans, accompagnés d'un adulte.\n\nHORAIRES\n\nLe musée "
            "ouvre du mardi au dimanche de 10 heures à 18 heures.\n")
    assert section_titles(_load(tmp_path, text)) == [
        "Tarifs 2025", "CONDITIONS GÉNÉRALES › Adultes", "CONDITIONS GÉNÉRALES › Enfants",
        "HORAIRES"]


@pytest.mark.parametrize("text", [
    # a news article: a byline, a dateline, no outline
    "Huawei lance un programme pour les startups\n\nPar Jean Dupont\n\nCasablanca, le 7 "
    "juin 2021 – Huawei Maroc a annoncé le lancement de son programme SPARK.\n\nLe "
    "programme accompagnera 26 startups pendant un an, avec un financement.\n",
    # a letter: salutation, signature, a lone short line
    "Demande de congé\n\nMadame la Directrice\n\nJe sollicite un congé du 3 au 14 mars "
    "pour raisons familiales, comme convenu lors de notre entretien.\n\nCordialement\n\n"
    "Jean Dupont\nService comptable\n",
    # one bare line over a paragraph: more likely a lead than an outline
    "Note de service\n\nRappel important\n\nLes bureaux seront fermés le lundi de Pâques, "
    "toute la journée, pour l'ensemble des services.\n",
    # a numbered list of short items: a list, not headings
    "Pièces à fournir\n\n1. Pièce d'identité\n2. Justificatif de domicile\n3. Avis "
    "d'imposition\n\nCes pièces sont à envoyer au service avant la fin du mois suivant.\n",
    # a table saved as text: its rows are no headings
    "Tarifs\n\nCatégorie\tPrix\nAdulte\t8 euros\nEnfant\tGratuit\n\nLes tarifs sont "
    "valables toute l'année, jours fériés compris, pour toutes les expositions.\n",
])
def test_texts_without_an_outline_keep_one_section(tmp_path, text):
    doc = _load(tmp_path, text)
    assert not isinstance(doc, OutlinedDocument) and len(section_titles(doc)) == 1


def test_markdown_headings_and_markdown_files_read_as_before(tmp_path):
    """A .txt file that uses markdown headings keeps them alone; a .md file never reads its
    bare lines as headings."""
    text = "# Guide\n\n## Accès\n\nARTICLE 1 - OBJET\nLe texte de l'article un.\n"
    doc = _load(tmp_path, text)
    assert not isinstance(doc, OutlinedDocument)
    assert section_titles(doc) == ["Guide", "Accès"]
    md = _load(tmp_path, RULES, "rules.md")
    assert not isinstance(md, OutlinedDocument) and len(section_titles(md)) == 1
