"""Headings set by hand: a short line in the body style made bold (often larger), with the
text it introduces under it, starts a section in Word, OpenDocument and HTML files, as a
reader sees one; bold that is emphasis (a lead-in, a long sentence, a table's header, list
items, a document all in bold) does not."""

from __future__ import annotations

import docx
from docx.enum.style import WD_STYLE_TYPE
from docx.shared import Pt
from odfdo import Document as OdfDocument
from odfdo import Header, List, Paragraph, Span, Style
from ragqa.index.documents.loaders import load_document
from ragqa.index.documents.outline import OutlinedDocument

from tests.index.documents.structured import assert_plain, passages, section_titles

BODY = ("Les agents publics titulaires et contractuels peuvent en bénéficier dès leur "
        "première année de service, sur demande écrite adressée au service.")
LONG_BOLD = ("Le dossier complet doit impérativement être déposé avant le 31 mars auprès du "
             "service des ressources humaines de votre direction")


def paths(doc: OutlinedDocument) -> list[tuple[str, ...]]:
    return [h.path for h in doc.headings]


# --- Word --------------------------------------------------------------------------------


def bold_line(document, text: str, size: float | None = None):
    run = document.add_paragraph().add_run(text)
    run.bold = True
    if size is not None:
        run.font.size = Pt(size)
    return run


def load_docx(tmp_path, document) -> OutlinedDocument:
    path = tmp_path / "note.docx"
    document.save(str(path))
    doc = load_document(path, "note.docx")
    assert isinstance(doc, OutlinedDocument)
    assert_plain(doc)
    return doc


def titled_docx():
    document = docx.Document()
    document.styles["Normal"].font.size = Pt(11)
    document.add_paragraph("Congés bonifiés", style="Title")
    document.add_paragraph(BODY)
    return document


def test_docx_bold_lines_are_sections_larger_ones_higher(tmp_path):
    document = titled_docx()
    bold_line(document, "Qui est concerné ?", 14)
    document.add_paragraph(BODY)
    bold_line(document, "Cas général", 12)
    document.add_paragraph(BODY)
    bold_line(document, "Pièces à fournir :", 12)
    document.add_paragraph("Une copie du livret de famille.", style="List Bullet")
    document.add_paragraph("Un justificatif de domicile.", style="List Bullet")
    doc = load_docx(tmp_path, document)
    assert paths(doc) == [("Qui est concerné ?",), ("Qui est concerné ?", "Cas général"),
                          ("Qui est concerné ?", "Pièces à fournir :")]
    assert section_titles(doc) == ["Congés bonifiés", "Qui est concerné ?",
                                   "Qui est concerné ? › Cas général",
                                   "Qui est concerné ? › Pièces à fournir :"]
    assert "Qui est concerné ?\n\n" in doc.text  # the line stays a line of the text
    found = passages(doc)
    assert {p.section for p in found if "livret" in doc.text[p.start:p.end]} == {
        "Qui est concerné ? › Pièces à fournir :"}


