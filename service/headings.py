"""Where a quote is shown from under its title and section, without repeating them.

A passage's text starts with its section's heading line ("Conditions à remplir" under the
section "Guide › Conditions à remplir"), or with the headings above it, or with the
document's title line: a card or a listing that names the title and the section above the
quote would show that line twice. A heading the document wraps over lines (a PDF's title
set large over two lines, a markdown heading hard-wrapped) while the title or the section
joins them is such a line too, its lines taken whole. :func:`shown_from` gives the offset, inside the quote,
after such lines; what is shown is ``quote[at:]``, the document's ``text[start + at:end]``,
so the offsets given with it stay exact. The quote itself (``text[start:end]``, the API's
contract) is never changed. The widget (``service/static/widget.js``, ``headingEnd``)
does the same in the browser.
"""

from __future__ import annotations

import re
import unicodedata

from ragqa.index.documents.outline import HEADING_PATH_SEPARATOR

# The characters the rule reads as spaces, and those it reads as nothing, spelt out: Python's
# ``str.split``/``strip`` and JavaScript's ``\s``/``trim`` disagree on some (U+FEFF is a
# space to JavaScript, U+001F to Python), and the widget must hide the same lines.
SPACES = "\t\n\x0b\x0c\r \xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# Control characters (a tab and line ends aside), a soft hyphen and the zero-width ones,
# U+FEFF (a byte order mark left at a text's start) among them: a reader sees none.
INVISIBLE = "\x00-\x08\x0e-\x1f\x7f-\x9f\xad\u200b-\u200f\u2060\ufeff"
_INVISIBLE = re.compile(f"[{INVISIBLE}]+")
_BLANK = re.compile(f"[{SPACES}{INVISIBLE}]*")  # (fullmatch)
_RUN_OF_SPACES = re.compile(f"[{SPACES}]+")
_MARKDOWN_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+")
_CLOSING_HASHES = re.compile(r"[ \t]+#+[ \t]*\Z")
_MARKUP = re.compile(r"[*_`]+")
_CLOSING_COLON = re.compile(f"[{SPACES}]*:\\Z")
_UNDERLINE = re.compile(r"^ {0,3}(?:=+|-{2,})[ \t]*\Z")  # a setext heading's
_EDGE_SPACES = re.compile(f"^[{SPACES}]+|[{SPACES}]+\\Z")
# Lines a heading may be wrapped over in a quote: a PDF's title in large type, a heading
# hard-wrapped in a markdown file, whose section (or title) joins its lines with a space.
MAX_WRAPPED_LINES = 4


def heading_key(line: str) -> str:
    """A heading line as a reader compares it: as written, an outline number kept ("2.
    Menus" is not "Menus": a reader sees the number, and every loader writes it in the
    section as in the line), without markdown's marks (``## ``, ``**``), a closing colon or
    what is invisible (control characters, U+FEFF), spaces and case aside (``upper`` then
    ``lower``: "Straße" is "STRASSE", as the widget's ``toUpperCase().toLowerCase()`` has
    it)."""
    line = unicodedata.normalize("NFC", _INVISIBLE.sub("", line))
    line = _MARKUP.sub("", _CLOSING_HASHES.sub("", _MARKDOWN_HEADING.sub("", line)))
    line = _CLOSING_COLON.sub("", _EDGE_SPACES.sub("", line))
    return _RUN_OF_SPACES.sub(" ", line).upper().lower()


def shown_from(quote: str, title: str, section: str, keep: int | None = None) -> int:
    """The offset in ``quote`` after its first lines (blank ones with them) when each only
    repeats ``title`` or a part of the heading path ``section`` (a setext heading's
    underline goes with its line); a heading wrapped over consecutive lines of the quote
    (up to :data:`MAX_WRAPPED_LINES`, none blank) while the section joins them ("Conditions
    d'accès au service" then "de restauration scolaire") is such a line, whole: never a
    part of a line. 0 when nothing else would be left, or when ``keep`` (an offset in the
    quote that must be shown: a marked sentence's start) lies before it."""
    names = {heading_key(name) for name in (title, *section.split(HEADING_PATH_SEPARATOR))}
    names.discard("")
    at = 0
    heading = False  # the line before was a heading left out
    while True:
        cut = quote.find("\n", at)
        line = quote[at:] if cut < 0 else quote[at:cut]
        if _BLANK.fullmatch(line) is not None or (heading and _UNDERLINE.match(line)):
            if cut < 0:
                return 0  # nothing but headings: the quote is shown whole
            heading = False
            at = cut + 1
            continue
        end = _heading_end(quote, at, names)
        if end is None:
            break
        if end == len(quote):
            return 0
        heading = True
        at = end + 1
    return 0 if keep is not None and keep < at else at


def _heading_end(quote: str, at: int, names: set[str]) -> int | None:
    """Where the longest run of lines from ``at`` (up to :data:`MAX_WRAPPED_LINES`, none
    blank) that says one of ``names`` whole ends (its last line's end), or None."""
    found = None
    start = at
    for _ in range(MAX_WRAPPED_LINES):
        cut = quote.find("\n", start)
        end = len(quote) if cut < 0 else cut
        if _BLANK.fullmatch(quote[start:end]) is not None:
            break
        if heading_key(quote[at:end]) in names:
            found = end
        if cut < 0:
            break
        start = cut + 1
    return found
