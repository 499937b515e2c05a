"""A PDF's extracted text as a person reads it: the canonical text of a PDF.

pypdf gives each page's text as the lines the layout printed. Three things of the layout
are undone, page by page, so that BM25, the embedding model, highlights and quotes see
words and sentences:

* ligature glyphs (U+FB00–U+FB06, "ﬁ" in "ﬁnancement" as TeX and InDesign write it) are
  the letters they stand for (their NFKC form), and soft hyphens (U+00AD, invisible) go.
  BM25's analyzer (``casefold``) and the model's tokenizer (NFKC) already read "ﬁ" as
  "fi"; the glyph still reached the quotes people read and copy, and the LLM's prompt;
* a word hyphenated at a line end is joined when the next line starts in lower case:
  "préve-\\nnance" reads "prévenance"; its hyphen is kept for a compound ("porte-parole",
  "c'est-à-\\ndire", "Moyen-\\nOrient"), by the rule of
  :mod:`~ragqa.index.documents.linehyphens`, which the document's headings follow too;
* hard-wrapped lines are joined into paragraphs (:func:`~ragqa.index.documents.wrapping.unwrap`,
  the rule of the other formats), so that a highlight is a sentence, not a line of it. A
  line of 60 characters or more is taken as wrapped before a capital only when it reaches
  near the page's full width (:func:`full_width`, from the lines that surely were wrapped):
  a heading, a title or a table row stops short of the margin. A line ending with a word
  no title or sentence ends with ("de", "la", "et": the wrapping rules' ``DANGLING_WORDS``)
  goes on to the next whatever its case: a title wrapped over two lines is read whole.

A page break is read as a line break: the running lines at page edges (page numbers,
headers, footers: :func:`~ragqa.index.documents.pageedges.running_lines`) are left out, a
word hyphenated at a page end is joined by the rule of line ends and read on the page it
starts on (the next page starts after it), and a paragraph that goes on over the break (by
the rule of :func:`~ragqa.index.documents.wrapping.unwrap`) is joined by a space; other
pages are set apart by a blank line, and an empty page adds nothing. The start offset of
each page is kept (an empty one's is the next page's): every offset refers to the text
returned here.

A page's heading lines (:mod:`~ragqa.index.documents.pdfheadings`: its outline's, else its
type's) are lines of their own: none is joined to the line before or after it, by a
line-end hyphen, by unwrapping or over a page break, and each is then found, as a whole
line on its page, in the text returned, which gives its offset.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from ragqa.index.documents.linehyphens import (
    ADDRESS_REACH,
    HYPHENS,
    LINE_END_HYPHEN,
    SOFT_HYPHEN,
    joined,
    vocabulary,
)
from ragqa.index.documents.pageedges import running_lines
from ragqa.index.documents.wrapping import COLUMN_MIN_CHARS, WRAP_MIN_CHARS, goes_on, unwrap

PAGE_SEPARATOR = "\n\n"
# Lines surely wrapped short that make a page one set in columns (see :func:`full_width`).
MIN_COLUMN_LINES = 4

# Their NFKC forms (checked by the tests), kept as a table: NFKC on the whole text would
# also change other characters (superscripts, fractions, full-width forms) people wrote.
LIGATURES = str.maketrans({"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi",
                           "\ufb04": "ffl", "\ufb05": "st", "\ufb06": "st"})
_LINE_BREAKS = re.compile(r"\r\n|[\r\v\f\x85\u2028\u2029]")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_BREAK_REACH = 2 * ADDRESS_REACH  # characters of a page's end read for a hyphenated word


@dataclass(frozen=True)
class PdfText:
    """A PDF's canonical text, the start offset of each of its pages in it and the start
    offset of each heading line :func:`pdf_text` was given (None: not in the text, e.g. a
    running line left out)."""

    text: str
    pages: tuple[int, ...]
    headings: tuple[int | None, ...] = ()
    # the first page's top lines that run on the other pages, kept in the text (see
    # :attr:`~ragqa.index.documents.pageedges.RunningLines.kept_top`): those at the edge,
    # and those stacked under them
    first_page_running: tuple[str, ...] = ()
    first_page_stacked: tuple[str, ...] = ()


def pdf_text(page_texts: Sequence[str],
             headings: Sequence[Sequence[str]] = ()) -> PdfText:
    """The canonical text of a PDF whose pages' extracted texts are ``page_texts``.

    ``headings`` holds each page's heading lines (:mod:`~ragqa.index.documents.pdfheadings`),
    in order, each a line of the page's text: they stay lines of their own, never joined to
    the lines around them (by unwrapping, a line-end hyphen or a page break), and their
    offsets in the text are returned in :attr:`PdfText.headings`, in the same order."""
    pages, first_page_running, first_page_stacked = _without_running_lines(
        [letters(page) for page in page_texts])
    words = vocabulary(pages)
    wanted = [[letters(line) for line in page] for page in headings]
    wanted += [[] for _ in range(len(pages) - len(wanted))]
    shaped = [_shaped(page, frozenset(lines), words) for page, lines in zip(pages, wanted)]
    # The text is built as a list of parts, the last non-empty page's text last: a page
    # break only changes that page's end (rebuilding the whole text at each break was
    # quadratic in a paragraph running over hundreds of pages).
    parts: list[str] = []
    length = 0
    starts: list[int] = []
    last_line, last_width, last_fixed = "", 0, False
    for page_shape in shaped:
        page = page_shape.text
        if page and parts:
            if last_fixed or page_shape.first_fixed:  # a heading: no join over the break
                before, separator = parts[-1], PAGE_SEPARATOR
            else:
                before, page, separator = _over_the_break(parts[-1], page, last_line,
                                                          last_width, words)
            length += len(before) - len(parts[-1]) + len(separator)
            parts[-1] = before
            if page:  # it is empty once a hyphenated word took its only line
                parts.append(separator)
        starts.append(length)
        if page:
            parts.append(page)
            length += len(page)
            last_line, last_width = page_shape.last_line, page_shape.width
            last_fixed = page_shape.last_fixed
    text = "".join(parts)
    # An empty page starts where the next page's text does (a passage is on the last page
    # starting at or before it), not on the separator before it.
    for index in range(len(starts) - 2, -1, -1):
        if not shaped[index].text:
            starts[index] = starts[index + 1]
    return PdfText(text, tuple(starts), _heading_starts(text, starts, wanted),
                   first_page_running, first_page_stacked)


@dataclass(frozen=True)
class _Shaped:
    """A page's text once shaped, with what a page break needs to know of its edges."""

    width: int  # its :func:`full_width`
    text: str
    last_line: str  # its last line as printed
    first_fixed: bool  # whether its first line is a heading
    last_fixed: bool  # ... and its last


