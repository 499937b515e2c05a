"""PowerPoint (``.pptx``, python-pptx) and OpenDocument (``.odp``, odfdo) presentations.

A slide is a page (its number is the page passages cite, as a PDF's) and a section titled
with the slide's title ("Diapositive N" for an untitled one; the label is not written in
the text). A slide reads as its title line, then each shape's text in the file's order
(text boxes as blocks, one line per paragraph; tables as ``header : value`` lines; groups
opened), then its speaker notes. Footer, date and slide-number placeholders are left out:
they repeat on every slide. The title is the file's metadata title, else the headline
found in the text (the first slide's title, usually).

python-pptx (MIT, lxml, Pillow, XlsxWriter) is the maintained reader of ``.pptx``: 3.1 MB
installed (XlsxWriter 2 MB more; Pillow is already there). A generated 100-slide deck
loads in 59 ms, about 1,700 slides/s.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

from ragqa.index.documents.formats import read_bytes
from ragqa.index.documents.layout import TextBuilder, clean_lines, table_lines, unwrap
from ragqa.index.documents.opendocument import (
    ODP_MIMETYPE,
    PARSE_ERRORS,
    inline_text,
    marks_header,
    paragraphs_text,
    read_odf,
    table_rows,
)
from ragqa.index.documents.outline import OutlinedDocument
from ragqa.index.documents.packages import check_ooxml, open_package, unreadable
from ragqa.index.documents.titles import metadata_title
from ragqa.index.errors import DocumentError

if TYPE_CHECKING:
    from odfdo import Element

PPTX_SUFFIXES = frozenset({".pptx"})
ODP_SUFFIXES = frozenset({".odp"})
PPTX_KIND = "PowerPoint presentation"
ODP_KIND = "OpenDocument presentation"
UNTITLED_SLIDE = "Diapositive {number}"
# Placeholders that repeat on every slide: chrome, not content.
_ODP_CHROME = frozenset({"footer", "date-time", "page-number", "header"})


def load_pptx_document(path: Path, doc_id: str) -> OutlinedDocument:
    """Read a ``.pptx`` file into an :class:`OutlinedDocument`, one page per slide."""
    import pptx
    from pptx.exc import PythonPptxError

    data = read_bytes(path, doc_id)
    check_ooxml(open_package(data, doc_id, PPTX_KIND), doc_id, PPTX_KIND, ".pptx")
    try:
        presentation = pptx.Presentation(io.BytesIO(data))
        builder = TextBuilder()
        for number, slide in enumerate(presentation.slides, start=1):
            _pptx_slide(slide, number, builder)
        title = metadata_title(presentation.core_properties.title)
    except DocumentError:
        raise
    except (*PARSE_ERRORS, PythonPptxError) as exc:
        raise unreadable(doc_id, PPTX_KIND, exc) from None
    return builder.document(doc_id, data, title)


def _pptx_slide(slide, number: int, builder: TextBuilder) -> None:
    builder.page()
    title_shape = slide.shapes.title
    title = title_shape.text_frame.text if title_shape is not None else ""
    builder.heading(title, 1, label=UNTITLED_SLIDE.format(number=number))
    for shape in slide.shapes:
        if title_shape is None or shape.shape_id != title_shape.shape_id:
            _pptx_shape(shape, builder)
    if slide.has_notes_slide and slide.notes_slide.notes_text_frame is not None:
        _pptx_text(slide.notes_slide.notes_text_frame, builder)


def _pptx_shape(shape, builder: TextBuilder) -> None:
    from pptx.enum.shapes import PP_PLACEHOLDER
    from pptx.shapes.group import GroupShape

    if isinstance(shape, GroupShape):
        for inner in shape.shapes:
            _pptx_shape(inner, builder)
    elif shape.is_placeholder and shape.placeholder_format.type in (
            PP_PLACEHOLDER.FOOTER, PP_PLACEHOLDER.DATE, PP_PLACEHOLDER.SLIDE_NUMBER):
        return
    elif shape.has_text_frame:
        _pptx_text(shape.text_frame, builder)
    elif getattr(shape, "has_table", False) and shape.has_table:
        table = shape.table
        rows = [[cell.text for cell in row.cells] for row in table.rows]
        builder.block(table_lines(rows, True if table.first_row else None))


def _pptx_text(frame, builder: TextBuilder) -> None:
    """A text frame as a block: one line per paragraph, soft line breaks unwrapped."""
    lines: list[str] = []
    for paragraph in frame.paragraphs:
        lines.extend(unwrap(clean_lines(paragraph.text)))  # "\v" is a soft line break
    builder.block(lines)


def load_odp_document(path: Path, doc_id: str) -> OutlinedDocument:
    """Read an ``.odp`` file into an :class:`OutlinedDocument`, one page per slide."""
    data = read_bytes(path, doc_id)
    builder, title = read_odf(data, doc_id, ODP_KIND, ODP_MIMETYPE, _walk_odp)
    return builder.document(doc_id, data, title)


def _walk_odp(document) -> TextBuilder:
    builder = TextBuilder()
    pages = [c for c in document.body.children if c.tag == "draw:page"]
    for number, page in enumerate(pages, start=1):
        shapes = page.children
        title_shape = next((s for s in shapes if s.tag == "draw:frame"
                            and s.get_attribute("presentation:class") == "title"), None)
        builder.page()
        title = paragraphs_text(title_shape) if title_shape is not None else ""
        builder.heading(title, 1, label=UNTITLED_SLIDE.format(number=number))
        for shape in shapes:
            if shape is not title_shape:
                _odp_shape(shape, builder)
    return builder


def _odp_shape(shape: Element, builder: TextBuilder) -> None:
    if shape.get_attribute("presentation:class") in _ODP_CHROME:
        return
    if shape.tag in ("draw:g", "presentation:notes", "draw:frame"):
        for inner in shape.children:  # a group's shapes, the notes' frame, a frame's box
            _odp_shape(inner, builder)
    elif shape.tag == "table:table":
        builder.block(table_lines(table_rows(shape), marks_header(shape)))
    elif shape.tag in ("draw:page-thumbnail", "draw:image", "draw:object", "office:forms"):
        return
    else:  # a text box, or a drawn shape (rectangle, custom shape) holding text
        builder.block(_odf_box_lines(shape))


def _odf_box_lines(element: Element) -> list[str]:
    lines: list[str] = []
    for child in element.children:
        if child.tag in ("text:p", "text:h"):
            lines.extend(unwrap(clean_lines(inline_text(child))))
        elif child.tag in ("text:list", "text:list-item", "text:list-header"):
            lines.extend(_odf_box_lines(child))
    return lines
