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
* and with the type, its bold lines (:mod:`~ragqa.index.documents.pdfbold`): a Word file
  whose author made short lines bold at the body's size (the most common intranet PDF)
  is read as Word reads it, each of those headings one level below the type heading open
  before it; a line the type's rules reject (a quote, figures) is no heading there either.
  The outline, where taken, is the author's own list of headings: bold lines are not added
  to it.

Each page's type comes from the one pass of pypdf's text extraction that gives its text
(:func:`~ragqa.index.documents.pdflines.typed_page`).

The document's title, when its metadata gives none, is the first heading set in the
largest type of the first page (:func:`type_title`): the wrapped lines of a title are read
whole, whatever their case.

A heading or a title wrapped over lines is read as one line, its lines joined by a space
but where a line ends with a hyphen: a word hyphenated there is one word ("ser-" / "vice
public" is "service public"), a compound keeps its hyphen ("porte-" / "parole", "Al-" /
"Maghrib"), by the rule of the body's line ends
(:mod:`~ragqa.index.documents.linehyphens`); an outline entry's title says itself which it
is ("service public" is found on "ser-" / "vice public").
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace

from ragqa.index.documents.linehyphens import HYPHENS, SOFT_HYPHEN, joined_lines, vocabulary
from ragqa.index.documents.outline import Heading
from ragqa.index.documents.pageedges import running_lines
from ragqa.index.documents.pdfbold import bold_headings
from ragqa.index.documents.pdflines import PageHeading, TypedLine, body_size, typed_page
from ragqa.index.documents.pdftext import letters

MAX_HEADING_WORDS = 20
MAX_HEADING_LINES = 3  # lines an outline entry's title may be wrapped over
WRAPPED_SPACING = 1.6  # baseline to baseline, in font sizes: a wrapped line's, at most
LARGER = 1.05  # a heading's size is at least this many times the body's
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
# "12" is none: "12 mars 2024" is a date), before a word with a letter. Its parts have one
# or two digits, no leading zero, four parts at most: "04.72.10.30.30" (a phone number),
# "12.03.2024" (a date), "1.500.000" (an amount) are figures. A unit, a currency or a
# reference's abbreviation after it makes it a figure too: "12.50 DH", "2.5 h", "3.14 m2",
# "12.3 al. 2".
_PART = r"[1-9]\d?"
_SECTION_NUMBER = re.compile(
    rf"(?:(?:[IVXLC]+|[A-Z])(?:(?:\.{_PART}){{1,3}}[.)]?|[.)])"
    rf"|{_PART}(?:(?:\.{_PART}){{1,3}}[.)]?|[.)]))\s+"
    r"(?!(?:[kKM]|Md|Mds)?\s?(?:€|\$|£|%|DH|MAD|EUR|USD|CHF|F?CFA)(?!\w)"
    r"|(?:h|min|mn|s|j|km|m|cm|mm|m2|m²|m3|m³|ha|kg|g|t|ml|cl|HT|TTC|ETP|al|art|p|pp)"
    r"(?![\w²³'’]))(?=\S*[^\W\d_])")


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
            found[page].append(PageHeading(*match, level))
    return [sorted(headings, key=lambda h: h.first) for headings in found]


def _find_lines(wanted: str, lines: Sequence[str], firsts: Sequence[int],
                taken: Collection[int] = frozenset()) -> tuple[int, int, str] | None:
    """The first of ``firsts`` (line numbers, in order) from which up to
    :data:`MAX_HEADING_LINES` of ``lines``, none of them ``taken``, say ``wanted``
    (casefolded), the last, and the heading's text: the lines joined as the title joins
    them (:func:`_readings`)."""
    for first in firsts:
        readings = [""]
        for last in range(first, min(first + MAX_HEADING_LINES, len(lines))):
            if last in taken:
                break
            readings = [reading for before in readings for reading in _readings(before, lines[last])
                        if _starts(wanted, reading.casefold())]
            found = next((reading for reading in readings if reading.casefold() == wanted), None)
            if found is not None:
                return first, last, found
            if not readings:
                break
    return None