def _shaped(page: str, fixed: frozenset[str], words: Counter[str]) -> _Shaped:
    """``page`` with line-end hyphens joined and wrapped lines unwrapped, but for its
    ``fixed`` lines (headings), which stay lines of their own."""
    raw = page.split("\n")
    width = full_width(raw)
    printed: list[str] = []
    out: list[str] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            lines = LINE_END_HYPHEN.sub(lambda match: joined(match, words),
                                         "\n".join(run)).split("\n")
            printed.extend(lines)
            out.extend(unwrap(lines, width))
            run.clear()

    first_fixed = last_fixed = False
    for line in raw:
        if fixed and line.strip() in fixed:
            flush()
            printed.append(line.strip())
            out.append(line.strip())
            first_fixed = first_fixed or not any(part.strip() for part in out[:-1])
            last_fixed = True
        else:
            run.append(line)
            last_fixed = last_fixed and not line.strip()
    flush()
    return _Shaped(width, "\n".join(out).strip(), printed[-1].strip() if printed else "",
                   first_fixed, last_fixed)


def _heading_starts(text: str, starts: Sequence[int],
                    wanted: Sequence[Sequence[str]]) -> tuple[int | None, ...]:
    """Where each of ``wanted`` (each page's heading lines, in order) is a line of
    ``text`` on its page (None where it is not)."""
    found: list[int | None] = []
    for index, lines in enumerate(wanted):
        if index >= len(starts):
            found.extend(None for _ in lines)
            continue
        cursor = starts[index]
        end = starts[index + 1] if index + 1 < len(starts) else len(text)
        for line in lines:
            at = _line_at(text, line, cursor, end) if line else None
            found.append(at)
            if at is not None:
                cursor = at + len(line)
    return tuple(found)


def _line_at(text: str, line: str, start: int, end: int) -> int | None:
    at = text.find(line, start, end + len(line))
    while at >= 0 and at < end:
        if (at == 0 or text[at - 1] == "\n") and text[at + len(line):at + len(line) + 1] in (
                "", "\n"):
            return at
        at = text.find(line, at + 1, end + len(line))
    return None


