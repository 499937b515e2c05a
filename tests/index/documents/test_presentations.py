"""PowerPoint (.pptx) and OpenDocument (.odp) presentations: a slide is a page and a
section titled with its title, unless it continues the slide before (the same title, or
"(suite)"...); notes and tables read as text; no converter syntax."""

from __future__ import annotations

import pptx
import pytest
from odfdo import Document as OdfDocument
from odfdo import DrawPage, Frame
from pptx.util import Inches
from ragqa.index.documents.chunking import ChunkingParams, make_splitter
from ragqa.index.documents.loaders import load_document
from ragqa.index.documents.presentations import PROSE_CHARS, continues
from ragqa.index.documents.processing import corpus_context, process_document

from tests.index.documents.structured import assert_plain, passages, section_titles


def make_pptx(path) -> None:
    deck = pptx.Presentation()
    first = deck.slides.add_slide(deck.slide_layouts[0])  # title slide
    first.shapes.title.text = "Stratégie numérique 2025"
    first.placeholders[1].text = "Direction des systèmes d'information"
    second = deck.slides.add_slide(deck.slide_layouts[1])  # title and content
    second.shapes.title.text = "Objectifs"
    body = second.placeholders[1].text_frame
    body.text = "Dématérialiser 80 % des démarches"
    body.add_paragraph().text = "Former 500 agents"
    second.notes_slide.notes_text_frame.text = "Le budget de la formation est de 2 millions."
    third = deck.slides.add_slide(deck.slide_layouts[5])  # title only
    third.shapes.title.text = "Calendrier"
    table = third.shapes.add_table(3, 2, Inches(1), Inches(2), Inches(6), Inches(2)).table
    for r, row in enumerate([("Étape", "Date"), ("Lancement", "janvier"),
                             ("Bilan", "décembre")]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    fourth = deck.slides.add_slide(deck.slide_layouts[6])  # blank: no title
    box = fourth.shapes.add_textbox(Inches(1), Inches(1), Inches(6), Inches(1)).text_frame
    box.text = "Contact : dsi@exemple.ma"
    deck.save(path)


def test_pptx_slides_are_pages_and_sections(tmp_path):
    path = tmp_path / "strategie.pptx"
    make_pptx(path)
    doc = load_document(path, "strategie.pptx")
    assert_plain(doc)
    assert doc.title == "Stratégie numérique 2025"
    assert len(doc.pages) == 4 and doc.pages[0] == 0
    assert doc.text[doc.pages[1]:].startswith("Objectifs\n\nDématérialiser 80 % des démarches\n"
                                             "Former 500 agents")
    assert "Le budget de la formation est de 2 millions." in doc.text  # speaker notes
    assert "Étape : Lancement ; Date : janvier" in doc.text  # python-pptx marks row 1 header
    assert doc.text[doc.pages[3]:].startswith("Contact : dsi@exemple.ma")
    assert section_titles(doc) == ["Stratégie numérique 2025", "Objectifs", "Calendrier",
                                   "Diapositive 4"]
    found = [(doc.text[p.start:p.end], p.page, p.section) for p in passages(doc, size=60)]
    assert ("Le budget de la formation est de 2 millions.", 2, "Objectifs") in found
    assert ("Contact : dsi@exemple.ma", 4, "Diapositive 4") in found
    assert {page for _, page, _ in found} == {1, 2, 3, 4}


def make_odp(path) -> None:
    document = OdfDocument("presentation")
    body = document.body
    body.clear()
    slides = [("Bilan 2024", ["Le réseau couvre 90 % du territoire.", "Trois nouveaux sites"]),
              (None, ["Une diapositive sans titre"]),
              ("Perspectives", ["La 5G arrive à Rabat en juin."])]
    for number, (title, lines) in enumerate(slides, start=1):
        page = DrawPage(f"p{number}", name=f"page{number}")
        if title:
            page.append(Frame.text_frame(title, size=("20cm", "2cm"), position=("1cm", "1cm"),
                                         presentation_class="title"))
        page.append(Frame.text_frame(lines, size=("20cm", "8cm"), position=("1cm", "4cm")))
        body.append(page)
    document.meta.set_title("")  # odfdo's template is titled "presentation"
    document.save(path)


def test_odp_slides_are_pages_and_sections(tmp_path):
    path = tmp_path / "bilan.odp"
    make_odp(path)
    doc = load_document(path, "bilan.odp")
    assert_plain(doc)
    assert doc.title == "Bilan 2024"
    assert len(doc.pages) == 3
    assert doc.text[doc.pages[0]:].startswith(
        "Bilan 2024\n\nLe réseau couvre 90 % du territoire.\nTrois nouveaux sites")
    assert doc.text[doc.pages[1]:].startswith("Une diapositive sans titre")
    assert section_titles(doc) == ["Bilan 2024", "Diapositive 2", "Perspectives"]
    found = [(doc.text[p.start:p.end], p.page) for p in passages(doc)]
    assert ("Perspectives\n\nLa 5G arrive à Rabat en juin.", 3) in found


@pytest.mark.parametrize(("title", "previous", "expected"), [
    ("Résultats", "Résultats", True),
    ("RÉSULTATS  (suite)", "Résultats", True),
    ("Résultats (suite et fin)", "Résultats (suite)", True),
    ("Résultats (2/3)", "Résultats (1/3)", True),
    ("Résultats 2/3", "Résultats :", True),
    ("Résultats – suite", "Résultats", True),
    ("Results (cont'd)", "Results", True),
    ("Results (continued)", "Results", True),
    ("Résultats…", "Résultats", True),
    ("(suite)", "Résultats", True),
    ("Suite…", "Résultats", True),
    ("Résultats 2024", "Résultats 2023", False),
    ("Étape 2", "Étape 1", False),
    ("Partie II", "Partie I", False),
    ("La suite", "Résultats", False),
    ("Plan de suite", "Plan de", False),
    ("Bilan 2023/24", "Bilan", False),
    ("(suite)", "", False),  # after an untitled slide
    ("Comité de pilotage 19/03", "Comité de pilotage 12/03", False),  # days, not counts
    ("Comité de pilotage 02/03", "Comité de pilotage 01/03", False),
    ("Comité de pilotage (12/03)", "Comité de pilotage", False),
    ("Comité de pilotage 12/03", "Comité de pilotage 12/03", True),  # the same title
    ("", "", False),
])
def test_a_slide_continues_the_one_titled_as_it(title, previous, expected):
    assert continues(title, previous) is expected


LONG_LINES = [f"Le site numéro {n} ouvrira ses portes au public en {2025 + n % 3} "
              f"après des travaux de rénovation." for n in range(8)]
assert all(len(line) < PROSE_CHARS for line in LONG_LINES)  # a slide's lines, not blocks


def make_continued_pptx(path, titles) -> None:
    """A title slide, a section-header slide "Chantiers", then one content slide per title
    of ``titles``, each holding two of :data:`LONG_LINES`, and a last slide "Contacts"."""
    deck = pptx.Presentation()
    first = deck.slides.add_slide(deck.slide_layouts[0])
    first.shapes.title.text = "Plan de rénovation"
    header = deck.slides.add_slide(deck.slide_layouts[2])  # section header: title only
    header.shapes.title.text = "Chantiers"
    for number, title in enumerate(titles):
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = title
        body = slide.placeholders[1].text_frame
        lines = LONG_LINES[2 * number: 2 * number + 2]
        body.text = lines[0]
        for line in lines[1:]:
            body.add_paragraph().text = line
    last = deck.slides.add_slide(deck.slide_layouts[1])
    last.shapes.title.text = "Contacts"
    last.placeholders[1].text_frame.text = "Écrire à renovation@exemple.ma"
    deck.save(path)


def test_slides_that_continue_a_section_are_read_as_one(tmp_path):
    path = tmp_path / "plan.pptx"
    make_continued_pptx(path, ["Chantiers", "Chantiers (suite)", "Chantiers (3/3)"])
    doc = load_document(path, "plan.pptx")
    assert_plain(doc)
    assert len(doc.pages) == 6  # every slide is still a page
    # One section from the section-header slide to the last continued slide; the repeated
    # titles are not in the text, which reads on as one block per slide.
    assert section_titles(doc) == ["Plan de rénovation", "Chantiers", "Contacts"]
    assert doc.text.count("Chantiers") == 1 and "suite" not in doc.text
    assert doc.text[doc.pages[1]:doc.pages[5]] == (
        "Chantiers\n\n" + "\n\n".join("\n".join(LONG_LINES[i:i + 2]) for i in (0, 2, 4))
        + "\n\n")
    assert doc.continued_pages == doc.pages[2:5]
    found = passages(doc, size=500)
    quotes = [doc.text[p.start:p.end] for p in found]
    # A passage runs across a slide's start, and cites the slide holding most of it.
    across = [p for p in found if p.section == "Chantiers"
              and any(p.start < start < p.end for start in doc.pages[3:5])]
    assert across
    bounds = list(zip(doc.pages, doc.pages[1:] + (len(doc.text),)))
    for p in across:
        shares = [max(0, min(p.end, b) - max(p.start, a)) for a, b in bounds]
        assert p.page == 1 + shares.index(max(shares))
    assert all(q.strip() != "Chantiers" for q in quotes)
    assert ("Contacts\n\nÉcrire à renovation@exemple.ma", 6, "Contacts") in [
        (doc.text[p.start:p.end], p.page, p.section) for p in found]


def test_slides_with_other_titles_stay_sections_and_cut_passages(tmp_path):
    # The section-header slide "Chantiers" heads the slides after it: its line opens the
    # first one's section, the only page read across.
    path = tmp_path / "plan.pptx"
    make_continued_pptx(path, ["Chantiers du nord", "Chantiers du sud", "Chantiers de l'est"])
    doc = load_document(path, "plan.pptx")
    assert section_titles(doc) == [
        "Plan de rénovation", "Chantiers › Chantiers du nord", "Chantiers › Chantiers du sud",
        "Chantiers › Chantiers de l'est", "Chantiers › Contacts"]
    assert doc.continued_pages == (doc.pages[2],)
    pages = list(doc.pages) + [len(doc.text)]
    found = passages(doc, size=500)
    assert all(doc.text[p.start:p.end] != "Chantiers" for p in found)
    for p in found:
        first = pages[p.page - 2] if p.page == 3 else pages[p.page - 1]
        assert first <= p.start < p.end <= pages[p.page]


def add_slide(deck, layout: int, title: str | None, lines=(), subtitle: str | None = None):
    """A slide of ``deck``'s ``layout`` titled ``title``, ``lines`` in its body placeholder
    (placeholder 1), ``subtitle`` in it for a section header's."""
    slide = deck.slides.add_slide(deck.slide_layouts[layout])
    if title is not None:
        slide.shapes.title.text = title
    text = list(lines) or ([subtitle] if subtitle else [])
    if text:
        frame = slide.placeholders[1].text_frame
        frame.text = text[0]
        for line in text[1:]:
            frame.add_paragraph().text = line
    return slide


TITLE, CONTENT, SECTION, TITLE_ONLY = 0, 1, 2, 5  # python-pptx's default layouts


def test_a_section_header_slide_heads_the_slides_after_it(tmp_path):
    deck = pptx.Presentation()
    add_slide(deck, TITLE, "Rapport annuel", subtitle="Conseil du 12 mars")
    add_slide(deck, SECTION, "2. Budget")
    add_slide(deck, CONTENT, "Recettes", ["Les recettes montent à 12 millions d'euros."])
    add_slide(deck, CONTENT, "Dépenses", ["Les dépenses baissent de 3 %."])
    add_slide(deck, SECTION, "3. Perspectives", subtitle="Ce qui vient en 2026")
    add_slide(deck, CONTENT, "Projets", ["Deux écoles ouvriront à la rentrée."])
    add_slide(deck, TITLE_ONLY, "Questions ?")  # the last slide: no section header
    path = tmp_path / "rapport.pptx"
    deck.save(path)
    doc = load_document(path, "rapport.pptx")
    assert_plain(doc)
    assert doc.title == "Rapport annuel"
    assert len(doc.pages) == 7
    assert section_titles(doc) == [
        "Rapport annuel", "2. Budget › Recettes", "2. Budget › Dépenses",
        "3. Perspectives › Projets", "Questions ?"]
    assert doc.text[doc.pages[1]:].startswith("2. Budget\n\nRecettes\n\nLes recettes")
    assert "3. Perspectives\n\nCe qui vient en 2026\n\nProjets" in doc.text
    found = [(doc.text[p.start:p.end], p.section) for p in passages(doc, size=500)]
    assert all(quote not in ("2. Budget", "3. Perspectives") for quote, _ in found)
    assert ("2. Budget\n\nRecettes\n\nLes recettes montent à 12 millions d'euros.",
            "2. Budget › Recettes") in found


def test_a_section_header_line_and_a_title_alone_make_no_passage(tmp_path):
    # The first slide's body is one block too long to share a passage with the two
    # heading lines above it.
    deck = pptx.Presentation()
    add_slide(deck, TITLE, "Plan de rénovation")
    add_slide(deck, SECTION, "Chantiers")
    add_slide(deck, CONTENT, "Chantiers du nord", [" ".join(LONG_LINES)])
    path = tmp_path / "plan.pptx"
    deck.save(path)
    doc = load_document(path, "plan.pptx")
    quotes = [doc.text[p.start:p.end] for p in passages(doc, size=150)]
    assert "Chantiers\n\nChantiers du nord" not in quotes
    assert any(LONG_LINES[0][:40] in q for q in quotes)


def test_title_only_slides_one_after_another_are_no_section_headers(tmp_path):
    # "2. Budget" is followed by another title-only slide: a divider of its own
    deck = pptx.Presentation()
    add_slide(deck, TITLE, "Rapport annuel")
    add_slide(deck, SECTION, "2. Budget")
    add_slide(deck, SECTION, "3. Perspectives")
    add_slide(deck, CONTENT, "Projets", ["Deux écoles ouvriront à la rentrée."])
    path = tmp_path / "rapport.pptx"
    deck.save(path)
    doc = load_document(path, "rapport.pptx")
    assert section_titles(doc) == ["Rapport annuel", "2. Budget", "3. Perspectives › Projets"]


def test_a_slide_of_one_image_is_content_under_its_section_header(tmp_path):
    from PIL import Image

    image = tmp_path / "organigramme.png"
    Image.new("RGB", (40, 30), "white").save(image)
    deck = pptx.Presentation()
    add_slide(deck, TITLE, "Rapport annuel")
    add_slide(deck, SECTION, "2. Budget")
    chart = add_slide(deck, TITLE_ONLY, "Organigramme")
    chart.shapes.add_picture(str(image), Inches(1), Inches(2))
    add_slide(deck, CONTENT, "Recettes", ["Les recettes montent à 12 millions d'euros."])
    path = tmp_path / "rapport.pptx"
    deck.save(path)
    doc = load_document(path, "rapport.pptx")
    # the image slide is no section header: "Recettes" stays under "2. Budget"
    assert section_titles(doc) == ["Rapport annuel", "2. Budget › Organigramme",
                                   "2. Budget › Recettes"]


def test_a_one_line_content_slide_is_no_section_header(tmp_path):
    deck = pptx.Presentation()
    add_slide(deck, TITLE, "Rapport annuel")
    add_slide(deck, CONTENT, "Objectif", ["Former 500 agents"])
    add_slide(deck, CONTENT, "Moyens", ["Un budget de 2 millions d'euros."])
    path = tmp_path / "rapport.pptx"
    deck.save(path)
    doc = load_document(path, "rapport.pptx")
    assert section_titles(doc) == ["Rapport annuel", "Objectif", "Moyens"]


def test_odp_section_header_slides_head_the_slides_after_them(tmp_path):
    document = OdfDocument("presentation")
    body = document.body
    body.clear()
    slides = [("Rapport annuel", ["Conseil du 12 mars", "Direction financière"]),
              ("2. Budget", []), ("Recettes", ["Les recettes montent à 12 millions."]),
              ("Dépenses", ["Les dépenses baissent de 3 %."]), ("Questions ?", [])]
    for number, (title, lines) in enumerate(slides, start=1):
        page = DrawPage(f"p{number}", name=f"page{number}")
        page.append(Frame.text_frame(title, size=("20cm", "2cm"), position=("1cm", "1cm"),
                                     presentation_class="title"))
        if lines:
            page.append(Frame.text_frame(lines, size=("20cm", "8cm"), position=("1cm", "4cm")))
        body.append(page)
    document.meta.set_title("")
    path = tmp_path / "rapport.odp"
    document.save(path)
    doc = load_document(path, "rapport.odp")
    assert section_titles(doc) == ["Rapport annuel", "2. Budget › Recettes",
                                   "2. Budget › Dépenses", "Questions ?"]
    assert doc.continued_pages == (doc.pages[2],)


def test_a_heading_line_alone_above_a_long_slide_makes_no_passage(tmp_path):
    # A slide's body is one block: too long to share a passage with the title above it,
    # it left the title a passage of its own.
    path = tmp_path / "plan.pptx"
    make_continued_pptx(path, ["Chantiers"])
    doc = load_document(path, "plan.pptx")
    quotes = [doc.text[p.start:p.end] for p in passages(doc, size=150)]
    assert "Chantiers" not in quotes
    assert any(LONG_LINES[0] in q for q in quotes)


def make_continued_odp(path) -> None:
    document = OdfDocument("presentation")
    body = document.body
    body.clear()
    slides = [("Bilan 2024", LONG_LINES[:2]), ("Bilan 2024 (suite)", LONG_LINES[2:4]),
              ("Perspectives", ["La 5G arrive à Rabat en juin."])]
    for number, (title, lines) in enumerate(slides, start=1):
        page = DrawPage(f"p{number}", name=f"page{number}")
        page.append(Frame.text_frame(title, size=("20cm", "2cm"), position=("1cm", "1cm"),
                                     presentation_class="title"))
        page.append(Frame.text_frame(lines, size=("20cm", "8cm"), position=("1cm", "4cm")))
        body.append(page)
    document.meta.set_title("")
    document.save(path)


def test_odp_slides_that_continue_a_section_are_read_as_one(tmp_path):
    path = tmp_path / "bilan.odp"
    make_continued_odp(path)
    doc = load_document(path, "bilan.odp")
    assert_plain(doc)
    assert len(doc.pages) == 3 and doc.continued_pages == (doc.pages[1],)
    assert section_titles(doc) == ["Bilan 2024", "Perspectives"]
    assert doc.text[doc.pages[1]:].startswith(LONG_LINES[2])
    found = passages(doc, size=500)
    assert any(p.start < doc.pages[1] < p.end and p.page == 1 for p in found)


def test_a_paragraph_of_prose_is_a_block_and_bullets_are_lines(tmp_path):
    prose = ("Le comité a validé le plan de rénovation des sites régionaux, financé sur "
             "trois exercices par le budget d'investissement.")
    deck = pptx.Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[1])
    slide.shapes.title.text = "Décisions"
    body = slide.placeholders[1].text_frame
    body.text = "Contexte"
    for text in (prose, "Lancement en janvier", "Bilan en décembre"):
        body.add_paragraph().text = text
    path = tmp_path / "decisions.pptx"
    deck.save(path)
    doc = load_document(path, "decisions.pptx")
    assert doc.text == (f"Décisions\n\nContexte\n\n{prose}\n\n"
                        "Lancement en janvier\nBilan en décembre")


