"""Excel (``.xlsx``, openpyxl) and OpenDocument (``.ods``, odfdo) workbooks.

A sheet is a section titled with its name, its rows laid out as lines under their header
(:mod:`ragqa.index.documents.sheets`: "Ville : Rabat ; Visiteurs : 45000"). Hidden sheets,
rows and columns are left out, Excel's and LibreOffice's alike (one hidden is often not
meant for every reader). A cell reads as the value Excel last computed (formulas are not
evaluated; a date as its format shows it, :mod:`~ragqa.index.documents.cellformats`), and an
ODS cell as the text the file displays. The title is the file's metadata title, else the
file's name: a workbook has no headline, and its first line is a sheet's name.

A sheet of more than ``MAX_SHEET_ROWS`` rows with content, or ``MAX_SHEET_CELLS`` cells up
to each row's last value (blank formatted cells beside or below the data do not count: a
template bordered down to row 20,000 is as small as its data), or a workbook of more than
``MAX_WORKBOOK_ROWS`` rows (:mod:`~ragqa.index.documents.sheets`) is refused with that
reason: such a table is data to query, not text to quote, and a truncated copy would
answer wrongly ("how many...?") without saying so.

openpyxl (MIT, with et-xmlfile) in read-only mode streams each sheet's XML: 3.3 MB
installed. A generated 10,000-row, 6-column sheet (0.45 MB) loaded in 0.95 s, about 63,000
cells/s, the same sheet as ``.ods`` in 1.4 s (December 2026). Reading what read-only mode
does not (hidden rows and columns, merged cells, formulas without a value: a scan for their
marks, then a skim of the sheets that hold them) and formatting numbers as Excel shows them
cost 5-10 % more on a sheet of 10,000 rows and 6 columns with nothing of the kind (1.36 →
1.48 s, session 33, a busy 2-core machine).
"""

from __future__ import annotations

import io
import logging
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from functools import partial
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from ragqa.index.documents.cellformats import format_date, format_number
from ragqa.index.documents.formats import read_bytes
from ragqa.index.documents.layout import TextBuilder
from ragqa.index.documents.opendocument import (
    ODS_MIMETYPE,
    PARSE_ERRORS,
    paragraphs_text,
    read_odf,
    repeat,
)
from ragqa.index.documents.outline import OutlinedDocument
from ragqa.index.documents.reading import decode_text
from ragqa.index.documents.packages import check_ooxml, open_package, unreadable
from ragqa.index.documents.sheets import RowBudget, read_sheet
from ragqa.index.documents.titles import metadata_title
from ragqa.index.errors import DocumentError

if TYPE_CHECKING:
    from odfdo import Element

logger = logging.getLogger(__name__)

XLSX_SUFFIXES = frozenset({".xlsx"})
CSV_SUFFIXES = frozenset({".csv"})
_CSV_DELIMITERS = ";,\t|"
_CSV_SAMPLE = 64 * 1024
ODS_SUFFIXES = frozenset({".ods"})
XLSX_KIND = "Excel workbook"
ODS_KIND = "OpenDocument spreadsheet"
MAX_SHEET_COLUMNS = 16_384  # Excel's and LibreOffice's widest sheet
SKIM_CELLS = 50_000  # a sheet declared larger is skimmed for its last filled row first
_ODS_VALUES = ("office:value", "office:date-value", "office:time-value",
               "office:boolean-value", "office:string-value")


