"""Word (``.docx``, python-docx) and OpenDocument text (``.odt``, odfdo) documents.

The body is read in order: paragraphs as blocks, headings (Word's "Heading N" styles and
styles with an outline level; ODF's ``text:h``) as section starts with their heading path,
list items as lines, tables as ``header : value`` lines (see
:mod:`ragqa.index.documents.layout`). A ``.docx``'s text is what Word shows with changes
accepted, content controls and nested tables included (:mod:`ragqa.index.documents.wordml`).
A numbered list item starts with the number Word shows ("1.", "a)", "2.1.":
:class:`~ragqa.index.documents.wordml.Numbering`); a bulleted one with no bullet.
A paragraph's text boxes and the footnotes and endnotes it cites follow it, each a
paragraph (a note as ``[1] text``, numbered as Word numbers them: footnotes 1, 2, 3,
endnotes i, ii, iii): their text would cut the paragraph's sentence where they are
anchored. Left out: headers and footers, comments, tables of contents, tracked deletions,
and a cover page building block.
The title is the file's metadata title, else the paragraph styled "Title", else the
headline found in the text.

python-docx (MIT, lxml) is the maintained reader of ``.docx``: 2.9 MB installed. A
generated 115-page document (340,000 characters, 0.1 MB) loads in 0.46 s, about 250
pages/s (python-docx's own parse and walk: 0.32 s).
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import TYPE_CHECKING

from ragqa.index.documents import wordml
from ragqa.index.documents.formats import read_bytes
from ragqa.index.documents.handheadings import HandOutline, style_role
from ragqa.index.documents.layout import TextBuilder, clean_lines, table_lines, unwrap
from ragqa.index.documents.odflooks import OdfLooks
from ragqa.index.documents.opendocument import (
    ODT_MIMETYPE,
    PARSE_ERRORS,
    ListNumbers,
    anchored,
    cell_paragraphs,
    inline_text,
    marks_header,
    read_odf,
    table_rows,
)
from ragqa.index.documents.numbering import counter, roman
from ragqa.index.documents.outline import OutlinedDocument
from ragqa.index.documents.packages import check_ooxml, open_package, unreadable
from ragqa.index.documents.titles import metadata_title
from ragqa.index.documents.wordlooks import WordLooks
from ragqa.index.errors import DocumentError

if TYPE_CHECKING:
    from docx.styles.style import ParagraphStyle
    from odfdo import Element

WORD_SUFFIXES = frozenset({".docx"})
ODT_SUFFIXES = frozenset({".odt"})
WORD_KIND = "Word document"
ODT_KIND = "OpenDocument text"

_HEADING_STYLE = re.compile(r"^(?:heading|titre|überschrift|título|titolo)\s*(\d)$",
                            re.IGNORECASE)
_TITLE_STYLE = re.compile(r"^(?:title|titre)$", re.IGNORECASE)
_LIST_STYLE = re.compile(r"\b(?:list|liste)\b", re.IGNORECASE)
_TOC_STYLE = re.compile(r"^(?:toc|table des matières|contents)\b", re.IGNORECASE)
_MAX_STYLE_DEPTH = 10  # a style's base styles looked at, at most


def load_docx_document(path: Path, doc_id: str) -> OutlinedDocument:
    """Read a ``.docx`` file into an :class:`OutlinedDocument`."""
    import docx
    from docx.exceptions import PythonDocxError
    from docx.opc.exceptions import OpcError

    data = read_bytes(path, doc_id)
    check_ooxml(open_package(data, doc_id, WORD_KIND), doc_id, WORD_KIND, ".docx")
    try:
        document = docx.Document(io.BytesIO(data))
        builder, style_title = _walk_docx(document)
        title = metadata_title(document.core_properties.title)
    except DocumentError:
        raise
    except (*PARSE_ERRORS, PythonDocxError, OpcError) as exc:
        raise unreadable(doc_id, WORD_KIND, exc) from None
    return builder.document(doc_id, data, title or metadata_title(style_title))


def _walk_docx(document) -> tuple[TextBuilder, str | None]:
    from docx.enum.style import WD_STYLE_TYPE

    builder = HandOutline()  # written into a TextBuilder once hand-set headings are known
    looks = WordLooks(document)
    style_title: str | None = None
    kinds: dict[str | None, tuple[str, int]] = {}  # by style id
    items: list[str] = []  # the list being read, item by item

    notes = wordml.notes(document.part)
    numbering = wordml.Numbering(document.part)
    numbers: dict[tuple[str, str], str] = {}  # a note's number, as Word counts them
    counts = {"footnote": 0, "endnote": 0}

    def close_list() -> None:
        builder.block(items)
        items.clear()

    def asides(paragraph) -> None:
        """A paragraph's text boxes and the notes it cites, each a paragraph after it."""
        texts: list[str] = []
        for kind, found in wordml.anchored(paragraph):
            if kind == "box":
                texts.extend(found)
                continue
            note = notes.get((kind, found))
            if not note or (kind, found) in numbers:
                continue
            counts[kind] += 1
            count = counts[kind]
            numbers[kind, found] = str(count) if kind == "footnote" else roman(count)
            texts.append(f"[{numbers[kind, found]}] " + " ".join(note))
        if texts:
            close_list()  # (a list item's: the list goes on after them)
            for text in texts:
                builder.paragraph(text)

    for block in wordml.blocks(document.element.body):
        if block.tag == wordml.TABLE:
            close_list()
            builder.block(table_lines(wordml.table_rows(block), wordml.header_row(block)))
            for paragraph in wordml.cell_paragraphs(block):  # their notes, after the table
                asides(paragraph)
            continue
        key = block.style  # the paragraph's style id, None for the default style
        if key not in kinds:
            kinds[key] = _style_kind(document.part.get_style(key, WD_STYLE_TYPE.PARAGRAPH))
        kind, level = kinds[key]
        text = wordml.paragraph_text(block)
        if kind == "toc":
            continue
        if not text.strip():
            asides(block)  # a paragraph that only anchors a text box
            continue
        if kind in ("text", "aside") and wordml.is_numbered(block):
            kind = "list"  # numbered by the paragraph itself, as Google Docs exports lists
        if kind == "list":
            style = document.part.get_style(key, WD_STYLE_TYPE.PARAGRAPH)
            label = numbering.label(block, style.element if style is not None else None)
            lines = unwrap(clean_lines(text))
            if label and lines:  # "1. Ouvrir le dossier": the number Word shows
                lines[0] = f"{label} {lines[0]}"
            items.extend(lines)
            asides(block)
            continue
        close_list()
        if kind == "heading":
            builder.heading(text, level)
        elif kind == "title":
            if style_title is None:
                style_title = text
            builder.paragraph(text)
        elif kind == "aside":  # a caption, a quotation: bold by its role, never a heading
            builder.paragraph(text)
        else:
            builder.paragraph(text, looks.look(block))
        asides(block)
    close_list()
    text_builder = TextBuilder()
    builder.replay(text_builder)
    return text_builder, style_title