def test_a_footer_box_on_every_continued_slide_is_boilerplate(tmp_path):
    # One section over four slides: the line each slide repeats is still the deck's
    # template, counted slide by slide.
    deck = pptx.Presentation()
    for number in range(4):
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = "Budget 2025" + (" (suite)" if number else "")
        slide.placeholders[1].text_frame.text = LONG_LINES[number]
        box = slide.shapes.add_textbox(Inches(1), Inches(6), Inches(6), Inches(1))
        box.text_frame.text = "Confidentiel – ne pas diffuser"
    path = tmp_path / "budget.pptx"
    deck.save(path)
    doc = load_document(path, "budget.pptx")
    assert section_titles(doc) == ["Budget 2025"]
    titled, context = corpus_context([doc])
    assert "confidentiel – ne pas diffuser" in context.boilerplate
    processed = process_document(titled[0], context, make_splitter(ChunkingParams()),
                                 contextual=True)
    quotes = [doc.text[p.start:p.end] for p in processed.passages]
    assert not any("Confidentiel" in q for q in quotes)
    assert all(any(line in q for q in quotes) for line in LONG_LINES[:4])


@pytest.mark.parametrize("closing", ["Questions ?", "Merci de votre attention", "Pause",
                                     "Bonne route !"])
def test_a_closing_slide_heads_nothing(tmp_path, closing):
    # a bare slide that asks, exclaims or closes ("Questions ?", "Merci") is a divider:
    # the appendix after it is no part of it
    deck = pptx.Presentation()
    add_slide(deck, TITLE, "Plan de mobilité", subtitle="Direction des transports")
    add_slide(deck, SECTION, "Partie 1 : bilan")
    add_slide(deck, CONTENT, "Résultats", ["Le budget 2024 est de 3 millions d'euros."])
    add_slide(deck, TITLE_ONLY, closing)
    add_slide(deck, CONTENT, "Annexe : chiffres", ["Le budget 2025 est de 4 millions."])
    add_slide(deck, CONTENT, "Sources", ["Rapport du conseil, mars 2024."])
    path = tmp_path / "plan.pptx"
    deck.save(path)
    doc = load_document(path, "plan.pptx")
    assert section_titles(doc) == ["Plan de mobilité", "Partie 1 : bilan › Résultats",
                                   closing, "Annexe : chiffres", "Sources"]
    # and its title alone makes no passage ("Questions ?" answered nothing)
    assert closing not in [doc.text[p.start:p.end].strip() for p in passages(doc)]