def load_xlsx_document(path: Path, doc_id: str) -> OutlinedDocument:
    """Read an ``.xlsx`` workbook into an :class:`OutlinedDocument`, a section per sheet."""
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    data = read_bytes(path, doc_id)
    package = open_package(data, doc_id, XLSX_KIND)
    check_ooxml(package, doc_id, XLSX_KIND, ".xlsx")
    builder, budget = TextBuilder(), RowBudget()
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True,
                                          keep_links=False)
        try:
            for sheet in workbook.worksheets:
                if sheet.sheet_state != "visible":
                    continue
                layout = _sheet_layout(package, sheet)
                if layout.last_filled == 0:
                    continue  # nothing but blank (perhaps formatted) cells
                last = layout.last_filled if _declared_large(sheet) else None
                if layout.uncomputed:
                    cells = ", ".join(layout.uncomputed[:5])
                    more = len(layout.uncomputed) - 5
                    logger.warning(
                        "%s: sheet %r: %d formula cell(s) saved without their value (%s%s) "
                        "are read as empty; open and save the workbook in Excel or LibreOffice "
                        "to index their values", doc_id, sheet.title, len(layout.uncomputed),
                        cells, f" and {more} more" if more > 0 else "")
                sheet.reset_dimensions()  # a row is as wide as its last cell, not the sheet
                read_sheet(builder, sheet.title, _xlsx_rows(sheet, last, layout), doc_id,
                           budget)
            title = metadata_title(workbook.properties.title)
        finally:
            workbook.close()
    except DocumentError:
        raise
    except (*PARSE_ERRORS, InvalidFileException) as exc:
        raise unreadable(doc_id, XLSX_KIND, exc) from None
    return builder.document(doc_id, data, title or PurePosixPath(doc_id).stem)


def _xlsx_cell(cell) -> str:
    if cell.value is None:  # most cells of a formatted range: no style lookup for them
        return ""
    return format_value(cell.value, getattr(cell, "number_format", None) or "")


def _declared_large(sheet) -> bool:
    """Whether a sheet's ``<dimension>`` says it is larger than :data:`SKIM_CELLS` cells:
    openpyxl then stops reading at its last filled row (:attr:`_Layout.last_filled`).

    Excel writes every cell of a formatted range (borders on A1:Z20000) into the sheet,
    value or not, and openpyxl's parser makes a cell object of each: 13 rows of data under
    20,000 bordered blank rows took 3.5 s to read. lxml skims the same XML in a third of
    that (:func:`_sheet_layout`, which reads what else openpyxl's read-only mode does not),
    and openpyxl then stops at the last row that says something."""
    rows, columns = sheet.max_row, sheet.max_column  # from <dimension>, None without it
    return bool(rows and columns and rows * columns > SKIM_CELLS)


@dataclass
class _Layout:
    """What openpyxl's read-only mode does not read of a sheet: its hidden rows and columns
    (numbers from 1) and, by the row each starts on, its cells merged down over several
    rows (column, last row)."""

    hidden_rows: set[int] = field(default_factory=set)
    hidden_columns: set[int] = field(default_factory=set)
    merged_down: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    uncomputed: list[str] = field(default_factory=list)  # formula cells saved without a value
    last_filled: int | None = None  # the last row with a value (0: none; None: not read)


def _xlsx_rows(sheet, last: int | None, layout: _Layout) -> Iterator[list[str]]:
    """A sheet's rows as text, hidden ones and hidden columns left out, and a cell merged
    down over several rows ("Salle des fêtes" beside its "Location" and "Caution" rows)
    read on each of them: a row reads alone."""
    carried: dict[int, tuple[str, int]] = {}  # column -> merged cell's text, its last row
    hidden = layout.hidden_columns
    for number, row in enumerate(sheet.iter_rows(max_row=last), 1):
        values = ([_xlsx_cell(c) if column not in hidden else ""
                   for column, c in enumerate(row, 1)] if hidden
                  else [_xlsx_cell(c) for c in row])
        for column, (text, until) in list(carried.items()):
            if number > until:
                del carried[column]
            elif column > len(values) or not values[column - 1]:
                values.extend([""] * (column - len(values)))
                values[column - 1] = text
        if number not in layout.hidden_rows:  # a hidden cell shows on no row
            for column, until in layout.merged_down.get(number, ()):
                if column <= len(values) and values[column - 1]:
                    carried[column] = (values[column - 1], until)
        if number not in layout.hidden_rows:
            yield values


