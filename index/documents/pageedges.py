"""A printed page's running lines: the page numbers, headers and footers its layout repeats.

A PDF's pages each start or end with lines the layout prints on every page ("Rapport
annuel 2024", "Page 3 sur 12", "- 4 -"). They carry no answer, and left in the text they
cut every paragraph that runs over a page break. :func:`running_lines` finds them, looking
only at the first and last :data:`EDGE_LINES` lines of each page:

* a page number: a number that grows with the page (its value less the page's index is
  the same on :data:`MIN_NUMBERED_PAGES` pages or more at the same edge; in a document of
  two pages, on both when the number says it is one: "Page 1 / 2", "- 1 -"), on a line
  with no other word than "page", "p.", "sur", "of", "de" ("12", "Page 3 / 12", "- 4 -",
  not "3)", a list's item), or after the word "page" on a line of
  :data:`MAX_FOOTER_WORDS` words at most ("Rapport annuel – page 3 / 12"). A number of
  :data:`YEARS` is a year, not a page number ("2024" heading each page of a timeline).
  Bare numbers topping pages count items, not pages, where nothing else shows the pages
  numbered (no "page 3", "- 3 -", no number at a page's bottom or above a running
  header) and every page they top starts afresh after them (a capital's line, the page
  before ending a sentence): articles or steps laid one a page; a page number at the top
  of running text, somewhere, tops a page that goes on from the page before;
* a header or a footer: a line found at the same edge (top or bottom) of at least
  :data:`MIN_RUNNING_PAGES` pages (both pages of a document of two) and half of the pages
  with text, its page number (as
  above) aside when the line also says "page" or sets the number apart with a dash, a bar
  or a slash ("Rapport annuel 2024 – 3"; "Article 3" on page 3 is no running line).

Running lines may be stacked at an edge deeper than its first two lines (a header, "Page 3"
and "Document interne" all printed at the top), down to :data:`MAX_STACKED_LINES` lines:
a short line ending no sentence, under running lines only. The first page's top lines are
kept in its text: that is where a document names itself (:attr:`RunningLines.kept_top`
says how many of them run on the other pages: those at the edge are no passage's, those
stacked under them no passage on their own, as a table's header row repeated on each page
is content where it first stands); so are all the lines of a first page of
:data:`COVER_LINES` lines or fewer (a cover whose title the footer repeats) but its page
number. A block of two lines or more at the bottom of the
pages, without a digit and ending with a person's name ("Le Directeur des ressources
humaines / Jean Dupont": the signature of mail-merged letters) is kept on every page. A
footer that
the text extraction glued to the end of the page's last line ("... composée d'un Les
Ulis - page 1 / 2", as pypdf reads a footer printed level with it) is cut from it when
the same footer stands as a line of its own on another page.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

__all__ = ["RunningLines", "running_lines"]

EDGE_LINES = 2
MAX_STACKED_LINES = 4  # running lines stacked at one edge, at most (see _stacked)
MIN_NUMBERED_PAGES = 3
COVER_LINES = 2
YEARS = range(1900, 2101)
MIN_RUNNING_PAGES = 3
MAX_FOOTER_WORDS = 16  # a longer line numbered after "page" is a line with a footer glued

_NUMBER = re.compile(r"(?<![\d.,])\d{1,4}(?![\d.,]?\d)")
_SETS_APART = re.compile(r"\bpage\b|\bp\.|[|/–—·•]|\s-\s")
_PAGE_NUMBER_SHAPE = re.compile(
    r"^(?:page|p\.?)?\s*(?:[-–—]?\s*#\s*[-–—]?|\(\s*#\s*\)|\[\s*#\s*\])"
    r"\s*(?:(?:/|sur|of|de)\s*\d{1,4})?$")
_NAME_WORD = re.compile(r"^(?:[A-ZÀ-Ý][\w'’.-]*|de|du|des|d'|d’|le|la|van|von)$")
_AFTER_PAGE_WORD = re.compile(r"\b(?:page|p\.)\s*#")
_WORD_START = re.compile(r"(?:^|(?<=\s))\S")


@dataclass(frozen=True)
class RunningLines:
    """A page's running lines: how many of its first and of its last lines are, and the
    last line left once a footer glued to it is cut (None: no footer was glued)."""

    top: int
    bottom: int
    last_line: str | None = None
    # the first page's top lines that run on the others, kept in its text (where a
    # document names itself) but no content of it; the first ``kept_edge`` of them at the
    # edge, the others stacked under them (a table's header row repeated on each page may
    # be one: content where it first stands)
    kept_top: int = 0
    kept_edge: int = 0


def running_lines(pages: Sequence[Sequence[str]]) -> list[RunningLines]:
    """The running lines of each of ``pages`` (each its non-blank lines; see the module's
    docstring)."""
    shift = _page_number_shift(pages)
    keys = [[_key(line, index, shift) for line in lines] for index, lines in enumerate(pages)]
    with_text = sum(1 for lines in pages if lines)
    needed = max(2, min(MIN_RUNNING_PAGES, with_text), (with_text + 1) // 2)
    tops = Counter(key for page in keys for key in set(page[:EDGE_LINES]))
    bottoms = Counter(key for page in keys for key in set(page[-EDGE_LINES:]))

    def running(key: str, seen: Counter[str]) -> bool:
        return _numbered(key) or seen[key] >= needed

    # A footer standing as a line of its own somewhere: where it ends a longer line, it
    # was glued to it.
    footers = {key for page in keys for key in page[-EDGE_LINES:] if _numbered(key)}
    edges: list[list[int]] = []  # each page's [top, bottom]
    for index, page in enumerate(keys):
        # the first page's top lines are counted as the others' (they show what runs) but
        # kept (below)
        top = 0
        while top < min(EDGE_LINES, len(page)) and running(page[top], tops):
            top += 1
        bottom = 0
        cover = index == 0 and len(page) <= COVER_LINES
        while (bottom < min(EDGE_LINES, len(page) - (top if index else 0))
               and (_numbered(page[len(page) - 1 - bottom])
                    or (not cover and running(page[len(page) - 1 - bottom], bottoms)))):
            bottom += 1
        edges.append([top, bottom])
    kept_edge = edges[0][0] if edges else 0
    _stacked(keys, edges, needed, at_top=True)
    kept_top = 0
    if edges:
        kept_top, edges[0][0] = edges[0][0], 0
    _stacked(keys, edges, needed, at_top=False)
    found: list[RunningLines] = []
    for index, (lines, page) in enumerate(zip(pages, keys)):
        top, bottom = edges[index]
        if bottom >= 2 and _signature(lines[len(lines) - bottom:]):
            bottom = 0
        last = lines[len(lines) - bottom - 1] if len(lines) - bottom > top else None
        cut = _without_glued_footer(last, index, shift, footers) if last else last
        found.append(RunningLines(top, bottom, cut if cut != last else None,
                                  kept_top if not index else 0, kept_edge if not index else 0))
    return _counts_kept(pages, keys, found)


def _stacked(keys: list[list[str]], edges: list[list[int]], needed: int, at_top: bool) -> None:
    """Running lines stacked deeper than :data:`EDGE_LINES` (a header, "Page 3" and a
    footer all printed at the top of each page): below the edge lines of the pages whose
    edge lines all run, the next line runs too where the same short line ending no
    sentence is there on ``needed`` of them (or is a page number), down to
    :data:`MAX_STACKED_LINES` lines. ``edges`` is updated in place."""
    side = 0 if at_top else 1
    for depth in range(EDGE_LINES, MAX_STACKED_LINES):
        # pages whose lines at this edge all ran so far, with a line left below them
        deeper = [index for index, page in enumerate(keys)
                  if edges[index][side] == depth and len(page) - sum(edges[index]) > 1]
        key_at = {index: keys[index][depth] if at_top else keys[index][-1 - depth]
                  for index in deeper}
        seen = Counter(key_at.values())
        grown = [index for index in deeper
                 if _numbered(key_at[index]) or (seen[key_at[index]] >= needed
                                                 and _chrome_shaped(key_at[index]))]
        if not grown:
            return
        for index in grown:
            edges[index][side] += 1


def _chrome_shaped(key: str) -> bool:
    """Whether a line found deeper than the edge lines can be a running line: a short one
    that ends no sentence ("Document interne – ne pas diffuser", not a body line the
    pages repeat, "Le présent document décrit ... du service.")."""
    return (len(key.split()) <= MAX_FOOTER_WORDS
            and not key.rstrip(")]»\"'’” ").endswith((".", "!", "?", ":", ";", ",")))


def _counts_kept(pages: Sequence[Sequence[str]], keys: list[list[str]],
                 found: list[RunningLines]) -> list[RunningLines]:
    """``found``, the bare numbers topping pages given back to the text when they count
    its items, not its pages: no other page number shows the pages are numbered (no
    "page 3", "- 3 -", "3 / 12", no number at the bottom of a page or above a running
    header), and every page they top starts afresh after them (its next line a capital's,
    the page before ending a sentence), as articles or steps laid one a page do; running
    text numbered at the top of its pages goes on over a page break somewhere."""
    counted = {index for index, (page, edges) in enumerate(zip(keys, found))
               if edges.top and page[edges.top - 1] == "#"}
    numbers = sum(_numbered(key) for page, edges in zip(keys, found)
                  for key in (*page[:edges.top], *page[len(page) - edges.bottom:]))
    if not counted or numbers > len(counted) or not all(
            _starts_afresh(pages, found, index) for index in counted):
        return found
    return [replace(edges, top=edges.top - 1) if index in counted else edges
            for index, edges in enumerate(found)]


def _starts_afresh(pages: Sequence[Sequence[str]], found: list[RunningLines],
                   index: int) -> bool:
    """Whether the text of page ``index``, past its running lines, starts a block: its
    first line a capital's, the last text of the pages before it the end of a sentence."""
    lines, edges = pages[index], found[index]
    if edges.top >= len(lines) - edges.bottom or not lines[edges.top].strip()[:1].isupper():
        return False
    for before in range(index - 1, -1, -1):
        last = _last_text(pages[before], found[before])
        if last is not None:
            return last.rstrip().rstrip(")]»\"'’”").endswith((".", "!", "?", "…"))
    return True


