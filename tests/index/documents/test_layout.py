"""The layout rules every structured format shares (index/documents/layout.py) and the
sections of an outlined document (index/documents/outline.py)."""

from __future__ import annotations

from ragqa.index.documents.layout import TextBuilder, table_lines, unwrap
from ragqa.index.documents.outline import document_sections
from ragqa.index.documents.reading import Document


def test_unwrap_joins_lines_cut_mid_sentence_only():
    lines = ["Le comité a validé le budget du projet de numérisation des archives pour",
             "un montant de deux millions,",
             "versés en juin.",
             "Ordre du jour",
             "1. Budget",
             "2. Recrutement",
             "Bonjour Marie,",
             "Voici le compte rendu."]
    assert unwrap(lines) == [
        ("Le comité a validé le budget du projet de numérisation des archives pour un "
         "montant de deux millions, versés en juin."),
        "Ordre du jour", "1. Budget", "2. Recrutement", "Bonjour Marie,",
        "Voici le compte rendu."]


def test_table_lines_repeat_the_header_or_read_as_pairs():
    rows = [["Ville", "Visiteurs", "Année"], ["Rabat", "45 000", "2024"],
            ["Fès", "", "2024"], ["", "", ""]]
    assert table_lines(rows) == ["Ville : Rabat ; Visiteurs : 45 000 ; Année : 2024",
                                 "Ville : Fès ; Année : 2024"]
    assert table_lines([["Directeur", "Ahmed"], ["Budget", "12 M"]]) == [
        "Directeur : Ahmed", "Budget : 12 M"]
    assert table_lines([["Ville", "Visiteurs"], ["Rabat", "45 000"]], header=True) == [
        "Ville : Rabat ; Visiteurs : 45 000"]
    numbers = [["1", "2", "3"], ["4", "5", "6"]]  # no header: cells joined
    assert table_lines(numbers) == ["1 ; 2 ; 3", "4 ; 5 ; 6"]


def test_builder_pages_headings_and_sections_tile_the_text():
    builder = TextBuilder()
    builder.page()
    builder.heading("Bilan", 1)
    builder.block(["Le réseau couvre 90 % du pays.\r\n", "\x0bTrois sites."])
    builder.page()
    builder.heading("", 1, label="Diapositive 2")  # untitled and empty: no section
    builder.page()
    builder.heading("", 1, label="Diapositive 3")
    builder.block(["Sans titre."])
    builder.heading("Détail", 2)
    builder.block(["Fin."])
    doc = builder.document("d.pptx", b"data", None)
    assert doc.text == ("Bilan\n\nLe réseau couvre 90 % du pays.\nTrois sites.\n\n\n\n"
                        "Sans titre.\n\nDétail\n\nFin.")
    assert doc.pages == (0, 52, 54)
    assert doc.title == "Bilan" and doc.title_source == "metadata"
    sections = document_sections(doc)
    assert [(s.title, doc.text[s.start:s.end].strip()) for s in sections] == [
        ("Bilan", "Bilan\n\nLe réseau couvre 90 % du pays.\nTrois sites."),
        ("Diapositive 3", "Sans titre."),
        ("Diapositive 3 › Détail", "Détail\n\nFin.")]
    assert sections[0].start == 0 and sections[-1].end == len(doc.text)


def test_a_plain_document_keeps_its_markdown_sections():
    doc = Document(doc_id="a.md", text="Intro\n\n## Suite\n\nTexte.", title="A",
                   content_hash="x")
    assert [s.title for s in document_sections(doc)] == ["A", "Suite"]
