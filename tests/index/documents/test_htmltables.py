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