def _last_text(lines: Sequence[str], edges: RunningLines) -> str | None:
    """A page's last line past its running lines (its glued footer cut), None where none."""
    if len(lines) - edges.bottom <= edges.top:
        return None
    return edges.last_line if edges.last_line is not None else (
        lines[len(lines) - edges.bottom - 1])


def _signature(lines: Sequence[str]) -> bool:
    """Whether ``lines`` (a page's last ones) sign a letter: no digit, the last a name of
    two to four words ("Jean Dupont", "Marie de La Tour")."""
    words = lines[-1].split()
    return (not any(c.isdigit() for line in lines for c in line) and 2 <= len(words) <= 4
            and all(_NAME_WORD.match(word) for word in words)
            and sum(word[0].isupper() for word in words) >= 2)


def _numbered(key: str) -> bool:
    """Whether the line ``key`` is a page number ("# / 12", "page #"), or a short line
    with one after "page" ("rapport annuel – page # / 12")."""
    return "#" in key and bool(_PAGE_NUMBER_SHAPE.match(key) or (
        _AFTER_PAGE_WORD.search(key) and len(key.split()) <= MAX_FOOTER_WORDS))


def _without_glued_footer(line: str, index: int, shift: int | None,
                          footers: set[str]) -> str:
    """``line`` without a running footer (one of ``footers``, as keys) glued to its end."""
    # a footer has MAX_FOOTER_WORDS words at most: only the line's last ones are tried
    for match in list(_WORD_START.finditer(line))[1:][-MAX_FOOTER_WORDS:]:
        if _key(line[match.start():], index, shift) in footers:
            return line[:match.start()].rstrip()
    return line


