"""A PDF's lines set in bold at the body's size as headings (index/documents/pdfbold.py):
the review's cases, each a real PDF written as the tests' other PDFs are."""

from pathlib import Path

import pytest

from ragqa.eval.pdfwriting import _escape, _pdf
from ragqa.index.documents.loaders import load_document
from ragqa.index.documents.outline import document_sections
from ragqa.index.documents.pdflines import is_bold_font
from tests.make_pdf import make_pdf

BODY = ("Le présent règlement s'applique à l'ensemble des salariés de l'entreprise, quel que "
        "soit leur lieu de travail et la nature de leur contrat. ")
B = True  # a line set in bold (Helvetica-Bold) at the body's size
TEXT = [(11, BODY)] * 3


def load(tmp_path: Path, data: bytes, name: str = "doc.pdf"):
    path = tmp_path / name
    path.write_bytes(data)
    return load_document(path, name)


def titles(doc) -> list[str]:
    return [section.title for section in document_sections(doc)]


FIGURES = ["04.72.10.30.30 standard", "06.12.45.78.90 Accueil", "12.03.2024 Réunion",
           "1.500.000 DH", "150.000 DH TTC", "12.50 DH", "2.5 h", "14.30 h", "3.14 m2",
           "12.3 al. 2"]


@pytest.mark.parametrize("line", FIGURES)
def test_dotted_figures_are_no_section_number(tmp_path, line):
    # a section number has one or two digits a part, no leading zero, four parts at most,
    # and no unit or currency after it: these are phone numbers, dates, amounts, durations
    larger = load(tmp_path, make_pdf([[(16, "Rapport annuel"), (11, BODY), (14, line),
                                       (11, BODY)]]), "larger.pdf")
    assert titles(larger) == ["Rapport annuel"]
    bold = load(tmp_path, make_pdf([[(16, "Rapport annuel"), (11, "Dépôt du dossier", B),
                                     *TEXT, (11, line, B), *TEXT]]), "bold.pdf")
    assert titles(bold) == ["Rapport annuel › Dépôt du dossier"]


@pytest.mark.parametrize("line", ["10.2.4 CA", "3.1 TVA", "12.1 Loi 2024", "1.2.3.4 Annexe",
                                  "B.2 Tarifs 2024"])
def test_section_numbers_still_head(tmp_path, line):
    doc = load(tmp_path, make_pdf([[(16, "Rapport annuel"), (11, BODY), (14, line),
                                    (11, BODY)]]))
    assert titles(doc) == ["Rapport annuel", f"Rapport annuel › {line}"]


@pytest.mark.parametrize("cover", [
    [(18, "Rapport annuel 2024"), (11, "Direction des finances", B)],
    [(18, "Rapport annuel 2024"), (11, "Direction des finances", B), (11, "Mars 2024", B)],
    [(11, "Rapport annuel 2024", B), (11, "Direction des finances", B),
     (11, "Ville de Lyon", B)],
])
def test_a_cover_page_s_bold_lines_head_nothing_on_the_next_page(tmp_path, cover):
    # a page with no body text ends a run of bold lines: the cover's lines are no heading
    # of the next page's first heading, nor make it one of an address's three lines
    doc = load(tmp_path, make_pdf([cover, [(11, "Introduction", B), *TEXT,
                                           (11, "Budget", B), *TEXT]]))
    assert [title.rsplit(" › ", 1)[-1] for title in titles(doc)][-2:] == [
        "Introduction", "Budget"]
    assert not any("Direction des finances" in title for title in titles(doc))


def test_a_bold_line_ending_a_page_above_its_foot_heads_nothing_there(tmp_path):
    # page 1 ends mid-page on a bold line (a signature): the page break is no line break
    # under it, the next page's bold line is no sub-heading of it
    full = [(11, BODY)] * 40
    doc = load(tmp_path, make_pdf([
        [(16, "Guide"), (11, "Conditions", B), *TEXT, (11, "Jean Dupont", B)],
        [(11, "Annexe", B), *full[:30], (11, "Recours", B), *TEXT]]))
    assert titles(doc) == ["Guide › Conditions", "Guide › Annexe", "Guide › Recours"]


