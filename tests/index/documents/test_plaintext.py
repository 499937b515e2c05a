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


def _titles(tmp_path: Path, *paragraphs: str) -> list[str]:
    return section_titles(_load(tmp_path, "\n\n".join(paragraphs) + "\n"))


def test_a_poem_and_an_email_keep_their_lines_in_their_sections(tmp_path):
    """Found by review: a verse's first line, a reply's header, a closing and a signature
    with an initial ("C. Martin", not the roman number 100) made sections."""
    assert len(_titles(tmp_path, "La Complainte du facteur",
                       "Il passe tous les matins\nAvec sa sacoche de cuir\n"
                       "Il connaît tous les chemins\nEt chaque nom sans faiblir.",
                       "Quand il pleut sur le village\nIl ne manque jamais sa tournée\n"
                       "Il apporte les messages\nEt les colis de l'année.")) == 1
    mail = ("Objet : Point sur le chantier", "Bonjour,", "Voici le point hebdomadaire.",
            "Gros œuvre\nLes fondations sont terminées, le coulage de la dalle est prévu lundi.",
            "Second œuvre\nLes menuisiers interviendront à partir du 15 avril, sauf pluie.",
            "Bonne journée\nMarc Lenoir",
            "Le 5 nov. 2024 à 18:03, Claire Robert a écrit :\n> Peux-tu nous envoyer le point ?",
            "C. Martin\nResponsable des ressources humaines, poste 4100, au deuxième étage.")
    assert _titles(tmp_path, *mail)[1:] == ["Gros œuvre", "Second œuvre"]


def test_numbered_outlines_nest_and_numbered_lists_stay_lists(tmp_path):
    plan = _titles(tmp_path, "Rapport sur le logement", "I. Le contexte",
                   "A. Une demande en hausse\nLa demande a augmenté de 12 % en cinq ans.",
                   "1. Les jeunes actifs\nIls représentent un tiers des demandes.",
                   "2. Les familles\nLeur part progresse chaque année.",
                   "B. Une offre insuffisante\nSeuls 400 logements ont été livrés.",
                   "II. Les propositions\nL'objectif est de 600 logements par an.")
    assert plan[1:] == ["I. Le contexte › A. Une demande en hausse",
                        "I. Le contexte › A. Une demande en hausse › 1. Les jeunes actifs",
                        "I. Le contexte › A. Une demande en hausse › 2. Les familles",
                        "I. Le contexte › B. Une offre insuffisante", "II. Les propositions"]
    # stacked divisions open one section; an agenda's list is no heading, its items later are
    statutes = _titles(tmp_path, "Statuts de l'association",
                       "TITRE I - DISPOSITIONS GÉNÉRALES\nArticle 1er - Dénomination\n"
                       "L'association est nommée Les Amis du Parc.",
                       "TITRE II - ADMINISTRATION\nChapitre 1 - Le conseil\nArticle 2\n"
                       "Le conseil compte douze membres élus pour trois ans.")
    assert statutes[1:] == ["TITRE I - DISPOSITIONS GÉNÉRALES › Article 1er - Dénomination",
                            "TITRE II - ADMINISTRATION › Chapitre 1 - Le conseil › Article 2"]
    minutes = _titles(tmp_path, "Compte rendu du conseil",
                      "Ordre du jour\n1. Approbation\n2. Effectifs\n3. Questions diverses",
                      "1. Approbation\nLe compte rendu du 12 juin est approuvé.",
                      "2. Effectifs\nL'école compte 212 élèves en huit classes.",
                      "3. Questions diverses\nAucune question n'a été posée.")
    assert minutes[1:] == ["1. Approbation", "2. Effectifs", "3. Questions diverses"]
    steps = _titles(tmp_path, "Ouverture du bâtiment", "1. Désactiver l'alarme.",
                    "2. Allumer l'éclairage.", "3. Vérifier le chauffage\nIl doit faire 19 °C.",
                    "4. Ouvrir le portail\nIl se referme à 8h35.")
    assert len(steps) == 1
    # Word's numbered headings saved as text: the number, a tab, the heading
    assert _titles(tmp_path, "Guide", "1.\tObjet\nLe guide décrit les aides.",
                   "2.\tMontants\nLes montants sont fixés chaque année.")[1:] == [
        "1.\tObjet", "2.\tMontants"]


def test_a_long_paragraph_wrapped_by_hand_is_read_in_linear_time(tmp_path):
    """Found by review: a 2 MB wrapped text took minutes (each line re-read the whole
    paragraph joined so far); its 30,000 lines are one paragraph, read at once."""
    line = "mot " * 17 + "suite"
    doc = _load(tmp_path, "Texte\n\n" + "\n".join([line] * 30000) + ".\n")
    assert len(section_titles(doc)) == 1


def test_numbered_runs_of_headings_lists_and_steps_are_told_apart(tmp_path):
    """Found by the second review: an empty numbered section ("3. Questions diverses" right
    above "4. ...") made the whole outline a list, and a list "1." / "2." under the heading
    "2." took the heading "3." after it; a heading over a numbered list only was dropped."""
    minutes = _titles(tmp_path, "Compte rendu du comité",
                      "1. Approbation\nLe procès-verbal du 12 février est approuvé.",
                      "2. Plan de formation\nLe plan comprend 45 actions.",
                      "3. Questions diverses\n4. Prochaine séance\nElle aura lieu le 18 juin.")
    assert minutes[1:] == ["1. Approbation", "2. Plan de formation", "4. Prochaine séance"]
    procedure = _titles(tmp_path, "Procédure de recrutement d'un vacataire",
                        "1. Avant le recrutement\nLe service vérifie les crédits.",
                        "2. Pièces à réunir\n1. Curriculum vitae\n2. Copie du diplôme",
                        "3. Après le recrutement\nLe contrat est transmis à la paie.",
                        "4. Fin du contrat\nUne attestation est remise à l'agent.")
    assert procedure[1:] == ["1. Avant le recrutement", "2. Pièces à réunir",
                             "3. Après le recrutement", "4. Fin du contrat"]
    # short steps one a block, the last over a sentence: a list, not one heading
    assert len(_titles(tmp_path, "Consignes en cas d'incendie", "1. Gardez votre calme",
                       "2. Donnez l'alerte", "3. Évacuez par l'escalier",
                       "4. Rejoignez le point de rassemblement",
                       "Ne revenez jamais dans le bâtiment.")) == 1


def test_a_heading_over_a_list_in_its_block(tmp_path):
    assert _titles(tmp_path, "Carte de stationnement résident",
                   "Pièces à fournir :\n- justificatif de domicile ;\n- carte grise ;\n"
                   "- pièce d'identité.",
                   "Tarifs :\n- première carte : 20 euros ;\n- seconde carte : 40 euros.",
                   "Où déposer la demande ?\nAu guichet unique de la mairie, en semaine.")[1:] == [
        "Pièces à fournir :", "Tarifs :", "Où déposer la demande ?"]