def test_docx_paragraph_style_in_bold_is_a_heading(tmp_path):
    document = titled_docx()
    style = document.styles.add_style("Intertitre maison", WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = document.styles["Normal"]
    style.font.bold = True
    document.add_paragraph("Montant de l'aide", style="Intertitre maison")
    document.add_paragraph(BODY)
    strong = document.add_paragraph().add_run("Durée de l'aide")
    strong.style = document.styles["Strong"]  # bold by its character style
    document.add_paragraph(BODY)
    assert paths(load_docx(tmp_path, document)) == [("Montant de l'aide",),
                                                     ("Durée de l'aide",)]


def test_docx_hand_headings_sit_under_the_styled_heading_before_them(tmp_path):
    document = titled_docx()
    document.add_heading("Partie A", 1)
    document.add_paragraph(BODY)
    bold_line(document, "Détail des montants")
    document.add_paragraph(BODY)
    document.add_heading("Partie B", 1)
    document.add_paragraph(BODY)
    assert paths(load_docx(tmp_path, document)) == [
        ("Partie A",), ("Partie A", "Détail des montants"), ("Partie B",)]


def test_docx_two_bold_lines_in_a_row_the_later_is_a_sub_heading(tmp_path):
    document = titled_docx()
    bold_line(document, "Qui est concerné ?")
    bold_line(document, "Cas général")
    document.add_paragraph(BODY)
    bold_line(document, "Montant")  # another hand heading: the document is outlined so
    document.add_paragraph(BODY)
    assert paths(load_docx(tmp_path, document)) == [
        ("Qui est concerné ?",), ("Qui est concerné ?", "Cas général"), ("Montant",)]


def numbered(document, text: str, style: str | None = None) -> None:
    """A bold item numbered by Word numbering (``w:numPr``), as Google Docs exports lists:
    on the paragraph itself, or (``style`` given) on its style."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    paragraph = document.add_paragraph(style=style)
    paragraph.add_run(text).bold = True
    if style is None:
        numbering = OxmlElement("w:numPr")
        for tag in ("w:ilvl", "w:numId"):
            value = OxmlElement(tag)
            value.set(qn("w:val"), "0" if tag == "w:ilvl" else "1")
            numbering.append(value)
        paragraph._p.get_or_add_pPr().append(numbering)


def test_docx_numbered_bold_items_are_list_items_not_headings(tmp_path):
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    document = titled_docx()
    document.add_heading("Carte d'identité", 1)
    document.add_paragraph("Présentez en mairie les pièces suivantes :")
    numbered(document, "Un justificatif de domicile de moins de 3 mois")
    numbered(document, "Une photo d'identité récente")
    document.add_paragraph(BODY)
    style = document.styles.add_style("Puces maison", WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = document.styles["Normal"]
    style.element.get_or_add_pPr().append(parse_xml(
        f'<w:numPr {nsdecls("w")}><w:numId w:val="1"/></w:numPr>'))
    numbered(document, "Le formulaire rempli", style="Puces maison")
    numbered(document, "Un timbre fiscal", style="Puces maison")
    document.add_paragraph(BODY)
    doc = load_docx(tmp_path, document)
    assert paths(doc) == [("Carte d'identité",)]
    assert ("Un justificatif de domicile de moins de 3 mois\n"
            "Une photo d'identité récente\n") in doc.text  # one list block, as styled lists
    assert "Le formulaire rempli\nUn timbre fiscal\n" in doc.text


def test_docx_bold_styles_that_are_no_body_text_make_no_heading(tmp_path):
    document = titled_docx()
    assert document.styles["Caption"].font.bold  # bold in python-docx's template
    table = document.add_table(rows=2, cols=2)
    for c, (head, value) in enumerate([("Année", "2024"), ("Effectif", "120")]):
        table.cell(0, c).text = head
        table.cell(1, c).text = value
    document.add_paragraph("Tableau 1 : effectifs par année", style="Caption")
    document.add_paragraph(BODY)
    document.add_paragraph("Le service public est notre affaire", style="Intense Quote")
    document.add_paragraph(BODY)
    mine = document.styles.add_style("Légende maison", WD_STYLE_TYPE.PARAGRAPH)
    mine.base_style = document.styles["Caption"]  # a custom style based on a caption
    document.add_paragraph("Figure 2 évolution des effectifs", style="Légende maison")
    document.add_paragraph(BODY)
    assert paths(load_docx(tmp_path, document)) == []


def test_docx_letter_address_and_signature_blocks_make_no_heading(tmp_path):
    document = docx.Document()
    bold_line(document, "Mairie de Villeurbanne")
    bold_line(document, "Service de l'état civil")
    document.add_paragraph("Madame, Monsieur,")
    document.add_paragraph(BODY)
    document.add_paragraph("Veuillez agréer, Madame, Monsieur, mes salutations distinguées.")
    bold_line(document, "Jean Dupont")
    document.add_paragraph("Directeur général des services")
    assert paths(load_docx(tmp_path, document)) == []


def test_docx_form_labels_and_label_value_lines_make_no_heading(tmp_path):
    document = docx.Document()
    document.add_paragraph("Formulaire de demande de congé", style="Title")
    for label, blank in [("Nom", "...................."), ("Prénom", "____________"),
                         ("Date de début", "..../..../......")]:
        bold_line(document, label)
        document.add_paragraph(blank)
    document.add_paragraph(BODY)
    bold_line(document, "Tableau 1 : tarifs 2024")
    document.add_paragraph(BODY)
    bold_line(document, "Important : le dossier doit être complet")
    document.add_paragraph(BODY)
    assert paths(load_docx(tmp_path, document)) == []


def test_docx_numbered_divisions_with_their_names_are_sections(tmp_path):
    """Rules, contracts and guides name their divisions "Article 3 : Durée": a colon with
    text after it, yet a heading, not a "label : value" line (a table's caption is none)."""
    document = titled_docx()
    for title in ["Article 1 : Objet", "Article 2 - Durée du contrat", "Article 3 – Congés",
                  "Chapitre II : Les aides au logement", "Annexe 1 : Pièces à fournir",
                  "Article premier : Champ d'application", "Section 2 : Modalités"]:
        bold_line(document, title)
        document.add_paragraph(BODY)
    bold_line(document, "Tableau 1 : tarifs 2024")
    document.add_paragraph(BODY)
    bold_line(document, "Important : le dossier doit être complet")
    document.add_paragraph(BODY)
    # a value or an instruction after a division's number names no division
    for line in ["Lot 2 : 35 000 € HT", "Section 2 : 15 €", "Article 3 : voir ci-dessous",
                 "Étape 1 : cliquez sur Valider", "Phase 2 : 3 mois"]:
        bold_line(document, line)
        document.add_paragraph(BODY)
    assert [p[-1] for p in paths(load_docx(tmp_path, document))] == [
        "Article 1 : Objet", "Article 2 - Durée du contrat", "Article 3 – Congés",
        "Chapitre II : Les aides au logement", "Annexe 1 : Pièces à fournir",
        "Article premier : Champ d'application", "Section 2 : Modalités"]


def test_docx_bold_that_is_emphasis_makes_no_heading(tmp_path):
    document = titled_docx()
    lead = document.add_paragraph()
    lead.add_run("Attention :").bold = True  # a bold lead-in of a paragraph
    lead.add_run(" le dossier doit être complet.")
    document.add_paragraph(BODY)
    bold_line(document, LONG_BOLD)  # a long sentence in bold: emphasis
    document.add_paragraph(BODY)
    bold_line(document, "Le dossier est à déposer avant mars.")  # a sentence
    document.add_paragraph(BODY)
    for text in ("Rabat", "Fès"):  # bold list items
        item = document.add_paragraph(style="List Bullet")
        item.add_run(text).bold = True
    document.add_paragraph(BODY)
    table = document.add_table(rows=2, cols=2)  # a bold header row
    for c, (head, value) in enumerate([("Ville", "Rabat"), ("Visiteurs", "45 000")]):
        table.cell(0, c).paragraphs[0].add_run(head).bold = True
        table.cell(1, c).text = value
    document.add_paragraph(BODY)
    for text in ("Direction générale", "Service des pensions", "Bureau 12"):
        bold_line(document, text)  # a block of bold lines (an address): no outline
    document.add_paragraph(BODY)
    bold_line(document, "Dernier point")  # nothing under it but bold emphasis
    bold_line(document, LONG_BOLD)
    doc = load_docx(tmp_path, document)
    assert paths(doc) == []
    assert section_titles(doc) == ["Congés bonifiés"]


def test_docx_all_in_bold_reads_as_before(tmp_path):
    document = titled_docx()
    for text in ("Qui est concerné ?", BODY, "Cas général", BODY, "Montant", BODY):
        bold_line(document, text)
    document.add_paragraph(BODY)
    assert paths(load_docx(tmp_path, document)) == []


# --- OpenDocument ------------------------------------------------------------------------


def load_odt(tmp_path, document) -> OutlinedDocument:
    path = tmp_path / "note.odt"
    document.save(str(path))
    doc = load_document(path, "note.odt")
    assert isinstance(doc, OutlinedDocument)
    assert_plain(doc)
    return doc


def bold_odt():
    document = OdfDocument("text")
    for name, family, size in (("P1", "paragraph", "14pt"), ("T1", "text", "12pt"),
                               ("T2", "text", None)):
        style = Style(family, name=name, area="text", bold=True, size=size)
        if family == "paragraph":
            style.set_attribute("style:parent-style-name", "Standard")
        document.insert_style(style, automatic=True)
    document.body.append(Header(1, "Congés bonifiés"))
    document.body.append(Paragraph(BODY))
    return document


def spanned(text: str, style: str = "T1", rest: str = "") -> Paragraph:
    paragraph = Paragraph("")
    paragraph.append(Span(text, style=style))
    if rest:
        paragraph.append(Span(rest))
    return paragraph


def test_odt_bold_lines_are_sections_under_the_title(tmp_path):
    document = bold_odt()
    body = document.body
    body.append(Paragraph("Qui est concerné ?", style="P1"))  # the paragraph's style
    body.append(Paragraph(BODY))
    body.append(spanned("Cas général"))  # a bold span: the whole line
    body.append(Paragraph(BODY))
    body.append(spanned("Pièces à fournir"))
    body.append(List(["Une copie du livret de famille.", "Un justificatif."]))
    doc = load_odt(tmp_path, document)
    assert paths(doc) == [
        ("Congés bonifiés",), ("Congés bonifiés", "Qui est concerné ?"),
        ("Congés bonifiés", "Qui est concerné ?", "Cas général"),
        ("Congés bonifiés", "Qui est concerné ?", "Pièces à fournir")]


def test_odt_bold_that_is_emphasis_makes_no_heading(tmp_path):
    document = bold_odt()
    body = document.body
    body.append(spanned("Attention :", "T2", " le dossier doit être complet."))
    body.append(Paragraph(BODY))
    body.append(spanned(LONG_BOLD, "T2"))
    body.append(Paragraph(BODY))
    assert paths(load_odt(tmp_path, document)) == [("Congés bonifiés",)]


def test_odt_bold_styles_that_are_no_body_text_make_no_heading(tmp_path):
    document = bold_odt()
    for name, parent in (("P2", "Caption"), ("P3", "Quotations")):
        style = Style("paragraph", name=name, area="text", bold=True)
        style.set_attribute("style:parent-style-name", parent)
        document.insert_style(style, automatic=True)
    body = document.body
    body.append(Paragraph("Tableau 1 effectifs par année", style="P2"))
    body.append(Paragraph(BODY))
    body.append(Paragraph("Le service public est notre affaire", style="P3"))
    body.append(Paragraph(BODY))
    assert paths(load_odt(tmp_path, document)) == [("Congés bonifiés",)]


# --- HTML --------------------------------------------------------------------------------


def load_html(tmp_path, body: str) -> OutlinedDocument:
    path = tmp_path / "note.html"
    path.write_text("<!DOCTYPE html><html lang='fr'><head><meta charset='utf-8'>"
                    "<title>Congés bonifiés</title></head><body><article>"
                    f"<h1>Congés bonifiés</h1><p>{BODY}</p>{body}</article></body></html>",
                    encoding="utf-8")
    doc = load_document(path, "note.html")
    assert isinstance(doc, OutlinedDocument)
    assert_plain(doc)
    return doc


def test_html_bold_paragraphs_are_sections_under_the_title(tmp_path):
    doc = load_html(tmp_path, f"<p><strong>Qui est concerné ?</strong></p><p>{BODY}</p>"
                              f"<div><b>Montant de l'aide</b></div><p>{BODY}</p>"
                              f"<p style='font-weight: 700'>Durée</p><p>{BODY}</p>")
    assert paths(doc) == [("Congés bonifiés",), ("Congés bonifiés", "Qui est concerné ?"),
                          ("Congés bonifiés", "Montant de l'aide"),
                          ("Congés bonifiés", "Durée")]


def test_html_bold_that_is_emphasis_makes_no_heading(tmp_path):
    doc = load_html(tmp_path, f"<p><b>Attention :</b> le dossier doit être complet.</p>"
                              f"<p>{BODY}</p><p><strong>{LONG_BOLD}</strong></p><p>{BODY}</p>"
                              f"<ul><li><b>Rabat</b></li><li><b>Fès</b></li></ul><p>{BODY}</p>"
                              "<table><tr><th>Ville</th><th>Visiteurs</th></tr>"
                              f"<tr><td>Rabat</td><td>45 000</td></tr></table><p>{BODY}</p>")
    assert paths(doc) == [("Congés bonifiés",)]


def test_html_contact_block_and_notices_make_no_heading(tmp_path):
    doc = load_html(tmp_path, "<p><b>Mairie de Lyon</b></p><p><b>1 place de la Comédie</b></p>"
                              "<p>69001 Lyon</p><p><strong>Horaires</strong></p>"
                              f"<p>Du lundi au vendredi de 9h à 17h.</p><p>{BODY}</p>"
                              "<p><strong>Attention : le service sera fermé le 14 juillet"
                              f"</strong></p><p>{BODY}</p>"
                              f"<p><strong>Tarif réduit : 5 €</strong></p><p>{BODY}</p>")
    assert paths(doc) == [("Congés bonifiés",), ("Congés bonifiés", "Horaires")]


# --- HTML styled by style sheets and spans ---------------------------------------------


def load_styled_html(tmp_path, sheet: str, body: str) -> OutlinedDocument:
    """A page whose ``<style>`` sheet is ``sheet``, as editors and Word's "save as web page"
    write them (inside an HTML comment), ``body`` after a title and a paragraph."""
    path = tmp_path / "note.html"
    path.write_text("<!DOCTYPE html><html lang='fr'><head><meta charset='utf-8'>"
                    f"<title>Congés bonifiés</title><style><!--\n{sheet}\n--></style></head>"
                    f"<body><article><h1>Congés bonifiés</h1><p>{BODY}</p>{body}</article>"
                    "</body></html>", encoding="utf-8")
    doc = load_document(path, "note.html")
    assert isinstance(doc, OutlinedDocument)
    assert_plain(doc)
    return doc


def test_html_bold_by_the_style_sheet_makes_sections(tmp_path):
    sheet = (".titre { font-weight: bold }\np.fort { font-weight: 700; color: #333 }\n"
             "#duree { font: bold 14px Arial, sans-serif }\nh5, .important, dt { font-weight:"
             " 600 }\n@page { margin: 2cm }")
    doc = load_styled_html(tmp_path, sheet,
                           f"<p class='titre'>Qui est concerné ?</p><p>{BODY}</p>"
                           f"<p class='fort encadre'>Montant de l'aide</p><p>{BODY}</p>"
                           f"<p id='duree'>Durée</p><p>{BODY}</p>"
                           f"<p class='important'>Pièces à fournir</p><p>{BODY}</p>")
    # (a lone <div> line here is left out by trafilatura, with or without the sheet)
    assert paths(doc) == [("Congés bonifiés",), ("Congés bonifiés", "Qui est concerné ?"),
                          ("Congés bonifiés", "Montant de l'aide"),
                          # 14px, smaller than the body's 16px: one rank lower, as in Word
                          ("Congés bonifiés", "Montant de l'aide", "Durée"),
                          ("Congés bonifiés", "Pièces à fournir")]


def test_html_bold_by_spans_wrapping_the_paragraph_makes_sections(tmp_path):
    doc = load_styled_html(tmp_path, "",
                           "<p><span style='font-weight: bold;'>Modalités</span></p>"
                           f"<p>{BODY}</p><p><span style='font-family: Arial'><span "
                           f"style='font-weight:bold'>Durée</span></span> </p><p>{BODY}</p>"
                           "<div><span style='FONT-WEIGHT: 700'>Pièces à fournir</span></div>"
                           f"<p>{BODY}</p>")
    assert paths(doc) == [("Congés bonifiés",), ("Congés bonifiés", "Modalités"),
                          ("Congés bonifiés", "Durée"), ("Congés bonifiés", "Pièces à fournir")]


def test_html_larger_bold_lines_are_higher_headings(tmp_path):
    """A bold line larger than the page's body text heads the bold lines at body size (or
    smaller than it) that follow, as Word's sizes do."""
    sheet = ("body { font-size: 13px }\n.t1 { font-weight: bold; font-size: 18px }\n"
             "p.t2 { font: bold 14px/1.3 Arial }")
    doc = load_styled_html(tmp_path, sheet,
                           f"<p class='t1'>Qui est concerné ?</p><p>{BODY}</p>"
                           f"<p class='t2'>Cas général</p><p>{BODY}</p>"
                           f"<p class='t2'>Cas particuliers</p><p>{BODY}</p>"
                           f"<p><b>Agents en détachement</b></p><p>{BODY}</p>"
                           f"<p class='t1'>Montant de l'aide</p><p>{BODY}</p>")
    top, who, montant = ("Congés bonifiés",), "Qui est concerné ?", "Montant de l'aide"
    assert paths(doc) == [top, (*top, who), (*top, who, "Cas général"),
                          (*top, who, "Cas particuliers"),
                          (*top, who, "Cas particuliers", "Agents en détachement"),
                          (*top, montant)]


def test_html_sizes_follow_the_page_not_its_menu(tmp_path):
    """A size goes to the bold line it was read from: a menu (left out of the text) whose
    links share the headings' words, in another size, lends them none."""
    sheet = ("body { font-size: 13px }\n.t1 { font-weight: bold; font-size: 18px }\n"
             ".t2 { font-weight: bold; font-size: 14px }\n.menu { font-size: 20px }")
    path = tmp_path / "note.html"
    path.write_text("<!DOCTYPE html><html lang='fr'><head><meta charset='utf-8'>"
                    f"<title>Congés bonifiés</title><style>{sheet}</style></head><body>"
                    "<nav><p class='menu'><b>Cas général</b></p><p class='t1'>Montant</p>"
                    f"</nav><article><h1>Congés bonifiés</h1><p>{BODY}</p>"
                    f"<p class='t1'>Qui est concerné ?</p><p>{BODY}</p>"
                    f"<p class='t2'>Cas général</p><p>{BODY}</p>"
                    f"<p class='t2'>Montant</p><p>{BODY}</p></article></body></html>",
                    encoding="utf-8")
    doc = load_document(path, "note.html")
    top, who = ("Congés bonifiés",), "Qui est concerné ?"
    assert paths(doc) == [top, (*top, who), (*top, who, "Cas général"),
                          (*top, who, "Montant")]


def test_html_sizes_in_any_unit_rank_the_headings(tmp_path):
    """Word's "save as web page" (11pt body, a 14pt span in bold), em, % and keywords."""
    sheet = "p.MsoNormal { margin: 0cm; font-size: 11.0pt; font-family: 'Calibri' }"
    for big in ("<span style='font-size:14.0pt'><b>{}</b></span>",
                "<b style='font-size: 1.4em'>{}</b>", "<strong style='font-size:130%'>{}</strong>",
                "<span style='font-size: x-large; font-weight: bold'>{}</span>"):
        doc = load_styled_html(tmp_path, sheet,
                               f"<p class='MsoNormal'>{big.format('Qui est concerné ?')}</p>"
                               f"<p class='MsoNormal'>{BODY}</p>"
                               "<p class='MsoNormal'><b>Cas général</b></p>"
                               f"<p class='MsoNormal'>{BODY}</p>")
        top = ("Congés bonifiés",)
        assert paths(doc) == [top, (*top, "Qui est concerné ?"),
                              (*top, "Qui est concerné ?", "Cas général")], big


def test_html_every_word_in_a_bold_class_is_bold_one_word_is_not(tmp_path):
    sheet = ".gras { font-weight: bold }"
    doc = load_styled_html(tmp_path, sheet,
                           "<p><span class='gras'>Pièces</span> <span class='gras'>à "
                           f"fournir</span></p><p>{BODY}</p>"
                           "<p>Dossier <span class='gras'>complet</span></p>"
                           f"<p>{BODY}</p>")
    assert paths(doc) == [("Congés bonifiés",), ("Congés bonifiés", "Pièces à fournir")]


def test_html_style_sheet_rules_that_do_not_apply_make_no_heading(tmp_path):
    """A pseudo-class (hover), print styles, a more specific rule, the ``font`` shorthand
    or an inline style that sets the weight back to normal: no bold line."""
    sheet = ("p:hover, a:hover { font-weight: bold }\n@media print { .imprime { font-weight:"
             " bold } }\n.titre { font-weight: bold }\np#normal { font-weight: normal }\n"
             "p.court { font: 15px Arial }")
    doc = load_styled_html(tmp_path, sheet,
                           f"<p>Survol</p><p>{BODY}</p><p class='imprime'>Impression</p>"
                           f"<p>{BODY}</p><p class='titre court'>Raccourci</p>"
                           f"<p>{BODY}</p><p class='titre' id='normal'>Identifiant</p>"
                           f"<p>{BODY}</p><p class='titre' style='font-weight: normal'>Style</p>"
                           f"<p>{BODY}</p>")
    assert paths(doc) == [("Congés bonifiés",)]


def test_html_all_paragraphs_bold_by_the_style_sheet_read_as_before(tmp_path):
    """Text, lines and sections as without the style sheet, loose text beside blocks and
    inline elements included."""
    body = (f"<p>Qui est concerné ?</p><p>{BODY}</p><p>Montant</p><p>{BODY}</p>"
            f"<p>Durée</p><p>{BODY}</p><div>Bloc <p>dans</p> div <i>it</i></div>"
            "<blockquote>Cité <q>q</q> ici.</blockquote><p>Un <a href='/x'>lien</a>, du "
            "<em>texte</em> et<b>gras</b>collé<br>ligne <span>deux</span><sub>2</sub>.</p>")
    plain = load_styled_html(tmp_path, "", body)
    bold = load_styled_html(tmp_path, "p, div, blockquote { font-weight: bold; font-size: "
                                      "15px }", body)
    assert paths(bold) == paths(plain) == [("Congés bonifiés",)]
    assert bold.text == plain.text


WORD_SHEET = """
 /* Font Definitions */
 @font-face {font-family:Calibri; panose-1:2 15 5 2 2 2 4 3 2 4;}
 /* Style Definitions */
 p.MsoNormal, li.MsoNormal, div.MsoNormal
	{margin-top:0cm; margin-bottom:8.0pt; line-height:107%; font-size:11.0pt;
	font-family:"Calibri",sans-serif;}
h1 {mso-style-link:"Titre 1 Car"; font-size:16.0pt; color:#2F5496; font-weight:normal;}
a:link, span.MsoHyperlink {color:#0563C1; text-decoration:underline;}
p.Titrenote, li.Titrenote, div.Titrenote {mso-style-name:"Titre note"; margin:0cm;
	font-size:14.0pt; font-family:"Calibri",sans-serif; font-weight:bold;}
@page WordSection1 {size:595.3pt 841.9pt; margin:70.85pt 70.85pt 70.85pt 70.85pt;}
div.WordSection1 {page:WordSection1;}
"""


def test_html_saved_by_word_as_a_web_page_nests_its_hand_headings(tmp_path):
    """Word's "save as web page": a custom bold 14pt paragraph style over bold lines at
    the 11pt body size (``<b>`` with Word's ``<o:p>``), a larger bold line for the title."""
    path = tmp_path / "note.html"
    path.write_text(
        "<html xmlns:o='urn:schemas-microsoft-com:office:office' "
        "xmlns='http://www.w3.org/TR/REC-html40'><head><meta http-equiv=Content-Type "
        "content='text/html; charset=utf-8'><meta name=Generator content='Microsoft Word 15 "
        f"(filtered)'><title>Note</title><style><!--{WORD_SHEET}--></style></head><body "
        "lang=FR style='word-wrap:break-word'><div class=WordSection1>"
        "<p class=MsoNormal align=center style='text-align:center'><b><span "
        "style='font-size:20.0pt'>Congés bonifiés</span></b></p>"
        f"<p class=MsoNormal>{BODY}</p><p class=Titrenote>Qui est concerné ?<o:p></o:p></p>"
        f"<p class=MsoNormal>{BODY}</p><p class=MsoNormal><b>Cas général<o:p></o:p></b></p>"
        f"<p class=MsoNormal>{BODY}</p><p class=MsoNormal><b>Cas particuliers</b></p>"
        f"<p class=MsoNormal>{BODY}</p><p class=Titrenote>Montant de l'aide</p>"
        f"<p class=MsoNormal>{BODY}</p></div></body></html>", encoding="utf-8")
    doc = load_document(path, "note.html")
    top, who = ("Congés bonifiés",), "Qui est concerné ?"
    assert paths(doc) == [top, (*top, who), (*top, who, "Cas général"),
                          (*top, who, "Cas particuliers"), (*top, "Montant de l'aide")]
