"""Splitting a document into sections along its structure.

Three kinds of section starts are recognised in any text document:

* markdown ATX headings (``## Title``), outside fenced code blocks;
* underlined headings (markdown's setext, and plain text's habit): a line of words followed
  by a line of three or more ``=`` or ``-`` alone (``---`` after a blank line is a rule);
  a heading wrapped over up to three lines above its underline is read whole, as markdown
  reads it (the section's title joins its lines, the text keeps them);
* dated entries as written by live blogs, e.g. `` 18-04 à 17:52 Title`` or
  ``2025-04-18 17:52 Title``: a line that *starts* with a date and a time of day.

Text before the first section start belongs to a section titled with the document title.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(?P<title>.+?)[ \t]*#*[ \t]*$")
_DATE = r"(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[-/.]\d{1,2}(?:[-/.]\d{2,4})?)"
_TIME = r"\d{1,2}[:h]\d{2}"
_SP = r"[^\S\n]"  # any whitespace but a newline: live blogs use non-breaking spaces
_DATED_ENTRY = re.compile(
    rf"^{_SP}*(?P<title>{_DATE}(?:{_SP}|,)+(?:(?:à|a|at|-|–){_SP}+)?{_TIME}\b{_SP}*\S.*?){_SP}*$"
)
_STAMP = re.compile(rf"^{_SP}*{_DATE}(?:{_SP}|,)+(?:(?:à|a|at|-|–){_SP}+)?{_TIME}\b{_SP}*")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_UNDERLINE = re.compile(r"^ {0,3}(?:={3,}|-{3,})[ \t]*$")
# A list item or a table row (``| a | b |``, ``+---+``) is no heading, underlined or not.
_NOT_A_HEADING = re.compile(r"^\s*(?:[-*+]\s|\d+[.)]\s|[|+])")
_LETTER = re.compile(r"[^\W\d_]")
_MAX_UNDERLINED = 120  # characters: a heading, not a paragraph that runs into a rule
_MAX_WRAPPED = 3  # lines an underlined heading may be wrapped over
_SENTENCE_END = re.compile(r"[.!?;]\W*$")
# A YAML front matter block opening a document (Jekyll, Hugo, MkDocs, Obsidian): ``---``,
# key lines, ``---`` or ``...``. Metadata, not a section's text: no heading is read in it.
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(?:.*\n){0,60}?(?:---|\.\.\.)[ \t]*(?:\n|\Z)")
_KEY_LINE = re.compile(r"^[A-Za-z_][\w-]*[ \t]*:", re.M)


def front_matter_end(text: str) -> int:
    """Where a front matter block opening ``text`` ends (0: none). It must hold a ``key:``
    line: a rule, a heading and another rule open many a plain document."""
    block = _FRONT_MATTER.match(text)
    return block.end() if block and _KEY_LINE.search(block.group(0)) else 0
_MARKUP = re.compile(r"[*_`]+")


@dataclass(frozen=True)
class Section:
    """A span ``[start, end)`` of a document's canonical text, with its title."""

    title: str
    start: int
    end: int


def is_dated_entry(line: str) -> bool:
    """Whether ``line`` opens a live-blog entry (a date and a time of day, then a title)."""
    return bool(_DATED_ENTRY.match(line))


def heading_title(line: str) -> str | None:
    """The section title if ``line`` starts a section, else ``None``."""
    match = _HEADING.match(line) or _DATED_ENTRY.match(line)
    if not match:
        return None
    title = " ".join(_MARKUP.sub("", match.group("title")).split())
    return title or None


def entry_headline(line: str) -> str:
    """``line`` without the date and time a live blog's entry opens with (`` 14-04 à 15:00
    L'UM6P formera …``: what the entry says, not when); ``line`` as it is otherwise."""
    stamp = _STAMP.match(line)
    return line[stamp.end():] if stamp else line


def is_markdown_heading(line: str) -> bool:
    """Whether ``line`` is a markdown ATX heading (``## Title``)."""
    return _HEADING.match(line) is not None


def _level(line: str) -> int:
    """A section start's level: a markdown heading's ``#`` count; a dated entry is none's
    parent (7)."""
    marked = line.lstrip(" ")
    return len(marked) - len(marked.lstrip("#")) if _HEADING.match(line) else 7


def _underlined(lines: list[tuple[int, str]]) -> tuple[int, str] | None:
    """The start and title of the heading an underline closes, from the ``lines`` above it
    (``(offset, words)``, since a blank line), or None: a heading wrapped over them, as
    markdown reads it ("Conditions d'accès au service" / "de restauration scolaire" /
    "---"), when they are :data:`_MAX_WRAPPED` at most, :data:`_MAX_UNDERLINED` characters
    together and none but the last ends a sentence; else the last line alone (a paragraph
    that runs into a rule names its section by its last line, as before). A heading has a
    letter: figures above a rule head nothing."""
    title = " ".join(words for _, words in lines)
    if (len(lines) <= _MAX_WRAPPED and len(title) <= _MAX_UNDERLINED
            and not any(_SENTENCE_END.search(words) for _, words in lines[:-1])):
        heading = lines[0][0], title
    else:
        heading = lines[-1]
    return heading if _LETTER.search(heading[1]) else None


def split_sections(text: str, doc_title: str, nest: bool = True) -> list[Section]:
    """Cut ``text`` into consecutive sections covering it entirely, in order (``nest``
    false: one a heading, a heading right above a deeper one included)."""
    starts: list[tuple[int, str]] = []
    levels: list[int] = []
    in_fence = False
    # The lines right above, since a blank one, that could be underlined: (offset, words).
    previous: list[tuple[int, str]] = []
    offset = front_matter_end(text)
    for line in text[offset:].split("\n"):
        if _FENCE.match(line):
            in_fence = not in_fence
            previous = []
        elif not in_fence:
            title = heading_title(line)
            if title is not None:
                starts.append((offset, title))
                levels.append(_level(line))
                previous = []
            elif _UNDERLINE.match(line):  # a heading's underline, else a rule
                heading = _underlined(previous) if previous else None
                if heading is not None:
                    starts.append(heading)
                    levels.append(1 if line.strip().startswith("=") else 2)
                previous = []
            else:
                words = " ".join(_MARKUP.sub("", line).split())
                previous = ([*previous, (offset, words)] if words
                            and len(words) <= _MAX_UNDERLINED
                            and not _NOT_A_HEADING.match(line) else [])
        offset += len(line) + 1
    # A heading right above a deeper one ("## Messagerie" / "### Boîte pleine") heads no
    # section of its own, a passage of its line alone: it opens its first sub-section's.
    # (Not a level-1 heading: the document's title, which makes no passage.)
    for i in range(len(starts) - 2, -1, -1) if nest else ():
        (start, _), (below, title) = starts[i], starts[i + 1]
        line_end = text.find("\n", start)
        if (1 < levels[i] < levels[i + 1] and line_end >= 0
                and not text[line_end:below].strip()):
            starts[i], levels[i] = (start, title), levels[i + 1]
            del starts[i + 1], levels[i + 1]
    sections: list[Section] = []
    if starts and not text[: starts[0][0]].strip():
        starts[0] = (0, starts[0][1])  # only blank lines before the first heading
    if not starts or starts[0][0] > 0:
        first_end = starts[0][0] if starts else len(text)
        sections.append(Section(doc_title, 0, first_end))
    for i, (start, title) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else len(text)
        sections.append(Section(title, start, end))
    return sections
