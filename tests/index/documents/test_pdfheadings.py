"""A PDF's headings as its sections, and its title (index/documents/pdfheadings.py): from
its outline, else from its type; heading lines stay lines of their own in the canonical
text (index/documents/pdftext.py)."""

import io
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from ragqa.eval.blocks import Block
from ragqa.eval.pdfwriting import laid_out_pdf
from ragqa.index.documents.chunking import ChunkingParams, make_splitter
from ragqa.index.documents.loaders import load_document
from ragqa.index.documents.outline import document_sections
from ragqa.index.documents.pdflines import is_bold_font
from ragqa.index.documents.pdftext import pdf_text
from ragqa.index.documents.processing import corpus_context, process_document
from tests.index.documents.structured import passages
from tests.make_pdf import make_pdf

PDFS = Path(__file__).parent / "pdfs"
BODY = ("Le présent règlement s'applique à l'ensemble des salariés de l'entreprise, quel que "
        "soit leur lieu de travail et la nature de leur contrat. ")


def load(tmp_path: Path, data: bytes, name: str = "doc.pdf"):
    path = tmp_path / name
    path.write_bytes(data)
    return load_document(path, name)


def titles(doc) -> list[str]:
    return [section.title for section in document_sections(doc)]


def with_outline(data: bytes, entries: list[tuple[str, int, int | None]]) -> bytes:
    """``data`` with bookmarks written by pypdf: ``(title, page, parent entry's index)``."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    made = []
    for title, page, parent in entries:
        made.append(writer.add_outline_item(title, page,
                                            parent=made[parent] if parent is not None else None))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_larger_type_makes_sections_with_their_paths(tmp_path):
    # the eval's writer: an 18 pt title, 14 pt and 12 pt headings, 11 pt text, a footer
    doc = load(tmp_path, laid_out_pdf("Congés et absences", [
        Block("heading", "Qui est concerné ?", 2),
        Block("paragraph", BODY * 3),
        Block("heading", "Cas général", 3),
        Block("item", "les salariés à temps plein"),
        Block("heading", "Montant de l'indemnité", 2),
        Block("paragraph", BODY * 40),  # over the next page, under its footer
        Block("heading", "Recours", 2),
        Block("paragraph", BODY),
    ]))
    assert doc.title == "Congés et absences"
    assert titles(doc) == [
        "Congés et absences › Qui est concerné ?",
        "Congés et absences › Qui est concerné ? › Cas général",
        "Congés et absences › Montant de l'indemnité",
        "Congés et absences › Recours",
    ]
    for heading in doc.headings:  # each heading is a line of the text, where it says
        assert doc.text[heading.start:].split("\n", 1)[0] == heading.path[-1]
        assert heading.start == 0 or doc.text[heading.start - 1] == "\n"
    assert len(doc.pages) == 2 and doc.headings[-1].start > doc.pages[1]


def test_a_title_wrapped_in_large_type_is_read_whole(tmp_path):
    # the second line starts with a capital after an ordinary word: no wrapping rule joins
    # it, the type does
    doc = load(tmp_path, make_pdf([[
        (20, "Plan de continuité d'activité"), (20, "Direction Régionale des Finances"),
        (11, BODY), (11, "La liste des agents est mise à jour chaque trimestre.")]]))
    assert doc.title == "Plan de continuité d'activité Direction Régionale des Finances"
    assert doc.text.startswith("Plan de continuité d'activité Direction Régionale des "
                               "Finances\nLe présent")


def test_a_heading_is_never_joined_to_the_line_after_it(tmp_path):
    # a lower-case line goes on the sentence of the line above it, but not of a heading;
    # nor over a page break
    doc = load(tmp_path, make_pdf([
        [(16, "Conditions d'accès"), (11, "les demandeurs déposent leur dossier en mairie"),
         (11, "avant le 31 mars."), (16, "Pièces à fournir")],
        [(11, "une copie de la pièce d'identité et un justificatif de domicile.")]]))
    assert "Conditions d'accès\nles demandeurs déposent leur dossier en mairie avant" in doc.text
    assert "Pièces à fournir\n\nune copie" in doc.text
    assert titles(doc)[-1] == "Pièces à fournir"
    assert doc.text[doc.headings[-1].start:].startswith("Pièces à fournir\n")


@pytest.mark.parametrize("line", [
    "Le délai de réponse est de deux mois.",  # a sentence
    "Si le dossier est complet, le service instructeur de la commune répond dans un délai "
    "de deux mois à compter du dépôt en mairie",  # too many words for a heading
    "2024",  # no word
    "L",  # a drop cap
    "« Lire, c'est voyager »",  # a pull quote
    "“Lire, c'est voyager”",
    '"Lire, c\'est voyager"',
    "Tél. 04 72 10 30 30",  # more digits than letters: a phone number, a date
    "Le 12/03/2024",
])
def test_larger_type_that_is_no_heading_starts_no_section(tmp_path, line):
    doc = load(tmp_path, make_pdf([[(16, "Instruction des demandes"), (11, BODY),
                                    (14, line), (11, BODY)]]))
    assert titles(doc) == ["Instruction des demandes"]


def test_the_outline_gives_the_headings_and_their_levels(tmp_path):
    # one size throughout: only the bookmarks (as pypdf writes them) tell the headings; a
    # bookmark whose title no line of its page says is left out
    data = make_pdf([
        ["Rapport d'activité", "Résumé", BODY, "Les effectifs", "Ils sont stables."],
        ["Les effectifs par service et par", "catégorie d'emploi", "Voir le tableau."]])
    doc = load(tmp_path, with_outline(data, [
        ("Résumé", 0, None), ("Les effectifs", 0, 0), ("Figure 3", 0, 0),
        ("Les effectifs par service et par catégorie d'emploi", 1, None)]))
    assert titles(doc) == [
        "Rapport d'activité", "Résumé", "Résumé › Les effectifs",
        "Les effectifs par service et par catégorie d'emploi"]
    assert "\nLes effectifs par service et par catégorie d'emploi\n" in doc.text


def test_the_outline_comes_before_the_type(tmp_path):
    data = make_pdf([[(16, "Guide"), (11, "Introduction"), (11, BODY), (11, "Contexte"),
                      (11, BODY), (14, "Annexe"), (11, BODY)]])
    doc = load(tmp_path, with_outline(data, [("Introduction", 0, None),
                                             ("Contexte", 0, None)]))
    assert titles(doc) == ["Guide", "Introduction", "Contexte"]
    assert doc.title == "Guide"  # the largest type still names the document


@pytest.mark.parametrize("bookmark", ["Couverture", "Guide"])
def test_an_outline_of_one_entry_gives_way_to_the_type(tmp_path, bookmark):
    # one bookmark (the cover, the title) outlines nothing: the headings set in larger
    # type make the sections
    data = make_pdf([[(16, "Guide"), (11, "Couverture"), (11, BODY)],
                     [(14, "Introduction"), (11, BODY), (14, "Annexe"), (11, BODY)]])
    doc = load(tmp_path, with_outline(data, [(bookmark, 0, None)]))
    assert titles(doc) == ["Guide", "Guide › Introduction", "Guide › Annexe"]


def test_an_outline_of_one_entry_gives_way_to_headings_not_to_a_quote_or_a_number(tmp_path):
    # the outline's one entry is the title; the larger type holds only a pull quote and a
    # phone number: the one section stays
    data = make_pdf([[(16, "Règlement de la médiathèque"), (11, BODY * 2),
                      (14, "« Lire, c'est voyager »"), (11, BODY * 2),
                      (13, "Tél. 04 72 10 30 30"), (11, BODY)]])
    doc = load(tmp_path, with_outline(data, [("Règlement de la médiathèque", 0, None)]))
    assert titles(doc) == ["Règlement de la médiathèque"]


def test_an_outline_of_one_entry_serves_where_the_type_says_nothing(tmp_path):
    data = make_pdf([["Guide", BODY, "Annexe", BODY]])
    doc = load(tmp_path, with_outline(data, [("Annexe", 0, None)]))
    assert titles(doc) == ["Guide", "Annexe"]


def test_outline_entries_listed_out_of_their_page_order_are_all_found(tmp_path):
    # the outline lists "Méthode" before "Contexte", the page prints them the other way
    data = make_pdf([["Rapport", "Contexte", BODY, "Méthode", BODY, "Résultats", BODY]])
    doc = load(tmp_path, with_outline(data, [("Méthode", 0, None), ("Contexte", 0, None),
                                             ("Résultats", 0, None)]))
    assert titles(doc) == ["Rapport", "Contexte", "Méthode", "Résultats"]


def test_a_title_of_one_letter_and_digits(tmp_path):
    # one letter is enough with a digit: a name, not a drop cap
    doc = load(tmp_path, make_pdf([[(20, "M87"), (11, BODY), (14, "Observation"), (11, BODY)]]))
    assert doc.title == "M87" and doc.title_source == "layout"
    assert titles(doc) == ["M87", "M87 › Observation"]


def test_a_metadata_title_still_wins(tmp_path):
    doc = load(tmp_path, make_pdf([[(20, "Note interne"), (11, BODY)]],
                                  title="Note sur le télétravail"))
    assert doc.title == "Note sur le télétravail"
    assert titles(doc) == ["Note interne"]


@pytest.mark.parametrize("name", ["fpdf2-outline.pdf", "fpdf2-type.pdf"])
def test_pdfs_of_another_writer(name):
    # fpdf2 (tests/index/documents/pdfs/write_fpdf2.py): a bold title wrapped over three
    # lines, bold headings of two sizes, the last section on the second page
    doc = load_document(PDFS / name, name)
    title = "Plan de continuité d'activité de la Direction Régionale des Finances Publiques"
    assert doc.title == title
    found = [section.title.removeprefix(f"{title} › ") for section in document_sections(doc)]
    assert found[-4:] == ["Objet du plan", "Objet du plan › Activités essentielles",
                          "Objet du plan › Personnel mobilisé",
                          "Déclenchement et fin du plan"]


def test_pdf_text_keeps_heading_lines_and_finds_them():
    text = pdf_text(["Titre\nsuite en minuscules\nAutre titre", "la page suivante."],
                    [["Titre", "Autre titre"], []])
    assert text.text == "Titre\nsuite en minuscules\nAutre titre\n\nla page suivante."
    assert text.headings == (0, 26)
    # without headings, the same lines are joined as wrapped
    assert pdf_text(["Titre\nsuite en minuscules\nAutre titre", "la page suivante."]).text == (
        "Titre suite en minuscules\nAutre titre la page suivante.")


def test_a_section_is_read_across_a_page_break(tmp_path):
    # A page break is where the paper ended, not where the author did: the text of one
    # section over two pages makes the passages it would make on one page, each citing the
    # page it starts on (a heading still starts a section, wherever it falls).
    first = "Le télétravail est ouvert à tous les salariés après la période d'essai."
    second = "La demande est faite par écrit auprès du responsable hiérarchique."
    doc = load(tmp_path, make_pdf([
        [(14, "Télétravail"), (11, first)],
        [(11, second), (14, "Congés"), (11, "Les congés se posent un mois à l'avance.")],
    ]))
    found = passages(doc, size=400)
    assert [p.section for p in found] == ["Télétravail", "Congés"]
    assert first in doc.text[found[0].start:found[0].end]
    assert second in doc.text[found[0].start:found[0].end]
    assert found[0].page == 1 and found[1].page == 2


def test_a_sentence_on_three_pages_stays(tmp_path):
    # The pages' running lines are gone already (pageedges): a sentence the text says on
    # three pages is content, not a page template, though the pages read as one section.
    pages = [[f"Chapitre {n} : les pièces du dossier numéro {n}.",
              "Date limite de dépôt : 30 juin 2027 à midi.",
              f"Le dossier {n} est instruit par le service compétent."] for n in (1, 2, 3)]
    path = tmp_path / "appel.pdf"
    path.write_bytes(make_pdf(pages))
    titled, context = corpus_context([load_document(path, "appel.pdf")])
    done = process_document(titled[0], context, make_splitter(ChunkingParams()),
                            contextual=True, own_boilerplate=True)
    assert any("Date limite" in titled[0].text[p.start:p.end] for p in done.passages)


def test_a_letterhead_in_the_largest_type_is_no_title(tmp_path):
    # Three notices open with their ministry's letterhead, set larger than their titles:
    # the corpus's chrome names each by the headline under it.
    names = ["Aides aux festivals de musique", "Appel à projets patrimoine rural",
             "Résidences d'artistes en milieu scolaire"]
    docs = []
    for n, name in enumerate(names):
        path = tmp_path / f"avis{n}.pdf"
        path.write_bytes(make_pdf([[(20, "MINISTÈRE DE LA CULTURE"), (16, name), (11, BODY),
                                    (14, "Conditions"), (11, BODY)]]))
        docs.append(load_document(path, path.name))
    assert {doc.title for doc in docs} == {"MINISTÈRE DE LA CULTURE"}
    titled, _ = corpus_context(docs)
    assert [doc.title for doc in titled] == names
    alone, _ = corpus_context(docs[:1])  # one notice alone: nothing says it is chrome
    assert alone[0].title == "MINISTÈRE DE LA CULTURE"


def test_headings_are_named_as_the_text_reads_them(tmp_path):
    # "ﬁ" (a ligature glyph) is "fi" in the canonical text: in section names and the
    # title too, so a heading line alone is still known as its section's own heading.
    doc = load(tmp_path, make_pdf([[(18, "Règlement ﬁnancier"), (11, BODY),
                                    (14, "Déﬁnitions"), (12, "Champ d'application"),
                                    (11, BODY)]]))
    assert doc.title == "Règlement financier"
    # (the heading alone above another one heads its section, as in Word)
    assert titles(doc) == ["Règlement financier",
                           "Règlement financier › Définitions › Champ d'application"]
    assert "ﬁ" not in doc.text


@pytest.mark.parametrize("line", ["10.2.4 CA", "3.1 TVA", "4.2 PV 2023", "12.1 Loi 2024",
                                  "1) SMIC 2024", "IV. Budget 2024"])
def test_a_numbered_heading_in_larger_type_is_no_figure(tmp_path, line):
    # a section number is no group of figures: "10.2.4 CA" is a heading, not a phone number
    doc = load(tmp_path, make_pdf([[(16, "Rapport annuel"), (11, BODY), (14, line),
                                    (11, BODY)]]))
    assert titles(doc) == ["Rapport annuel", f"Rapport annuel › {line}"]


@pytest.mark.parametrize("line", ["12 mars 2024", "1. 04 72 10 30 30", "12.03.2024"])
def test_figures_after_a_number_are_still_figures(tmp_path, line):
    doc = load(tmp_path, make_pdf([[(16, "Rapport annuel"), (11, BODY), (14, line),
                                    (11, BODY)]]))
    assert titles(doc) == ["Rapport annuel"]


B = True  # a line set in bold (Helvetica-Bold) at the body's size


def test_bold_lines_at_the_body_size_make_sections(tmp_path):
    # the eval's pdf-bold writer: a Word file whose headings were made bold by hand, saved
    # as PDF (no outline); the title is set larger, the headings are one level below it
    doc = load(tmp_path, laid_out_pdf("Congés et absences", [
        Block("heading", "Qui est concerné ?", 2),
        Block("paragraph", BODY * 3),
        Block("heading", "Montant de l'indemnité", 2),
        Block("paragraph", BODY * 40),  # over the next page, under its footer
        Block("heading", "Recours", 2),
        Block("item", "auprès du service des ressources humaines"),
        Block("paragraph", BODY),
    ], bold_headings=True))
    assert doc.title == "Congés et absences"
    assert titles(doc) == [
        "Congés et absences › Qui est concerné ?",
        "Congés et absences › Montant de l'indemnité",
        "Congés et absences › Recours",
    ]
    for heading in doc.headings:
        assert doc.text[heading.start:].split("\n", 1)[0] == heading.path[-1]
    assert doc.headings[-1].start > doc.pages[1]


def test_bold_headings_sit_below_the_type_headings(tmp_path):
    doc = load(tmp_path, make_pdf([[
        (18, "Guide de l'usager"), (14, "Inscription"), (11, BODY),
        (11, "Pièces à fournir", B), (11, BODY), (14, "Tarifs"), (11, BODY)]]))
    assert titles(doc) == ["Guide de l'usager › Inscription",
                           "Guide de l'usager › Inscription › Pièces à fournir",
                           "Guide de l'usager › Tarifs"]


def test_a_bold_sender_block_and_signature_head_nothing(tmp_path):
    # three bold lines in a row (an address) and a bold pair with nothing under it (a
    # signature) are no headings; the bold lines with body text under them are (each body
    # paragraph is three lines: a PDF's lines are its paragraphs' lines)
    text = [(11, BODY)] * 3
    doc = load(tmp_path, make_pdf([[
        (16, "Note de service"), (11, "Horaires d'été", B), *text,
        (11, "Mairie de Villeurbanne", B), (11, "Service de l'état civil", B),
        (11, "Place Lazare-Goujon", B), *text,
        (11, "Fermeture du site", B), *text,
        (11, "Jean Dupont", B), (11, "Directeur général des services", B)]]))
    assert titles(doc) == ["Note de service › Horaires d'été",
                           "Note de service › Fermeture du site"]


def test_a_lone_bold_pair_is_a_sender_not_an_outline(tmp_path):
    doc = load(tmp_path, make_pdf([[
        (16, "Courrier"), (11, "Mairie de Villeurbanne", B),
        (11, "Service de l'état civil", B), (11, BODY), (11, BODY)]]))
    assert titles(doc) == ["Courrier"]


def test_a_mostly_bold_pdf_has_no_bold_headings(tmp_path):
    # bold is the body's font: its short lines are no headings
    doc = load(tmp_path, make_pdf([[
        (16, "Règlement intérieur"), (11, "Article premier", B), (11, BODY, B),
        (11, BODY, B), (11, "Article 2", B), (11, BODY, B), (11, BODY)]]))
    assert titles(doc) == ["Règlement intérieur"]


def test_bold_words_inside_a_body_line_are_no_heading(tmp_path):
    doc = load(tmp_path, make_pdf([[
        (16, "Guide"), (11, "Inscription", B), (11, BODY),
        (11, [("Attention", True), (" le service sera fermé en août", False)]), (11, BODY),
        (11, [("Lundi", True), (" et ", False), ("mardi", True)]), (11, BODY)]]))
    assert titles(doc) == ["Guide › Inscription"]


@pytest.mark.parametrize("line", [
    "« Lire, c'est voyager »",  # a pull quote
    "Tél. 04 72 10 30 30",  # a phone number, a date
    "Le 12/03/2024",
    "Tarif réduit : 5 €",  # a label and its value
    "Le dossier est complet.",  # a sentence
])
def test_bold_lines_that_are_no_heading(tmp_path, line):
    doc = load(tmp_path, make_pdf([[(16, "Instruction des demandes"),
                                    (11, "Dépôt du dossier", B), (11, BODY),
                                    (11, line, B), (11, BODY)]]))
    assert titles(doc) == ["Instruction des demandes › Dépôt du dossier"]


def test_the_outline_leaves_bold_lines_alone(tmp_path):
    data = make_pdf([[(16, "Guide"), (11, "Introduction"), (11, BODY), (11, "Contexte"),
                      (11, BODY), (11, "Pièces à fournir", B), (11, BODY)]])
    doc = load(tmp_path, with_outline(data, [("Introduction", 0, None),
                                             ("Contexte", 0, None)]))
    assert titles(doc) == ["Guide", "Introduction", "Contexte"]


def _font(name: str, weight: int | None = None, flags: int = 32, composite: bool = False):
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject, NumberObject

    descriptor = DictionaryObject({NameObject("/Flags"): NumberObject(flags)})
    if weight is not None:
        descriptor[NameObject("/FontWeight")] = NumberObject(weight)
    font = DictionaryObject({NameObject("/BaseFont"): NameObject(name),
                             NameObject("/FontDescriptor"): descriptor})
    if composite:
        return DictionaryObject({NameObject("/BaseFont"): NameObject("/ABCDEF+F1"),
                                 NameObject("/DescendantFonts"): ArrayObject([font])})
    return font


@pytest.mark.parametrize("font, bold", [
    (_font("/ABCDEF+Calibri-Bold"), True), (_font("/Arial,Bold"), True),
    (_font("/Montserrat-SemiBold"), True), (_font("/Lato-Black"), True),
    (_font("/F3", weight=700), True), (_font("/F3", flags=32 | 1 << 18), True),
    (_font("/F3", weight=400, composite=True), False),
    (_font("/F3", weight=600, composite=True), True),
    (_font("/ABCDEF+Calibri"), False), (_font("/Times-Italic", weight=400), False),
    (None, False)])
def test_bold_fonts_by_name_weight_or_flag(font, bold):
    assert is_bold_font(font) is bold


def test_a_bold_heading_over_a_page_break_heads_the_next_page(tmp_path):
    # page 1 ends, after body text, on a bold line at its foot (no line of the document
    # stands lower): the footer between it and the sub-heading on the next page is no body
    # text, the two are a heading and its sub-heading, as on one page. A cover page, or a
    # page ending above its foot, ends the run instead (test_pdfbold.py)
    text = [(11, BODY)] * 3
    doc = load(tmp_path, make_pdf([
        [(16, "Guide"), (11, "Conditions", B), *text, (11, "Pièces justificatives", B),
         (9, "Guide - page 1 / 2")],
        [(11, "Cas général", B), *text, (9, "Guide - page 2 / 2")]]))
    assert titles(doc) == ["Guide › Conditions",
                           "Guide › Pièces justificatives › Cas général"]


def test_a_bold_heading_wrapped_over_two_lines_is_read_whole(tmp_path):
    # the second line goes on the first (a lower-case start, a line ending on "des"): one
    # heading, not a heading and its sub-heading
    text = [(11, BODY)] * 3
    doc = load(tmp_path, make_pdf([[
        (16, "Guide"), (11, "Conditions", B), *text,
        (11, "Montant de l'aide au logement versée aux familles des", B),
        (11, "étudiants boursiers", B), *text]]))
    heading = "Montant de l'aide au logement versée aux familles des étudiants boursiers"
    assert titles(doc) == ["Guide › Conditions", f"Guide › {heading}"]
    assert f"\n{heading}\nLe présent" in doc.text


def assert_headings_are_lines(doc) -> None:
    """Each heading is a line of the canonical text, where its record says."""
    for heading in doc.headings:
        assert doc.text[heading.start:].split("\n", 1)[0] == heading.path[-1]
        assert heading.start == 0 or doc.text[heading.start - 1] == "\n"


def test_a_heading_hyphenated_at_a_line_end_is_one_word(tmp_path):
    # a heading wrapped inside a word: the layout's hyphen goes, as in the body's lines
    # (the body says "service" elsewhere, and so would the default); a compound's hyphen
    # stays, with no space ("Al-" / "Maghrib": a capital; "porte-" / "parole": a compound's
    # start before no verb's ending)
    doc = load(tmp_path, make_pdf([[
        (18, "Guide de l'usager"), (11, BODY),
        (14, "Conditions d'accès au ser-"), (14, "vice public"), (11, BODY),
        (14, "Relations avec Bank Al-"), (14, "Maghrib"), (11, BODY),
        (14, "Rôle du porte-"), (14, "parole du ministère"), (11, BODY)]]))
    assert titles(doc)[1:] == [
        "Guide de l'usager › Conditions d'accès au service public",
        "Guide de l'usager › Relations avec Bank Al-Maghrib",
        "Guide de l'usager › Rôle du porte-parole du ministère"]
    assert "\nConditions d'accès au service public\nLe présent" in doc.text
    assert "ser-" not in doc.text and "ser- vice" not in doc.text
    assert_headings_are_lines(doc)
    found = passages(doc, size=200)  # each an exact slice of the text, in its section
    assert any(p.section.endswith("service public") for p in found)


def test_a_title_hyphenated_at_a_line_end_is_one_word(tmp_path):
    doc = load(tmp_path, make_pdf([[
        (20, "Plan de continuité des ser-"), (20, "vices de la Direction"),
        (11, BODY), (11, "Les services essentiels sont listés en annexe.")]]))
    assert doc.title == "Plan de continuité des services de la Direction"
    assert doc.text.startswith("Plan de continuité des services de la Direction\n")


def test_a_bold_heading_hyphenated_at_a_line_end_is_one_word(tmp_path):
    doc = load(tmp_path, make_pdf([[
        (16, "Note de service"), (11, "Conditions d'accès au ser-", B), (11, "vice public", B),
        (11, BODY), (11, BODY), (11, "Fermeture du site", B), (11, BODY), (11, BODY)]]))
    assert titles(doc) == ["Note de service › Conditions d'accès au service public",
                           "Note de service › Fermeture du site"]
    assert_headings_are_lines(doc)


@pytest.mark.parametrize("first, second, title", [
    ("Conditions d'accès au ser-", "vice public", "Conditions d'accès au service public"),
    ("Rôle du porte-", "parole", "Rôle du porte-parole"),
])
def test_an_outline_entry_is_found_over_a_line_end_hyphen(tmp_path, first, second, title):
    # the outline says how the lines join: the hyphen dropped or kept
    data = make_pdf([["Guide", BODY, first, second, BODY, "Annexe", BODY]])
    doc = load(tmp_path, with_outline(data, [(title, 0, None), ("Annexe", 0, None)]))
    assert titles(doc) == ["Guide", title, "Annexe"]
    assert_headings_are_lines(doc)
