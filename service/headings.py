"""Where a quote is shown from under its title and section, without repeating them.

A passage's text starts with its section's heading line ("Conditions à remplir" under the
section "Guide › Conditions à remplir"), or with the headings above it, or with the
document's title line: a card or a listing that names the title and the section above the
quote would show that line twice. :func:`shown_from` gives the offset, inside the quote,
after such lines; what is shown is ``quote[at:]``, the document's ``text[start + at:end]``,
so the offsets given with it stay exact. The quote itself (``text[start:end]``, the API's
contract) is never changed. The widget (``service/static/widget.js``, ``headingEnd``)
does the same in the browser.
"""

from __future__ import annotations

import re
import unicodedata

from ragqa.index.documents.outline import HEADING_PATH_SEPARATOR

_MARKDOWN_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+")
_CLOSING_HASHES = re.compile(r"[ \t]+#+[ \t]*$")
_MARKUP = re.compile(r"[*_`]+")
_CLOSING_COLON = re.compile(r"\s*:$")
_UNDERLINE = re.compile(r"^ {0,3}(?:=+|-{2,})[ \t]*$")  # a setext heading's


def heading_key(line: str) -> str:
    """A heading line as a reader compares it: as written, an outline number kept ("2.
    Menus" is not "Menus": a reader sees the number, and every loader writes it in the
    section as in the line), without markdown's marks (``## ``, ``**``) or a closing colon,
    spaces and case aside."""
    line = unicodedata.normalize("NFC", line)
    line = _MARKUP.sub("", _CLOSING_HASHES.sub("", _MARKDOWN_HEADING.sub("", line))).strip()
    line = _CLOSING_COLON.sub("", line)
    return " ".join(line.split()).casefold()


def shown_from(quote: str, title: str, section: str, keep: int | None = None) -> int:
    """The offset in ``quote`` after its first lines (blank ones with them) when each only
    repeats ``title`` or a part of the heading path ``section`` (a setext heading's
    underline goes with its line); 0 when nothing else would be left, or when ``keep`` (an
    offset in the quote that must be shown: a marked sentence's start) lies before it."""
    names = {heading_key(name) for name in (title, *section.split(HEADING_PATH_SEPARATOR))}
    names.discard("")
    at = 0
    heading = False  # the line before was a heading left out
    while True:
        cut = quote.find("\n", at)
        line = quote[at:] if cut < 0 else quote[at:cut]
        underline = heading and _UNDERLINE.match(line) is not None
        if line.strip() and not underline and heading_key(line) not in names:
            break
        if cut < 0:
            return 0  # nothing but headings: the quote is shown whole
        heading = bool(line.strip()) and not underline
        at = cut + 1
    return 0 if keep is not None and keep < at else at
