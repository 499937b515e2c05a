"""How a sheet's rows read as text, whichever workbook format they come from.

A sheet is a section titled with its name (a line of the text). Its rows read as lines;
the header is the first row of two filled cells or more below any title block
(:func:`~ragqa.index.documents.sheetheaders.header_row`), and every later row repeats it
cell by cell, so that a row stands alone: "Ville : Rabat ; Visiteurs : 45000". A header
over two rows names each column by both ("Titulaires Hommes : 12",
:mod:`~ragqa.index.documents.sheetheaders`). Rows above the header (a title, a note) read as
their cells, and so does a note below a table ("Source : DRH, mars 2025", :class:`_Labeller`
tells it from a row whose other cells are empty).

A sheet of more than :data:`MAX_SHEET_ROWS` rows with content, or :data:`MAX_SHEET_CELLS`
cells up to each row's last value, or a workbook of more than :data:`MAX_WORKBOOK_ROWS`
rows is refused with that reason (:mod:`ragqa.index.documents.spreadsheets` says why).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence

from ragqa.index.documents.layout import CELL_SEPARATOR, TextBuilder, labelled_row, one_line
from ragqa.index.documents.sheetheaders import (
    FIGURE,
    HEADER_SEARCH_ROWS,
    header_row,
    names_columns,
    two_level_header,
    width,
)
from ragqa.index.errors import DocumentError

MAX_SHEET_ROWS = 20_000  # rows with content, per sheet
MAX_SHEET_CELLS = 400_000  # cells up to each row's last value, empty rows between included
MAX_WORKBOOK_ROWS = 100_000  # rows with content, all sheets together
MAX_NOTE_ROWS = 3  # lone first cells under a table: more are its rows (see _Labeller._is_note)
# A note's marks (see _Labeller._is_note): a label and a colon ("Source : DRH", "NB :"), a
# footnote's call ("*", "(1)", "1)"); a total's first cell ("Total", "Sous-total").
_NOTE_MARK = re.compile(r"^(?:[^\W\d_][^:]{0,29}?\s?:\s+\S|[*†‡]|\(\d{1,2}\)|\d{1,2}\)\s)")
_TOTAL = re.compile(r"^(?:sous-?\s?)?total|^(?:ensemble|cumul|somme)\b", re.IGNORECASE)


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
    if labeller is not None:
        labeller.finish()
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
        span = width(values)
        if not span:
            blank += len(row)
            after_blank = True
            continue
        cells += blank + span  # a row's blank cells past its last value are not read
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


class _Labeller:
    """Lays out the rows under a header, each labelled with it, into ``lines``.

    Another table of the sheet starts under its own header when a blank row, a lone cell
    (its title) and a row naming columns come, and that row is a header: it repeats a
    column's name of the table above, words stand in it over figures in the row under it
    ("Subventions aux associations culturelles", then "Association | Adhérents | Convention
    signée le" over "Harmonie | 48 | 20/01/2025": its rows were labelled "Montant 2024 : 48"),
    or it is the upper row of a two-level header. A directory's section titles over rows of
    words ("Ressources humaines", then "Durand Paul | DRH | p.durand@…") keep the header.

    A row whose only value stands in the first column is held until a row with more comes:
    then it was a row of the table ("Rabat" with its figures not yet filled in, a section
    title) and is labelled. Held until the table ends, it may be a note under it, read as
    its own line ("Source : direction des ressources humaines", "Chiffres provisoires"),
    not "Service : Source : ...": see :meth:`_is_note`."""

    def __init__(self, header: list[str], lines: list[str]) -> None:
        self.lines = lines
        self.title: list[str] | None = None  # a lone cell after a blank row, held
        self.candidate: list[str] | None = None  # the row after it, held until the next
        self._start(header)

    def _start(self, header: list[str]) -> None:
        self.header, self.rows = header, 0
        self.first = next((i for i, v in enumerate(header) if v), 0)  # its first column
        self.held: list[tuple[list[str], bool]] = []  # lone first cells, after a blank?
        self.longest: dict[int, int] = {}  # column -> its longest value in labelled rows
        self.last: list[str] | None = None  # the last labelled row
        self.shown = False  # the header read as a line of its own (a table without rows)

    def add(self, values: list[str], after_blank: bool) -> None:
        if self.candidate is not None:
            title, candidate = self.title, self.candidate
            self.title = self.candidate = None
            if not after_blank and (names := two_level_header(candidate, values)) is not None:
                self._new_table(title, names)
                return
            if not after_blank and _heads(candidate, values, self.header):
                self._new_table(title, candidate)
            else:
                self._label(title, True)
                self._label(candidate, False)
        elif self.title is not None:
            if not after_blank and names_columns(values):
                self.candidate = values
                return
            title, self.title = self.title, None
            self._label(title, True)
        if after_blank and sum(1 for v in values if v) == 1:
            self.title = values
            return
        self._label(values, after_blank)

    def _new_table(self, title: list[str] | None, header: list[str]) -> None:
        self._end_table()
        if title is not None:
            self.lines.append(title[width(title) - 1])
        self._start(header)

    def _label(self, values: list[str] | None, after_blank: bool) -> None:
        if values is None:
            return
        if (sum(1 for v in values if v) == 1
                and any(values[:self.first + 1])):  # its one value in the first column
            self.held.append((values, after_blank))
            return
        self._release(notes=False)
        self._write(values)

    def _write(self, values: list[str]) -> None:
        self.lines.append(labelled_row(self.header, values))
        self.rows += 1
        self.last = values
        for i, v in enumerate(values[:self.first + 1]):  # where a lone first cell stands
            if v and len(v) > self.longest.get(i, 0):
                self.longest[i] = len(v)

    def _release(self, notes: bool) -> None:
        """Lay out the held rows: as rows of the table, or, at its end (``notes``), the
        rows from the first one :meth:`_is_note` tells a note on as notes (a note's block:
        "Chiffres provisoires" under a "Source : ..." line), the others as rows."""
        held, self.held = self.held, []
        note = False
        for i, (values, after_blank) in enumerate(held):
            note = note or (notes and self._is_note(
                values, after_blank, first=i == 0, few=len(held) <= MAX_NOTE_ROWS))
            if not note:
                self._write(values)
                continue
            if not self.rows and not self.shown:
                self._show_header()
            self.lines.append(values[width(values) - 1])

    def _is_note(self, values: list[str], after_blank: bool, first: bool, few: bool) -> bool:
        """Whether a lone first cell under the table's last row is a note (``first``: it
        is right under that row; ``few``: no more than :data:`MAX_NOTE_ROWS` are held).

        The table has ended: no row followed it, so it is no section title, and a note's
        place is there. A data row whose other cells are empty stands there as well ("Fès",
        its figures to come), so a note must show it some way besides. Wherever it stands:
        a blank row sets it apart from the table, or it reads as a sentence rather than a
        value (a label and colon, "Source : ..."; a footnote's call, "(1) ..."; a final
        period). Only where a few are held (a note is a line or a few; a longer run of lone
        first cells is the table's rows with their other cells empty, names without their
        phone numbers): it comes right after the totals row (the table's end), or it is
        longer than any value of its column and of two words or more, as a note runs past
        its column's width, "Chiffres provisoires" under "Paie" and "Urbanisme", where a
        value fits it."""
        column = width(values) - 1
        text = values[column]
        if after_blank or _NOTE_MARK.match(text) or (" " in text and text.endswith(".")):
            return True
        if not few:
            return False
        if first and self.last is not None and _TOTAL.match(next(v for v in self.last if v)):
            return True
        return " " in text and len(text) > self.longest.get(column, 0)

    def _show_header(self) -> None:
        self.lines.append(CELL_SEPARATOR.join(v for v in self.header if v))
        self.shown = True

    def _end_table(self) -> None:
        self._release(notes=True)
        if not self.rows and not self.shown:
            self._show_header()  # a header alone: its names are the table's only words

    def finish(self) -> None:
        """Lay out the rows still held: the sheet has ended."""
        self._label(self.title, True)
        self._label(self.candidate, False)
        self.title = self.candidate = None
        self._end_table()


def _heads(candidate: Sequence[str], below: Sequence[str], header: Sequence[str]) -> bool:
    """Whether ``candidate`` heads the rows from ``below`` on (see :class:`_Labeller`)."""
    names = {v.casefold() for v in header if v}
    if any(v and v.casefold() in names for v in candidate):
        return True
    return any(word and i < len(below) and below[i] and FIGURE.search(below[i])
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
    header = top[at]
    if at + 1 < len(top) and not gaps[at + 1]:
        if (names := two_level_header(header, top[at + 1])) is not None:
            header, at = names, at + 1
    labeller = _Labeller(header, lines)
    for values, after_blank in zip(top[at + 1:], gaps[at + 1:]):
        labeller.add(values, after_blank)
    return labeller
