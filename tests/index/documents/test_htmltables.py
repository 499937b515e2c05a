"""HTML tables laid out as their grids (index/documents/htmltables.py): header levels joined
into each column's name, a cell spanning rows read on each of them, read through the real
HTML loader."""

from __future__ import annotations

import lxml.html
import pytest

from ragqa.index.documents.htmltables import lay_out_tables
from ragqa.index.documents.loaders import load_document


def read(tmp_path, table: str, before: str = "") -> str:
    path = tmp_path / "tableau.html"
    path.write_text(f"<html><head><title>Tableau</title></head><body><main><h1>Tableau</h1>"
                    f"{before}{table}</main></body></html>", encoding="utf-8")
    return load_document(path, "tableau.html").text


def test_header_rows_of_a_thead_name_their_columns_upper_first(tmp_path):
    table = ("<table><thead><tr><th>Site</th><th>Budget</th><th>Dépenses</th></tr>"
             "<tr><th></th><th>(k€)</th><th>(k€)</th></tr></thead>"
             "<tbody><tr><td>Lyon</td><td>120</td><td>98</td></tr></tbody></table>")
    assert read(tmp_path, table).endswith("Site : Lyon ; Budget (k€) : 120 ; Dépenses (k€) : 98")


def test_an_empty_lower_level_leaves_the_upper_alone(tmp_path):
    table = ("<table><tr><th rowspan=2>Service</th><th colspan=2>Effectif</th><th>Total</th>"
             "</tr><tr><th>Hommes</th><th>Femmes</th><th></th></tr>"
             "<tr><td>Paie</td><td>3</td><td>5</td><td>8</td></tr></table>")
    assert read(tmp_path, table).endswith(
        "Service : Paie ; Effectif Hommes : 3 ; Effectif Femmes : 5 ; Total : 8")


def test_a_title_row_across_the_table_is_a_line_before_it(tmp_path):
    table = ("<table><tr><th colspan=3>Astreintes de mai</th></tr>"
             "<tr><th>Semaine</th><th>Agent</th><th>Téléphone</th></tr>"
             "<tr><td>19</td><td>M. Martin</td><td>4412</td></tr></table>")
    assert read(tmp_path, table).endswith(
        "Astreintes de mai\n\nSemaine : 19 ; Agent : M. Martin ; Téléphone : 4412")


LONG = ("<p>" + "Les horaires d'ouverture de l'accueil sont affichés à l'entrée du bâtiment "
        "et publiés chaque semaine sur l'intranet de la collectivité. " * 8 + "</p>")


@pytest.mark.parametrize("before", ["", LONG])  # read whole, and by trafilatura
def test_a_cell_spanning_columns_is_read_once(tmp_path, before):
    table = ("<table><tr><th>Jour</th><th>Matin</th><th>Après-midi</th></tr>"
             "<tr><td>Lundi</td><td colspan=2>Fermé</td></tr>"
             "<tr><td rowspan=2>Mardi</td><td>9h-12h</td><td>14h-17h</td></tr>"
             "<tr><td>9h-11h</td><td>Fermé</td></tr></table>")
    assert read(tmp_path, table, before).endswith(
        "Jour : Lundi ; Matin : Fermé\n"
        "Jour : Mardi ; Matin : 9h-12h ; Après-midi : 14h-17h\n"
        "Jour : Mardi ; Matin : 9h-11h ; Après-midi : Fermé")


def test_a_table_without_spans_or_levels_is_left_as_it_is():
    html = ("<html><body><table><tr><th>Nom</th><th>Poste</th></tr>"
            "<tr><td>Martin</td><td>4412</td></tr></table></body></html>")
    tree = lxml.html.fromstring(html)
    assert lay_out_tables(tree) is False
    assert lxml.html.tostring(tree, encoding=str) == lxml.html.tostring(
        lxml.html.fromstring(html), encoding=str)


def test_a_header_cell_spanning_down_into_the_body_is_no_value(tmp_path):
    table = ("<table><tr><th rowspan=2>Service</th><th>Agents</th><th>Postes</th></tr>"
             "<tr><td>12</td><td>14</td></tr><tr><td>Paie</td><td>3</td><td>4</td></tr></table>")
    assert read(tmp_path, table).endswith("Agents : 12 ; Postes : 14\n"
                                          "Service : Paie ; Agents : 3 ; Postes : 4")


GUIDE = ("Chaque agent peut demander jusqu'à deux jours de télétravail par semaine après "
         "accord de son responsable hiérarchique.")
MENU = ["Accueil", "RH", "Informatique", "Documents", "Annuaire", "Contact"]