def _style_kind(style: ParagraphStyle | None) -> tuple[str, int]:
    """What a paragraph of ``style`` is, from the style's name or the names of the styles it
    is based on: ("heading", level), or ("title" | "list" | "toc" | "text" | "aside", 0).
    "text" is body text, whose bold lines may be headings set by hand: the first style of
    the chain whose name tells (:func:`style_role`) decides, a built-in style whose name
    does not (Macro Text, Block Text...) is "aside", and a chain of custom styles alone is
    the document's own body text. A style numbered by Word numbering is a list."""
    names: list[str] = []
    outline: int | None = None
    numbered = False
    body: bool | None = None
    current = style
    for _ in range(_MAX_STYLE_DEPTH):
        if current is None:
            break
        names.append((current.name or "").strip())
        numbered = numbered or wordml.is_numbered(current.element)
        if body is None:
            body = style_role(names[-1])
            if body is None and current.builtin:
                body = False
        if outline is None:
            found = current.element.xpath("./w:pPr/w:outlineLvl/@w:val")
            outline = int(found[0]) if found and str(found[0]).isdigit() else None
        current = current.base_style
    for name in names:
        if match := _HEADING_STYLE.match(name):
            return "heading", int(match.group(1))
        if _TITLE_STYLE.match(name):
            return "title", 0
        if _TOC_STYLE.match(name):
            return "toc", 0
    if outline is not None and outline < 9:  # 9 is Word's "body text" level
        return "heading", outline + 1
    if numbered or any(_LIST_STYLE.search(name) for name in names):
        return "list", 0
    return ("text" if body is not False else "aside"), 0