def _starts(wanted: str, reading: str) -> bool:
    """Whether ``reading`` (casefolded) may start ``wanted``: it does, or it does but for
    the hyphen it ends with, which the next line may drop ("ser-" of "service")."""
    return wanted.startswith(reading) or (
        reading[-1:] in (*HYPHENS, SOFT_HYPHEN) and wanted.startswith(reading[:-1]))


def _readings(before: str, line: str) -> list[str]:
    """The ways ``line`` may go on the heading's lines ``before`` it: after a space, or,
    after a line-end hyphen, with the hyphen kept or dropped and no space (the outline's
    title says which: "ser-" / "vice public" for "service public", "porte-" / "parole" for
    "porte-parole"); after a soft hyphen, with no space."""
    if not before:
        return [line]
    if before.endswith(SOFT_HYPHEN):
        return [before[:-1] + line, f"{before} {line}"]
    if before[-1] in HYPHENS and line[:1].isalnum():
        return [f"{before} {line}", before + line, before[:-1] + line]
    return [f"{before} {line}"]


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
    words = _Vocabulary([text for text, _ in typed])
    by_type = _read_whole(type_headings(lines), lines, words)
    by_outline = outline_headings(outline_entries(reader), lines)
    outlined = sum(map(len, by_outline))
    if outlined >= MIN_OUTLINE_HEADINGS or (outlined and not any(by_type)):
        found = by_outline
    elif any(line.bold for page in lines for line in page):
        found = _read_whole(bold_headings(lines, by_type, _running(lines), _looks_like_heading),
                            lines, words)
    else:
        found = [list(page) for page in by_type]
    texts = [_one_line_each(text, page) for (text, _), page in zip(typed, found)]
    # A heading and the title are named as the canonical text reads them: "Définitions",
    # not the "Déﬁnitions" of the ligature glyph (pdftext reads the page so).
    found = [[replace(h, text=letters(h.text)) for h in page] for page in found]
    title = type_title(lines, by_type)
    return HeadedPages(texts, found, letters(title) if title else None)


class _Vocabulary:
    """The document's words (:func:`~ragqa.index.documents.linehyphens.vocabulary`), counted
    the first time a heading needs them: most headings are one line."""

    def __init__(self, texts: Sequence[str]) -> None:
        self._texts = texts
        self._words: Counter[str] | None = None

    def __call__(self) -> Counter[str]:
        if self._words is None:
            self._words = vocabulary(letters(text) for text in self._texts)
        return self._words


def _read_whole(found: Sequence[Sequence[PageHeading]], pages: Sequence[Sequence[TypedLine]],
                words: _Vocabulary) -> list[list[PageHeading]]:
    """``found`` (each page's headings by type or in bold) with each heading wrapped over
    lines read as one line: a word hyphenated at a line end joined, or its hyphen kept, by
    the rule of the body's line ends (:func:`~ragqa.index.documents.linehyphens.joined_lines`:
    "ser-" / "vice public" is "service public"), the other lines joined by a space."""
    return [[replace(heading, text=joined_lines(
        [" ".join(pages[page][n].text.split()) for n in range(heading.first, heading.last + 1)],
        words())) if heading.last > heading.first else heading for heading in headings]
        for page, headings in enumerate(found)]


def _running(pages: Sequence[Sequence[TypedLine]]) -> list[set[int]]:
    """Each page's running lines (headers, footers, page numbers), by line number: the
    text leaves them out (:mod:`~ragqa.index.documents.pdftext`), and so do the bold
    headings' rules."""
    printed = [[n for n, line in enumerate(lines) if line.text.strip()] for lines in pages]
    edges = running_lines([[pages[p][n].text for n in kept] for p, kept in enumerate(printed)])
    return [set(kept[:found.top]) | set(kept[len(kept) - found.bottom:])
            for kept, found in zip(printed, edges)]


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