@pytest.mark.parametrize("paragraphs", [2, 8])  # read whole, and by trafilatura
def test_a_page_laid_out_in_a_table_is_read_once(tmp_path, paragraphs):
    """An old intranet page: its content cell spans the six rows of the menu beside it. Read
    as a data table, the guide stood in each row, after a menu link ("RH : Guide...")."""
    content = "<h1>Guide du télétravail</h1>" + "".join(
        f"<p>Paragraphe {n}. {GUIDE}</p>" for n in range(paragraphs))
    rows = "".join(f"<tr><td><a href='/{n}'>{link}</a></td>"
                   + (f"<td rowspan=6>{content}</td>" if n == 0 else "") + "</tr>"
                   for n, link in enumerate(MENU))
    path = tmp_path / "guide.html"
    path.write_text(f"<html><head><title>Guide</title></head><body><table>{rows}</table>"
                    "</body></html>", encoding="utf-8")
    text = load_document(path, "guide.html").text
    assert text.count(GUIDE) == paragraphs
    assert not any(f"{link} : Guide" in text for link in MENU[1:])


def test_a_short_page_laid_out_in_a_table_keeps_its_headings_once(tmp_path):
    """A menu cell spanning the content rows beside it: read whole, the page's headings
    are headings, each row's text once, the table in a cell a table."""
    page = ("<html><head><title>Règlement</title></head><body><table>"
            "<tr><td rowspan=3><a href='/'>Accueil</a><br><a href='/h'>Horaires</a></td>"
            "<td><h1>Règlement de la médiathèque</h1></td></tr>"
            "<tr><td><h2>Article 1 – Accès</h2><p>L'accès est libre et gratuit.</p>"
            "<table><tr><th>Tarif</th><th>Montant</th></tr><tr><td>Habitant</td>"
            "<td>Gratuit</td></tr></table></td></tr>"
            "<tr><td><h2>Article 2 – Prêt</h2><p>Dix documents pour trois semaines.</p>"
            "</td></tr></table></body></html>")
    path = tmp_path / "reglement.html"
    path.write_text(page, encoding="utf-8")
    doc = load_document(path, "reglement.html")
    assert "Horaires :" not in doc.text and doc.text.count("Dix documents") == 1
    assert [h.path[-1] for h in doc.headings] == [
        "Règlement de la médiathèque", "Article 1 – Accès", "Article 2 – Prêt"]
    assert "L'accès est libre et gratuit.\n\nTarif : Habitant ; Montant : Gratuit" in doc.text


def test_a_data_table_of_one_paragraph_cells_still_spans(tmp_path):
    """A word processor's <p> around each cell's text is no layout."""
    table = ("<table><tr><th><p>Jour</p></th><th><p>Salle</p></th></tr>"
             "<tr><td rowspan=2><p>Lundi</p></td><td><p>A</p></td></tr>"
             "<tr><td><p>B</p></td></tr></table>")
    assert read(tmp_path, table).endswith("Jour : Lundi ; Salle : A\nJour : Lundi ; Salle : B")


def test_a_table_in_a_data_table_s_cell_is_its_value(tmp_path):
    """A table in a cell is no sign of a page laid out in a table: its rows stay rows."""
    table = ("<table><tr><th>Jour</th><th>Détail</th></tr><tr><td>Mardi</td><td><table>"
             "<tr><td>9h-12h</td><td>Architecte conseil</td></tr></table></td></tr>"
             "<tr><td>Jeudi</td><td>Sur rendez-vous</td></tr></table>")
    assert read(tmp_path, table).endswith("Jour : Mardi ; Détail : 9h-12h Architecte conseil\n"
                                          "Jour : Jeudi ; Détail : Sur rendez-vous")


@pytest.mark.parametrize("before", ["", LONG])
@pytest.mark.parametrize("foot_first", [False, True])  # HTML 4 set <tfoot> before <tbody>
def test_a_note_across_the_table_at_its_foot_is_a_line_after_it(tmp_path, before,
                                                                   foot_first):
    """It read as a value of the first column: "Public : Gratuit pour les moins de 3 ans"."""
    foot = "<tfoot><tr><td colspan=3>Gratuit pour les moins de 3 ans.</td></tr></tfoot>"
    body = ("<tbody><tr><td>Adulte</td><td>4 €</td><td>35 €</td></tr>"
            "<tr><td>Enfant</td><td>2 €</td><td>18 €</td></tr></tbody>")
    table = ("<table><thead><tr><th>Public</th><th>Entrée</th><th>Carte</th></tr></thead>"
             + (foot + body if foot_first else body + foot) + "</table>")
    assert read(tmp_path, table + "<p>Renseignements à l'accueil.</p>", before).endswith(
        "Public : Adulte ; Entrée : 4 € ; Carte : 35 €\n"
        "Public : Enfant ; Entrée : 2 € ; Carte : 18 €\n\n"
        "Gratuit pour les moins de 3 ans.\n\nRenseignements à l'accueil.")
