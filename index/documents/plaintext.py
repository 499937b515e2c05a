"""Headings of a plain text file, found as a reader finds them: no markup says which lines
head what, the lines themselves do.

A ``.txt`` file is often a Word document saved as text, a rule typed in a text editor, or
notes: its headings are lines of their own, numbered ("1. Objet", "2.3 Délais", "IV.
Budget", "A. Contexte"), named as divisions ("Article 3 : Durée", "CHAPITRE II"), in
capitals ("CONDITIONS GÉNÉRALES") or bare ("Qui est concerné ?" above its text).
Markdown's ``#`` headings, underlined headings and live-blog entries
(:mod:`ragqa.index.documents.sections`) say it outright; a file that uses none of them had
one section, whatever its length.

The paragraphs of such a file are its blank-line separated blocks, hard-wrapped lines
joined by :func:`~ragqa.index.documents.wrapping.unwrap` (one line a paragraph where a
block's lines run past :data:`WRAPPED_WIDTH` characters, as Word saves them). A paragraph
is a heading only if it is shaped as one on its own (a short line, no sentence, no "label :
value": :func:`~ragqa.index.documents.handheadings.is_candidate`), and then:

* a *numbered* line or a *named division* says what it is: it is a heading, ranked by its
  shape (a "Titre", "Partie" or "Livre" over a "Chapitre", a "Section", a roman number, any
  other division, an upper-case letter, then numbers by their depth, "1." over "1.2", a
  lower-case letter last), as long as its numbering is an outline's: a number has a sibling
  or a parent heading ("1.1" under "1."), a roman number or a letter the one before or
  after it ("C. Martin" signing a mail, "A. Durand" alone, are initials), and a run of
  numbers whose items mostly follow one another ("1. Pièce d'identité" / "2.
  Justificatif") or end as statements (steps written as sentences) is a list
  (:func:`_listed`);
* a line in *capitals* or a *bare* line is only a sign, read by the rules of headings set
  by hand (:mod:`ragqa.index.documents.handheadings`, its shape standing for bold): text
  under it, no three such lines in a row (an address, a signature), not a document made
  mostly of them; only where the document has at least :data:`MIN_OUTLINE` headings in all
  (a lone "URGENT" or short line over a letter is no outline); never a line inside a block
  wrapped by hand ("... de J. K." / "Rowling"), a line going on in lower case or in
  brackets, a verse's first line (the line under it is no paragraph), a line with a date
  or a time, a byline, a salutation or a closing ("Bonne journée", "Best regards"), a
  reply's header ("Le 5 nov. 2024 à 18:03, Claire a écrit :"), or code ("RETENTION=30").
  A bare line ranks below a line in capitals, both below the numbered heading open above.

A heading with no sentence and no list under it (up to its next sibling) heads nothing: a
page's footer in short lines ("Cette page vous a-t-elle été utile ?" / "Oui Non") has an
outline's shape, not its text. The first paragraph is the document's title
(:mod:`ragqa.index.documents.titles`), never a section of its own. The text itself is not
changed: every offset stays the file's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ragqa.index.documents.handheadings import (MAX_CHARS, MAX_WORDS, HandOutline, Look,
                                                    is_candidate)
from ragqa.index.documents.layout import one_line
from ragqa.index.documents.numbering import Number, division_word, outline_number
from ragqa.index.documents.outline import Heading, OutlinedDocument
from ragqa.index.documents.reading import Document, load_text_document
from ragqa.index.documents.recurrence import MONTHS
from ragqa.index.documents.sections import split_sections
from ragqa.index.documents.wrapping import DANGLING_WORDS, WRAP_MIN_CHARS, unwrap_groups

PLAIN_TEXT_SUFFIXES = frozenset({".txt"})
# Headings a document needs for its lines in capitals and bare lines to be read at all.
MIN_OUTLINE = 2
# A block whose longest line is longer than this was not wrapped by hand: each of its lines
# is a paragraph (a Word document saved as text writes one line a paragraph).
WRAPPED_WIDTH = 100

_ITEM = re.compile(r"^\s*[-–—•·▪►*+>o]\s")
# A table's row: Word writes its cells apart with tabs (not the tab after a heading's number).
_ROW = re.compile(r"\t|\|")
_NUMBER_TAB = re.compile(r"^\s*(?:\d{1,2}(?:\.\d{1,2})*\.?|[IVXLC]{1,6}\.|[A-Ha-h][.)])\t")
_TEXT_ENDS = (".", "!", "?", "…", ":", ";", "»", '"')
_SENTENCE_ENDS = (".", "!", "?", "…", ".»", '."', ".)")
_STATEMENT_ENDS = (".", "…", ".»", '."', ".)", ";", ",")  # a list's items, not a question
_MONTHS = "|".join((*MONTHS, "janv", "févr", "fevr", "avr", "juil", "sept", "oct", "nov", "déc",
                    "dec", "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep",
                    "january", "february", "march", "april", "june", "july", "august",
                    "september", "october", "november", "december"))
_DATE = re.compile(
    rf"\b\d{{1,2}}(?:er)?\s+(?:{_MONTHS})\.?,?\s+\d{{4}}\b|\b(?:{_MONTHS})\.?\s+\d{{1,2}},?\s+\d{{4}}\b"
    r"|\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b|\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}\s?[:h]\s?\d{2}\b",
    re.IGNORECASE)
_NOT_BARE = re.compile(
    r"^(?:(?:par|by)\s+(?:[A-ZÀ-Þ][\w.'’-]*\s*)+$|madame|monsieur|mesdames|messieurs|cher|"
    r"chère|chers|dear|bonjour|bonsoir|hello|cordialement|bien cordialement|salutations|"
    r"sincères salutations|bien à vous|amicalement|respectueusement|merci|bonne (?:journée|"
    r"soirée|fin|continuation|réception)|à bientôt|best regards|kind regards|warm regards|"
    r"regards|thanks|thank you|sincerely|cheers|signé|fait à|p\.\s?j\.|pj|p\.\s?s\.|ps|"
    r"n\.\s?b\.|nb)\b|(?:a écrit|wrote)\s*:?\s*$"
    r"|^[A-ZÀ-Þ]\.\s*[A-ZÀ-Þ][\w'’-]+(?:\s+[A-ZÀ-Þ][\w'’-]+)?$", re.IGNORECASE)
_CODE = re.compile(r"[=<>{}\[\]\\/_@#$%^*|~`]")

# Sizes standing for each numbered or named shape (the larger, the higher the level).
_DIVISION_SIZES = {"titre": 30.0, "partie": 30.0, "livre": 30.0, "chapitre": 29.0,
                   "section": 28.0, "sous-section": 27.5}
_ROMAN = 26.0
_DIVISION = 25.0  # "Article", "Annexe", "Clause"...
_UPPER_LETTER = 24.5
_LOWER_LETTER = 12.0
# The hand-heading rules rank lines in capitals above bare lines.
_CAPITALS = 27.0
_BARE = 10.0
_SHAPED = Look(bold=True)  # what a short line of its own is to the hand-heading rules


@dataclass(frozen=True)
class _Paragraph:
    start: int  # offset of its first character in the text
    text: str  # its lines joined (hard wrapping undone), one line
    first_line: str  # its first line as written (the heading line when it is one)
    item: bool  # a bulleted list item or a table's row: body, never a heading
    weak: bool  # it may be a heading by a weak sign (capitals, bare): see _paragraphs
    block: int  # the number of its blank-line separated block


def load_plain_text_document(path: Path, doc_id: str) -> Document:
    """A ``.txt`` file as :func:`~ragqa.index.documents.reading.load_text_document` reads it,
    with the headings its lines make (:func:`plain_headings`) when it uses no markdown,
    underlined or live-blog headings."""
    doc = load_text_document(path, doc_id)
    if len(split_sections(doc.text, doc.title, nest=False)) > 1:
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
    shaped = [i > 0 and not p.item and len(p.text) <= MAX_CHARS
              and p.text.count(" ") < MAX_WORDS and is_candidate(p.text, _SHAPED)
              for i, p in enumerate(paragraphs)]
    numbers = [outline_number(p.text) for p in paragraphs]
    # (steps written as sentences, "1. Désactiver l'alarme.", make a list of the run too)
    listed = _listed(paragraphs, numbers)
    strong = _strong(paragraphs, shaped, [n if ok else None for n, ok in zip(numbers, shaped)],
                     listed)
    found = _levels(paragraphs, shaped, listed, strong, weak=True)
    if len(found) < MIN_OUTLINE and len(found) > len(strong):
        found = _levels(paragraphs, shaped, listed, strong, weak=False)
    found = _with_text(paragraphs, found, listed)
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
    for number, block in enumerate(re.finditer(r"[^\n]*\S[^\n]*(?:\n[^\n]*\S[^\n]*)*", text)):
        lines, offsets, at = [], [], block.start()
        for line in block.group().split("\n"):
            lines.append(line)
            offsets.append(at + len(line) - len(line.lstrip()))
            at += len(line) + 1
        short = max(len(line.strip()) for line in lines) <= WRAPPED_WIDTH
        groups = unwrap_groups(lines) if short else [[i] for i in range(len(lines))]
        wrapped = any(len(group) > 1 for group in groups)
        previous = ""
        for n, group in enumerate(groups):
            first = lines[group[0]]
            joined = one_line(" ".join(lines[i] for i in group))
            following = groups[n + 1] if n + 1 < len(groups) else []
            under = one_line(" ".join(lines[i] for i in following))
            # The line under a heading in its block is a paragraph or a list, not another
            # short line (a verse's first line is over the next verse)
            over_text = (not following or len(following) > 1 or len(under) >= WRAP_MIN_CHARS
                         or under.endswith(_SENTENCE_ENDS)
                         or bool(_ITEM.match(lines[following[0]])))
            if wrapped:
                # a block wrapped by hand: a line further down is a piece of a paragraph
                # cut before a capital
                weak = n == 0 and over_text
            elif short:
                # short lines, one a paragraph: a heading follows a sentence's end (or the
                # document's title), not the line of a verse, an address or a list, and has
                # its text under it ("... de J. K." / "Rowling" ends a wrapped sentence)
                weak = over_text and (n == 0 or (bool(following) and (
                    previous.endswith(_TEXT_ENDS) or (len(out) == 1 and n == 1))))
            else:
                weak = _breaks_before(previous)
            # nor does a heading go on in lower case or in brackets
            weak = weak and not (under[:1].islower() or under.startswith(("(", "[", "{")))
            item = bool(_ITEM.match(first)
                        or (_ROW.search(first.strip()) and not _NUMBER_TAB.match(first)))
            out.append(_Paragraph(offsets[group[0]], joined, first, item, weak, number))
            previous = joined
    return out


def _breaks_before(previous: str) -> bool:
    """Whether a line after ``previous`` (the paragraph before it in its block, "" for none)
    starts afresh."""
    return (not previous or previous.endswith(_TEXT_ENDS)
            or len(previous.split()) <= MAX_WORDS)


def _listed(paragraphs: list[_Paragraph], numbers: list[Number | None]) -> set[int]:
    """The numbered paragraphs that are a list's items: runs of consecutive numbers (1, 2,
    3... of one kind under one parent) at least half of whose items have nothing between
    them (an agenda), or at least half of whose items end as statements (steps
    written as sentences, one of them over a paragraph); a run of headings whose one section
    is empty is no list. A run whose numbers have all followed one another goes on only with
    the next line: a list of "1. CV" / "2. Diplôme" under the heading "2." does not take the
    heading "3." after it."""
    def next_line(a: int, b: int) -> bool:
        return b == a + 1 and paragraphs[a].block == paragraphs[b].block

    runs: list[list[int]] = []
    touching: list[bool] = []  # whether each run's numbers have all followed one another
    ending: dict[tuple, list[int]] = {}  # (kind, parent, last value): its runs, oldest first
    for i, number in enumerate(numbers):
        if number is None:
            continue
        key = (number.kind, number.parent)
        waiting = ending.get((*key, number.value - 1), [])
        chosen = next((r for r in reversed(waiting) if len(runs[r]) < 2 or not touching[r]
                       or next_line(runs[r][-1], i)), None)
        if chosen is None:
            chosen = len(runs)
            runs.append([])
            touching.append(True)
        else:
            waiting.remove(chosen)
            touching[chosen] = touching[chosen] and next_line(runs[chosen][-1], i)
        runs[chosen].append(i)
        ending.setdefault((*key, number.value), []).append(chosen)
    listed: set[int] = set()
    for run in runs:
        steps = list(zip(run, run[1:]))
        sentences = sum(paragraphs[i].text.endswith(_STATEMENT_ENDS) for i in run)
        if steps and (2 * sum(b == a + 1 for a, b in steps) >= len(steps)
                      or 2 * sentences >= len(run)):
            listed.update(run)
    return listed


def _strong(paragraphs: list[_Paragraph], shaped: list[bool],
            numbers: list[Number | None], listed: set[int]) -> dict[int, float]:
    """``{paragraph index: size}`` of the numbered and named headings (see the module)."""
    headed = [n if i not in listed else None for i, n in enumerate(numbers)]
    kinds: dict[tuple, set[int]] = {}
    for number in headed:
        if number is not None:
            kinds.setdefault((number.kind, number.parent), set()).add(number.value)
    parents = {(n.kind, (*n.parent, n.value)) for n in headed if n is not None}
    strong: dict[int, float] = {}
    for i, (paragraph, number) in enumerate(zip(paragraphs, numbers)):
        if not shaped[i] or i in listed:
            continue
        sizes = []
        division = division_word(paragraph.text)
        if division is not None:
            sizes.append(_DIVISION_SIZES.get(division, _DIVISION))
        if number is not None:
            values = kinds[(number.kind, number.parent)]
            outline = (number.value - 1 in values or number.value + 1 in values
                       or (number.kind == "number" and (number.kind, number.parent) in parents))
            if outline:
                sizes.append(_ROMAN if number.kind == "roman"
                             else _UPPER_LETTER if number.kind == "upper"
                             else _LOWER_LETTER if number.kind == "lower"
                             else 24.0 - 2 * min(number.depth, 5))
        if sizes:
            strong[i] = max(sizes)
    return strong


def _weak_size(paragraph: _Paragraph) -> float | None:
    """The size of a line shaped as a heading by a weak sign: capitals, or none (bare);
    None when it may not be one (see the module)."""
    line = paragraph.text
    if not paragraph.weak or _CODE.search(line) or _DATE.search(line) or _NOT_BARE.search(line):
        return None
    if line.isupper() and sum(c.isalpha() for c in line) >= 4:
        return _CAPITALS
    last = line.rsplit(None, 1)[-1].casefold()
    if ((line[:1].isupper() or line[:1].isdigit()) and last not in DANGLING_WORDS
            and not line.endswith(("…", "..."))):
        return _BARE
    return None


def _levels(paragraphs: list[_Paragraph], shaped: list[bool], listed: set[int],
            strong: dict[int, float], *, weak: bool) -> dict[int, int]:
    """``{paragraph index: level}`` of the headings: the strong ones at the rank of their
    size, the weak ones (if ``weak``) by the hand-heading rules, below the strong one open
    above them."""
    ranks = sorted(set(strong.values()), reverse=True)
    outline = HandOutline()
    recorded: list[int] = []
    found: dict[int, int] = {}
    for i, paragraph in enumerate(paragraphs):
        if i in strong:
            found[i] = ranks.index(strong[i]) + 1
            outline.heading(paragraph.text, found[i])
        elif paragraph.item or i in listed:
            outline.block([paragraph.text])
        else:
            size = _weak_size(paragraph) if weak and shaped[i] else None
            outline.paragraph(paragraph.text, Look(bold=size is not None, size=size))
            recorded.append(i)
    found.update((recorded[n], level) for n, level in outline.levels().items())
    return found


def _with_text(paragraphs: list[_Paragraph], found: dict[int, int],
               listed: set[int]) -> dict[int, int]:
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
            item = paragraph.item or j in listed
            items += item
            if items >= 2 or (not item and paragraph.text.endswith(_SENTENCE_ENDS)):
                kept[i] = found[i]
                break
    return kept