def _without_running_lines(pages: list[str]
                           ) -> tuple[list[str], tuple[str, ...], tuple[str, ...]]:
    """``pages`` without their running lines (page numbers, headers, footers:
    :func:`~ragqa.index.documents.pageedges.running_lines`), their blank lines kept; and the
    first page's top lines that run on the others, kept in its text: at the edge, and
    stacked under them."""
    lines = [page.split("\n") for page in pages]
    printed = [[i for i, line in enumerate(page) if line.strip()] for page in lines]
    found = running_lines([[page[i] for i in kept] for page, kept in zip(lines, printed)])
    top = [lines[0][i] for i in printed[0][:found[0].kept_top]] if found else []
    edge = found[0].kept_edge if found else 0
    first, stacked = tuple(top[:edge]), tuple(top[edge:])
    out = []
    for page, page_lines, kept, edges in zip(pages, lines, printed, found):
        if edges.top or edges.bottom or edges.last_line is not None:
            body = kept[edges.top:len(kept) - edges.bottom]
            if edges.last_line is not None:
                page_lines[body[-1]] = edges.last_line
            page = "\n".join(page_lines[body[0]:body[-1] + 1]) if body else ""
        out.append(page)
    return out, first, stacked


def _over_the_break(text: str, page: str, last_line: str, width: int,
                    words: Counter[str]) -> tuple[str, str, str]:
    """``text`` (the last non-empty page so far), the next non-empty ``page`` and the
    separator between them, read over the page break as a line break: a word hyphenated
    at the page end is joined (or its hyphen kept) by the rule of line ends and ends the
    page it starts on, the next line's rest (punctuation included) going with it; a
    paragraph that goes on is joined by a space, as the wrap rules join it within a page
    (``last_line``: the page's last line as printed, ``width``: its :func:`full_width`);
    else the pages are set apart by :data:`PAGE_SEPARATOR`."""
    # Only the end of the last line is looked at: the hyphenated word and the address it
    # may be in (a paragraph over many pages is one long line).
    tail_start = text.rfind("\n") + 1
    if len(text) - tail_start > _BREAK_REACH:
        space = text.find(" ", len(text) - _BREAK_REACH)
        tail_start = space + 1 if space >= 0 else len(text)
    tail = text[tail_start:]
    head, _, rest = page.partition("\n")
    probe = f"{tail}\n{head}"
    match = next((m for m in LINE_END_HYPHEN.finditer(probe)
                  if m.start() <= len(tail) < m.end()), None)
    if match:
        moved = probe[match.end():].split(" ", 1)
        last_line = joined(match, words) + moved[0]
        text = text[:tail_start] + probe[:match.start()] + last_line
        head = moved[1].lstrip() if len(moved) > 1 else ""
        if head:
            return text, head + ("\n" + rest if rest else ""), " "
        page, (head, _, rest) = rest, rest.partition("\n")
        if not page:
            return text, page, ""
    if len(unwrap([last_line, head], width)) == 1:
        return text, page, " "
    return text, page, PAGE_SEPARATOR


def full_width(lines: Sequence[str]) -> int:
    """The width, in characters, of a page's full lines: the median length of the lines
    that surely were wrapped (one that ends no clause before a lower-case line, or a word
    hyphenated at its end) and are long enough to be (:data:`WRAP_MIN_CHARS`); 0 where
    the page has none.

    A page set in columns (a newsletter's, a brochure's) wraps its lines at 35 to 50
    characters: where :data:`MIN_COLUMN_LINES` lines at least surely were wrapped at
    :data:`~ragqa.index.documents.wrapping.COLUMN_MIN_CHARS` or more, fewer of them of
    :data:`WRAP_MIN_CHARS`, and they are half the page's lines of that length at least,
    their median is the width (a few wrapped cells of a table, or a list of contacts above a
    short paragraph, make no column)."""
    wrapped = sorted(
        len(line.strip()) for line, following in zip(lines, lines[1:])
        if len(line.strip()) >= COLUMN_MIN_CHARS and following.strip()
        and (goes_on(line, following)
             or (line[-1] in HYPHENS and following.lstrip()[0].isalpha())))
    wide = [length for length in wrapped if length >= WRAP_MIN_CHARS]
    if wide and len(wide) * 2 >= len(wrapped):
        return wide[len(wide) // 2]
    long_enough = sum(1 for line in lines if len(line.strip()) >= COLUMN_MIN_CHARS)
    if len(wrapped) < MIN_COLUMN_LINES or len(wrapped) * 2 < long_enough:
        return 0  # a list of lines as long beside one short paragraph is no column
    return wrapped[len(wrapped) // 2]


def letters(page: str) -> str:
    """``page`` with ligatures as letters, soft hyphens gone, its line breaks ``\\n``,
    control characters removed and lines right-stripped."""
    text = _LINE_BREAKS.sub("\n", page.replace("\ufeff", "")).translate(LIGATURES)
    text = text.replace(SOFT_HYPHEN + "\n", "").replace(SOFT_HYPHEN, "")
    return "\n".join(line.rstrip() for line in _CONTROL.sub("", text).split("\n")).strip()
