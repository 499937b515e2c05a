"""Excel (.xlsx) and OpenDocument (.ods) workbooks: a sheet is a section, a row is a line
that repeats its header, huge sheets are refused naming the sheet."""

from __future__ import annotations

import time
import zipfile
from datetime import datetime

import openpyxl
import pytest
from openpyxl.styles import Border, Side
from odfdo import Document as OdfDocument
from odfdo import Style, Table
from ragqa.index.documents import sheets, spreadsheets
from ragqa.index.documents.layout import TextBuilder
from ragqa.index.documents.loaders import load_document
from ragqa.index.errors import DocumentError

from tests.index.documents.structured import assert_plain, passages, section_titles


def make_xlsx(path, rows: int = 2) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Fréquentation"
    sheet.append(["Fréquentation des musées en 2024"])  # a title row above the header
    sheet.append(["Ville", "Visiteurs", "Ouverture", "Hausse"])
    data = [("Rabat", 45000, datetime(2024, 3, 12), 0.25),
            ("Fès", 30000, datetime(2024, 5, 2), 0.1)]
    for i in range(rows):
        city, visitors, opened, rise = data[i % 2]
        sheet.append([city, visitors, opened, rise])
        sheet.cell(row=sheet.max_row, column=4).number_format = "0%"
    sheet.append([])
    sheet.append(["Total", 75000])
    hidden = workbook.create_sheet("Calculs")
    hidden.append(["interne", "ne pas lire"])
    hidden.sheet_state = "hidden"
    budget = workbook.create_sheet("Budget")
    budget.append(["Poste", "Montant"])
    budget.append(["Personnel", 1200000])
    workbook.properties.title = ""
    workbook.save(path)


def test_xlsx_rows_repeat_their_header_and_sheets_are_sections(tmp_path):
    path = tmp_path / "musees-2024.xlsx"
    make_xlsx(path)
    doc = load_document(path, "stats/musees-2024.xlsx")
    assert_plain(doc)
    assert doc.title == "musees-2024"  # a workbook has no headline: its file's name
    lines = doc.text.split("\n")
    assert "Fréquentation des musées en 2024" in lines
    assert "Ville : Rabat ; Visiteurs : 45000 ; Ouverture : 2024-03-12 ; Hausse : 25 %" in lines
    assert "Ville : Fès ; Visiteurs : 30000 ; Ouverture : 2024-05-02 ; Hausse : 10 %" in lines
    assert "Ville : Total ; Visiteurs : 75000" in lines
    assert "Poste : Personnel ; Montant : 1200000" in lines
    assert "ne pas lire" not in doc.text  # hidden sheet
    assert section_titles(doc) == ["Fréquentation", "Budget"]
    assert {p.section for p in passages(doc)} == {"Fréquentation", "Budget"}


def test_a_huge_sheet_is_refused_naming_it(tmp_path, monkeypatch):
    path = tmp_path / "gros.xlsx"
    make_xlsx(path, rows=60)
    monkeypatch.setattr(sheets, "MAX_SHEET_ROWS", 50)
    with pytest.raises(DocumentError, match="gros.xlsx: sheet 'Fréquentation' goes past 50 "
                                            "rows, the limit for one sheet"):
        load_document(path, "gros.xlsx")


def test_a_stray_far_cell_does_not_make_a_huge_read(tmp_path):
    """A cell at XFD1048576 (the sheet's last) expands no million padded rows."""
    path = tmp_path / "loin.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Ville", "Visiteurs"])
    sheet.append(["Rabat", 45000])
    sheet["XFD1048576"] = "fin"
    workbook.save(path)
    started = time.perf_counter()
    doc = load_document(path, "loin.xlsx")
    assert time.perf_counter() - started < 5
    assert doc.text == "Sheet\n\nVille : Rabat ; Visiteurs : 45000\nfin"


