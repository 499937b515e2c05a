"""Headings of a plain text file, found as a reader finds them: no markup says which lines
head what, the lines themselves do.

A ``.txt`` file is often a Word document saved as text, a rule typed in a text editor, or
notes: its headings are lines of their own, numbered ("1. Objet", "2.3 Délais", "IV.
Budget"), named as divisions ("Article 3 : Durée", "CHAPITRE II"), in capitals
("CONDITIONS GÉNÉRALES") or bare ("Qui est concerné ?" above its text). Markdown's ``#``
headings, underlined headings and live-blog entries (:mod:`ragqa.index.documents.sections`)
say it outright; a file that uses none of them had one section, whatever its length.

Each paragraph of such a file (its blank-line separated blocks, hard-wrapped lines joined by
:func:`~ragqa.index.documents.wrapping.unwrap`) is judged by the rules of headings set by
hand (:mod:`ragqa.index.documents.handheadings`), its *shape* standing for bold: a short
line, no sentence, no "label : value", with text under it; three or more such lines in a
row are a block (an address, a signature), a document mostly of such lines has none. The
shapes rank the headings' levels (largest first): a "Titre", "Partie" or "Livre" division,
a "Chapitre", a "Section", a line in capitals, a roman number ("II."), any other division
("Article 3", "Annexe 1"), then numbers by their depth ("1." over "1.2" over "1.2.3"), a
letter ("a)"), and last the bare lines.

A bare line is the weakest sign and is read only where the document has at least
:data:`MIN_BARE_OUTLINE` headings in all: a lone short line over a paragraph is more often a
dateline, a byline or a salutation than an outline. A bare line is also no heading when it
holds a date or opens as a byline or a letter's salutation, and numbered lines next to
each other at the same depth ("1. Pièce d'identité" / "2. Justificatif de domicile") are a
list. The first paragraph is the document's title (:mod:`ragqa.index.documents.titles`),
never a section of its own. The text itself is not changed: every offset stays the file's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ragqa.index.documents.handheadings import (MAX_CHARS, MAX_WORDS, HandOutline, Look,
                                                    is_candidate, is_division)
from ragqa.index.documents.layout import one_line
from ragqa.index.documents.outline import Heading, OutlinedDocument
from ragqa.index.documents.reading import Document, load_text_document
from ragqa.index.documents.recurrence import MONTHS
from ragqa.index.documents.sections import split_sections
from ragqa.index.documents.wrapping import DANGLING_WORDS, unwrap_groups

PLAIN_TEXT_SUFFIXES = frozenset({".txt"})
# Headings a document needs for its bare lines to be read as headings at all.
MIN_BARE_OUTLINE = 2

_NUMBERED = re.compile(
    r"^(?P<number>\d{1,2}(?:\.\d{1,2}){1,4}\.?|\d{1,2}[.)]|\d{1,2}\s*[-–—]|"
    r"(?P<roman>[IVXLC]{1,6})[.)]|(?P<letter>[A-Ha-h])[.)])\s+(?P<rest>[^\W\d_].*)$")
_DIVISION_ALONE = re.compile(
    r"^(?P<word>article|chapitre|titre|section|sous-section|partie|annexe|livre)\s+"
    r"(?:\d{1,3}(?:[.-]\d{1,3})*|[IVXLC]{1,6}|premier|premi[èe]re|unique)(?:er|e|ème|re)?\.?$",
    re.IGNORECASE)
_DIVISION_WORD = re.compile(r"^(?P<word>[^\W\d_][\w-]*)", re.UNICODE)
_ITEM = re.compile(r"^\s*[-–—•·▪►*+>o]\s")
_TEXT_ENDS = (".", "!", "?", "…", ":", ";", "»", '"')
_SENTENCE_ENDS = (".", "!", "?", "…", ".»", '."', ".)")
_ROW = re.compile(r"\t|\|")  # a table's row (Word writes its cells apart with tabs)
_DATE = re.compile(
    rf"\b\d{{1,2}}(?:er)?\s+(?:{'|'.join(MONTHS)})\s+\d{{4}}\b|\b\d{{1,2}}[/.]\d{{1,2}}[/.]\d{{2,4}}\b"
    r"|\b\d{4}-\d{2}-\d{2}\b", re.IGNORECASE)
_NOT_BARE = re.compile(
    r"^(?:par|by|madame|monsieur|mesdames|messieurs|cher|chère|chers|bonjour|bonsoir|"
    r"cordialement|salutations|bien à vous|signé|fait à|p\.\s?j\.|pj)\b", re.IGNORECASE)

# Sizes standing for each shape (HandOutline ranks headings by size, largest first).
_DIVISION_SIZES = {"titre": 30.0, "partie": 30.0, "livre": 30.0, "chapitre": 29.0,
                   "section": 28.0, "sous-section": 27.5}
_CAPITALS = 27.0
_ROMAN = 26.0
_DIVISION = 25.0  # "Article", "Annexe", "Clause"...
_LETTER = 17.0
_BARE = 10.0
_SHAPED = Look(bold=True)  # what a short line of its own is to the hand-heading rules
# A block whose longest line is longer than this was not wrapped by hand: each of its lines
# is a paragraph (a Word document saved as text writes one line a paragraph).
WRAPPED_WIDTH = 100


@dataclass(frozen=True)
class _Paragraph:
    start: int  # offset of its first character in the text
    text: str  # its lines joined (hard wrapping undone), one line
    first_line: str  # its first line as written (the heading line when it is one)
    item: bool  # a bulleted list item or a table's row: body, never a heading
    # It may be a bare heading: no piece of a paragraph (see :func:`_paragraphs`).
    opens: bool


def load_plain_text_document(path: Path, doc_id: str) -> Document:
    """A ``.txt`` file as :func:`~ragqa.index.documents.reading.load_text_document` reads it,
    with the headings its lines make (:func:`plain_headings`) when it uses no markdown,
    underlined or live-blog headings."""
    doc = load_text_document(path, doc_id)
    if len(split_sections(doc.text, doc.title)) > 1:
        return doc
    # (a line that repeats the title, under a site's rubric above it, heads no section: the
    # text before the first heading is the title's own)
    headings = tuple(h for h in plain_headings(doc.text) if h.path != (doc.title,))
    if not headings:
        return doc
    return OutlinedDocument(doc_id=doc.doc_id, text=doc.text, title=doc.title,
                            content_hash=doc.content_hash, title_source=doc.title_source,
                            headings=headings)


def plain_headings(text: str) -> tuple[Heading, ...]:
    """The headings of a plain ``text`` (see the module), each at the offset of its line."""
    paragraphs = _paragraphs(text)
    shapes = [_shape(p) if i else None for i, p in enumerate(paragraphs)]  # (the title: none)
    found = _with_text(paragraphs, _levels(paragraphs, shapes, bare=True))
    if len(found) < MIN_BARE_OUTLINE and any(shapes[i][0] == _BARE for i in found):
        found = _with_text(paragraphs, _levels(paragraphs, shapes, bare=False))
    headings: list[Heading] = []
    path: list[tuple[int, str]] = []
    for i in sorted(found):
        line = paragraphs[i].first_line.strip()
        while path and path[-1][0] >= found[i]:
            path.pop()
        path.append((found[i], line))
        headings.append(Heading(paragraphs[i].start, tuple(name for _, name in path)))
    return tuple(headings)


def _paragraphs(text: str) -> list[_Paragraph]:
    """The blank-line separated blocks of ``text``, their hard-wrapped lines joined."""
    out: list[_Paragraph] = []
    for block in re.finditer(r"[^\n]*\S[^\n]*(?:\n[^\n]*\S[^\n]*)*", text):
        lines, offsets, at = [], [], block.start()
        for line in block.group().split("\n"):
            lines.append(line)
            offsets.append(at + len(line) - len(line.lstrip()))
            at += len(line) + 1
        wrapped = max(len(line.strip()) for line in lines) <= WRAPPED_WIDTH
        groups = unwrap_groups(lines) if wrapped else [[i] for i in range(len(lines))]
        previous = ""
        for n, group in enumerate(groups):
            first = lines[group[0]]
            joined = one_line(" ".join(lines[i] for i in group))
            following = lines[groups[n + 1][0]].strip() if n + 1 < len(groups) else ""
            # A bare line of a block wrapped by hand opens it: a line further down is a
            # piece of a paragraph the wrapping cut before a capital ("... de J. K." /
            # "Rowling"); nor does a bare line go on in lower case or in brackets.
            opens = (n == 0 if wrapped and len(lines) > 1 else _breaks_before(previous)) and not (
                following[:1].islower() or following.startswith(("(", "[", "{")))
            out.append(_Paragraph(offsets[group[0]], joined, first,
                                  bool(_ITEM.match(first) or _ROW.search(first.strip())), opens))
            previous = joined
    return out


def _breaks_before(previous: str) -> bool:
    """Whether a line after ``previous`` (the paragraph before it in its block, "" for none)
    starts afresh."""
    return (not previous or previous.endswith(_TEXT_ENDS)
            or len(previous.split()) <= MAX_WORDS)


def _number_depth(line: str) -> tuple[str, int] | None:
    """``(kind, depth)`` of a numbered line: "number" with its depth, "roman", "letter"."""
    found = _NUMBERED.match(line)
    if found is None:
        return None
    if found.group("roman"):
        return "roman", 1
    if found.group("letter"):
        return "letter", 1
    return "number", len(re.findall(r"\d+", found.group("number")))


def _division(line: str) -> str | None:
    """The division word of a line naming one ("Article 3 : Durée", "CHAPITRE II")."""
    if not (is_division(line) or _DIVISION_ALONE.match(line)):
        return None
    word = _DIVISION_WORD.match(line)
    return word.group("word").casefold() if word else None


def _capitals(line: str) -> bool:
    return line.isupper() and sum(c.isalpha() for c in line) >= 4


def _shape(paragraph: _Paragraph) -> tuple[float, bool] | None:
    """``(size, may be a bare heading)`` of a paragraph shaped as a heading on its own (a
    short line, no sentence: :func:`~ragqa.index.documents.handheadings.is_candidate`),
    else None."""
    line = paragraph.text
    if (paragraph.item or len(line) > MAX_CHARS or line.count(" ") >= MAX_WORDS
            or not is_candidate(line, _SHAPED)):
        return None
    return _size(line), paragraph.opens and _bare_may_head(line)


def _size(line: str) -> float:
    """The size standing for a line's shape (:data:`_BARE` for none)."""
    sizes = [_BARE]
    division = _division(line)
    if division is not None:
        sizes.append(_DIVISION_SIZES.get(division, _DIVISION))
    numbered = _number_depth(line)
    if numbered is not None:
        kind, depth = numbered
        sizes.append(_ROMAN if kind == "roman" else _LETTER if kind == "letter"
                     else 24.0 - 2 * min(depth, 5))
    if _capitals(line):
        sizes.append(_CAPITALS)
    return max(sizes)


