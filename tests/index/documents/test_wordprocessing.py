"""Word (.docx) and OpenDocument text (.odt): plain canonical text, headings as sections
with their heading path, lists as lines, tables as "header : value" lines."""

from __future__ import annotations

import docx
import pytest
from docx.enum.style import WD_STYLE_TYPE
from odfdo import Document as OdfDocument
from odfdo import Header, LineBreak, List, Paragraph, Table
from ragqa.index.documents.loaders import load_document
from ragqa.index.documents.outline import OutlinedDocument
from ragqa.index.errors import DocumentError

from tests.index.documents.structured import assert_plain, passages, section_titles


def make_docx(path, *, core_title: str = "") -> None:
    document = docx.Document()
    document.core_properties.title = core_title
    document.add_paragraph("Rapport annuel 2024", style="Title")
    document.add_paragraph("Le projet couvre trois villes du Royaume.")
    document.add_heading("Résultats", 1)
    wrapped = document.add_paragraph("Le nombre de visiteurs a augmenté")
    wrapped.add_run().add_break()  # a soft line break in the middle of the sentence
    wrapped.add_run("de vingt pour cent en un an.")
    document.add_heading("Par ville", 2)
    document.add_paragraph("Rabat accueille le siège.", style="List Bullet")
    document.add_paragraph("Fès accueille l'antenne.", style="List Bullet")
    table = document.add_table(rows=3, cols=3)
    for r, row in enumerate([("Ville", "Visiteurs", "Année"), ("Rabat", "45 000", "2024"),
                             ("Fès", "30 000", "2024")]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    facts = document.add_table(rows=2, cols=2)  # a fact sheet: key, value
    for r, row in enumerate([("Directeur", "Ahmed Alaoui"), ("Budget", "12 millions")]):
        for c, value in enumerate(row):
            facts.cell(r, c).text = value
    # A custom style based on Heading 1 is a level-1 heading too.
    custom = document.styles.add_style("Chapitre maison", WD_STYLE_TYPE.PARAGRAPH)
    custom.base_style = document.styles["Heading 1"]
    document.add_paragraph("Perspectives", style="Chapitre maison")
    document.add_heading("Calendrier", 3)  # a level skipped: the path still holds
    document.add_paragraph("Les travaux commencent en juin.")
    document.save(path)


def test_docx_reads_as_plain_text_with_headings_as_sections(tmp_path):
    path = tmp_path / "rapport.docx"
    make_docx(path)
    doc = load_document(path, "dossiers/rapport.docx")
    assert isinstance(doc, OutlinedDocument)
    assert_plain(doc)
    assert doc.title == "Rapport annuel 2024" and doc.title_source == "metadata"
    assert "Le nombre de visiteurs a augmenté de vingt pour cent en un an." in doc.text
    assert "Rabat accueille le siège.\nFès accueille l'antenne." in doc.text
    assert "Ville : Rabat ; Visiteurs : 45 000 ; Année : 2024" in doc.text
    assert "Ville : Fès ; Visiteurs : 30 000 ; Année : 2024" in doc.text
    assert "Directeur : Ahmed Alaoui\nBudget : 12 millions" in doc.text
    # "Perspectives" holds nothing before "Calendrier": its line opens that section.
    assert section_titles(doc) == [
        "Rapport annuel 2024", "Résultats", "Résultats › Par ville",
        "Perspectives › Calendrier"]
    for heading in doc.headings:  # every heading is a line of the text, at its offset
        assert doc.text[heading.start:].startswith(heading.path[-1] + "\n")
    by_section = {p.section for p in passages(doc)}
    assert {"Résultats", "Résultats › Par ville", "Perspectives › Calendrier"} <= by_section
    assert doc.pages == ()


def test_docx_metadata_title_wins(tmp_path):
    path = tmp_path / "r.docx"
    make_docx(path, core_title="Bilan de la Direction 2024")
    assert load_document(path, "r.docx").title == "Bilan de la Direction 2024"


def test_a_docx_without_text_is_refused(tmp_path):
    path = tmp_path / "vide.docx"
    docx.Document().save(path)
    with pytest.raises(DocumentError, match="vide.docx: the file holds no text"):
        load_document(path, "vide.docx")


def make_odt(path) -> None:
    document = OdfDocument("text")
    body = document.body
    body.clear()
    body.append(Header(1, "Présentation"))
    paragraph = Paragraph("Le service public numérique")
    paragraph.append(LineBreak())
    paragraph.append_plain_text("améliore l'accueil des usagers.")
    body.append(paragraph)
    body.append(Header(2, "Sites"))
    body.append(List(["Casablanca ouvre en mai.", "Tanger ouvre en juillet."]))
    table = Table("Fréquentation", width=3, height=3)
    table.set_values([["Ville", "Visiteurs", "Année"], ["Rabat", "45 000", "2024"],
                      ["Fès", "30 000", "2024"]])
    body.append(table)
    body.append(Header(1, "Budget"))
    body.append(Paragraph("Le budget atteint 12 millions de dirhams."))
    document.meta.set_title("Projet numérique")
    document.save(path)


def test_odt_reads_as_plain_text_with_headings_as_sections(tmp_path):
    path = tmp_path / "projet.odt"
    make_odt(path)
    doc = load_document(path, "projet.odt")
    assert isinstance(doc, OutlinedDocument)
    assert_plain(doc)
    assert doc.title == "Projet numérique"
    assert "Le service public numérique améliore l'accueil des usagers." in doc.text
    assert "Casablanca ouvre en mai.\nTanger ouvre en juillet." in doc.text
    assert "Ville : Rabat ; Visiteurs : 45 000 ; Année : 2024" in doc.text
    assert section_titles(doc) == ["Présentation", "Présentation › Sites", "Budget"]
    assert {p.section for p in passages(doc)} == {"Présentation", "Présentation › Sites",
                                                 "Budget"}


def test_an_odt_named_docx_is_refused_as_not_a_word_document(tmp_path):
    path = tmp_path / "projet.docx"
    make_odt(path)
    with pytest.raises(DocumentError, match="projet.docx: not a Word document"):
        load_document(path, "projet.docx")


def test_the_indexer_cites_a_word_heading_path(tmp_path):
    """Through the indexer's own processing (both stores cut documents with it): a passage
    under "Résultats › Par ville" is cited with that path."""
    from ragqa.index.documents.chunking import ChunkingParams, make_splitter
    from ragqa.index.documents.processing import corpus_context, process_document

    path = tmp_path / "rapport.docx"
    make_docx(path)
    titled, context = corpus_context([load_document(path, "rapport.docx")])
    done = process_document(titled[0], context, make_splitter(ChunkingParams()),
                            contextual=False)
    assert "Résultats › Par ville" in done.sections
    cited = {p.section for p in done.passages if "Rabat accueille" in
             titled[0].text[p.start:p.end]}
    assert cited == {"Résultats › Par ville"}


def test_odt_notes_and_text_boxes_follow_their_paragraph(tmp_path):
    # They were left out: a note's "Karim Benali" lost to every search.
    from odfdo import Element, Note

    document = OdfDocument("text")
    body = document.body
    body.clear()
    body.append(Header(1, "Prêt de matériel"))
    paragraph = Paragraph("Le matériel est prêté cinq jours.")
    paragraph.append(Note(note_id="n1", citation="1",
                          body="Au-delà, la prolongation est demandée à Karim Benali."))
    paragraph.append_plain_text(" Il est rendu complet.")
    body.append(paragraph)
    boxed = Paragraph("Le retrait se fait au magasin.")
    boxed.append(Element.from_tag(
        '<draw:frame><draw:text-box><text:p>Attention : pièce d\'identité exigée.</text:p>'
        "</draw:text-box></draw:frame>"))
    body.append(boxed)
    table = Table("Tarifs", width=1, height=1)
    cell = table.get_cell((0, 0))
    cell.clear()
    tarif = Paragraph("Tarif : 12 euros")
    tarif.append(Note(note_id="n2", citation="2", body="Réduit pour les agents."))
    cell.append(tarif)
    table.set_cell((0, 0), cell)
    body.append(table)
    body.append(Paragraph("Fin."))
    path = tmp_path / "pret.odt"
    document.save(path)
    doc = load_document(path, "pret.odt")
    assert_plain(doc)
    assert [line for line in doc.text.split("\n") if line] == [
        "Prêt de matériel", "Le matériel est prêté cinq jours. Il est rendu complet.",
        "[1] Au-delà, la prolongation est demandée à Karim Benali.",
        "Le retrait se fait au magasin.", "Attention : pièce d'identité exigée.",
        "Tarif : 12 euros", "[2] Réduit pour les agents.", "Fin."]
    passages(doc)


def test_odt_numbered_list_items_show_their_numbers(tmp_path):
    from odfdo import Element, ListItem

    document = OdfDocument("text")
    body = document.body
    body.clear()
    document.insert_style(Element.from_tag(
        '<text:list-style style:name="Etapes">'
        '<text:list-level-style-number text:level="1" style:num-format="1" '
        'style:num-suffix="."/>'
        '<text:list-level-style-number text:level="2" style:num-format="a" '
        'style:num-suffix=")"/></text:list-style>'), automatic=True)
    body.append(Header(1, "Prêt"))
    steps = List(["Réserver le matériel.", "Retirer le matériel."])
    steps.set_attribute("text:style-name", "Etapes")
    sub = List(["Au magasin.", "Avec un badge."])  # its style: the list's, one level down
    steps.get_elements("text:list-item")[1].append(sub)
    steps.append(ListItem("Rapporter le matériel."))
    body.append(steps)
    body.append(List(["Une puce.", "Une autre."]))  # no numbered style: no numbers
    path = tmp_path / "pret.odt"
    document.save(path)
    doc = load_document(path, "pret.odt")
    assert_plain(doc)
    assert [line for line in doc.text.split("\n") if line] == [
        "Prêt", "1. Réserver le matériel.", "2. Retirer le matériel.", "a) Au magasin.",
        "b) Avec un badge.", "3. Rapporter le matériel.", "Une puce.", "Une autre."]
    passages(doc)