def _sheet_layout(package: zipfile.ZipFile, sheet) -> _Layout:
    """A sheet's :class:`_Layout`, skimmed from its XML by lxml (its ``<col hidden>``,
    ``<row hidden>``, filled rows, formulas and ``<mergeCell>`` elements).

    Hidden rows and columns are left out as hidden sheets are: one hidden is often not
    meant for every reader ("Provision contentieux (confidentiel)", an internal comment).
    Rows a filter hides are marked alike in the file, and left out too."""
    from lxml import etree
    from openpyxl.utils.cell import range_boundaries

    layout = _Layout()
    member = getattr(sheet, "_worksheet_path", None)  # its part's name: no public name for it
    if not member or member not in package.namelist():
        return layout
    if not _declared_large(sheet) and not _holds(package, member, _LAYOUT_MARKS):
        return layout  # most sheets: nothing hidden, merged or computed to read
    number = last = 0
    tags = ("{*}row", "{*}col", "{*}mergeCell")
    with package.open(member) as source:
        for _, element in etree.iterparse(source, events=("end",), tag=tags,
                                          resolve_entities=False, no_network=True):
            kind = element.tag.rsplit("}", 1)[-1]
            if kind == "col":
                if _true(element.get("hidden")):
                    first, end = int(element.get("min") or 0), int(element.get("max") or 0)
                    layout.hidden_columns.update(
                        range(max(first, 1), min(end, MAX_SHEET_COLUMNS) + 1))
            elif kind == "row":
                number = int(element.get("r") or number + 1)  # r is optional: the row after
                if _true(element.get("hidden")):
                    layout.hidden_rows.add(number)
                if (element.find("{*}c/{*}v") is not None
                        or element.find("{*}c/{*}is") is not None):
                    last = number
                formulas = (element.iterfind("{*}c/{*}f")  # most rows hold none
                            if element.find("{*}c/{*}f") is not None else ())
                for formula in formulas:
                    cell = formula.getparent()
                    value = cell.find("{*}v")
                    # No value, or an empty one: openpyxl writes "<v></v>"; Excel's own
                    # empty text result ("=SI(...;"";...)") is typed t="str".
                    if value is None or (not value.text and cell.get("t") != "str"):
                        layout.uncomputed.append(cell.get("r") or f"row {number}")
            else:
                try:
                    first_column, first_row, _, last_row = range_boundaries(
                        element.get("ref") or "")
                except (TypeError, ValueError):
                    first_row = last_row = None
                if first_row is not None and last_row is not None and last_row > first_row:
                    layout.merged_down.setdefault(first_row, []).append(
                        (first_column, last_row))
            element.clear()
            while element.getprevious() is not None:  # the rows read: a million would weigh
                del element.getparent()[0]
    layout.last_filled = last
    return layout


# What a sheet's XML holds where :func:`_sheet_layout` has something to read: a hidden row
# or column, a merged range, a formula (any namespace prefix: "<f>", "<x:f>").
_LAYOUT_MARKS = (b'hidden="1"', b'hidden="true"', b"mergeCell", b"<f>", b"<f ", b":f>", b":f ")


def _holds(package: zipfile.ZipFile, member: str, marks: tuple[bytes, ...]) -> bool:
    """Whether the part ``member`` holds one of ``marks``, read in chunks (C's search, no
    parsing: a few hundredths of a second for a sheet that takes seconds to parse)."""
    tail = b""
    width = max(len(mark) for mark in marks)
    with package.open(member) as source:
        while chunk := source.read(1 << 20):
            window = tail + chunk
            if any(mark in window for mark in marks):
                return True
            tail = window[-width:]
    return False


def _true(value: str | None) -> bool:
    return value in ("1", "true")


