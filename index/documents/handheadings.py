"""Headings set by hand: a short line in the body style made bold, with text under it.

Many intranet documents never use heading styles: the author types a short line, makes it
bold (often larger) and writes the body under it. A reader sees a heading; without this
module the loaders saw a paragraph, so the document was one long section. A walker
(:mod:`~ragqa.index.documents.wordprocessing`, :mod:`~ragqa.index.documents.webpages`)
records its blocks in a :class:`HandOutline`, each body paragraph with its :class:`Look`,
and :meth:`HandOutline.replay` writes them into a
:class:`~ragqa.index.documents.layout.TextBuilder`, the paragraphs found to be headings
as headings. The decision needs what follows a line and the whole document (is it all
bold?), hence the recording.

A paragraph is a heading set by hand when, as a reader would judge:

* it is wholly bold (the walker says so: every run with words, or its style);
* it is short (at most :data:`MAX_WORDS` words, one line) and is no sentence: it does not
  end with a full stop, a comma or a semicolon. A colon is allowed: "Pièces à fournir :"
  above a list is a heading in all but style, and its section is what it introduces;
* a body paragraph that is not bold, a list or a table comes right after it (a line with
  nothing under it heads nothing). Two such lines in a row are a heading and its
  sub-heading ("Qui est concerné ?" above "Cas général"); three or more are a bold block
  (an address, a signature), not an outline;
* the document is not mostly bold: when the bold paragraphs outnumber the others twice,
  bold is the document's body font, and it reads as before.

Styled headings keep their levels. A hand heading sits one level below the styled heading
open before it (or at level 1 when none is, e.g. under a Word "Title", which is no heading),
so a document that mixes both nests them; among hand headings a larger font is a higher
level (sizes ranked, largest first), and the second of two lines in a row is one level
below the first unless its size already puts it deeper.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ragqa.index.documents.layout import TextBuilder, clean_lines, one_line, unwrap

MAX_WORDS = 15
MAX_CHARS = 150
MAX_RUN = 2  # bold lines in a row that still read as headings (a heading, a sub-heading)
_SENTENCE_ENDS = (".", ",", ";")


@dataclass(frozen=True)
class Look:
    """How a body paragraph looks: wholly bold, and its largest font size in points
    (None: the body's default, unknown)."""

    bold: bool = False
    size: float | None = None


@dataclass(frozen=True)
class _Step:
    kind: str  # "heading" (styled), "paragraph" (body text), "block" (lines: list, table)
    text: str = ""
    level: int = 0
    look: Look = Look()
    lines: tuple[str, ...] = ()


class HandOutline:
    """A walker's blocks, recorded in order, then written with the hand-set headings found.

    It takes the :class:`~ragqa.index.documents.layout.TextBuilder` calls the walkers
    make (:meth:`heading`, :meth:`paragraph`, :meth:`block`), a paragraph's look added."""

    def __init__(self) -> None:
        self._steps: list[_Step] = []

    def heading(self, title: str, level: int = 1) -> None:
        self._steps.append(_Step("heading", title, level))

    def paragraph(self, text: str, look: Look = Look()) -> None:
        self._steps.append(_Step("paragraph", text, look=look))

    def block(self, lines: Iterable[str]) -> None:
        kept = tuple(lines)
        if any(line.strip() for line in kept):
            self._steps.append(_Step("block", lines=kept))

    def replay(self, builder: TextBuilder) -> None:
        """Write the recorded blocks into ``builder``, hand-set headings as headings."""
        ranks = hand_headings(self._steps)
        styled = 0  # the level of the styled heading open before
        for i, step in enumerate(self._steps):
            if step.kind == "heading":
                builder.heading(step.text, step.level)
                styled = step.level
            elif step.kind == "block":
                builder.block(step.lines)
            elif i in ranks:
                builder.heading(step.text, styled + 1 + ranks[i])
            else:
                builder.paragraph(step.text)


def is_bold(weight: str | None) -> bool | None:
    """A CSS/XSL font weight read: "bold", "bolder" or 600 and more are bold."""
    if not weight:
        return None
    weight = weight.strip().lower()
    if weight in ("bold", "bolder"):
        return True
    return weight.isdigit() and int(weight) >= 600


def is_candidate(text: str, look: Look) -> bool:
    """Whether a paragraph looks like a heading set by hand on its own: wholly bold, one
    short line with a letter, no sentence's end."""
    lines = [line for line in unwrap(clean_lines(text)) if line.strip()]
    if not look.bold or len(lines) != 1:
        return False
    line = one_line(lines[0])
    return (len(line) <= MAX_CHARS and len(line.split()) <= MAX_WORDS
            and any(c.isalpha() for c in line) and not line.endswith(_SENTENCE_ENDS))


def hand_headings(steps: Sequence[_Step]) -> dict[int, int]:
    """The positions of the paragraphs of ``steps`` that are headings set by hand, each with
    its rank below the styled heading open before it (0: just below)."""
    paragraphs = [s for s in steps if s.kind == "paragraph" and s.text.strip()]
    bold = sum(1 for s in paragraphs if s.look.bold)
    others = len(paragraphs) - bold + sum(1 for s in steps if s.kind == "block")
    if not bold or bold > 2 * others:
        return {}
    runs: list[list[int]] = []
    run: list[int] = []
    for i, step in enumerate(steps):
        if step.kind == "paragraph" and not step.text.strip():
            continue  # an empty paragraph (spacing) neither ends nor joins a run
        if step.kind == "paragraph" and is_candidate(step.text, step.look):
            run.append(i)
            continue
        body = step.kind == "block" or (step.kind == "paragraph" and not step.look.bold)
        if run and body and len(run) <= MAX_RUN:
            runs.append(run)
        run = []
    sizes = sorted({steps[i].look.size or 0.0 for r in runs for i in r}, reverse=True)
    ranks: dict[int, int] = {}
    for found in runs:
        for position, i in enumerate(found):
            rank = sizes.index(steps[i].look.size or 0.0)
            if position:
                rank = max(rank, ranks[found[position - 1]] + 1)
            ranks[i] = rank
    return ranks
