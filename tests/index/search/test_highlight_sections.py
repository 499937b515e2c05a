"""index.search.highlight over real documents' structure: a heading's terms count for the
sentences under it alike, a headline holding the figure asked, a quarter's row of a table,
the numbered step a question asks for."""

from pathlib import Path

import pytest

from ragqa.index.documents.loaders import load_document
from ragqa.index.search.analysis import Analyzer, AnalyzerConfig
from ragqa.index.search.highlight import highlight_span

ANALYZE = Analyzer(AnalyzerConfig())

# Two entries of a live blog, as the corpus's pages read (an entry opens with its date and
# time; its headline names the subject, its sentences say the rest).
LIVE_BLOG = (
    "Suivez la chaîne sur WhatsApp\n\n"
    " 14-04 à 16:03\u00a0Bank Al-Maghrib digitalise l’accès aux informations bancaires avec "
    "un nouveau portail citoyen\n\n"
    "Le Directeur Général de Bank Al-Maghrib (BKAM) appelle à une mobilisation collective "
    "pour accélérer l’inclusion financière sur le continent.\n\n"
    "À l’occasion du Gitex Africa 2025, Bank Al-Maghrib a annoncé le lancement d’un portail "
    "en ligne destiné aux citoyens. Accessible via l’adresse Portailusagers.bankalmaghrib.ma, "
    "cette plateforme permet d’accéder de manière sécurisée à des informations sensibles. "
    "Ce portail offre trois fonctionnalités principales.\n\n"
    " 14-04 à 15:00\u00a0L'UM6P formera 200.000 jeunes footballeurs à l'intelligence "
    "artificielle\n\n"
    "Il s’agit d’initier les jeunes footballeurs, âgés de 8 à 14 ans, à l’utilisation des "
    "outils d’intelligence artificielle, en parallèle de leur formation sportive.\n\n"
    "L’Université Mohammed VI Polytechnique (UM6P) et la Fédération royale marocaine de "
    "football ont signé un accord visant à former 200.000 enfants footballeurs à "
    "l’intelligence artificielle.\n"
)


def _load(tmp_path: Path, name: str, content: str | bytes) -> str:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return load_document(path, name).text


def _entry(text: str, headline: str) -> tuple[int, int]:
    """The span of the live blog's entry opening with ``headline`` (to the next entry)."""
    start = text.index(headline)
    following = text.find(" 14-04 à", start + len(headline))
    return start, len(text) if following < 0 else following


def _highlight(text: str, start: int, end: int, question: str) -> str:
    return text[slice(*highlight_span(text, start, end, question, ANALYZE))]


def test_a_headlines_terms_do_not_lift_one_sentence_under_it_over_the_answer(tmp_path):
    """The headline names Bank Al-Maghrib's citizen portal; the sentence right after it
    inherited half its match and outranked the one giving the address, which says
    "adresse" and, about the portal, "cette plateforme"."""
    text = _load(tmp_path, "live.txt", LIVE_BLOG)
    start, end = _entry(text, "14-04 à 16:03")
    assert _highlight(text, start, end,
                      "Quelle est l'adresse du portail citoyen de Bank Al-Maghrib ?"
                      ).startswith("Accessible via l’adresse Portailusagers")
    # the headline's terms still help the sentences under it over another entry's
    before = "La Banque centrale a changé l’adresse de son siège.\n\n"
    text = _load(tmp_path, "two.txt", before + LIVE_BLOG[LIVE_BLOG.index(" 14-04 à 16:03"):])
    assert _highlight(text, 0, text.index(" 14-04 à 15:00"),
                      "Quelle est l'adresse du portail citoyen ?"
                      ).startswith("Accessible via l’adresse Portailusagers")


def test_the_sentence_repeating_a_headlines_figure_answers_how_many(tmp_path):
    text = _load(tmp_path, "live.txt", LIVE_BLOG)
    start, end = _entry(text, "14-04 à 15:00")
    question = "Combien de jeunes l'UM6P va-t-elle former à l'intelligence artificielle ?"
    assert "200.000 enfants footballeurs" in _highlight(text, start, end, question)


def test_a_headline_alone_holding_the_figure_is_the_highlight(tmp_path):
    text = _load(tmp_path, "live.txt", (
        " 14-04 à 15:00\u00a0L'UM6P formera 200.000 jeunes footballeurs à l'intelligence "
        "artificielle\n\nLe programme initiera les jeunes footballeurs à l’intelligence "
        "artificielle, en parallèle de leur formation sportive.\n"))
    question = "Combien de jeunes l'UM6P va-t-elle former à l'intelligence artificielle ?"
    assert "200.000 jeunes" in _highlight(text, 0, len(text), question)
    # a question asking for no figure keeps the heading out
    assert _highlight(text, 0, len(text), "Que fera l'UM6P pour les jeunes footballeurs ?"
                      ).startswith("Le programme initiera")


QUARTERS = """<html><head><title>Résultats trimestriels 2024</title></head><body>
<h1>Résultats trimestriels de Nordis</h1>
<p>Le chiffre d'affaires de Nordis progresse chaque trimestre de l'exercice 2024.</p>
<table>
<tr><th>Trimestre</th><th>CA (M€)</th><th>Résultat net (M€)</th></tr>
<tr><td>T1 2024</td><td>12,4</td><td>1,1</td></tr>
<tr><td>T2 2024</td><td>13,1</td><td>1,3</td></tr>
<tr><td>T3 2024</td><td>14,8</td><td>1,6</td></tr>
<tr><td>T4 2024</td><td>15,2</td><td>1,9</td></tr>
</table>
<p>Le chiffre d'affaires annuel atteint 55,5 M€.</p>
</body></html>"""


