"""How structured files (office documents, slides, sheets, e-mail) are laid out as text.

The rules every structured format shares, so that their canonical texts read alike:

* blocks (a paragraph, a list, a table, a slide's text box) are separated by a blank line;
* a heading is a line of its own, recorded as a :class:`~ragqa.index.documents.outline.Heading`
  with its path: no ``#`` is written;
* list items are lines, without a bullet (a bullet is how a reader *sees* a list item, not
  a word of it);
* a table row is a line of ``header : value`` cells joined by `` ; `` (:func:`table_lines`),
  so that every row stands alone ("Ville : Rabat ; Visiteurs : 45 000");
* hard-wrapped lines (a soft line break in the middle of a sentence, an e-mail wrapped at
  72 columns) are joined (:func:`~ragqa.index.documents.wrapping.unwrap`), so that no
  passage is cut mid-sentence;
* pages (slides) are separated like a PDF's, with their start offsets kept; a page that
  carries on the section of the page before (a continued slide) is marked so.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import PurePosixPath

from ragqa.index.documents.outline import Heading, OutlinedDocument
from ragqa.index.documents.reading import extract_title, sha256_bytes
from ragqa.index.documents.titles import MAX_TITLE_CHARS
from ragqa.index.documents.wrapping import unwrap
from ragqa.index.errors import DocumentError

BLOCK_SEPARATOR = "\n\n"
PAGE_SEPARATOR = "\n\n"  # as between a PDF's pages
CELL_SEPARATOR = " ; "
HEADER_SEPARATOR = " : "

_LINE_BREAKS = re.compile(r"\r\n|[\r\v\f\x85\u2028\u2029]")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_SPACES = re.compile(r"\s+")
_NUMBER = re.compile(r"^[\d\s.,%€$+\-/:]+$")


def clean_lines(text: str) -> list[str]:
    """``text``'s lines, control characters removed and trailing spaces stripped."""
    text = _CONTROL.sub("", _LINE_BREAKS.sub("\n", text.replace("\ufeff", "")))
    return [line.rstrip() for line in text.split("\n")]


def one_line(text: str) -> str:
    """``text`` on one line, whitespace collapsed (a heading, a table cell)."""
    return _SPACES.sub(" ", _CONTROL.sub("", text)).strip()


def looks_like_header(cells: Sequence[str]) -> bool:
    """Whether a table's first row can be its header: every cell holds a label (text that is
    not a number)."""
    return len(cells) >= 2 and all(c and not _NUMBER.match(c) for c in cells)


def table_lines(rows: Sequence[Sequence[str]], header: bool | None = None) -> list[str]:
    """A table as lines, one per row, each cell prefixed with its column's header.

    ``header``: whether the first row is the header (marked so in the file); ``None`` lets
    :func:`looks_like_header` decide for tables of three columns or more. A two-column
    table without a marked header reads as ``key : value`` lines (a form, a fact sheet);
    a wider one as its cells joined by `` ; ``.
    """
    rows = [[one_line(c) for c in row] for row in rows]
    rows = [row for row in rows if any(row)]
    if not rows:
        return []
    width = max(map(len, rows))
    if header is None:
        header = width > 2 and looks_like_header(rows[0])
    if header and len(rows) >= 2:
        names = rows[0]
        return [line for row in rows[1:] if (line := labelled_row(names, row))]
    joiner = HEADER_SEPARATOR if width == 2 else CELL_SEPARATOR
    return [joiner.join(c for c in row if c) for row in rows]


def labelled_row(names: Sequence[str], row: Sequence[str]) -> str:
    """One row's cells, each after its column's name when the column has one."""
    cells = []
    for i, value in enumerate(row):
        if not value:
            continue
        name = names[i] if i < len(names) else ""
        cells.append(f"{name}{HEADER_SEPARATOR}{value}" if name and name != value else value)
    return CELL_SEPARATOR.join(cells)