def _bare_may_head(line: str) -> bool:
    last = line.rsplit(None, 1)[-1].casefold()
    return ((line[:1].isupper() or line[:1].isdigit()) and not _DATE.search(line)
            and not _NOT_BARE.match(line) and last not in DANGLING_WORDS
            and not line.endswith(("…", "...")))


def _levels(paragraphs: list[_Paragraph], shapes: list[tuple[float, bool] | None], *,
            bare: bool) -> dict[int, int]:
    """``{paragraph index: level}`` of the headings, bare lines read or not."""
    listed = _listed(paragraphs)
    outline = HandOutline()
    for i, (paragraph, shape) in enumerate(zip(paragraphs, shapes)):
        if paragraph.item or i in listed:
            outline.block([paragraph.text])
            continue
        shaped = shape is not None and (shape[0] > _BARE or (bare and shape[1]))
        outline.paragraph(paragraph.text,
                          Look(bold=shaped, size=shape[0] if shape else None))
    recorded = [i for i, p in enumerate(paragraphs) if not (p.item or i in listed)]
    return {recorded[n]: level for n, level in outline.levels().items()}


def _with_text(paragraphs: list[_Paragraph], found: dict[int, int]) -> dict[int, int]:
    """``found`` less the headings over no text: from a heading to the next one of its level
    or higher, no paragraph ends a sentence and no list runs two items. A page's footer in
    short lines ("Cette page vous a-t-elle été utile ?" / "Oui Non" / "Partager la page :
    Facebook Twitter") has the shape of an outline, not its text."""
    ends: dict[int, int] = {}
    open_: list[int] = []  # the headings whose extent is open, outermost first
    for i in sorted(found):
        while open_ and found[open_[-1]] >= found[i]:
            ends[open_.pop()] = i
        open_.append(i)
    ends.update((i, len(paragraphs)) for i in open_)
    kept: dict[int, int] = {}
    for i, end in ends.items():
        items = 0
        for j in range(i + 1, end):
            paragraph = paragraphs[j]
            if j in found:
                continue
            items += paragraph.item
            if items >= 2 or (not paragraph.item and paragraph.text.endswith(_SENTENCE_ENDS)):
                kept[i] = found[i]
                break
    return kept


def _listed(paragraphs: list[_Paragraph]) -> set[int]:
    """Numbered paragraphs next to one another at the same depth: a list's items."""
    shapes = [_number_depth(p.text) for p in paragraphs]
    listed: set[int] = set()
    for i in range(len(paragraphs) - 1):
        if shapes[i] is not None and shapes[i] == shapes[i + 1]:
            listed.update((i, i + 1))
    return listed
