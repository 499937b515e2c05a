"""A PDF's headings, from what the file itself says: its outline, else its type.

A PDF has no heading markup: a heading is a line a person sees set apart. Two things in
the file say which lines those are, tried in this order:

* its outline (the bookmarks a reader's side panel shows; Word's "save as PDF" and
  LibreOffice write one from the document's headings): each entry's title is looked for
  among the lines of the page it points to (on one line, or on up to
  :data:`MAX_HEADING_LINES` consecutive lines when the heading was wrapped), its level is
  its depth in the outline. Entries found nowhere (a bookmark to a figure, a title the
  page prints otherwise) are left out. An entry is looked for after the heading its page's
  entry before it was found on, else anywhere on the page (an outline may list a page's
  headings in another order than the page prints them). The outline is taken when it
  outlines the document: :data:`MIN_OUTLINE_HEADINGS` of its entries found at least, or
  where the type finds no heading. One entry (a "Couverture" bookmark, the title's) names
  a page, not the document's parts: the type's headings, where there are any, say more;
* otherwise its type: a line set larger than the body text (the size most characters of
  the document are set in, :func:`body_size`), short (:data:`MAX_HEADING_WORDS` words at
  most), with a letter and two letters or digits at least ("M87", not a drop cap's "L"
  nor a number), not ending like a sentence (a full stop, a comma, a semicolon), not
  wholly inside quotation marks (a pull quote) and not made mostly of figures (a phone
  number, a date: more digits than letters, a leading section number such as "10.2.4" or
  "3.1" not counted) is a heading; its level is the rank of its size among the headings'
  sizes (the largest is level 1). Consecutive heading lines of one size, no further apart
  than a wrapped line's spacing (:data:`WRAPPED_SPACING` times the size), are one heading
  wrapped over them;
* and with the type, its bold lines (:func:`bold_headings`): a Word file whose author made
  short lines bold at the body's size (the most common intranet PDF) is read as Word reads
  it (:mod:`~ragqa.index.documents.handheadings`, the same rules and guards, each line a
  paragraph, but a bold line wrapped over the next ones: a lower-case start, or a line
  ending on a word no title ends with, "de", "des", in the same size): a line all of whose
  characters are in a bold font (:func:`is_bold_font`), short, no sentence, no "label :
  value", with body text under it, neither one of three bold lines in a row (an address)
  nor a lone pair (a sender), in a document not mostly bold, and passing the type's rules
  (no quote, no figures), is a heading one level below the type heading open before it (a
  bold line under the title is level 2), as a hand heading in Word sits below the styled
  heading open before it. They are added to the type's headings, not only taken where the
  type finds none: the title alone is set larger in most such exports, and it would hide
  them all. Bold words inside a line, a bold lead-in, make no heading; a page's running
  lines (a footer) are left out of the count, so a page break is no body text. "Mostly
  bold" counts lines. The outline, where taken, is the author's own list of headings: bold
  lines are not added to it.

Each page's type comes from the one pass of pypdf's text extraction that gives its text
(:func:`typed_page`): the visitor it calls with each text run gives the run's font size
(the ``Tf`` size times the text and current matrices' vertical scale), its position and
its font (bold or not, read once per font dictionary and page).
pypdf is still called once per page: reading the type costs about a tenth of the
extraction's time (eval/results/formats-retrieval.md, "PDF: headings and sections").

The document's title, when its metadata gives none, is the first heading set in the
largest type of the first page (:func:`type_title`): the wrapped lines of a title are read
whole, whatever their case.
"""

from __future__ import annotations

import bisect
import math
import re
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace

from ragqa.index.documents.handheadings import HandOutline, Look
from ragqa.index.documents.outline import Heading
from ragqa.index.documents.pageedges import running_lines
from ragqa.index.documents.pdftext import letters
from ragqa.index.documents.wrapping import DANGLING_WORDS, goes_on

MAX_HEADING_WORDS = 20
MAX_HEADING_LINES = 3  # lines an outline entry's title may be wrapped over
WRAPPED_SPACING = 1.6  # baseline to baseline, in font sizes: a wrapped line's, at most
LARGER = 1.05  # a heading's size is at least this many times the body's
SIZE_STEP = 0.5  # points: sizes closer than this are one size
MIN_OUTLINE_HEADINGS = 2  # outline entries found in the text for the outline to be taken

