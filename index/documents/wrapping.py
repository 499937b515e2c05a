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

# A comma does not end a clause: "le budget,\nvalidé en mars" goes on.
_ENDS_CLAUSE = re.compile(r"[.!?…:;»\"”)\]]\s*$")
_ITEM_START = re.compile(r"^\s*(?:[-–—•·▪►*+>]|\(?\d{1,3}[.)]|[a-z][.)])\s")


def unwrap(lines: Sequence[str]) -> list[str]:
    """``lines`` with hard-wrapped ones joined: a line that does not end a clause is joined
    to the next when the next starts in lower case (the sentence goes on) or when it is
    long enough to have been wrapped. List items and blank lines are never joined."""
    out: list[str] = []
    for line in lines:
        if out and _continues(out[-1], line):
            out[-1] = f"{out[-1].rstrip()} {line.strip()}"
        else:
            out.append(line)
    return out


def goes_on(previous: str, line: str) -> bool:
    """Whether ``line`` carries on the sentence of ``previous``: ``previous`` ends no
    clause and ``line`` (not a list item) starts in lower case."""
    head = line.lstrip()
    return _joinable(previous, line) and head[0].islower()


def _joinable(previous: str, line: str) -> bool:
    return bool(previous.strip() and line.strip() and not _ITEM_START.match(line)
                and not _ENDS_CLAUSE.search(previous))


def _continues(previous: str, line: str) -> bool:
    return goes_on(previous, line) or (_joinable(previous, line)
                                       and len(previous.strip()) >= WRAP_MIN_CHARS)
