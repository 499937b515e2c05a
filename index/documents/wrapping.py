"""Hard-wrapped lines: where a line break cuts a sentence rather than ends a block.

A soft line break in a Word paragraph, an e-mail wrapped at 72 columns, a justified PDF
line or a hard-wrapped HTML source line all cut sentences. :func:`unwrap` joins such lines
so that no passage, highlight or title is cut mid-sentence; :func:`goes_on` is its sure
case (the next line carries on the sentence), which the titles' preamble also uses.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# A line at least this long that ends without punctuation was wrapped, whatever follows.
WRAP_MIN_CHARS = 60
# On a page whose full line width is known (a PDF's), a line is wrapped, whatever follows,
# only when it reaches this share of that width: a heading or a table row of 60 characters
# or more stops short of the margin a paragraph's wrapped lines run to.
FULL_WIDTH_SHARE = 0.9
# A page set in columns wraps its lines shorter (35 to 50 characters a column): there a
# line of this length or more that reaches the share of the columns' width was wrapped.
COLUMN_MIN_CHARS = 30

# Words no heading, title or sentence ends with, as printed (lower case): a line ending
# with one is cut mid-phrase, as a title wrapped over two lines ("Plan de continuité
# d'activité de la" / "Direction régionale des finances"). "A" and "D" as printed
# ("Annexe A", "Vitamine D") are capitals, not these words. Left out: words that are also
# nouns or verbs a heading or a table row ends with ("Le pour et le contre", "Image et
# son", "Voix pour", "il entre"), English prepositions ("Who this guide is for", "Sign
# in"), and "a" (the French verb).
DANGLING_WORDS = frozenset({
    "de", "du", "des", "la", "le", "les", "un", "une", "et", "ou",
    "à", "au", "aux", "en", "par", "sur", "dans", "avec", "sans", "chez", "selon",
    "sa", "ses", "leurs", "notre", "nos", "votre", "vos", "cette", "ces", "dont",
    "the", "and", "an",
})
# A line of fewer words ending with one of them is a table's row ("Allemand de", "Anglais
# en": a language and its code), not a title's first line.
DANGLING_MIN_WORDS = 3
_LAST_WORD = re.compile(r"(?:^|[\s(])(\w+)$")
# How much of a joined line's end the rules read: its last characters and words decide, its
# length only up to WRAP_MIN_CHARS (a paragraph of thousands of lines is read in linear time).
_TAIL = 200

# A comma does not end a clause: "le budget,\nvalidé en mars" goes on.
_ENDS_CLAUSE = re.compile(r"[.!?…:;»\"”)\]]\s*$")
_ITEM_START = re.compile(r"^\s*(?:[-–—•·▪►*+>]|\(?\d{1,3}[.)]|[a-z][.)])\s")


def unwrap(lines: Sequence[str], full_width: int | None = None) -> list[str]:
    """``lines`` with hard-wrapped ones joined: a line that does not end a clause is joined
    to the next when the next starts in lower case (the sentence goes on) or when it is
    long enough to have been wrapped. List items and blank lines are never joined.

    ``full_width`` is the width, in characters, that the wrapped lines of a printed page
    reach (a PDF's; None where lines have no width, as in e-mails and Word paragraphs): a
    line is then long enough to have been wrapped only when it, itself, reaches
    :data:`FULL_WIDTH_SHARE` of it; 0 says no line of the page is known to be wrapped, and
    only a lower-case next line is joined. On such a page, a line ending with one of
    :data:`DANGLING_WORDS` (and :data:`DANGLING_MIN_WORDS` words at least) is joined to the
    next whatever its case: it is cut mid-phrase, as the first line of a title wrapped over
    two lines."""
    return [" ".join([lines[group[0]].rstrip(), *(lines[i].strip() for i in group[1:])])
            if len(group) > 1 else lines[group[0]] for group in unwrap_groups(lines, full_width)]


def unwrap_groups(lines: Sequence[str], full_width: int | None = None) -> list[list[int]]:
    """The indices of ``lines`` that :func:`unwrap` joins into each of its lines, in order."""
    groups: list[list[int]] = []
    joined = ""  # the end of the line joined so far: what the rules read of it
    for index, line in enumerate(lines):
        if groups and _continues(joined, line, lines[index - 1], full_width):
            groups[-1].append(index)
            joined = f"{joined.rstrip()} {line.strip()}"[-_TAIL:]
        else:
            groups.append([index])
            joined = line.rstrip()[-_TAIL:]
    return groups


def goes_on(previous: str, line: str) -> bool:
    """Whether ``line`` carries on the sentence of ``previous``: ``previous`` ends no
    clause and ``line`` (not a list item) starts in lower case."""
    head = line.lstrip()
    return _joinable(previous, line) and head[0].islower()


def _joinable(previous: str, line: str) -> bool:
    return bool(previous.strip() and line.strip() and not _ITEM_START.match(line)
                and not _ENDS_CLAUSE.search(previous))


def _continues(previous: str, line: str, last_line: str, full_width: int | None) -> bool:
    if goes_on(previous, line):
        return True
    if not _joinable(previous, line):
        return False
    if full_width is None:
        return len(previous.strip()) >= WRAP_MIN_CHARS
    last_word = _LAST_WORD.search(previous.rstrip())
    if (last_word and last_word.group(1) in DANGLING_WORDS
            and len(previous.split()) >= DANGLING_MIN_WORDS):
        return True
    length = len(last_line.strip())
    shortest = WRAP_MIN_CHARS if full_width >= WRAP_MIN_CHARS else COLUMN_MIN_CHARS
    return bool(full_width) and length >= max(shortest, FULL_WIDTH_SHARE * full_width)