_LETTER = re.compile(r"[^\W\d_]")
# A full stop (not an ellipsis), a comma or a semicolon ends a sentence's line, not a
# heading's ("Article 3." is rare; "Conclusion." rarer than a paragraph's short last line).
_SENTENCE_END = re.compile(r"(?:[^.]\.|[,;])\s*[»\"”’)]?$")
# A line wholly inside quotation marks is a quote set large (a pull quote, an epigraph),
# never a heading, in any PDF.
_QUOTED = re.compile(r'«[^«»]*»|“[^“”]*”|„[^„“”]*[“”]|"[^"]*"')
_DIGIT_GROUP = re.compile(r"\d+")
# A heading's leading section number: "10.2.4", "3.1.", "1)", "IV.", "A.", "B.2" (a bare
# "12" is none: "12 mars 2024" is a date), before a word with a letter.
_SECTION_NUMBER = re.compile(
    r"(?:(?:[IVXLC]+|[A-Z])(?:[.)]|(?=\.\d))|\d+(?=[.)]))(?:\.\d+)*[.)]?\s+(?=\S*[^\W\d_])")
# A bold font by its name ("Arial-BoldMT", "ABCDEF+Calibri-Bold", "Arial,Bold",
# "Montserrat-SemiBold", "Lato-Black", "Avenir-Heavy", "Garamond-Demi").
_BOLD_NAME = re.compile(r"bold|black|heavy|demi", re.IGNORECASE)
_BOLD_WEIGHT = 600  # a FontDescriptor's /FontWeight from which the font is bold
_FORCE_BOLD = 1 << 18  # a FontDescriptor's /Flags bit 19: glyphs painted bold


@dataclass(frozen=True)
class TypedLine:
    """A line of a page's extracted text: its text, the size most of its characters are
    set in (points; 0 where unknown), its baseline's height on the page (None where
    unknown) and whether all its characters are in a bold font."""

    text: str
    size: float = 0.0
    y: float | None = None
    bold: bool = False


@dataclass(frozen=True)
class PageHeading:
    """A heading found on a page: lines ``first`` to ``last`` of its extracted text (one
    heading wrapped over them), its text on one line and its level (1 is the top)."""

    first: int
    last: int
    text: str
    level: int


def typed_page(page) -> tuple[str, list[TypedLine]]:
    """A pypdf page's extracted text (what ``page.extract_text()`` gives) and its lines with
    their type. Where the visitor's runs do not make up the text, the lines carry no type."""
    runs: list[tuple[str, float, float | None, bool]] = []
    fonts: dict[int, bool] = {}  # id of a font dictionary -> bold, read once per page

    def visit(text, cm, tm, font, font_size) -> None:
        if text:
            if id(font) not in fonts:
                fonts[id(font)] = is_bold_font(font)
            runs.append((text, _size(font_size, cm, tm), _baseline(cm, tm), fonts[id(font)]))

    text = page.extract_text(visitor_text=visit) or ""
    if "".join(run[0] for run in runs) != text:
        return text, [TypedLine(line) for line in text.split("\n")]
    lines: list[TypedLine] = []
    sizes: Counter[float] = Counter()
    current: list[str] = []
    y: float | None = None
    light = 0  # printed characters of the line not in a bold font
    for run, size, baseline, bold in runs:
        pieces = run.split("\n")
        for index, piece in enumerate(pieces):
            if index:  # a line ends
                lines.append(_typed(current, sizes, y, light))
                current, sizes, y, light = [], Counter(), None, 0
            if piece:
                current.append(piece)
                printed = len(piece) - piece.count(" ")
                if printed:
                    sizes[size] += printed
                    light += 0 if bold else printed
                    if y is None:
                        y = baseline
    lines.append(_typed(current, sizes, y, light))
    return text, lines


def _typed(pieces: list[str], sizes: Counter[float], y: float | None,
           light: int) -> TypedLine:
    size = sizes.most_common(1)[0][0] if sizes else 0.0
    return TypedLine("".join(pieces), size, y, bool(sizes) and not light)


def is_bold_font(font) -> bool:
    """Whether a pypdf font dictionary is a bold font: its name says so
    (:data:`_BOLD_NAME`), or its descriptor (a composite font's, of its descendant) gives
    a weight of 600 or more or the ForceBold flag."""
    try:
        if font is None:
            return False
        if _BOLD_NAME.search(str(font.get("/BaseFont", ""))):
            return True
        descriptor = font.get("/FontDescriptor")
        if descriptor is None and font.get("/DescendantFonts"):
            descendant = font["/DescendantFonts"][0].get_object()
            if _BOLD_NAME.search(str(descendant.get("/BaseFont", ""))):
                return True
            descriptor = descendant.get("/FontDescriptor")
        if descriptor is None:
            return False
        descriptor = descriptor.get_object()
        weight = float(descriptor.get("/FontWeight", 0) or 0)
        flags = int(descriptor.get("/Flags", 0) or 0)
        return weight >= _BOLD_WEIGHT or bool(flags & _FORCE_BOLD)
    except Exception:  # noqa: BLE001 - a damaged font dictionary: read as not bold
        return False