def load_odt_document(path: Path, doc_id: str) -> OutlinedDocument:
    """Read an ``.odt`` file into an :class:`OutlinedDocument`."""
    data = read_bytes(path, doc_id)
    builder, title = read_odf(data, doc_id, ODT_KIND, ODT_MIMETYPE, _walk_odt)
    return builder.document(doc_id, data, title)


def _walk_odt(document) -> TextBuilder:
    outline = HandOutline()  # written into a TextBuilder once hand-set headings are known
    _odt_blocks(document.body, outline, OdfLooks(document), ListNumbers(document))
    builder = TextBuilder()
    outline.replay(builder)
    return builder


def _odt_blocks(parent: Element, builder: HandOutline, looks: OdfLooks,
                numbers: ListNumbers) -> None:
    for child in parent.children:
        tag = child.tag
        if tag == "text:h":
            builder.heading(inline_text(child), _outline_level(child))
            _odt_asides(child, builder)
        elif tag == "text:p":
            if looks.body_text(child):
                builder.paragraph(inline_text(child), looks.look(child))
            else:  # a caption, a quotation: bold by its role, never a heading
                builder.paragraph(inline_text(child))
            _odt_asides(child, builder)
        elif tag == "text:list":
            lines: list[str] = []
            _odt_list(child, builder, lines, numbers)
            builder.block(lines)
        elif tag == "table:table":
            builder.block(table_lines(table_rows(child), marks_header(child)))
            for paragraph in cell_paragraphs(child):  # their notes, after the table
                _odt_asides(paragraph, builder)
        elif tag in ("text:section", "office:text"):
            _odt_blocks(child, builder, looks, numbers)


def _odt_asides(element: Element, builder: HandOutline) -> None:
    """A paragraph's notes and text boxes, each a paragraph after it."""
    for text in anchored(element):
        builder.paragraph(text)


def _outline_level(heading: Element) -> int:
    return max(heading.get_attribute_integer("text:outline-level") or 1, 1)


def _odt_list(element: Element, builder: HandOutline, lines: list[str], numbers: ListNumbers,
              style: str | None = None, level: int = 1, above: tuple[str, ...] = ()) -> None:
    """A list's items as ``lines``, each numbered as its list style shows it ("1. ...",
    "a) ...", "2.1. ..."); a numbered heading in it closes the block before it."""
    style = element.get_attribute_string("text:style-name") or style  # nested: inherited
    kind, prefix, suffix, start, shown = numbers.levels(style).get(level, ("", "", "", 1, 1))
    count = start - 1
    for item in element.children:  # text:list-item, text:list-header (not numbered)
        label, mine = "", ()
        if item.tag == "text:list-item":
            count = (item.get_attribute_integer("text:start-value") or count + 1)
            mine = (counter(count, kind),)
            if mine[0]:
                label = prefix + ".".join((*above, *mine)[-shown:]) + suffix
        for child in item.children:
            if child.tag == "text:p":
                found = unwrap(clean_lines(inline_text(child)))
                if label and found:
                    found[0], label = f"{label} {found[0]}", ""
                lines.extend(found)
                lines.extend(anchored(child))
            elif child.tag == "text:h":
                builder.block(lines)
                lines.clear()
                builder.heading(inline_text(child), _outline_level(child))
            elif child.tag == "text:list":
                _odt_list(child, builder, lines, numbers, style, level + 1, (*above, *mine))
