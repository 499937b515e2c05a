"""Writing one document's :class:`~ragqa.eval.blocks.Block` records in each format the
indexer reads, with the libraries people's files come from (python-docx, python-pptx,
odfdo, the standard library; PDF by :mod:`ragqa.eval.pdfwriting`).

Every writer lays the blocks out as a person would: the title first (Word's "Title"
style, an ODF level-1 heading, an HTML ``<title>`` and ``<h1>``, a title slide, a larger
first PDF line), headings as the format's headings (a markdown ``##`` is Word's "Heading
1", ODF's level 2), list items as the format's bulleted list. A presentation gets a
section-header slide per level-2 heading and content slides of a few blocks each, titled
with the heading they fall under (the document's title before any heading); the
"pptx-sections" deck numbers its section-header slides and titles its content slides with
their own sub-heading or first words (:func:`sectioned_slides`), as many decks are.

The ``-bold`` writers (``docx-bold``, ``odt-bold``, ``html-bold``) and ``html-css`` set
the headings by hand, as many intranet documents do: a paragraph in the body style made
bold, larger for a level-2 heading in Word and OpenDocument (14 pt, and 12 pt for deeper
ones, over an 11 pt body); in HTML a ``<p>`` whose text is all ``<strong>`` (level 2) or
``<b>`` (deeper). ``html-css`` sets them by a ``<style>`` sheet, as WYSIWYG editors and
Word's "save as web page" do: a ``<p class="titre">`` bold at 18px (level 2), a
``<p class="sous-titre">`` bold at 15px (deeper), over a 13px body. The title stays the
format's own (Word's "Title", ODF's level-1 heading, ``<h1>``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from html import escape
from itertools import groupby
from pathlib import Path

from ragqa.eval.blocks import Block
from ragqa.eval.pdfwriting import laid_out_pdf, printable

Writer = Callable[[Path, str, Sequence[Block]], None]

# A content slide holds at most this many blocks, and no more characters than this past
# its first block (a slide is read from a screen: a few paragraphs, not a page).
SLIDE_BLOCKS = 3
SLIDE_CHARS = 900


def _lists(blocks: Sequence[Block]) -> Iterator[tuple[bool, list[Block]]]:
    """``(is a list, blocks)``: consecutive items together, any other block alone."""
    for is_item, run in groupby(blocks, key=lambda b: b.kind == "item"):
        run = list(run)
        if is_item:
            yield True, run
        else:
            yield from ((False, [b]) for b in run)


def write_md(path: Path, title: str, blocks: Sequence[Block]) -> None:
    """Markdown as :func:`ragqa.eval.squad.load_squad` writes an article."""
    chunks = [f"# {title}"]
    for is_list, run in _lists(blocks):
        if is_list:
            chunks.append("\n".join(f"- {b.text}" for b in run))
        elif run[0].kind == "heading":
            chunks.append(f"{'#' * run[0].level} {run[0].text}")
        else:
            chunks.append(run[0].text)
    path.write_text("\n\n".join(chunks) + "\n", encoding="utf-8")


def write_html(path: Path, title: str, blocks: Sequence[Block]) -> None:
    parts = [f"<h1>{escape(title)}</h1>"]
    for is_list, run in _lists(blocks):
        if is_list:
            parts.append("<ul>" + "".join(f"<li>{escape(b.text)}</li>" for b in run) + "</ul>")
        elif run[0].kind == "heading":
            level = min(run[0].level, 6)
            parts.append(f"<h{level}>{escape(run[0].text)}</h{level}>")
        else:
            parts.append(f"<p>{escape(run[0].text)}</p>")
    path.write_text(f"<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\">"
                    f"<title>{escape(title)}</title></head><body><article>\n"
                    + "\n".join(parts) + "\n</article></body></html>\n", encoding="utf-8")


def write_docx(path: Path, title: str, blocks: Sequence[Block]) -> None:
    import docx

    document = docx.Document()
    document.add_paragraph(title, style="Title")
    for block in blocks:
        if block.kind == "heading":
            document.add_heading(block.text, max(block.level - 1, 1))
        else:
            document.add_paragraph(block.text,
                                   style="List Bullet" if block.kind == "item" else None)
    document.save(str(path))


def _html_page(path: Path, title: str, blocks: Sequence[Block],
               heading: Callable[[Block], str], head: str = "") -> None:
    """An HTML page of ``blocks`` under an ``<h1>``, each heading written by ``heading``
    (the ``-bold`` and ``-css`` writers set no heading element), ``head`` in its head."""
    parts = [f"<h1>{escape(title)}</h1>"]
    for is_list, run in _lists(blocks):
        if is_list:
            parts.append("<ul>" + "".join(f"<li>{escape(b.text)}</li>" for b in run) + "</ul>")
        elif run[0].kind == "heading":
            parts.append(heading(run[0]))
        else:
            parts.append(f"<p>{escape(run[0].text)}</p>")
    path.write_text(f"<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\">"
                    f"<title>{escape(title)}</title>{head}</head><body><article>\n"
                    + "\n".join(parts) + "\n</article></body></html>\n", encoding="utf-8")


def write_html_bold(path: Path, title: str, blocks: Sequence[Block]) -> None:
    def heading(block: Block) -> str:
        mark = "strong" if block.level <= 2 else "b"
        return f"<p><{mark}>{escape(block.text)}</{mark}></p>"
    _html_page(path, title, blocks, heading)


# html-css: the headings' classes, bold and larger than the body by the page's style sheet
# (a class rule, a tag.class rule with the "font" shorthand, a weight given as a number).
_CSS_SHEET = ("body { font-family: Arial, sans-serif; font-size: 13px; }\n"
              ".titre { font-weight: 700; font-size: 18px; }\n"
              "p.sous-titre { font: bold 15px/1.3 Arial, sans-serif; }\n")


def write_html_css(path: Path, title: str, blocks: Sequence[Block]) -> None:
    def heading(block: Block) -> str:
        name = "titre" if block.level <= 2 else "sous-titre"
        return f"<p class=\"{name}\">{escape(block.text)}</p>"
    _html_page(path, title, blocks, heading, f"\n<style>\n{_CSS_SHEET}</style>")


def _hand_size(level: int) -> float:
    """The point size of a heading set by hand: larger for the higher level."""
    return 14 if level <= 2 else 12


def write_docx_bold(path: Path, title: str, blocks: Sequence[Block]) -> None:
    import docx
    from docx.shared import Pt

    document = docx.Document()
    document.styles["Normal"].font.size = Pt(11)
    document.add_paragraph(title, style="Title")
    for block in blocks:
        if block.kind == "heading":
            run = document.add_paragraph().add_run(block.text)
            run.bold = True
            run.font.size = Pt(_hand_size(block.level))
        else:
            document.add_paragraph(block.text,
                                   style="List Bullet" if block.kind == "item" else None)
    document.save(str(path))


def write_odt(path: Path, title: str, blocks: Sequence[Block]) -> None:
    from odfdo import Document, Header, List, Paragraph

    document = Document("text")
    body = document.body
    body.append(Header(1, title))
    for is_list, run in _lists(blocks):
        if is_list:
            body.append(List([b.text for b in run]))
        elif run[0].kind == "heading":
            body.append(Header(run[0].level, run[0].text))
        else:
            body.append(Paragraph(run[0].text))
    document.save(str(path))


def write_odt_bold(path: Path, title: str, blocks: Sequence[Block]) -> None:
    """Level-2 headings bold by their paragraph's own (automatic) style, as Writer makes it
    when a whole line is made bold; deeper ones by a bold span around their text."""
    from odfdo import Document, Header, List, Paragraph, Span, Style

    document = Document("text")
    for name, family, size in (("P1", "paragraph", _hand_size(2)),
                               ("T1", "text", _hand_size(3))):
        style = Style(family, name=name, area="text", bold=True, size=f"{size:g}pt")
        if family == "paragraph":
            style.set_attribute("style:parent-style-name", "Standard")
        document.insert_style(style, automatic=True)
    body = document.body
    body.append(Header(1, title))
    for is_list, run in _lists(blocks):
        if is_list:
            body.append(List([b.text for b in run]))
        elif run[0].kind == "heading" and run[0].level <= 2:
            body.append(Paragraph(run[0].text, style="P1"))
        elif run[0].kind == "heading":
            paragraph = Paragraph("")
            paragraph.append(Span(run[0].text, style="T1"))
            body.append(paragraph)
        else:
            body.append(Paragraph(run[0].text))
    document.save(str(path))


def slides(title: str, blocks: Sequence[Block]) -> list[tuple[str, str, list[Block]]]:
    """``(layout, slide title, body blocks)`` per slide: "title" (the first), "section" (a
    level-2 heading) and "content" slides of at most :data:`SLIDE_BLOCKS` blocks."""
    out: list[tuple[str, str, list[Block]]] = [("title", title, [])]
    current = title
    for block in blocks:
        if block.kind == "heading":
            current = block.text
            if block.level <= 2:
                out.append(("section", block.text, []))
            continue
        last = out[-1]
        full = (len(last[2]) >= SLIDE_BLOCKS
                or sum(len(b.text) for b in last[2][1:]) + len(block.text) > SLIDE_CHARS)
        if last[0] != "content" or last[1] != current or (last[2] and full):
            out.append(("content", current, []))
        out[-1][2].append(block)
    return out


# A content slide of the sectioned deck with no sub-heading is titled with its first block's
# first words, at most this many.
SLIDE_TITLE_WORDS = 6


def sectioned_slides(title: str, blocks: Sequence[Block]) -> list[tuple[str, str, list[Block]]]:
    """:func:`slides` laid out as many decks are: a section-header slide "N. Heading" per
    level-2 heading, and content slides titled with their own sub-heading (a level-3
    heading), else with the first words of their first block, never with the section's
    heading (nor the document's title)."""
    out: list[tuple[str, str, list[Block]]] = []
    number, above = 0, title  # the heading the content slides fall under directly
    for layout, heading, body in slides(title, blocks):
        if layout == "section":
            number += 1
            above = heading
            heading = f"{number}. {heading}"
        elif layout == "content" and heading == above and body:
            heading = " ".join(body[0].text.split()[:SLIDE_TITLE_WORDS])
        out.append((layout, heading, body))
    return out


def write_pptx(path: Path, title: str, blocks: Sequence[Block]) -> None:
    _write_deck(path, slides(title, blocks))


def write_pptx_sections(path: Path, title: str, blocks: Sequence[Block]) -> None:
    """A ``.pptx`` of :func:`sectioned_slides`."""
    _write_deck(path, sectioned_slides(title, blocks))


def _write_deck(path: Path, laid_out: list[tuple[str, str, list[Block]]]) -> None:
    from pptx import Presentation

    deck = Presentation()
    layouts = {"title": 0, "content": 1, "section": 2}
    for layout, heading, body in laid_out:
        slide = deck.slides.add_slide(deck.slide_layouts[layouts[layout]])
        slide.shapes.title.text = heading
        if body:
            frame = slide.placeholders[1].text_frame
            frame.text = body[0].text
            for block in body[1:]:
                frame.add_paragraph().text = block.text
    deck.save(str(path))


def write_pdf(path: Path, title: str, blocks: Sequence[Block]) -> None:
    path.write_bytes(laid_out_pdf(title, blocks))


def write_pdf_bold(path: Path, title: str, blocks: Sequence[Block]) -> None:
    """Headings as bold lines at the body's size, no outline (a Word file with headings
    set by hand, saved as PDF); the title still set larger."""
    path.write_bytes(laid_out_pdf(title, blocks, bold_headings=True))


def write_pdf_columns(path: Path, title: str, blocks: Sequence[Block]) -> None:
    """Text in two columns (a newsletter's page), headings larger."""
    path.write_bytes(laid_out_pdf(title, blocks, columns=2))


def _numbered(blocks: Sequence[Block]) -> dict[int, str]:
    """Each heading's number as a typed outline gives it ("2.", "2.1", "2.1.3"), levels from
    2 (the document's title is level 1)."""
    counters: list[int] = []
    numbers: dict[int, str] = {}
    for i, block in enumerate(blocks):
        if block.kind != "heading":
            continue
        depth = max(block.level - 1, 1)
        counters = counters[:depth] + [0] * (depth - len(counters))
        counters[depth - 1] += 1
        numbers[i] = ".".join(map(str, counters)) + ("." if depth == 1 else "")
    return numbers


def write_txt(path: Path, title: str, blocks: Sequence[Block]) -> None:
    """A Word document saved as plain text: one line a paragraph, no blank line between
    them, headings as bare lines of their own, list items after a dash."""
    lines = [title]
    for block in blocks:
        text = " ".join(block.text.split())
        lines.append(f"- {text}" if block.kind == "item" else text)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_txt_typed(path: Path, title: str, blocks: Sequence[Block]) -> None:
    """A text typed in an editor: blocks apart by a blank line, paragraphs wrapped at 72
    columns, headings numbered ("1. De quoi s'agit-il ?", "1.1 Cas général")."""
    import textwrap

    numbers = _numbered(blocks)
    chunks = [title]
    for i, block in enumerate(blocks):
        text = " ".join(block.text.split())
        if block.kind == "heading":
            chunks.append(f"{numbers[i]} {text}")
        elif block.kind == "item":
            chunks.append(textwrap.fill(text, 72, initial_indent="- ", subsequent_indent="  ",
                                        break_long_words=False, break_on_hyphens=False))
        else:
            chunks.append(textwrap.fill(text, 72, break_long_words=False,
                                        break_on_hyphens=False))
    path.write_text("\n\n".join(chunks) + "\n", encoding="utf-8")


def write_txt_caps(path: Path, title: str, blocks: Sequence[Block]) -> None:
    """Plain text with its top headings in capitals, deeper ones as bare lines, blocks
    apart by a blank line."""
    chunks = [title]
    for block in blocks:
        text = " ".join(block.text.split())
        if block.kind == "heading" and block.level <= 2:
            text = text.upper()
        chunks.append(f"- {text}" if block.kind == "item" else text)
    path.write_text("\n\n".join(chunks) + "\n", encoding="utf-8")


WRITERS: dict[str, Writer] = {
    "md": write_md, "html": write_html, "docx": write_docx, "odt": write_odt,
    "pptx": write_pptx, "pdf": write_pdf,
    # A deck of section-header slides over content slides of other titles (a .pptx file).
    "pptx-sections": write_pptx_sections,
    "docx-bold": write_docx_bold, "odt-bold": write_odt_bold, "html-bold": write_html_bold,
    "html-css": write_html_css,
    "pdf-bold": write_pdf_bold, "pdf-columns": write_pdf_columns,
    # Plain text files: Word's "save as text", typed and wrapped, headings in capitals.
    "txt": write_txt, "txt-typed": write_txt_typed, "txt-caps": write_txt_caps,
}


def suffix(fmt: str) -> str:
    """The file suffix of a format of :data:`WRITERS` ("pptx" for "pptx-sections")."""
    return fmt.split("-", 1)[0]
# What each format can show of a text, character for character (PDF: Windows-1252 only).
PRINTABLE: dict[str, Callable[[str], str]] = {"pdf": printable, "pdf-bold": printable,
                                                  "pdf-columns": printable}