@pytest.mark.parametrize("header", ["Questions fréquentes", "Qui est concerné ?",
                                    "2. Comment faire ?"])
def test_a_section_header_slide_may_ask_or_hold_a_closing_word(tmp_path, header):
    # only a title made of closing words closes: "Questions fréquentes" heads its slides,
    # and so does a question of other words (French guides title their parts so)
    deck = pptx.Presentation()
    add_slide(deck, TITLE, "Guide de l'usager")
    add_slide(deck, SECTION, header)
    add_slide(deck, CONTENT, "Horaires", ["La mairie ouvre à 9 h."])
    path = tmp_path / "guide.pptx"
    deck.save(path)
    doc = load_document(path, "guide.pptx")
    assert section_titles(doc) == ["Guide de l'usager", f"{header} › Horaires"]


def _movie(slide, tmp_path):
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"\x00" * 64)
    slide.shapes.add_movie(str(clip), Inches(1), Inches(2), Inches(4), Inches(3),
                           mime_type="video/mp4")


def _ole_in_group(slide, tmp_path):
    from pptx.enum.shapes import PROG_ID

    sheet = tmp_path / "chiffres.xlsx"
    sheet.write_bytes(b"PK\x05\x06" + b"\x00" * 18)
    group = slide.shapes.add_group_shape()
    group.shapes.add_ole_object(str(sheet), PROG_ID.XLSX, Inches(1), Inches(2))