def make_ods(path, trailing_empty_rows: int = 0) -> None:
    document = OdfDocument("spreadsheet")
    document.body.clear()
    table = Table("Visiteurs", width=2, height=3)
    table.set_values([["Ville", "Visiteurs"], ["Rabat", "45 000"], ["Fès", "30 000"]])
    document.body.append(table)
    other = Table("Notes", width=1, height=1)
    other.set_values([["Chiffres provisoires."]])
    document.body.append(other)
    document.save(path)
    if trailing_empty_rows:  # as LibreOffice writes a sheet: a million empty rows, repeated
        patch_content(path, b"</table:table>", (
            f'<table:table-row table:number-rows-repeated="{trailing_empty_rows}">'
            '<table:table-cell table:number-columns-repeated="1024"/>'
            "</table:table-row></table:table>").encode())


def patch_content(path, old: bytes, new: bytes) -> None:
    """Replace the first ``old`` of the package's content.xml with ``new``."""
    with zipfile.ZipFile(path) as source:
        parts = {i: source.read(i) for i in source.infolist()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in parts.items():
            if info.filename == "content.xml":
                assert old in data
                data = data.replace(old, new, 1)
            target.writestr(info, data)


def test_ods_rows_repeat_their_header(tmp_path):
    path = tmp_path / "visiteurs.ods"
    make_ods(path, trailing_empty_rows=1_048_000)
    doc = load_document(path, "visiteurs.ods")
    assert_plain(doc)
    assert doc.text == ("Visiteurs\n\nVille : Rabat ; Visiteurs : 45 000\n"
                        "Ville : Fès ; Visiteurs : 30 000\n\nNotes\n\nChiffres provisoires.")
    assert section_titles(doc) == ["Visiteurs", "Notes"]
    assert passages(doc)


def test_a_repeated_row_flood_is_refused(tmp_path):
    path = tmp_path / "flot.ods"
    make_ods(path)
    patch_content(path, b"<table:table-row>", b'<table:table-row table:number-rows-repeated="'
                  b'10000000">')
    with pytest.raises(DocumentError, match="sheet 'Visiteurs' goes past 20,000 rows"):
        load_document(path, "flot.ods")


def test_a_hidden_ods_sheet_is_left_out(tmp_path):
    """LibreOffice's Sheet > Hide Sheet marks the sheet's table style, not the table."""
    path = tmp_path / "paie.ods"
    document = OdfDocument("spreadsheet")
    document.body.clear()
    shown = Table("Effectifs", width=2, height=2)
    shown.set_values([["Service", "Effectif"], ["Paie", "5"]])
    hidden = Table("Salaires (masqué)", width=2, height=2)
    hidden.set_values([["Nom", "Salaire"], ["Durand", "98000"]])
    style = Style("table", name="taHidden")
    style.set_properties({"table:display": "false"}, area="table")
    document.insert_style(style, automatic=True)
    hidden.style = "taHidden"
    document.body.extend([shown, hidden])
    document.save(path)
    doc = load_document(path, "paie.ods")
    assert "98000" not in doc.text
    assert section_titles(doc) == ["Effectifs"]


def test_hidden_xlsx_rows_and_columns_are_left_out(tmp_path):
    """A row or a column hidden by hand is often not for every reader, as a hidden sheet."""
    path = tmp_path / "budget.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Synthèse"
    for row in (["Poste", "BP 2025", "Commentaire interne"], ["Personnel", 1200000, "négociation"],
                ["Provision contentieux Dupuis", 45000, ""], ["Fournitures", 80000, ""]):
        sheet.append(row)
    sheet.row_dimensions[3].hidden = True
    sheet.column_dimensions["C"].hidden = True
    workbook.save(path)
    lines = load_document(path, "budget.xlsx").text.split("\n")[2:]  # under "Synthèse"
    assert lines == ["Poste : Personnel ; BP 2025 : 1200000",
                         "Poste : Fournitures ; BP 2025 : 80000"]


def test_a_second_table_under_its_own_title_is_labelled_with_its_own_header(tmp_path):
    # Its rows were labelled with the first table's header: "Montant 2024 : 48" for 48
    # members. A lone cell after a blank row over a row of figures is still a row.
    path = tmp_path / "subventions.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Subventions"
    for row in (["Association", "Montant 2024", "Montant 2025"], ["Tennis club", 4500, 4200],
                [], ["Associations culturelles"],
                ["Association", "Nombre d'adhérents", "Convention signée le"],
                ["Harmonie municipale", 48, "20/01/2025"], [], ["Total"], ["Tous", 4548, 4200]):
        sheet.append(row)
    workbook.save(path)
    lines = load_document(path, "subventions.xlsx").text.split("\n")[2:]
    assert lines == [
        "Association : Tennis club ; Montant 2024 : 4500 ; Montant 2025 : 4200",
        "Associations culturelles",
        "Association : Harmonie municipale ; Nombre d'adhérents : 48 ; "
        "Convention signée le : 20/01/2025",
        "Association : Total",
        "Association : Tous ; Nombre d'adhérents : 4548 ; Convention signée le : 4200"]


def test_a_directory_s_section_titles_keep_its_header():
    # Each section a blank row, a title, rows of words: no second table (the first row
    # under each title was taken for a header, and a section of one row vanished).
    builder = TextBuilder()
    rows = [["Nom", "Fonction", "Courriel"], [], ["Direction générale"],
            ["Dupont Jean", "Directeur", "j.dupont@ville.fr"],
            ["Martin Anne", "Assistante", "a.martin@ville.fr"], [], ["Ressources humaines"],
            ["Durand Paul", "DRH", "p.durand@ville.fr"]]
    sheets.read_sheet(builder, "Annuaire", rows, "annuaire.xlsx", sheets.RowBudget())
    assert builder.text().split("\n")[2:] == [
        "Nom : Direction générale",
        "Nom : Dupont Jean ; Fonction : Directeur ; Courriel : j.dupont@ville.fr",
        "Nom : Martin Anne ; Fonction : Assistante ; Courriel : a.martin@ville.fr",
        "Nom : Ressources humaines",
        "Nom : Durand Paul ; Fonction : DRH ; Courriel : p.durand@ville.fr"]


def test_a_cell_merged_down_reads_on_each_of_its_rows(tmp_path):
    # "Salle des fêtes" merged over its two rows was on the first one only: "Caution :
    # 1500" read as no one's.
    rows = [["Catégorie", "Prestation", "Tarif"], ["Salle des fêtes", "Location", "420"],
            ["", "Caution", "1500"], ["Piscine", "Entrée", "4"]]
    expected = ["Catégorie : Salle des fêtes ; Prestation : Location ; Tarif : 420",
                "Catégorie : Salle des fêtes ; Prestation : Caution ; Tarif : 1500",
                "Catégorie : Piscine ; Prestation : Entrée ; Tarif : 4"]
    path = tmp_path / "tarifs.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Tarifs"
    for row in rows:
        sheet.append([int(v) if v.isdigit() else v or None for v in row])
    sheet.merge_cells("A2:A3")
    workbook.save(path)
    assert load_document(path, "tarifs.xlsx").text.split("\n")[2:] == expected

    path = tmp_path / "tarifs.ods"
    document = OdfDocument("spreadsheet")
    document.body.clear()
    table = Table("Tarifs", width=3, height=4)
    table.set_values(rows)
    table.set_span((0, 1, 0, 2), merge=True)  # A2:A3
    document.body.append(table)
    document.save(path)
    assert load_document(path, "tarifs.ods").text.split("\n")[2:] == expected


def test_formulas_saved_without_their_value_are_named_in_the_log(tmp_path, caplog):
    # A workbook written by a program (openpyxl itself) holds formulas and no value: their
    # cells read as empty, which ragqa index said nothing of.
    path = tmp_path / "commande.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Calcul"
    for row in (["Poste", "Quantité", "Prix", "Total"], ["Papier", 120, 3.2, "=B2*C2"],
                ["Toner", 14, 89, "=B3*C3"]):
        sheet.append(row)
    workbook.save(path)
    with caplog.at_level("WARNING"):
        doc = load_document(path, "commande.xlsx")
    assert "Poste : Papier ; Quantité : 120 ; Prix : 3,2" in doc.text
    assert "commande.xlsx: sheet 'Calcul': 2 formula cell(s) saved without their value " \
           "(D2, D3)" in caplog.text


def test_a_csv_export_reads_as_a_sheet_s_rows(tmp_path):
    # Excel's French export: ";" between cells, Windows-1252, CRLF; a comma-separated one
    # with quoted cells. Both were refused ("unsupported file type .csv").
    path = tmp_path / "elus.csv"
    path.write_bytes("Nom;Délégation;Téléphone\r\nJeanne Lambert;Adjointe aux finances;"
                     "01 23 45 67 89\r\nPaul Roux;Adjoint à l'urbanisme;\r\n".encode("cp1252"))
    doc = load_document(path, "elus/elus.csv")
    assert doc.title == "elus"
    assert doc.text.split("\n") == [
        "Nom : Jeanne Lambert ; Délégation : Adjointe aux finances ; Téléphone : 01 23 45 67 89",
        "Nom : Paul Roux ; Délégation : Adjoint à l'urbanisme"]
    first = passages(doc)[0]
    assert doc.text[first.start:first.end].startswith("Nom : Jeanne Lambert")
    path = tmp_path / "tarifs.csv"
    path.write_text('Prestation,Tarif,Unité\n"Location, week-end",420,forfait\n', encoding="utf-8")
    assert load_document(path, "tarifs.csv").text == (
        "Prestation : Location, week-end ; Tarif : 420 ; Unité : forfait")
    path.write_text("\n\n", encoding="utf-8")
    with pytest.raises(DocumentError, match="empty"):
        load_document(path, "tarifs.csv")


def test_a_merge_reaches_short_rows_and_a_hidden_one_reaches_none(tmp_path):
    # A merge in the last column was lost on rows shorter than it; a merge whose first row
    # is hidden showed its text on the visible rows under it.
    path = tmp_path / "salles.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Salles"
    for row in (["Nom", "Salle", "Remarque"], ["A", "Salle 1", "voir régie"], ["B"],
                ["C", "Salle 2"], ["D"]):
        sheet.append(row)
    sheet.merge_cells("C2:C3")
    sheet.merge_cells("B4:B5")
    sheet.row_dimensions[4].hidden = True
    workbook.save(path)
    assert load_document(path, "salles.xlsx").text.split("\n")[2:] == [
        "Nom : A ; Salle : Salle 1 ; Remarque : voir régie",
        "Nom : B ; Remarque : voir régie", "Nom : D"]


def test_hidden_ods_rows_and_columns_are_left_out(tmp_path):
    path = tmp_path / "budget.ods"
    document = OdfDocument("spreadsheet")
    document.body.clear()
    table = Table("Synthèse", width=3, height=4)
    table.set_values([["Poste", "BP 2025", "Commentaire interne"],
                      ["Personnel", "1200000", "négociation"],
                      ["Honoraires litige (confidentiel)", "45000", ""],
                      ["Fournitures", "80000", ""]])
    row = table.get_row(2)
    row.set_attribute("table:visibility", "collapse")
    table.set_row(2, row)
    column = table.get_column(2)
    column.set_attribute("table:visibility", "collapse")
    table.set_column(2, column)
    document.body.append(table)
    document.save(path)
    lines = load_document(path, "budget.ods").text.split("\n")[2:]
    assert lines == ["Poste : Personnel ; BP 2025 : 1200000",
                         "Poste : Fournitures ; BP 2025 : 80000"]


def test_blank_formatted_cells_below_the_data_are_not_counted(tmp_path, monkeypatch):
    """A template with borders on A1:Z200 but three rows of data is read, not refused as
    too many cells: only the cells up to the last value count."""
    path = tmp_path / "registre.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Registre"
    thin = Side(style="thin")
    for row in sheet.iter_rows(min_row=1, max_row=200, max_col=26):
        for cell in row:
            cell.border = Border(left=thin, right=thin, top=thin, bottom=thin)
    for i, values in enumerate((["Date", "Visiteur"], ["2026-11-01", "Durand"],
                                ["2026-11-02", "Martin"]), start=1):
        sheet.cell(row=i, column=1, value=values[0])
        sheet.cell(row=i, column=2, value=values[1])
    workbook.save(path)
    monkeypatch.setattr(sheets, "MAX_SHEET_CELLS", 1_000)
    monkeypatch.setattr(spreadsheets, "SKIM_CELLS", 100, raising=False)
    doc = load_document(path, "registre.xlsx")
    assert doc.text == ("Registre\n\nDate : 2026-11-01 ; Visiteur : Durand\n"
                        "Date : 2026-11-02 ; Visiteur : Martin")


def test_the_header_is_the_table_s_not_an_updated_on_line_above_it(tmp_path):
    """A title, "Mis à jour le | date", a blank row, then the table: the first row with two
    values is not the header."""
    path = tmp_path / "astreintes.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Astreintes"
    for row in (["Planning des astreintes"], ["Mis à jour le", datetime(2026, 11, 2)], [],
                ["Semaine", "Agent", "Téléphone"], ["S45", "Durand", "06 11 22 33 44"],
                ["S46", "Martin"]):
        sheet.append(row)
    form = workbook.create_sheet("Fiche")  # a title block, a blank row, the table
    for row in (["Service", "Paie"], [], ["Nom", "Poste", "Bureau"], ["Durand", "Gestionnaire",
                                                                   "B12"]):
        form.append(row)
    notes = workbook.create_sheet("Notes")  # a note past the header's last column
    for row in (["Ville", "Visiteurs"], ["Rabat", "45000", "estimation"], ["Fès", "30000"]):
        notes.append(row)
    years = workbook.create_sheet("Budget")  # years as column names: the first row still
    for row in (["Poste", 2025, 2026], ["Personnel", 1200, 1300]):
        years.append(row)
    states = workbook.create_sheet("Sites")  # years over words (found by review: a rule of
    for row in (["Ville", 2024, 2025], ["Rabat", "ouvert", "fermé"],  # "mostly words" took
                ["Fès", "fermé", "ouvert"]):  # Rabat's row for the header)
        states.append(row)
    workbook.save(path)
    doc = load_document(path, "astreintes.xlsx")
    assert doc.text == (
        "Astreintes\n\nPlanning des astreintes\nMis à jour le ; 2026-11-02\n"
        "Semaine : S45 ; Agent : Durand ; Téléphone : 06 11 22 33 44\n"
        "Semaine : S46 ; Agent : Martin\n\nFiche\n\nService ; Paie\n"
        "Nom : Durand ; Poste : Gestionnaire ; Bureau : B12\n\nNotes\n\n"
        "Ville : Rabat ; Visiteurs : 45000 ; estimation\nVille : Fès ; Visiteurs : 30000\n\n"
        "Budget\n\nPoste : Personnel ; 2025 : 1200 ; 2026 : 1300\n\n"
        "Sites\n\nVille : Rabat ; 2024 : ouvert ; 2025 : fermé\n"
        "Ville : Fès ; 2024 : fermé ; 2025 : ouvert")


def test_durations_read_as_excel_shows_them(tmp_path):
    """[h]:mm shows 1.5 days as 36:00; Python's str() gave "1 day, 12:00:00"."""
    path = tmp_path / "heures.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Heures"
    sheet.append(["Agent", "Heures sup", "Pause"])
    sheet.append(["Durand", 1.5, 90 / 1440])
    sheet["B2"].number_format = "[h]:mm"
    sheet["C2"].number_format = "[mm]:ss"
    workbook.save(path)
    doc = load_document(path, "heures.xlsx")
    assert doc.text == "Heures\n\nAgent : Durand ; Heures sup : 36:00 ; Pause : 90:00"


STAFF = [["Effectifs au 1er janvier 2025"],  # a title of one cell: still a title
         ["Service", "Titulaires", "", "Contractuels", ""],
         ["", "Hommes", "Femmes", "Hommes", "Femmes"],
         ["Paie", "12", "9", "3", "4"], ["Urbanisme", "7", "11", "2", "1"]]
STAFF_LINES = [
    "Effectifs au 1er janvier 2025",
    "Service : Paie ; Titulaires Hommes : 12 ; Titulaires Femmes : 9 ; "
    "Contractuels Hommes : 3 ; Contractuels Femmes : 4",
    "Service : Urbanisme ; Titulaires Hommes : 7 ; Titulaires Femmes : 11 ; "
    "Contractuels Hommes : 2 ; Contractuels Femmes : 1"]


def staff_xlsx(path, merged: bool) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Effectifs"
    for row in STAFF:
        sheet.append([int(v) if v.isdigit() else v or None for v in row])
    if merged:  # the groups across their columns, "Service" down over both header rows
        sheet.merge_cells("B2:C2")
        sheet.merge_cells("D2:E2")
        sheet.merge_cells("A2:A3")
    workbook.save(path)


def test_a_two_level_header_names_each_column_by_both_levels(tmp_path):
    # The upper level was lost: "Hommes : 12 ; Femmes : 9 ; Hommes : 3", which Hommes?
    # Merged or not, in .xlsx, .ods or .csv, the groups read alike.
    for merged in (True, False):
        path = tmp_path / f"effectifs-{merged}.xlsx"
        staff_xlsx(path, merged)
        assert load_document(path, path.name).text.split("\n")[2:] == STAFF_LINES

    path = tmp_path / "effectifs.ods"
    document = OdfDocument("spreadsheet")
    document.body.clear()
    table = Table("Effectifs", width=5, height=len(STAFF))
    table.set_values([row + [""] * (5 - len(row)) for row in STAFF])
    table.set_span((1, 1, 2, 1), merge=True)  # B2:C2, number-columns-spanned="2"
    table.set_span((3, 1, 4, 1), merge=True)
    document.body.append(table)
    document.save(path)
    assert b'number-columns-spanned="2"' in zipfile.ZipFile(path).read("content.xml")
    assert load_document(path, "effectifs.ods").text.split("\n")[2:] == STAFF_LINES
    # A covered cell that kept its text (LibreOffice's "keep the contents of the hidden
    # cells") shows none: it read, between "Titulaires" and its second column.
    patch_content(path, b"<table:covered-table-cell/>", b'<table:covered-table-cell office:'
                  b'value-type="string"><text:p>ancien</text:p></table:covered-table-cell>')
    assert load_document(path, "effectifs.ods").text.split("\n")[2:] == STAFF_LINES

    path = tmp_path / "effectifs.csv"  # an export: no merge, the label in the first column
    path.write_text("\n".join(";".join(row) for row in STAFF[1:]), encoding="utf-8")
    assert load_document(path, "effectifs.csv").text.split("\n") == STAFF_LINES[1:]


def test_a_second_table_s_two_level_header_is_its_own():
    builder = TextBuilder()
    rows = [["Service", "Effectif"], ["Paie", "21"], [], ["Par statut"],
            ["Service", "Titulaires", "", "Contractuels"], ["", "Hommes", "Femmes", ""],
            ["Paie", "12", "9", "0"]]
    sheets.read_sheet(builder, "Effectifs", rows, "effectifs.xlsx", sheets.RowBudget())
    assert builder.text().split("\n")[2:] == [
        "Service : Paie ; Effectif : 21", "Par statut",
        "Service : Paie ; Titulaires Hommes : 12 ; Titulaires Femmes : 9 ; Contractuels : 0"]


def test_a_note_under_a_table_reads_as_its_own_line(tmp_path):
    # A row with only its first cell filled under the data read "Service : Source : ...".
    # A short value there ("Fès", its figures to come) is still a row of the table.
    path = tmp_path / "effectifs.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Effectifs"
    for row in (["Service", "Effectif", "Budget"], ["Paie", 5, 1200], ["Urbanisme", 7, 900],
                ["Total", 12, 2100], ["Chiffres provisoires"], [],
                ["Source : direction des ressources humaines, mars 2025"]):
        sheet.append(row)
    visits = workbook.create_sheet("Visites")
    for row in (["Ville", "Visiteurs"], ["Rabat", 45000], ["Fès"], ["Données estimées en mai"]):
        visits.append(row)
    workbook.save(path)
    assert load_document(path, "effectifs.xlsx").text == (
        "Effectifs\n\nService : Paie ; Effectif : 5 ; Budget : 1200\n"
        "Service : Urbanisme ; Effectif : 7 ; Budget : 900\n"
        "Service : Total ; Effectif : 12 ; Budget : 2100\nChiffres provisoires\n"
        "Source : direction des ressources humaines, mars 2025\n\n"
        "Visites\n\nVille : Rabat ; Visiteurs : 45000\nVille : Fès\nDonnées estimées en mai")

    path = tmp_path / "effectifs.csv"
    path.write_text("Service;Effectif\nPaie;5\nUrbanisme;7\n(1) hors contrats aidés;\n",
                    encoding="utf-8")
    assert load_document(path, "effectifs.csv").text.split("\n") == [
        "Service : Paie ; Effectif : 5", "Service : Urbanisme ; Effectif : 7",
        "(1) hors contrats aidés"]


def test_a_header_over_a_note_alone_reads_before_it():
    builder = TextBuilder()
    rows = [["Service", "Effectif"], ["Aucune donnée transmise pour 2025."]]
    sheets.read_sheet(builder, "Effectifs", rows, "effectifs.xlsx", sheets.RowBudget())
    assert builder.text().split("\n")[2:] == ["Service ; Effectif",
                                              "Aucune donnée transmise pour 2025."]


def test_names_without_their_other_cells_under_a_table_stay_its_rows():
    # A list's last names without a phone number: longer than the names above, yet rows.
    builder = TextBuilder()
    rows = [["Nom", "Téléphone"], ["Anne Roy", "01 23 45 67 89"], ["Paul Durand"],
            ["Marie-Hélène Lefebvre-Martin"], ["Luc Petit"], ["Éva Morel"]]
    sheets.read_sheet(builder, "Annuaire", rows, "annuaire.xlsx", sheets.RowBudget())
    assert builder.text().split("\n")[2:] == [
        "Nom : Anne Roy ; Téléphone : 01 23 45 67 89", "Nom : Paul Durand",
        "Nom : Marie-Hélène Lefebvre-Martin", "Nom : Luc Petit", "Nom : Éva Morel"]


def test_a_table_without_rows_keeps_its_header_when_another_follows():
    # A table whose header no row followed, then a second table: its names were lost.
    builder = TextBuilder()
    rows = [["Service", "Effectif"], [], ["Par statut"], ["Service", "Titulaires"],
            ["Paie", "12"]]
    sheets.read_sheet(builder, "Effectifs", rows, "effectifs.xlsx", sheets.RowBudget())
    assert builder.text().split("\n")[2:] == [
        "Service ; Effectif", "Par statut", "Service : Paie ; Titulaires : 12"]