def _size(font_size, cm, tm) -> float:
    """A run's size on the page: the ``Tf`` size scaled by the text matrix and the current
    transformation matrix (a writer may set ``1 Tf`` and scale the matrix), rounded to
    :data:`SIZE_STEP`."""
    try:
        scale = math.hypot(tm[2], tm[3]) * math.hypot(cm[2], cm[3])
        size = abs(float(font_size)) * scale
    except (TypeError, ValueError, IndexError):
        return 0.0
    return round(size / SIZE_STEP) * SIZE_STEP if math.isfinite(size) else 0.0


def _baseline(cm, tm) -> float | None:
    try:
        y = float(tm[4]) * cm[1] + float(tm[5]) * cm[3] + cm[5]
    except (TypeError, ValueError, IndexError):
        return None
    return y if math.isfinite(y) else None


def body_size(pages: Sequence[Sequence[TypedLine]]) -> float:
    """The size most of the document's characters are set in (0 where no size is known)."""
    chars: Counter[float] = Counter()
    for lines in pages:
        for line in lines:
            if line.size:
                chars[line.size] += len(line.text) - line.text.count(" ")
    return chars.most_common(1)[0][0] if chars else 0.0


def _looks_like_heading(text: str) -> bool:
    words = text.split()
    return (0 < len(words) <= MAX_HEADING_WORDS and bool(_LETTER.search(text))
            and sum(c.isalnum() for c in text) >= 2 and not _SENTENCE_END.search(text)
            and not _QUOTED.fullmatch(text) and not _figures(text))


def _figures(text: str) -> bool:
    """Whether a line is made mostly of figures: more digits than letters, in two groups
    of digits at least (a phone number, a date, an amount; "M87" is a name). A leading
    section number before words ("10.2.4 CA", "3.1 TVA") is no figure: it is left out."""
    letters_in = len(_LETTER.findall(text))
    number = _SECTION_NUMBER.match(text)
    if number:
        text = text[number.end():]
    digits = sum(c.isdigit() for c in text)
    return digits > letters_in and len(_DIGIT_GROUP.findall(text)) >= 2


def type_headings(pages: Sequence[Sequence[TypedLine]]) -> list[list[PageHeading]]:
    """Each page's headings by type (see the module's docstring)."""
    body = body_size(pages)
    if not body:
        return [[] for _ in pages]
    found: list[list[tuple[int, int, str, float]]] = []
    for lines in pages:
        runs: list[tuple[int, int, str, float]] = []
        for index, line in enumerate(lines):
            text = " ".join(line.text.split())
            if line.size < body * LARGER or not text:
                continue
            if runs and runs[-1][1] == index - 1 and _wrapped(lines[index - 1], line):
                first, _, joined, size = runs[-1]
                runs[-1] = (first, index, f"{joined} {text}", size)
            else:
                runs.append((index, index, text, line.size))
        found.append([run for run in runs if _looks_like_heading(run[2])])
    sizes = sorted({run[3] for runs in found for run in runs}, reverse=True)
    level = {size: rank + 1 for rank, size in enumerate(sizes)}
    return [[PageHeading(first, last, text, level[size]) for first, last, text, size in runs]
            for runs in found]


