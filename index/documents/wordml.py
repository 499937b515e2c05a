"""WordprocessingML (the XML of a ``.docx``) read from its elements, where python-docx's own
reading does not show what Word shows.

python-docx's ``Paragraph.text`` reads only the runs that are children of the paragraph or of
a hyperlink: the words of a tracked insertion (``w:ins``), a content control (``w:sdt``), a
simple field, a smart tag, custom XML, a move or a bidirectional span were lost.
``Document.iter_inner_content()`` skips the paragraphs and tables inside block content
controls (forms, templates); ``_Cell.text`` skips a nested table; ``_Row.cells`` raises on a
merged cell with no cell above it, which refused the whole file. So the walk over paragraphs,
runs and table grids is ours, while each run's own text (``w:t``, tabs, line breaks,
non-breaking hyphens) is still python-docx's ``CT_R.text``, and python-docx still opens the
package and resolves styles.

Left out, as Word shows the document once changes are accepted: deleted text (``w:del``),
the origin of a move (``w:moveFrom``), field codes (``w:instrText``, never part of
``CT_R.text``), a content control's placeholder prompt ("Cliquez ici pour entrer du texte"),
and text boxes and drawings anchored in a run (the run's children are not walked). Block
content controls holding a cover page or a table of contents (Word's "Cover Pages" and
"Table of Contents" galleries) are left out too: a cover page repeats the file's title,
author and date, and a table of contents repeats the headings.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from ragqa.index.documents.layout import CELL_SEPARATOR, table_lines

if TYPE_CHECKING:
    from docx.oxml.table import CT_Tbl, CT_Tc
    from docx.oxml.text.paragraph import CT_P
    from docx.oxml.text.run import CT_R
    from lxml.etree import _Element

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
PARAGRAPH = f"{_W}p"
TABLE = f"{_W}tbl"
_ROW, _CELL, _RUN = f"{_W}tr", f"{_W}tc", f"{_W}r"
_SDT, _SDT_CONTENT, _CUSTOM_XML = f"{_W}sdt", f"{_W}sdtContent", f"{_W}customXml"
_ALTERNATE, _CHOICE, _FALLBACK = (f"{_MC}AlternateContent", f"{_MC}Choice",
                                  f"{_MC}Fallback")
# Inside a paragraph, what holds no words Word shows: tracked deletions and the origin of a
# move, the properties of the paragraph and of content controls.
_NOT_SHOWN = frozenset(f"{_W}{tag}" for tag in ("del", "moveFrom", "pPr", "sdtPr", "sdtEndPr"))
_SKIPPED_GALLERIES = frozenset({"Cover Pages", "Table of Contents"})
MAX_COLUMNS = 64  # Word's tables have 63 columns at most: a larger grid span is damage


def blocks(parent: _Element) -> Iterator[_Element]:
    """The paragraphs (:data:`PARAGRAPH`) and tables (:data:`TABLE`) of a body or a table cell,
    in document order, those inside block content controls and custom XML included."""
    return _content(parent, (PARAGRAPH, TABLE))


def _content(parent: _Element, tags: tuple[str, ...]) -> Iterator[_Element]:
    """``parent``'s children of ``tags``, looking through the content controls and custom XML
    that may wrap them (a block, a table row, a cell)."""
    for child in parent:
        tag = child.tag
        if tag in tags:
            yield child
        elif tag == _SDT and _shown(child):
            for content in child.iterfind(_SDT_CONTENT):
                yield from _content(content, tags)
        elif tag == _CUSTOM_XML:
            yield from _content(child, tags)


def _shown(sdt: _Element) -> bool:
    """Whether a content control's content is the document's own: not a placeholder prompt,
    not a cover page or table of contents building block."""
    properties = sdt.find(f"{_W}sdtPr")
    if properties is None:
        return True
    if properties.find(f"{_W}showingPlcHdr") is not None:
        return False
    gallery = properties.find(f"{_W}docPartObj/{_W}docPartGallery")
    return gallery is None or gallery.get(f"{_W}val") not in _SKIPPED_GALLERIES


def paragraph_text(paragraph: CT_P) -> str:
    """A paragraph's text as Word shows it: every run in document order, wherever it sits
    (insertions, content controls, fields, smart tags, hyperlinks...)."""
    return "".join(run.text for run in runs(paragraph))


def is_numbered(element: _Element) -> bool:
    """Whether a paragraph's (or a paragraph style's) own properties number or bullet it
    with Word numbering (``w:numPr``; ``w:numId`` 0 takes the numbering off)."""
    found = element.xpath("./w:pPr/w:numPr/w:numId/@w:val")
    return bool(found) and str(found[0]) != "0"


def runs(element: _Element) -> Iterator[CT_R]:
    """The runs (``w:r``) Word shows under ``element``, in document order."""
    for child in element:
        tag = child.tag
        if tag == _RUN:
            yield child
        elif tag == _ALTERNATE:  # one version of the same content: the first Word knows
            chosen = child.find(_CHOICE)
            if chosen is None:
                chosen = child.find(_FALLBACK)
            if chosen is not None:
                yield from runs(chosen)
        elif tag not in _NOT_SHOWN and not (tag == _SDT and not _shown(child)):
            yield from runs(child)


def table_rows(table: CT_Tbl) -> list[list[str]]:
    """A table's rows, each cell's text at its grid column (a row may start late,
    ``w:gridBefore``; a cell may span columns, ``w:gridSpan``), so that it meets its
    column's header. A vertically merged cell repeats the text of the cell it continues, so
    that every row stands alone; one with nothing above it reads as an ordinary cell."""
    rows: list[list[str]] = []
    above: dict[int, str] = {}  # the previous row's cells by grid column
    for tr in _content(table, (_ROW,)):
        row: list[str] = []
        here: dict[int, str] = {}
        column = min(max(tr.grid_before, 0), MAX_COLUMNS)
        for tc in _content(tr, (_CELL,)):
            text = above[column] if tc.vMerge == "continue" and column in above else (
                cell_text(tc))
            here[column] = text
            row.extend([""] * (column - len(row)))
            row.append(text)
            column = min(column + max(tc.grid_span, 1), MAX_COLUMNS)
        rows.append(row)
        above = here
    return rows


def cell_text(cell: CT_Tc) -> str:
    """A cell's paragraphs, one a line, and its nested tables, each on a line of its rows
    joined by `` ; ``, in document order."""
    parts = []
    for block in blocks(cell):
        if block.tag == PARAGRAPH:
            parts.append(paragraph_text(block))
        else:
            parts.append(CELL_SEPARATOR.join(table_lines(table_rows(block),
                                                         header_row(block))))
    return "\n".join(parts)


def header_row(table: CT_Tbl) -> bool | None:
    """True when the first row's text is all bold (a header row), else None: the layout
    decides (:func:`~ragqa.index.documents.layout.table_lines`)."""
    from docx.text.font import Font

    first = next(_content(table, (_ROW,)), None)
    if first is None:
        return None
    bold = [bool(Font(run).bold)
            for tc in _content(first, (_CELL,)) for p in _content(tc, (PARAGRAPH,))
            for run in runs(p) if run.text.strip()]
    return True if bold and all(bold) else None
