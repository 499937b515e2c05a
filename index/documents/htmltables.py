"""HTML tables laid out as the grid a reader sees: merged cells and header levels.

A table's cells span rows and columns (``rowspan``, ``colspan``): a header over two columns
("Titulaires" over "Hommes" and "Femmes"), a service's name beside the three rows that
concern it. trafilatura reads a spanned cell once, in its first row and column, the others
left empty, and takes the first row holding a ``<th>`` as the whole header: a row read
"Hommes : 12" without its "Titulaires", and the second and third rows of a service lost
its name. So a table whose cells span, or whose header holds several rows, is rewritten
as its grid before the extraction (:func:`lay_out_tables`):

* its header rows (those of its ``<thead>``, else its leading rows of ``<th>`` cells
  only) become one row naming each column by its levels joined by a space, upper first
  ("Titulaires Hommes"); a cell spanning down over several header rows counts once
  ("Service"), and so does an empty level (the upper alone). A first header row of one
  cell across the whole table is the table's title: a line of its own before it, not a
  word of every column's name;
* a cell spanning rows (``rowspan``) stands in each of them, as a merged cell of a
  spreadsheet does; one spanning columns stands in the first, the others empty (its value
  is read once).

Each row then reads with both levels ("Service : DSI ; Titulaires Hommes : 12 ; ...", as
:func:`~ragqa.index.documents.layout.table_lines` lays rows out). A table without spans
and with one header row at most is left as it is.
"""

from __future__ import annotations

from copy import deepcopy
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lxml.etree import _Element

MAX_SPAN = 100  # a larger rowspan/colspan reads as this (trafilatura caps spans alike)
_CELLS = ("td", "th")
_GROUPS = ("thead", "tbody", "tfoot")


def lay_out_tables(root: _Element) -> bool:
    """Rewrite, in place, every table under ``root`` whose cells span or whose header
    holds several rows as its grid (see the module's docstring); whether any was."""
    changed = False
    for table in list(root.iter("table")):
        changed = _lay_out(table) or changed
    return changed


def needs_layout(root: _Element) -> bool:
    """Whether :func:`lay_out_tables` would change a table under ``root``."""
    return any(_spans_or_levels(_rows(table)) for table in root.iter("table"))


def _rows(table: _Element) -> list[_Element]:
    """The table's own rows (not a nested table's), in order."""
    rows = []
    for child in table:
        if child.tag == "tr":
            rows.append(child)
        elif child.tag in _GROUPS:
            rows.extend(row for row in child if row.tag == "tr")
    return rows


def _span(cell: _Element, attribute: str) -> int:
    value = (cell.get(attribute) or "1").strip()
    return min(int(value), MAX_SPAN) if value.isdecimal() and int(value) > 0 else 1


def _cells(row: _Element) -> list[_Element]:
    return [cell for cell in row if cell.tag in _CELLS]


def _spans_or_levels(rows: list[_Element]) -> bool:
    spans = any(_span(cell, "rowspan") > 1 or _span(cell, "colspan") > 1
                for row in rows for cell in _cells(row))
    return spans or _header_count(rows) > 1


def _header_count(rows: list[_Element]) -> int:
    """How many of ``rows`` head the table: those of a ``<thead>`` at its top, else its
    leading rows of ``<th>`` cells only; never all of them (a table of ``<th>`` alone
    reads its first row as its header, as trafilatura does)."""
    count = 0
    in_head = bool(rows) and rows[0].getparent().tag == "thead"
    for row in rows:
        cells = _cells(row)
        if in_head:
            if row.getparent().tag != "thead":
                break
        elif not cells or any(cell.tag != "th" for cell in cells):
            break
        count += 1
    return count if count < len(rows) else min(count, 1)


