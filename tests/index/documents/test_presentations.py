"""PowerPoint (.pptx) and OpenDocument (.odp) presentations: a slide is a page and a
section titled with its title; notes and tables read as text; no converter syntax."""

from __future__ import annotations

import pptx
from odfdo import Document as OdfDocument
from odfdo import DrawPage, Frame
from pptx.util import Inches
from ragqa.index.documents.loaders import load_document

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