@pytest.mark.parametrize("page", [
    [(11, "Commune   Population   Budget", B), (11, "Lyon   522 000   1 200"),
     (11, "Villeurbanne   150 000   300"), *TEXT],
    [(11, "Désignation Quantité Prix unitaire", B), (11, "Ramette de papier A4 10 4,50"),
     *TEXT],
    [(11, "Nom du demandeur", B), (11, "Jean Dupont"), (11, "Adresse", B),
     (11, "12 rue de la République"), (11, "Commune de résidence", B), (11, "Villeurbanne"),
     *TEXT],
])
def test_a_bold_table_header_or_form_label_heads_nothing(tmp_path, page):
    # the line right under a bold line must read as text: a row of figures, a value does not
    doc = load(tmp_path, make_pdf([[(16, "Rapport d'activité"), (11, "Dépôt du dossier", B),
                                    *TEXT, *page]]))
    assert titles(doc) == ["Rapport d'activité › Dépôt du dossier"]


def test_a_bold_signature_above_attachments_heads_nothing(tmp_path):
    doc = load(tmp_path, make_pdf([[(16, "Mairie de Lyon"), *TEXT, (11, "Jean Dupont", B),
                                    (11, "Pièces jointes : formulaire CERFA n° 12156"),
                                    *TEXT]]))
    assert titles(doc) == ["Mairie de Lyon"]


def test_a_definition_under_a_bold_line_is_text(tmp_path):
    # "Terme : définition" is text under its heading, unlike "Pièces jointes : formulaire"
    doc = load(tmp_path, make_pdf([[
        (16, "Guide"), *TEXT, (11, "Définitions", B),
        (11, "Pièce justificative : Document officiel fourni pour prouver une situation"),
        (11, "(identité, ressources, adresse)."), *TEXT, (11, "Recours", B), *TEXT]]))
    assert titles(doc) == ["Guide", "Guide › Définitions", "Guide › Recours"]


GLOSSARY = [("Ayant droit",
             "Personne qui bénéficie d'une prestation du fait de son lien avec l'assuré."),
            ("Quotient familial",
             "Revenu du foyer divisé par le nombre de parts du ménage concerné."),
            ("Reste à charge",
             "Somme payée par la famille après déduction de toutes les aides versées.")]


def test_a_glossary_s_bold_terms_are_no_sections(tmp_path):
    # three bold terms each over a line of definition: a glossary inside its section
    lines = [(16, "Guide des aides"), (11, "Dépôt du dossier", B), *TEXT]
    for term, definition in GLOSSARY:
        lines += [(11, term, B), (11, definition)]
    lines += [*TEXT, (11, "Recours", B), *TEXT]
    doc = load(tmp_path, make_pdf([lines]))
    assert titles(doc) == ["Guide des aides › Dépôt du dossier", "Guide des aides › Recours"]


def test_two_short_sections_are_no_glossary(tmp_path):
    lines = [(16, "Guide des aides"), (11, "Dépôt du dossier", B), *TEXT]
    for term, definition in GLOSSARY[:2]:
        lines += [(11, term, B), (11, definition)]
    doc = load(tmp_path, make_pdf([lines]))
    assert titles(doc) == ["Guide des aides › Dépôt du dossier", "Guide des aides › Ayant droit",
                           "Guide des aides › Quotient familial"]


@pytest.mark.parametrize("headings", [
    # a rule's articles and a guide's questions, each over a line or two: short sections,
    # not a glossary (its terms are in alphabetical order, these in the order they are read)
    ["Article 1 : Objet", "Article 2 : Réservation", "Article 3 : Tarifs",
     "Article 4 : Responsabilité"],
    ["Qui peut en bénéficier ?", "Comment faire la demande ?", "Quel est le délai ?",
     "Quels justificatifs fournir ?"],
    ["Inscription", "Tarifs", "Horaires", "Transport", "Restauration"],
])
@pytest.mark.parametrize("body_lines", [1, 2])
def test_short_sections_read_in_order_are_no_glossary(tmp_path, headings, body_lines):
    lines = [(16, "Guide pratique")]
    for heading in headings:
        lines += [(11, heading, B), *[(11, BODY)] * body_lines]
    doc = load(tmp_path, make_pdf([lines]))
    assert titles(doc) == [f"Guide pratique › {h}" for h in headings]