def _grid(rows: list[_Element]) -> list[list[tuple[_Element, int, int] | None]]:
    """Each row's slots, column by column: the cell standing there, and how many rows
    down and columns right of its own first slot it is (the HTML table model)."""
    grid: list[list[tuple[_Element, int, int] | None]] = [[] for _ in rows]
    for r, row in enumerate(rows):
        column = 0
        for cell in _cells(row):
            while column < len(grid[r]) and grid[r][column] is not None:
                column += 1
            down, across = _span(cell, "rowspan"), _span(cell, "colspan")
            for dr in range(min(down, len(rows) - r)):
                slots = grid[r + dr]
                slots.extend([None] * (column + across - len(slots)))
                for dc in range(across):
                    if slots[column + dc] is None:
                        slots[column + dc] = (cell, dr, dc)
            column += across
    return grid


def _lay_out(table: _Element) -> bool:
    from lxml.html import Element

    rows = _rows(table)
    if not _spans_or_levels(rows):
        return False
    heads = _header_count(rows)
    grid = _grid(rows)
    width = max(map(len, grid), default=0)
    title: str | None = None
    if heads > 1 and _lone_cell(grid[0], width):
        title = _text(grid[0][0][0])  # type: ignore[index]
        grid, heads = grid[1:], heads - 1
    laid: list[_Element] = []
    if heads > 1:
        header = Element("tr")
        for column in range(width):
            cell = Element("th")
            cell.text = _column_name(grid[:heads], column)
            header.append(cell)
        laid.append(header)
        body = grid[heads:]
    else:
        body = grid
    header_cells = {slot[0] for slots in grid[:heads] for slot in slots if slot is not None}
    for slots in body:
        row = Element("tr")
        for slot in slots:
            if slot is not None and slot[1] and slot[0] in header_cells:
                slot = None  # a header cell spanning down past the header: no value
            row.append(_slot_cell(slot))
        laid.append(row)
    for old in rows:
        old.getparent().remove(old)
    for group in [child for child in table if child.tag in _GROUPS]:
        table.remove(group)  # emptied of its rows; anything else in it is no table text
    table.extend(laid)
    if title:
        line = Element("p")  # the table's title: a line of its own, before it
        line.text = title
        table.addprevious(line)
    return True


def _lone_cell(slots: list[tuple[_Element, int, int] | None], width: int) -> bool:
    """Whether a row is one cell across the table's whole width (a title row)."""
    first = slots[0] if slots else None
    return (width > 1 and first is not None and len(slots) == width
            and all(slot is not None and slot[0] is first[0] for slot in slots))


def _column_name(header: list[list[tuple[_Element, int, int] | None]], column: int) -> str:
    """A column's name: its header levels, upper first, joined by a space; a cell spanning
    down over levels, an empty level, or a level repeating the one above, once."""
    levels: list[str] = []
    seen: list[_Element] = []
    for slots in header:
        slot = slots[column] if column < len(slots) else None
        if slot is None or slot[0] in seen:
            continue
        seen.append(slot[0])
        text = _text(slot[0])
        if text and (not levels or levels[-1] != text):
            levels.append(text)
    return " ".join(levels)


def _slot_cell(slot: tuple[_Element, int, int] | None) -> _Element:
    """The cell standing in a body slot: the cell itself in its first slot, a copy in the
    rows below it, an empty cell in the columns right of it."""
    from lxml.html import Element

    if slot is None:
        return Element("td")
    cell, down, across = slot
    if across:
        return Element(cell.tag)
    if down:
        cell = deepcopy(cell)
    for attribute in ("rowspan", "colspan"):
        cell.attrib.pop(attribute, None)
    cell.tail = None
    return cell


def _text(cell: _Element) -> str:
    """A header cell's words on one line (a ``<br>`` is a space)."""
    from ragqa.index.documents.layout import one_line

    parts: list[str] = []

    def walk(elem: _Element) -> None:
        if elem.tag in ("script", "style", "template"):
            return
        parts.append(" " if elem.tag == "br" else elem.text or "")
        for child in elem:
            if isinstance(child.tag, str):
                walk(child)
            parts.append(child.tail or "")

    walk(cell)
    return one_line("".join(parts))