class TextBuilder:
    """A canonical text assembled block by block, with its headings and page starts."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._length = 0
        self._fresh = True  # nothing written since the start or the last page break
        self._path: list[tuple[int, str]] = []  # (level, title) of the open headings
        self.headings: list[Heading] = []
        self.pages: list[int] = []
        self.continued: list[int] = []  # starts of the pages carrying on the section before
        self._opening: int | None = None  # a heading over the next one: where that one starts

    def __len__(self) -> int:
        return self._length

    def _write(self, text: str) -> None:
        self._parts.append(text)
        self._length += len(text)

    def _open_block(self) -> int:
        if not self._fresh:
            self._write(BLOCK_SEPARATOR)
        self._fresh = False
        return self._length

    def page(self, *, continues: bool = False) -> None:
        """Start a new page (a slide): its start offset is kept, even when it stays empty.
        ``continues``: the page carries on the section of the page before (it opens with
        no heading), so passages may run across its start."""
        if self.pages:
            self._write(PAGE_SEPARATOR)
        if continues and self.pages:
            self.continued.append(self._length)
        self.pages.append(self._length)
        self._fresh = True

    def heading(self, title: str, level: int = 1, *, label: str | None = None,
                over_next: bool = False) -> None:
        """A heading line ``title`` at ``level`` (1 is the top). ``label`` names a section
        that has no heading line (an untitled slide): no text is written for it.
        ``over_next``: a heading over the next one (a section-header slide over the slides
        after it), in the path of the headings below it but heading no section of its
        own: its line, and what is written before the next heading, open that heading's
        section, as a Word heading right above a deeper one does
        (:func:`~ragqa.index.documents.outline.document_sections`)."""
        line = one_line(title)
        name = line or one_line(label or "")
        if not name:
            return
        while self._path and self._path[-1][0] >= level:
            self._path.pop()
        self._path.append((level, name))
        start = self._open_block() if line else self._next_start()
        if line:
            self._write(line)
        if over_next:
            self._opening = start if self._opening is None else self._opening
            return
        if self._opening is not None:
            start, self._opening = self._opening, None
        self.headings.append(Heading(start, tuple(name for _, name in self._path)))

    def _next_start(self) -> int:
        return self._length + (0 if self._fresh else len(BLOCK_SEPARATOR))

    def block(self, lines: Iterable[str]) -> None:
        """A block of ``lines`` (blank ones dropped); nothing when all are blank."""
        kept = [part for line in lines for part in clean_lines(line) if part.strip()]
        if kept:
            self._open_block()
            self._write("\n".join(kept))

    def paragraph(self, text: str) -> None:
        """A paragraph whose line breaks may cut sentences: cleaned and unwrapped."""
        self.block(unwrap(clean_lines(text)))

    def text(self) -> str:
        return "".join(self._parts)

    def document(self, doc_id: str, data: bytes, title: str | None) -> OutlinedDocument:
        """The finished document, titled ``title`` (from the file's metadata), else with
        the heading it opens with, else with the headline found in its text;
        :class:`DocumentError` when it holds no text."""
        text = self.text()
        if not text.strip():
            raise DocumentError(f"{doc_id}: the file holds no text")
        source = "metadata"
        first = self.headings[0] if self.headings else None
        if not title and first is not None and first.start == 0 and text.startswith(
                first.path[-1]):
            title = first.path[-1][:MAX_TITLE_CHARS]  # a heading opens the text: it names it
        if not title:
            title, source = extract_title(text, PurePosixPath(doc_id).stem), "text"
        # An untitled slide left empty heads an empty section: dropped.
        ends = [h.start for h in self.headings[1:]] + [len(text)]
        headings = tuple(h for h, end in zip(self.headings, ends)
                         if text[h.start:end].strip())
        return OutlinedDocument(doc_id=doc_id, text=text, title=title,
                                content_hash=sha256_bytes(data), pages=tuple(self.pages),
                                title_source=source, headings=headings,
                                continued_pages=tuple(self.continued))