def bold_headings(pages: Sequence[Sequence[TypedLine]],
                  by_type: Sequence[Sequence[PageHeading]]) -> list[list[PageHeading]]:
    """Each page's headings by type (``by_type``, :func:`type_headings`) with its headings
    set in bold at the body's size added (see the module's docstring), in line order."""
    if not any(line.bold for lines in pages for line in lines):
        return [list(found) for found in by_type]
    # (page, first line, last line, text) of each paragraph (a line, or a bold line and
    # the bold lines it is wrapped over), or (page, line, line, None) for a type heading
    steps: list[tuple[int, int, int, str | None]] = []
    for page, (lines, headings, running) in enumerate(zip(pages, by_type, _running(pages))):
        starts = {h.first: h for h in headings}
        skip = -1  # the last line of the type heading being read
        for index, line in enumerate(lines):
            text = " ".join(line.text.split())
            if index in starts:
                steps.append((page, index, index, None))
                skip = starts[index].last
            elif index > skip and index not in running:
                if steps and _bold_wrapped(pages, steps[-1], page, index):
                    _, first, _, above = steps.pop()
                    steps.append((page, first, index, f"{above} {text}"))
                else:
                    steps.append((page, index, index, text))
    outline = HandOutline(may_head=_looks_like_heading)
    where: list[tuple[int, int, int, str]] = []  # the paragraphs, in the order recorded
    for page, first, last, text in steps:
        if text is None:
            heading = next(h for h in by_type[page] if h.first == first)
            outline.heading(heading.text, heading.level)
        else:
            line = pages[page][first]
            outline.paragraph(text, Look(line.bold, line.size or None))
            where.append((page, first, last, text))
    found = [list(headings) for headings in by_type]
    for n, level in outline.levels().items():
        page, first, last, text = where[n]
        found[page].append(PageHeading(first, last, text, level))
    return [sorted(headings, key=lambda h: h.first) for headings in found]


def _bold_wrapped(pages: Sequence[Sequence[TypedLine]],
                  above: tuple[int, int, int, str | None], page: int, index: int) -> bool:
    """Whether line ``index`` of ``page``, bold, goes on the bold line recorded ``above``
    (its page, first and last lines, text): the next line, in the same size, carrying on
    its words (a lower-case start, or a line ending on "de", "la", "des"...)."""
    above_page, _, last, text = above
    if text is None or above_page != page or last != index - 1:
        return False
    previous, line = pages[page][last], pages[page][index]
    if not (previous.bold and line.bold and previous.size == line.size and line.text.strip()):
        return False
    words = previous.text.split()
    return goes_on(previous.text, line.text) or bool(
        words and words[-1].casefold() in DANGLING_WORDS)


def _running(pages: Sequence[Sequence[TypedLine]]) -> list[set[int]]:
    """Each page's running lines (headers, footers, page numbers), by line number: the
    text leaves them out (:mod:`~ragqa.index.documents.pdftext`), so the bold headings
    read a page break as a line break, not as body text."""
    printed = [[n for n, line in enumerate(lines) if line.text.strip()] for lines in pages]
    edges = running_lines([[pages[p][n].text for n in kept] for p, kept in enumerate(printed)])
    return [set(kept[:found.top]) | set(kept[len(kept) - found.bottom:])
            for kept, found in zip(printed, edges)]


def _wrapped(above: TypedLine, line: TypedLine) -> bool:
    """Whether ``line`` goes on the heading of the line ``above`` it: the same size, and a
    wrapped line's spacing apart (where positions are known)."""
    if line.size != above.size:
        return False
    if above.y is None or line.y is None:
        return True
    return 0 < above.y - line.y <= WRAPPED_SPACING * line.size


def type_title(pages: Sequence[Sequence[TypedLine]],
               headings: Sequence[Sequence[PageHeading]]) -> str | None:
    """The first page's first heading set in the largest type of its headings, where it
    has one (:func:`type_headings`)."""
    if not pages or not headings or not headings[0]:
        return None
    lines = pages[0]
    largest = max(lines[h.first].size for h in headings[0])
    return next(h.text for h in headings[0] if lines[h.first].size == largest)


def outline_entries(reader) -> list[tuple[str, int, int]]:
    """``(title, level, page index)`` of each entry of a pypdf reader's outline, in order;
    entries that point to no page of the file are left out."""
    entries: list[tuple[str, int, int]] = []

    def walk(items, level: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, level + 1)
                continue
            title = " ".join(str(getattr(item, "title", "") or "").split())
            try:
                page = reader.get_destination_page_number(item)
            except Exception:  # noqa: BLE001 - a broken destination is one entry left out
                page = None
            if title and page is not None and page >= 0:
                entries.append((title, level, page))

    try:
        walk(reader.outline, 1)
    except Exception:  # noqa: BLE001 - a damaged outline: the type says what it can
        return []
    return entries


