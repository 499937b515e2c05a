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
and drawings anchored in a run (the run's children are not walked). Text boxes and the
notes a paragraph cites are read apart (:func:`anchored`, :func:`notes`): their text would
cut the paragraph's sentence, so the reader puts it after the paragraph. Block
content controls holding a cover page or a table of contents (Word's "Cover Pages" and
"Table of Contents" galleries) are left out too: a cover page repeats the file's title,
author and date, and a table of contents repeats the headings.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ragqa.index.documents.layout import CELL_SEPARATOR, table_lines
from ragqa.index.documents.numbering import counter

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
_FOOTNOTE_REF, _ENDNOTE_REF = f"{_W}footnoteReference", f"{_W}endnoteReference"
_TEXT_BOX = f"{_W}txbxContent"
# Where a note's reference or a text box is not what Word shows: deleted, or the fallback
# copy of an alternate content.
_HIDING = frozenset({f"{_W}del", f"{_W}moveFrom", _FALLBACK})
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


def notes(document_part) -> dict[tuple[str, str], list[str]]:
    """The footnotes' and endnotes' paragraphs by (kind, id), kind ``footnote`` or
    ``endnote`` (the separators Word keeps among them left out)."""
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.oxml import parse_xml

    found: dict[tuple[str, str], list[str]] = {}
    for kind, reltype in (("footnote", RT.FOOTNOTES), ("endnote", RT.ENDNOTES)):
        rel = next((r for r in document_part.rels.values()
                    if r.reltype == reltype and not r.is_external), None)
        if rel is None:
            continue
        root = parse_xml(rel.target_part.blob)
        for note in root.iterfind(f"{_W}{kind}"):
            if note.get(f"{_W}type") in ("separator", "continuationSeparator",
                                         "continuationNotice"):
                continue
            texts = [paragraph_text(p) for p in blocks(note) if p.tag == PARAGRAPH]
            found[kind, note.get(f"{_W}id", "")] = [t.strip() for t in texts if t.strip()]
    return found


def anchored(paragraph: CT_P) -> Iterator[tuple[str, object]]:
    """What a paragraph holds that is not its own line, in document order: its notes'
    references (``("footnote" | "endnote", id)``) and its text boxes' paragraphs
    (``("box", texts)``), those Word shows only (not a deleted reference, not the VML copy
    of a text box kept for older readers, not a box inside another box)."""
    for element in paragraph.iter(_FOOTNOTE_REF, _ENDNOTE_REF, _TEXT_BOX):
        if any(a.tag in _HIDING for a in element.iterancestors()):
            continue
        if element.tag == _TEXT_BOX:
            if any(a.tag == _TEXT_BOX for a in element.iterancestors()):
                continue
            texts = [paragraph_text(p) if p.tag == PARAGRAPH else CELL_SEPARATOR.join(
                table_lines(table_rows(p), header_row(p))) for p in blocks(element)]
            yield "box", [t.strip() for t in texts if t.strip()]
        else:
            kind = "footnote" if element.tag == _FOOTNOTE_REF else "endnote"
            yield kind, element.get(f"{_W}id", "")


def cell_paragraphs(table: CT_Tbl) -> Iterator[CT_P]:
    """The paragraphs of a table's cells (nested tables' included, a text box's not: its
    paragraph's :func:`anchored` reads it), in document order."""
    for paragraph in table.iter(PARAGRAPH):
        if not any(a.tag == _TEXT_BOX for a in paragraph.iterancestors()):
            yield paragraph


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


class Numbering:
    """The numbers Word shows before numbered paragraphs ("1.", "a)", "2.1."), counted in
    document order from the file's numbering definitions (``word/numbering.xml``): each list
    (``w:numId``) counts its levels from their ``w:start``, a level restarting when a higher
    one goes on; a bulleted level shows no number here (list items are lines without
    bullets). Only what a paragraph's own properties or its style's say is read."""

    def __init__(self, document_part) -> None:
        self._levels: dict[str, dict[int, tuple[int, str, str]]] = {}  # numId → ilvl → …
        self._counts: dict[str, dict[int, int]] = {}
        try:
            root = document_part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            return
        abstract: dict[str, dict[int, tuple[int, str, str]]] = {}
        for definition in root.iterfind(f"{_W}abstractNum"):
            abstract[definition.get(f"{_W}abstractNumId", "")] = {
                _int(lvl.get(f"{_W}ilvl"), 0): _level(lvl)
                for lvl in definition.iterfind(f"{_W}lvl")}
        for num in root.iterfind(f"{_W}num"):
            ref = num.find(f"{_W}abstractNumId")
            levels = dict(abstract.get(ref.get(f"{_W}val", "") if ref is not None else "", {}))
            for override in num.iterfind(f"{_W}lvlOverride"):
                ilvl = _int(override.get(f"{_W}ilvl"), 0)
                lvl = override.find(f"{_W}lvl")
                if lvl is not None:
                    levels[ilvl] = _level(lvl)
                start = override.find(f"{_W}startOverride")
                if start is not None and ilvl in levels:
                    levels[ilvl] = (_int(start.get(f"{_W}val"), 1), *levels[ilvl][1:])
            self._levels[num.get(f"{_W}numId", "")] = levels

    def label(self, paragraph: CT_P, style_element: _Element | None) -> str:
        """The number Word shows before ``paragraph`` (counted: call it once a paragraph,
        in document order), "" for none or a bullet."""
        found = _num_pr(paragraph)
        if found is None and style_element is not None:
            found = _num_pr(style_element)
        if found is None or found[0] not in self._levels:
            return ""
        num_id, ilvl = found
        levels = self._levels[num_id]
        if ilvl not in levels:
            return ""
        counts = self._counts.setdefault(num_id, {})
        counts[ilvl] = counts.get(ilvl, levels[ilvl][0] - 1) + 1
        for deeper in [k for k in counts if k > ilvl]:
            del counts[deeper]  # a higher level going on restarts the ones below it
        start, kind, text = levels[ilvl]
        if kind in ("bullet", "none") or not text:
            return ""

        def shown(match: re.Match) -> str:
            level = int(match.group(1)) - 1
            if level not in levels:
                return ""
            value = counts.get(level, levels[level][0])
            return _formatted(value, levels[level][1])

        return _PLACEHOLDER.sub(shown, text).strip()


_PLACEHOLDER = re.compile(r"%([1-9])")


def _num_pr(element: _Element) -> tuple[str, int] | None:
    """``(numId, ilvl)`` of a paragraph's or a style's own numbering, None without (or
    numId 0, which takes the numbering off)."""
    num_pr = element.find(f"{_W}pPr/{_W}numPr")
    if num_pr is None:
        return None
    num_id = num_pr.find(f"{_W}numId")
    value = num_id.get(f"{_W}val", "0") if num_id is not None else "0"
    if value == "0":
        return None
    ilvl = num_pr.find(f"{_W}ilvl")
    return value, _int(ilvl.get(f"{_W}val") if ilvl is not None else None, 0)


def _level(lvl: _Element) -> tuple[int, str, str]:
    """A numbering level's start value, format and text ("%1.")."""
    def value(tag: str, default: str) -> str:
        found = lvl.find(f"{_W}{tag}")
        return found.get(f"{_W}val", default) if found is not None else default

    return _int(value("start", "1"), 1), value("numFmt", "decimal"), value("lvlText", "")


def _int(text: str | None, default: int) -> int:
    try:
        return int(text) if text is not None else default
    except ValueError:
        return default


# Word's numbering formats, as the counters of :func:`~ragqa.index.documents.numbering.counter`
_KINDS = {"decimal": "1", "lowerLetter": "a", "upperLetter": "A", "lowerRoman": "i",
          "upperRoman": "I"}


def _formatted(value: int, kind: str) -> str:
    """``value`` as a Word numbering format shows it (decimal unless a letter or roman one,
    "01" for ``decimalZero``)."""
    if kind == "decimalZero" and 0 <= value < 10:
        return f"0{value}"
    return counter(value, _KINDS.get(kind, "1"))