def format_value(value: object, number_format: str = "") -> str:
    """A cell's value as a reader sees it: a number or a date as its format shows it
    ("1 254 300,50 €", "6,3 %", "14/04/2025": :mod:`~ragqa.index.documents.cellformats`)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "VRAI" if value else "FAUX"
    if isinstance(value, (date, time)):  # a datetime is a date
        return format_date(value, number_format)
    if isinstance(value, timedelta):
        return format_duration(value, number_format)
    if isinstance(value, (int, float)):
        return format_number(value, number_format)
    return str(value)


def format_duration(value: timedelta, number_format: str = "") -> str:
    """A duration as Excel shows an elapsed-time format: ``[h]:mm`` 1.5 days as "36:00"
    (Python's own "1 day, 12:00:00" reads as a date to no one), ``[mm]:ss`` in minutes,
    seconds shown when the format shows them."""
    code = number_format.lower()
    seconds = round(abs(value.total_seconds()))
    sign = "-" if value.total_seconds() < 0 else ""
    minutes, secs = divmod(seconds, 60)
    if code.startswith("[s"):
        return f"{sign}{seconds}"
    if code.startswith("[m"):
        return f"{sign}{minutes}:{secs:02d}"
    hours, minutes = divmod(minutes, 60)
    text = f"{sign}{hours}:{minutes:02d}"
    shows_seconds = "s" in code.replace("[h]", "") if code else bool(secs)  # no format: all
    return f"{text}:{secs:02d}" if shows_seconds else text


def load_csv_document(path: Path, doc_id: str) -> OutlinedDocument:
    """Read a ``.csv`` file (an export of a table: Excel's French one separates with ";",
    in Windows-1252) as one sheet's rows under their header, without a sheet's heading.
    Its encoding is told as a text file's is; its separator by :class:`csv.Sniffer` among
    ";", ",", tab and "|", else the one its first line holds most of; cells are quoted with
    '"' (the sniffer's "'" would eat an apostrophe: "'Urgent'"). A sheet's caps hold (20,000
    rows), and a cell over the csv module's 128 KB is refused with the file."""
    import csv

    data = read_bytes(path, doc_id)
    text = decode_text(data, doc_id)
    sample = text[:_CSV_SAMPLE]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, _CSV_DELIMITERS)
    except csv.Error:
        first = sample.split("\n", 1)[0]
        delimiter = max(_CSV_DELIMITERS, key=first.count)

        class dialect(csv.excel):  # noqa: N801 - a csv dialect is a class
            pass
        dialect.delimiter = delimiter
    dialect.quotechar, dialect.doublequote = '"', True
    builder, budget = TextBuilder(), RowBudget()
    try:
        rows = csv.reader(io.StringIO(text, newline=""), dialect)
        read_sheet(builder, "", ([cell.strip() for cell in row] for row in rows), doc_id,
                   budget, heading=False)
    except csv.Error as exc:
        raise DocumentError(f"{doc_id}: not a readable CSV file ({exc})") from None
    if not builder.text().strip():
        raise DocumentError(f"{doc_id}: the CSV file holds no value")
    return builder.document(doc_id, data, PurePosixPath(doc_id).stem)


def load_ods_document(path: Path, doc_id: str) -> OutlinedDocument:
    """Read an ``.ods`` workbook into an :class:`OutlinedDocument`, a section per sheet."""
    data = read_bytes(path, doc_id)
    walk = partial(_walk_ods, doc_id=doc_id)
    builder, title = read_odf(data, doc_id, ODS_KIND, ODS_MIMETYPE, walk)
    return builder.document(doc_id, data, title or PurePosixPath(doc_id).stem)


def _walk_ods(document, doc_id: str) -> TextBuilder:
    builder, budget = TextBuilder(), RowBudget()
    for table in document.body.children:
        if table.tag == "table:table" and not _ods_hidden(document, table):
            name = str(table.get_attribute("table:name") or "")
            hidden = _ods_hidden_columns(table)
            rows = _ods_rows(table, doc_id)
            if hidden:
                rows = ([v if i not in hidden else "" for i, v in enumerate(row)] for row in rows)
            read_sheet(builder, name, rows, doc_id, budget)
    return builder


def _ods_visible(element: Element) -> bool:
    """Whether a row or a column shows: LibreOffice marks one hidden by hand
    ``table:visibility="collapse"`` and one a filter hides ``"filter"``; both are left out,
    as hidden sheets are (see :func:`_hidden_rows_and_columns`)."""
    return element.get_attribute("table:visibility") in (None, "visible")


