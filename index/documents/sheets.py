"""How a sheet's rows read as text, whichever workbook format they come from.

A sheet is a section titled with its name (a line of the text). Its rows read as lines;
the header is the first row of two filled cells or more below any title block
(:func:`header_row`), and every later row repeats it cell by cell, so that a row stands
alone: "Ville : Rabat ; Visiteurs : 45000". Rows above the header (a title, a note) read as
their cells.

A sheet of more than :data:`MAX_SHEET_ROWS` rows with content, or :data:`MAX_SHEET_CELLS`
cells up to each row's last value, or a workbook of more than :data:`MAX_WORKBOOK_ROWS`
rows is refused with that reason (:mod:`ragqa.index.documents.spreadsheets` says why).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence

from ragqa.index.documents.layout import CELL_SEPARATOR, TextBuilder, labelled_row, one_line
from ragqa.index.errors import DocumentError

MAX_SHEET_ROWS = 20_000  # rows with content, per sheet
MAX_SHEET_CELLS = 400_000  # cells up to each row's last value, empty rows between included
MAX_WORKBOOK_ROWS = 100_000  # rows with content, all sheets together
HEADER_SEARCH_ROWS = 10  # the header is looked for among a sheet's first filled rows
_FIGURE = re.compile(r"^[\s\d.,:/%€$£+-]+$")  # a cell of figures: an amount, a date, a rate


class RowBudget:
    """Rows left for the whole workbook."""

    def __init__(self) -> None:
        self.rows = MAX_WORKBOOK_ROWS


def read_sheet(builder: TextBuilder, name: str, rows: Iterable[Sequence[str]], doc_id: str,
               budget: RowBudget, heading: bool = True) -> None:
    """Lay out one sheet (a heading line, then its rows; without ``heading``, a CSV file's
    one table, its rows only) or refuse it when over a cap."""
    lines: list[str] = []
    top: list[list[str]] | None = []  # the first rows, until the header is chosen among them
    gaps: list[bool] = []  # whether blank rows stand above each of them
    labeller: _Labeller | None = None
    for values, after_blank in _filled_rows(name, rows, doc_id, budget):
        if top is not None:
            top.append(values)
            gaps.append(after_blank)
            if len(top) <= HEADER_SEARCH_ROWS:
                continue
            labeller = _lay_out_top(top, gaps, lines)
            top = None
        elif labeller is None:
            lines.append(CELL_SEPARATOR.join(v for v in values if v))
        else:
            labeller.add(values, after_blank)
    if top is not None:
        labeller = _lay_out_top(top, gaps, lines)
    header, data_rows = (labeller.finish() if labeller is not None else (None, 0))
    if header is not None and data_rows == 0:
        lines.append(CELL_SEPARATOR.join(v for v in header if v))  # a header alone
    if lines:
        if heading:
            builder.heading(name or "?", 1)
        builder.block(lines)


def _filled_rows(name: str, rows: Iterable[Sequence[str]], doc_id: str,
                 budget: RowBudget) -> Iterator[tuple[list[str], bool]]:
    """The rows with a value, each cell on one line, and whether blank rows stand above
    it; :class:`DocumentError` past a cap."""
    filled = cells = blank = 0  # blank: cells of empty rows, counted once a filled one follows
    after_blank = False
    for row in rows:
        if not row:  # a row missing from the file: a million of them before a stray far cell
            after_blank = True
            continue
        values = [one_line(v) if v else "" for v in row]
        width = _width(values)
        if not width:
            blank += len(row)
            after_blank = True
            continue
        cells += blank + width  # a row's blank cells past its last value are not read
        blank = 0
        if cells > MAX_SHEET_CELLS:
            raise DocumentError(f"{doc_id}: sheet {name!r} has more than {MAX_SHEET_CELLS:,} "
                                "cells, over the limit for one sheet; not indexed")
        filled += 1
        budget.rows -= 1
        if filled > MAX_SHEET_ROWS or budget.rows < 0:
            limit = (f"{MAX_SHEET_ROWS:,} rows, the limit for one sheet" if filled > MAX_SHEET_ROWS
                     else f"{MAX_WORKBOOK_ROWS:,} rows in all, the limit for one workbook")
            raise DocumentError(f"{doc_id}: sheet {name!r} goes past {limit}; split the "
                                "workbook or export the part to index")
        yield values, after_blank
        after_blank = False


def _names_columns(values: Sequence[str]) -> bool:
    """Whether a row reads as a table's header: two cells or more, none of them a number
    or a date (years as column names, "2024", do not count as words here: a row of them
    under a title is as often data)."""
    filled = [v for v in values if v]
    return len(filled) >= 2 and not any(_FIGURE.search(v) for v in filled)


def _width(values: Sequence[str]) -> int:
    """How far a row goes: the column of its last value (0 for an empty row)."""
    return next((i + 1 for i in range(len(values) - 1, -1, -1) if values[i]), 0)


class _Labeller:
    """Lays out the rows under a header, each labelled with it, into ``lines``. Another
    table of the sheet starts under its own header when a blank row, a lone cell (its
    title) and a row naming columns come, and that row is a header: it repeats a column's
    name of the table above, or words stand in it over figures in the row under it
    ("Subventions aux associations culturelles", then "Association | Adhérents | Convention
    signée le" over "Harmonie | 48 | 20/01/2025": its rows were labelled "Montant 2024 : 48").
    A directory's section titles over rows of words ("Ressources humaines", then "Durand
    Paul | DRH | p.durand@…") keep the header."""

    def __init__(self, header: list[str], lines: list[str]) -> None:
        self.header, self.lines, self.rows = header, lines, 0
        self.title: list[str] | None = None  # a lone cell after a blank row, held
        self.candidate: list[str] | None = None  # the row after it, held until the next

    def add(self, values: list[str], after_blank: bool) -> None:
        if self.candidate is not None:
            title, candidate = self.title, self.candidate
            self.title = self.candidate = None
            if not after_blank and _heads(candidate, values, self.header):
                self.lines.append(title[_width(title) - 1])
                self.header = candidate
            else:
                self._label(title)
                self._label(candidate)
        elif self.title is not None:
            if not after_blank and _names_columns(values):
                self.candidate = values
                return
            title, self.title = self.title, None
            self._label(title)
        if after_blank and sum(1 for v in values if v) == 1:
            self.title = values
            return
        self._label(values)

    def _label(self, values: list[str] | None) -> None:
        if values is not None:
            self.lines.append(labelled_row(self.header, values))
            self.rows += 1

    def finish(self) -> tuple[list[str], int]:
        """The last header and how many rows were labelled."""
        self._label(self.title)
        self._label(self.candidate)
        self.title = self.candidate = None
        return self.header, self.rows


def _heads(candidate: Sequence[str], below: Sequence[str], header: Sequence[str]) -> bool:
    """Whether ``candidate`` heads the rows from ``below`` on (see :class:`_Labeller`)."""
    names = {v.casefold() for v in header if v}
    if any(v and v.casefold() in names for v in candidate):
        return True
    return any(word and i < len(below) and below[i] and _FIGURE.search(below[i])
               for i, word in enumerate(candidate))


def _lay_out_top(top: list[list[str]], gaps: list[bool],
                 lines: list[str]) -> _Labeller | None:
    """Lay out a sheet's first rows into ``lines``: those above its header as their cells,
    those below it labelled. Returns the labeller of the rows to come (None: no header)."""
    at = header_row(top, gaps)
    for values in top[:at]:
        lines.append(CELL_SEPARATOR.join(v for v in values if v))
    if at is None:
        return None
    labeller = _Labeller(top[at], lines)
    for values, after_blank in zip(top[at + 1:], gaps[at + 1:]):
        labeller.add(values, after_blank)
    return labeller


def header_row(top: Sequence[Sequence[str]], gaps: Sequence[bool]) -> int | None:
    """Which of a sheet's first rows (``gaps``: whether blank rows stand above each) is its
    header.

    Not merely the first with two values: an office sheet often opens with a title block
    ("Mis à jour le | date", "Service | Paie") and a blank row above its table. The header
    is the first row of two values or more that is not a line of such a block (one that a
    blank row and a wider row follow); failing one, the first row with two values. Whether
    its cells are words or numbers does not count: years are column names ("Ville | 2024 |
    2025") over rows of words as often as words over numbers. A data row wider than its
    header (a note in a column without a name) leaves the header as it is: only a blank
    row tells a title block from a table."""
    candidates = [i for i, row in enumerate(top[:HEADER_SEARCH_ROWS])
                  if sum(1 for v in row if v) >= 2]
    for i in candidates:
        if i + 1 < len(top) and gaps[i + 1] and _width(top[i + 1]) > _width(top[i]):
            continue  # a line of a title block
        return i
    return candidates[0] if candidates else None
