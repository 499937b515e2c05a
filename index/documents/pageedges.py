"""A printed page's running lines: the page numbers, headers and footers its layout repeats.

A PDF's pages each start or end with lines the layout prints on every page ("Rapport
annuel 2024", "Page 3 sur 12", "- 4 -"). They carry no answer, and left in the text they
cut every paragraph that runs over a page break. :func:`running_lines` finds them, looking
only at the first and last :data:`EDGE_LINES` lines of each page:

* a page number: a number that grows with the page (its value less the page's index is
  the same on :data:`MIN_NUMBERED_PAGES` pages or more), on a line with no other word
  than "page", "p.", "sur", "of", "de" ("12", "Page 3 / 12", "- 4 -");
* a header or a footer: a line found at the same edge (top or bottom) of at least
  :data:`MIN_RUNNING_PAGES` pages and half of the pages with text, its page number (as
  above) aside when the line also says "page" or sets the number apart with a dash, a bar
  or a slash ("Rapport annuel 2024 – page 3"; "Article 3" on page 3 is no running
  line). The first page's top lines are kept: that is where a document names itself.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

EDGE_LINES = 2
MIN_NUMBERED_PAGES = 2
MIN_RUNNING_PAGES = 3

_NUMBER = re.compile(r"(?<![\d.,])\d{1,4}(?![\d.,]\d)")
_SETS_APART = re.compile(r"\bpage\b|\bp\.|[|/–—·•]|\s-\s")
_PAGE_NUMBER_SHAPE = re.compile(
    r"^(?:page|p\.?)?\s*[-–—(\[]?\s*#\s*[-–—)\]]?\s*(?:(?:/|sur|of|de)\s*\d{1,4})?$",
    re.IGNORECASE)


def running_lines(pages: Sequence[Sequence[str]]) -> list[tuple[int, int]]:
    """For each page (its non-blank lines), how many of its first and of its last lines are
    running lines (page numbers, headers, footers: see the module's docstring)."""
    shift = _page_number_shift(pages)
    keys = [[_key(line, index, shift) for line in lines] for index, lines in enumerate(pages)]
    with_text = sum(1 for lines in pages if lines)
    needed = max(MIN_RUNNING_PAGES, (with_text + 1) // 2)
    tops = Counter(key for page in keys for key in set(page[:EDGE_LINES]))
    bottoms = Counter(key for page in keys for key in set(page[-EDGE_LINES:]))

    def running(key: str, seen: Counter[str]) -> bool:
        return bool(_PAGE_NUMBER_SHAPE.match(key) and "#" in key) or seen[key] >= needed

    edges = []
    for index, page in enumerate(keys):
        top = 0
        if index:
            while top < min(EDGE_LINES, len(page)) and running(page[top], tops):
                top += 1
        bottom = 0
        while (bottom < min(EDGE_LINES, len(page) - top)
               and running(page[len(page) - 1 - bottom], bottoms)):
            bottom += 1
        edges.append((top, bottom))
    return edges


def _page_number_shift(pages: Sequence[Sequence[str]]) -> int | None:
    """The value a page number has less its page's index, when page numbers are printed
    on :data:`MIN_NUMBERED_PAGES` pages or more; else None."""
    shifts: Counter[int] = Counter()
    for index, lines in enumerate(pages):
        edge = list(lines[:EDGE_LINES]) + list(lines[-EDGE_LINES:])
        shifts.update({int(n) - index for line in edge for n in _NUMBER.findall(line)})
    if not shifts:
        return None
    shift, count = shifts.most_common(1)[0]
    return shift if count >= MIN_NUMBERED_PAGES else None


def _key(line: str, index: int, shift: int | None) -> str:
    """``line`` as compared across pages: case and spacing aside, its page number ``#``."""
    key = " ".join(line.split()).casefold()
    if shift is not None:
        number = str(index + shift)
        found = [m for m in _NUMBER.finditer(key) if m.group() == number]
        if found and (_SETS_APART.search(key) or _PAGE_NUMBER_SHAPE.match(
                f"{key[:found[-1].start()]}#{key[found[-1].end():]}")):
            key = f"{key[:found[-1].start()]}#{key[found[-1].end():]}"
    return key