def outline_headings(entries: Sequence[tuple[str, int, int]],
                     pages: Sequence[Sequence[TypedLine]]) -> list[list[PageHeading]]:
    """Each page's headings from the outline ``entries`` (:func:`outline_entries`), in the
    order of their lines: the lines of its target page that say its title, looked for after
    the heading found last on that page, else among the page's lines no heading holds yet
    (the outline lists them in another order). Each page's lines are read once and looked
    up by their first word, so an outline of thousands of entries costs no more than its
    lines."""
    found: list[list[PageHeading]] = [[] for _ in pages]
    read: dict[int, tuple[list[str], dict[str, list[int]]]] = {}
    for title, level, page in entries:
        if page >= len(pages):
            continue
        if page not in read:
            lines = [" ".join(line.text.split()) for line in pages[page]]
            by_word: dict[str, list[int]] = {}
            for n, line in enumerate(lines):
                if line:
                    by_word.setdefault(line.split(" ", 1)[0].casefold(), []).append(n)
            read[page] = lines, by_word
        lines, by_word = read[page]
        wanted = " ".join(title.split()).casefold()
        start = found[page][-1].last + 1 if found[page] else 0
        candidates = by_word.get(wanted.split(" ", 1)[0], [])
        match = _find_lines(wanted, lines, candidates[bisect.bisect_left(candidates, start):])
        if match is None and start:
            taken = {n for h in found[page] for n in range(h.first, h.last + 1)}
            match = _find_lines(wanted, lines, candidates, taken)
        if match is not None:
            first, last = match
            found[page].append(PageHeading(first, last, " ".join(lines[first:last + 1]), level))
    return [sorted(headings, key=lambda h: h.first) for headings in found]


def _find_lines(wanted: str, lines: Sequence[str], firsts: Sequence[int],
                taken: Collection[int] = frozenset()) -> tuple[int, int] | None:
    """The first of ``firsts`` (line numbers, in order) from which up to
    :data:`MAX_HEADING_LINES` of ``lines``, none of them ``taken``, say ``wanted``
    (casefolded), and the last."""
    for first in firsts:
        joined = ""
        for last in range(first, min(first + MAX_HEADING_LINES, len(lines))):
            if last in taken:
                break
            joined = f"{joined} {lines[last]}".strip()
            if joined.casefold() == wanted:
                return first, last
            if not wanted.startswith(joined.casefold()):
                break
    return None


@dataclass(frozen=True)
class HeadedPages:
    """A PDF's pages read with their headings: each page's text with each heading on one
    line of its own (a wrapped heading's lines joined), each page's headings, and the
    title its type gives (:func:`type_title`)."""

    texts: list[str]
    headings: list[list[PageHeading]]
    title: str | None


def headed_pages(reader) -> HeadedPages:
    """The pages of a pypdf ``reader`` with their headings: the outline's where it outlines
    the document, else the type's (see the module's docstring)."""
    typed = [typed_page(page) for page in reader.pages]
    lines = [page_lines for _, page_lines in typed]
    by_type = type_headings(lines)
    by_outline = outline_headings(outline_entries(reader), lines)
    outlined = sum(map(len, by_outline))
    found = (by_outline if outlined >= MIN_OUTLINE_HEADINGS or (outlined and not any(by_type))
             else bold_headings(lines, by_type))
    texts = [_one_line_each(text, page) for (text, _), page in zip(typed, found)]
    # A heading and the title are named as the canonical text reads them: "Définitions",
    # not the "Déﬁnitions" of the ligature glyph (pdftext reads the page so).
    found = [[replace(h, text=letters(h.text)) for h in page] for page in found]
    title = type_title(lines, by_type)
    return HeadedPages(texts, found, letters(title) if title else None)


def _one_line_each(text: str, headings: Sequence[PageHeading]) -> str:
    """A page's ``text`` with each of its ``headings`` as one line, its text."""
    if not headings:
        return text
    lines = text.split("\n")
    for heading in reversed(headings):
        lines[heading.first:heading.last + 1] = [heading.text]
    return "\n".join(lines)


def heading_records(headings: Sequence[Sequence[PageHeading]],
                    starts: Sequence[int | None]) -> tuple[Heading, ...]:
    """:class:`~ragqa.index.documents.outline.Heading` records of the ``headings`` found at
    ``starts`` of the canonical text (in their order; None: not in the text), each with its
    path: the headings above it, from the top level down."""
    records: list[Heading] = []
    path: list[tuple[int, str]] = []
    flat = [heading for page in headings for heading in page]
    for heading, start in zip(flat, starts):
        if start is None or (records and start <= records[-1].start):
            continue
        while path and path[-1][0] >= heading.level:
            path.pop()
        path.append((heading.level, heading.text))
        records.append(Heading(start, tuple(text for _, text in path)))
    return tuple(records)