def _rectangle(slide, tmp_path):
    from pptx.enum.shapes import MSO_SHAPE

    slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, Inches(1), Inches(2), Inches(4), Inches(1))


@pytest.mark.parametrize(("add", "content"), [
    (_movie, True), (_ole_in_group, True), (_rectangle, False)])
def test_a_slide_of_media_is_content_and_a_drawn_shape_is_not(tmp_path, add, content):
    deck = pptx.Presentation()
    add_slide(deck, TITLE, "Rapport annuel")
    add(add_slide(deck, TITLE_ONLY, "Témoignage du maire"), tmp_path)
    add_slide(deck, CONTENT, "Budget", ["Le budget est de 3 millions d'euros."])
    path = tmp_path / "rapport.pptx"
    deck.save(path)
    doc = load_document(path, "rapport.pptx")
    assert section_titles(doc) == (
        ["Rapport annuel", "Témoignage du maire", "Budget"] if content
        else ["Rapport annuel", "Témoignage du maire › Budget"])


def test_an_odp_slide_of_a_video_is_content(tmp_path):
    from odfdo import Element

    document = OdfDocument("presentation")
    body = document.body
    body.clear()
    for number, title in enumerate(["Rapport annuel", "Témoignage du maire", "Budget"], 1):
        page = DrawPage(f"p{number}", name=f"page{number}")
        page.append(Frame.text_frame(title, size=("20cm", "2cm"), position=("1cm", "1cm"),
                                     presentation_class="title"))
        if number == 2:
            video = Frame(size=("10cm", "6cm"), position=("1cm", "4cm"))
            video.append(Element.from_tag(
                '<draw:plugin xlink:href="clip.mp4" draw:mime-type="video/mp4"/>'))
            page.append(video)
        if number == 3:
            page.append(Frame.text_frame(["Le budget est de 3 millions d'euros."],
                                         size=("20cm", "8cm"), position=("1cm", "4cm")))
        body.append(page)
    document.meta.set_title("")
    path = tmp_path / "rapport.odp"
    document.save(path)
    doc = load_document(path, "rapport.odp")
    assert section_titles(doc) == ["Rapport annuel", "Témoignage du maire", "Budget"]