def test_footnotes_lower_on_one_page_leave_the_foot_where_the_body_ends(tmp_path):
    # a heading at page 1's foot heads page 2 although page 2's footnotes, in smaller type,
    # run lower than any body line
    body = [(11, f"Ligne {i} du rapport : le service instruit les demandes dans un délai "
                 "raisonnable.") for i in range(100)]
    notes = [(8, f"({k}) Note de bas de page citant le décret du 12 mars 2021.")
             for k in range(1, 12)]
    doc = load(tmp_path, make_pdf([[(16, "Rapport"), (11, "Contexte", B), *body[:44],
                                    (11, "Objectifs", B)], [*body[50:95], *notes],
                                   [(11, "Moyens", B), *body[:10]]]))
    assert titles(doc) == ["Rapport › Contexte", "Rapport › Objectifs", "Rapport › Moyens"]


def spaced_pdf(lines: list[tuple[str, bool, int]]) -> bytes:
    """A page of 11 pt lines ``(text, bold, gap)``: ``gap`` points more than the 13 pt line
    spacing above the line (a paragraph's space before)."""
    ops = [b"BT /F1 16 Tf 50 750 Td (Guide) Tj ET"]
    y = 720
    for text, bold, gap in lines:
        y -= gap
        ops.append(b"BT /F%d 11 Tf 50 %d Td (%s) Tj ET" % (2 if bold else 1, y, _escape(text)))
        y -= 13
    return _pdf([b"\n".join(ops)], None)


def test_a_bold_heading_wrapped_before_a_capital_is_read_whole(tmp_path):
    # paragraphs set 6 pt apart, a wrapped heading's lines at the line spacing: one heading
    body = [(BODY[:80], False, 6), (BODY[80:], False, 0)]
    doc = load(tmp_path, spaced_pdf([
        ("Conditions", True, 6), *body,
        ("Montant de l'aide au logement versée aux familles", True, 6),
        ("Étudiants boursiers et apprentis", True, 0), *body,
        ("Pièces justificatives", True, 6), ("Cas général", True, 6), *body]))
    assert titles(doc) == [
        "Guide › Conditions",
        "Guide › Montant de l'aide au logement versée aux familles Étudiants boursiers et "
        "apprentis",
        "Guide › Pièces justificatives › Cas général"]


@pytest.mark.parametrize("name, bold", [
    ("/HelveticaNeueLTStd-Bd", True), ("/FrutigerLTStd-Bd", True), ("/HelveticaNeue-Hv", True),
    ("/SourceSansPro-Blk", True), ("/ABCDEF+CMBX12", True), ("/NimbusRomNo9L-Medi", True),
    ("/HelveticaNeueLTStd-BdIt", True), ("/ABCDEF+Roboto-Medium", False),
    ("/ABCDEF+Calibri-Light", False), ("/NimbusRomNo9L-Regu", False), ("/ABCDEF+CMR10", False),
])
def test_bold_font_names(name, bold):
    from pypdf.generic import DictionaryObject, NameObject, NumberObject

    font = DictionaryObject({NameObject("/BaseFont"): NameObject(name),
                             NameObject("/FontDescriptor"): DictionaryObject(
                                 {NameObject("/Flags"): NumberObject(32)})})
    assert is_bold_font(font) is bold


def test_a_short_bold_pair_at_the_line_spacing_is_no_wrapped_heading(tmp_path):
    # a sender's two lines typed with a line break: the first stops far short of the
    # page's width, so the pair is no heading wrapped over two lines (and a lone pair of
    # bold lines heads nothing)
    body = [(BODY[:80], False, 6), (BODY[80:], False, 0)]
    doc = load(tmp_path, spaced_pdf([
        ("Mairie de Villeurbanne", True, 6), ("Service de l'état civil", True, 0), *body,
        *body]))
    assert titles(doc) == ["Guide"]


def test_numbered_divisions_with_their_names_head_in_bold(tmp_path):
    # "Article 3 : Durée": a colon with words after it, yet a division's name (handheadings)
    doc = load(tmp_path, make_pdf([[(16, "Règlement du télétravail"), *TEXT,
                                    (11, "Article 1 : Objet", B), *TEXT,
                                    (11, "Article 2 : Durée", B), *TEXT]]))
    assert titles(doc)[1:] == ["Règlement du télétravail › Article 1 : Objet",
                               "Règlement du télétravail › Article 2 : Durée"]