@pytest.mark.parametrize("question, row", [
    ("Quel était le chiffre d'affaires au T3 2024 ?", "T3 2024"),
    ("Quel était le chiffre d'affaires du deuxième trimestre 2024 ?", "T2 2024"),
])
def test_the_row_of_the_quarter_asked_is_the_highlight(tmp_path, question, row):
    """The table's header says "CA": the sentences naming "chiffre d'affaires" held more of
    the question's terms than the row of the quarter asked."""
    text = _load(tmp_path, "resultats.html", QUARTERS.encode("utf-8"))
    assert f"Trimestre : {row} ;" in text  # the loader reads each row with its header
    assert row in _highlight(text, 0, len(text), question)


PROCEDURE = """# Demander une carte de stationnement résident

Cette procédure explique comment obtenir la carte de stationnement résident de la ville.

## Les étapes

1. Créez votre compte sur le portail des services en ligne de la ville
2. Remplissez le formulaire de demande de carte résident
3. Joignez un justificatif de domicile de moins de trois mois
4. Payez les frais de dossier de 25 euros en ligne
5. Retirez votre carte de stationnement à l'accueil de la mairie

La carte de stationnement est valable un an.
"""
STEPS = """Ouvrir un compte bancaire en ligne

Étape 1 : Téléchargez l'application de la banque sur votre téléphone.
Étape 2 : Saisissez vos informations personnelles et votre adresse.
Étape 3 : Photographiez votre pièce d'identité et envoyez-la.
Étape 4 : Signez électroniquement votre contrat d'ouverture de compte.

Votre compte bancaire est ouvert sous 48 heures.
"""


@pytest.mark.parametrize("name, content, question, step", [
    ("carte.md", PROCEDURE,
     "Quelle est la première étape pour obtenir la carte de stationnement résident ?",
     "1. Créez votre compte"),
    ("carte.md", PROCEDURE, "Quelle est la dernière étape pour obtenir la carte ?",
     "5. Retirez votre carte"),
    ("carte.md", PROCEDURE, "Que faut-il faire à l'étape 3 pour la carte résident ?",
     "3. Joignez"),
    ("compte.txt", STEPS, "Quelle est la première étape pour ouvrir un compte bancaire ?",
     "Étape 1 : Téléchargez"),
    ("compte.txt", STEPS, "Quelle est la troisième étape pour ouvrir un compte ?",
     "Étape 3 : Photographiez"),
])
def test_the_numbered_step_asked_is_the_highlight(tmp_path, name, content, question, step):
    text = _load(tmp_path, name, content)
    assert _highlight(text, 0, len(text), question).startswith(step)


def test_an_ordinal_counting_something_else_gives_no_item_a_bonus(tmp_path):
    text = _load(tmp_path, "carte.md", PROCEDURE)
    assert _highlight(text, 0, len(text),
                      "Combien de temps la carte de stationnement est-elle valable ?"
                      ) == "La carte de stationnement est valable un an."
    # "la première édition" counts editions: no step is one
    assert _highlight(text, 0, len(text), "Quelle est la première carte de stationnement ?"
                      ).startswith("Cette procédure explique")


def test_a_heading_holding_another_figure_does_not_outrank_the_sentence_that_answers(tmp_path):
    """The heading holds a figure ("200.000 jeunes"), the sentence under it the one asked
    (the cost): the heading is no highlight where a sentence holds a figure (it gained the
    kind's bonus twice, and won)."""
    text = _load(tmp_path, "programme.md",
                 "## Le programme de formation de l'UM6P : 200.000 jeunes\n\n"
                 "Le programme coûtera 3 milliards de dirhams.\n")
    assert _highlight(text, 0, len(text), "Combien coûtera le programme de formation de "
                      "l'UM6P ?") == "Le programme coûtera 3 milliards de dirhams."


def test_the_step_asked_on_a_label_line_highlights_what_the_step_says(tmp_path):
    """"Étape 1 :" alone on its line is a label: the highlight is the sentence under it."""
    text = _load(tmp_path, "compte.txt",
                 "Ouvrir un compte bancaire en ligne\n\n"
                 "Étape 1 :\nTéléchargez l'application de la banque.\n\n"
                 "Étape 2 :\nRenseignez votre identité et votre adresse.\n\n"
                 "Étape 3 :\nSignez le contrat avec votre code reçu par SMS.\n")
    assert _highlight(text, 0, len(text), "Quelle est la première étape pour ouvrir un "
                      "compte bancaire ?") == "Téléchargez l'application de la banque."
    assert _highlight(text, 0, len(text), "Quelle est la dernière étape pour ouvrir un "
                      "compte bancaire ?") == "Signez le contrat avec votre code reçu par SMS."


def test_a_ranking_or_a_law_number_is_no_item_asked(tmp_path):
    """"le top 10" names a ranking, not the tenth item of the list under it."""
    text = _load(tmp_path, "top.md",
                 "## Top 10 des startups marocaines\n\n"
                 + "".join(f"{i}. {name}, startup de {sector}.\n" for i, (name, sector) in
                           enumerate([("Chari", "distribution"), ("YoLa Fresh", "agritech"),
                                      ("Freterium", "logistique"), ("Ora", "technologie"),
                                      ("Sowit", "agriculture"), ("Userguest", "tourisme"),
                                      ("Kinz", "santé"), ("Tookeez", "commerce"),
                                      ("Wafr", "paiement"), ("Kifal Auto", "mobilité")],
                                     start=1)))
    highlight = _highlight(text, 0, len(text), "Quel est le top 10 des startups marocaines ?")
    assert "Kifal" not in highlight