def _page_number_shift(pages: Sequence[Sequence[str]]) -> int | None:
    """The value a page number has less its page's index: the one the numbers at the
    pages' edges agree on most, those after "page" or alone on their line counting
    double, when :data:`MIN_NUMBERED_PAGES` pages show it at the same edge (both pages of
    a document of two in a page number's shape other than a bare number, or a document of
    one page says "page 1"); else None. A number of :data:`YEARS` is no page number
    unless "page" precedes it."""
    weights: Counter[int] = Counter()
    support: Counter[tuple[bool, int]] = Counter()  # (at the bottom, shift): pages
    framed: Counter[int] = Counter()  # pages with "page N", "N / M", "- N -"
    says_page_one = False
    for index, lines in enumerate(pages):
        found: dict[int, int] = {}
        edges: set[tuple[bool, int]] = set()
        shaped: set[int] = set()
        for bottom, edge in ((False, lines[:EDGE_LINES]), (True, lines[-EDGE_LINES:])):
            for line in edge:
                key = " ".join(line.split()).casefold()
                for match in _NUMBER.finditer(key):
                    marked = f"{key[:match.start()]}#{key[match.end():]}"
                    after_page = bool(_AFTER_PAGE_WORD.search(marked))
                    if int(match.group()) in YEARS and not after_page:
                        continue
                    shape = bool(_PAGE_NUMBER_SHAPE.match(marked))
                    shift = int(match.group()) - index
                    found[shift] = max(found.get(shift, 0), 2 if shape or after_page else 1)
                    edges.add((bottom, shift))
                    if after_page or (shape and marked.strip() != "#"):
                        shaped.add(shift)
                    says_page_one |= shift == 1 and after_page
        weights.update(found)
        support.update(edges)
        framed.update(shaped)
    with_text = sum(1 for lines in pages if lines)
    candidates = [s for s in weights
                  if max(support[False, s], support[True, s]) >= MIN_NUMBERED_PAGES
                  or (with_text == 2 and framed[s] == 2)]
    if candidates:
        return max(candidates, key=lambda s: (weights[s], s == 1))
    return 1 if with_text == 1 and says_page_one else None


def _key(line: str, index: int, shift: int | None) -> str:
    """``line`` as compared across pages: case and spacing aside, its page number ``#``
    (the number after "page", else the one before "/ 12" or "sur 12", else the last)."""
    key = " ".join(line.split()).casefold()
    if shift is None:
        return key
    number = str(index + shift)
    found = [m for m in _NUMBER.finditer(key) if m.group() == number]
    if not found:
        return key
    chosen = next((m for m in found if re.search(r"(?:\bpage|\bp\.)\s*$", key[:m.start()])),
                  None) or next((m for m in found if re.match(
                      r"\s*(?:/|sur|of|de)\s*\d", key[m.end():])), None) or found[-1]
    marked = f"{key[:chosen.start()]}#{key[chosen.end():]}"
    if _SETS_APART.search(key) or _PAGE_NUMBER_SHAPE.match(marked):
        return marked
    return key