def _ods_hidden_columns(table: Element) -> set[int]:
    """The indices (0 for the first) of a sheet's hidden columns."""
    hidden: set[int] = set()
    column = 0
    for element in table.children:
        groups = ([element] if element.tag == "table:table-column"
                  else [c for c in element.children if c.tag == "table:table-column"]
                  if element.tag in ("table:table-columns", "table:table-header-columns",
                                     "table:table-column-group") else [])
        for group in groups:
            count = min(repeat(group, "table:number-columns-repeated"), MAX_SHEET_COLUMNS)
            if not _ods_visible(group):
                hidden.update(range(column, column + count))
            column += count
    return hidden


def _ods_hidden(document, table: Element) -> bool:
    """Whether a sheet is hidden: ODF marks it on the sheet's table style, an automatic
    style of content.xml (``<style:table-properties table:display="false"/>``), not on the
    table itself."""
    style_name = table.get_attribute("table:style-name")
    if not style_name:
        return False
    style = document.content.get_style("table", str(style_name))
    properties = style.get_element("style:table-properties") if style is not None else None
    # odfdo reads "false" as the boolean False.
    return properties is not None and properties.get_attribute("table:display") in (False,
                                                                                   "false")


def _ods_rows(element: Element, doc_id: str,
              carried: dict[int, list] | None = None) -> Iterator[list[str]]:
    """The rows of a sheet. Repeated rows are yielded as often as they stand, except empty
    ones (LibreOffice ends a sheet with a million of them), yielded once. A cell merged down
    over several rows is read on each of them, as in an Excel workbook."""
    carried = {} if carried is None else carried  # column -> [merged cell's text, rows left]
    for child in element.children:
        if child.tag == "table:table-row":
            count = repeat(child, "table:number-rows-repeated")
            if not _ods_visible(child):
                _spend(carried, count)
                continue
            cells, spans = _ods_cells(child, doc_id)
            for index, (text, _) in carried.items():
                if text and (index >= len(cells) or not cells[index]):
                    cells.extend([""] * (index + 1 - len(cells)))
                    cells[index] = text
            _spend(carried, count)
            for index, rows in spans:
                carried[index] = [cells[index], rows - 1]
            if any(cells):
                for _ in range(count):
                    yield cells  # the sheet's row cap stops a repeated row's flood
            else:
                yield []  # once, however repeated: a blank row tells a title block
        elif child.tag in ("table:table-header-rows", "table:table-rows",
                           "table:table-row-group"):
            yield from _ods_rows(child, doc_id, carried)


def _spend(carried: dict[int, list], rows: int) -> None:
    """``rows`` rows read under the merged cells ``carried``: those they end are dropped."""
    for index in list(carried):
        carried[index][1] -= rows
        if carried[index][1] <= 0:
            del carried[index]


def _ods_cells(row: Element, doc_id: str) -> tuple[list[str], list[tuple[int, int]]]:
    """A row's cells' texts and, for each cell with text merged down over more rows than
    its own, its index and how many rows it spans."""
    cells: list[str] = []
    spans: list[tuple[int, int]] = []
    empty = 0  # empty cells not yet written: only written when a filled one follows
    for cell in row.children:
        if cell.tag not in ("table:table-cell", "table:covered-table-cell"):
            continue
        count = repeat(cell, "table:number-columns-repeated")
        # A cell a merge covers shows nothing, whatever it holds (LibreOffice may keep a
        # merged cell's old text in it): read, it would split a group's label from the
        # columns it spans, or stand in for the text merged down over it.
        text = "" if cell.tag == "table:covered-table-cell" else _ods_cell_text(cell)
        if not text:
            empty += count
            continue
        if len(cells) + empty + count > MAX_SHEET_COLUMNS:
            raise DocumentError(f"{doc_id}: a row is wider than {MAX_SHEET_COLUMNS:,} "
                                "columns; not a readable sheet")
        cells.extend([""] * empty + [text] * count)
        empty = 0
        rows = repeat(cell, "table:number-rows-spanned")
        if rows > 1:
            spans.append((len(cells) - 1, rows))
    return cells, spans


def _ods_cell_text(cell: Element) -> str:
    text = paragraphs_text(cell)
    if text.strip():
        return text
    for attribute in _ODS_VALUES:  # a cell written without its display text
        value = cell.get_attribute(attribute)
        if value not in (None, ""):
            return str(value)
    return ""
