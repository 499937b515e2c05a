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
* it is no "label : value" line: text after a colon ("Attention : le service sera fermé",
  "Tarif réduit : 5 €") is a notice or a value, not the name of what follows, unless the
  label is a numbered division of the text ("Article 3 : Durée", "Chapitre II : Les
  aides", "Annexe 1 : Pièces à fournir"), as rules and contracts name theirs;
* it is in a body-text style (:func:`style_role`): Normal, Body Text / "Corps de texte",
  No Spacing, ODF's "Standard" / "Text body" / "Default", or a custom style based on one.
  A caption, a quotation, a table of contents, a header or a list style is bold by its own
  role; a paragraph numbered or bulleted by Word numbering is a list item (the walkers
  leave both out);
* a body paragraph that is not bold, a list or a table comes right after it (a line with
  nothing under it heads nothing), and not a fill-in line (dots, underscores: "Nom" above
  "........" is a form's label). Two such lines in a row are a heading and its
  sub-heading ("Qui est concerné ?" above "Cas général"); three or more are a bold block
  (an address, a signature), not an outline;
* its section holds some body: a list, a table, or a paragraph that reads as text (a
  sentence's end, or at least :data:`MIN_BODY_WORDS` words). A signature ("Jean Dupont"
  above "Directeur général des services") or an address ("1 place de la Comédie" above
  "69001 Lyon") heads nothing;
* two bold lines in a row are taken for a heading and its sub-heading only in a document
  structured by hand headings, one with another hand heading elsewhere: alone, they are
  more likely a letter's sender ("Mairie de Villeurbanne" / "Service de l'état civil");
* the document is not mostly bold: when the bold paragraphs outnumber the others twice,
  bold is the document's body font, and it reads as before.

A walker whose paragraphs are printed lines (``lines=True``: a PDF's, where a paragraph
style, a list or a table is no longer known) reads a few more things as a reader would:

* the line right under the bold ones must itself read as text, with the lines it goes on
  to (a lower-case start): a sentence's end, or :data:`MIN_BODY_WORDS` words holding a
  letter (after the colon of a "label : value" line). A table's bold header row above
  rows of figures, a form's bold labels above their values ("Nom du demandeur" / "Jean
  Dupont"), a signature above "Pièces jointes : formulaire CERFA" head nothing, even where
  text comes further down;
* a term in a glossary is no heading: :data:`MIN_GLOSSARY` bold lines or more in a row,
  each over at most :data:`GLOSSARY_LINES` lines of text before the next, are a list of
  terms and their definitions inside the section, not sections of their own (one or two
  short sections in a row stay sections);
* a :meth:`HandOutline.page_break` that is no line break (a cover page's end, a page that
  stops short of its foot) ends a run of bold lines: the lines before it head nothing,
  the lines after it start afresh.

The walker may also veto a bold line (``may_head``: a PDF's type rules reject a quote, a
line of figures): it stays a bold line, never a heading.

Styled headings keep their levels. A hand heading sits one level below the styled heading
open before it (or at level 1 when none is, e.g. under a Word "Title", which is no heading),
so a document that mixes both nests them; among hand headings a larger font is a higher
level (sizes ranked, largest first), and the second of two lines in a row is one level
below the first unless its size already puts it deeper.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from ragqa.index.documents.layout import TextBuilder, clean_lines, one_line, unwrap
from ragqa.index.documents.numbering import is_division
from ragqa.index.documents.wrapping import goes_on

MAX_WORDS = 15
MAX_CHARS = 150
MAX_RUN = 2  # bold lines in a row that still read as headings (a heading, a sub-heading)
MIN_BODY_WORDS = 6  # a body paragraph with fewer words and no sentence's end is no text
MIN_GLOSSARY = 3  # bold terms in a row, each over a short definition, that make a glossary
GLOSSARY_LINES = 2  # printed lines of a definition, at most
_SENTENCE_ENDS = (".", ",", ";")
_TEXT_ENDS = (".", "!", "?", "…", ":", ";")
_LABEL_VALUE = re.compile(r"\s:\s*\S|:\s+\S")  # "Tarif réduit : 5 €", "Note: voir"
_FILL_IN = re.compile(r"^[\s._\-–—/…]*$")  # "........", "____", "..../..../......"
# Style names (Word's, ODF's internal ones with "_20_" read as spaces), nearest first.
_BODY_STYLE = re.compile(
    r"^(?:normal|standard|default\b.*|text body\b.*|body text\b.*|corps de texte\b.*|"
    r"no spacing|sans interligne|plain text|texte brut|first line indent|hanging indent)$",
    re.IGNORECASE)
_ASIDE_STYLE = re.compile(
    r"caption|l[ée]gende|quot|citation|contents|\btoc\b|table des mati|\bindex|^header\b|"
    r"^footer\b|^en-t[êe]te\b|^pied de page|illustration|drawing|figure|^table\b|sender|"
    r"signature|addressee|marginalia|\blist|\bliste|^(?:sub)?title$|^(?:sous-)?titre$|"
    r"preformatted", re.IGNORECASE)


@dataclass(frozen=True)
class Look:
    """How a body paragraph looks: wholly bold, and its largest font size in points
    (None: the body's default, unknown)."""

    bold: bool = False
    size: float | None = None


@dataclass(frozen=True)
class _Step:
    kind: str  # "heading" (styled), "paragraph" (body text), "block" (lines: list, table),
    # "break" (a page break that ends a run of bold lines)
    text: str = ""
    level: int = 0
    look: Look = Look()
    lines: tuple[str, ...] = ()


class HandOutline:
    """A walker's blocks, recorded in order, then written with the hand-set headings found.

    It takes the :class:`~ragqa.index.documents.layout.TextBuilder` calls the walkers
    make (:meth:`heading`, :meth:`paragraph`, :meth:`block`), a paragraph's look added.
    ``may_head``, where given, is asked of each bold line that passes the rules: False
    keeps it from being a heading (it still counts as a bold line). ``lines``: each
    paragraph is a printed line (see the module's docstring)."""

    def __init__(self, may_head: Callable[[str], bool] | None = None,
                 lines: bool = False) -> None:
        self._steps: list[_Step] = []
        self._may_head = may_head
        self._lines = lines

    def heading(self, title: str, level: int = 1) -> None:
        self._steps.append(_Step("heading", title, level))

    def paragraph(self, text: str, look: Look = Look()) -> None:
        self._steps.append(_Step("paragraph", text, look=look))

    def block(self, lines: Iterable[str]) -> None:
        kept = tuple(lines)
        if any(line.strip() for line in kept):
            self._steps.append(_Step("block", lines=kept))

    def page_break(self) -> None:
        """A page break that is no line break: it ends a run of bold lines, no heading."""
        self._steps.append(_Step("break"))

    def replay(self, builder: TextBuilder) -> None:
        """Write the recorded blocks into ``builder``, hand-set headings as headings."""
        levels = self._levels()
        for i, step in enumerate(self._steps):
            if step.kind == "heading":
                builder.heading(step.text, step.level)
            elif step.kind == "block":
                builder.block(step.lines)
            elif step.kind == "break":
                continue
            elif i in levels:
                builder.heading(step.text, levels[i])
            else:
                builder.paragraph(step.text)

    def levels(self) -> dict[int, int]:
        """The hand-set headings found, as ``{n: level}``: the ``n``-th :meth:`paragraph`
        recorded (from 0) is a heading of that level."""
        levels = self._levels()
        numbers = [i for i, step in enumerate(self._steps) if step.kind == "paragraph"]
        return {n: levels[i] for n, i in enumerate(numbers) if i in levels}

    def _levels(self) -> dict[int, int]:
        """The steps that are hand-set headings, each with its level: one below the styled
        heading open before it, plus its rank."""
        ranks = hand_headings(self._steps, self._may_head, self._lines)
        levels: dict[int, int] = {}
        styled = 0  # the level of the styled heading open before
        for i, step in enumerate(self._steps):
            if step.kind == "heading":
                styled = step.level
            elif i in ranks:
                levels[i] = styled + 1 + ranks[i]
        return levels


def is_bold(weight: str | None) -> bool | None:
    """A CSS/XSL font weight read: "bold", "bolder" or 600 and more are bold."""
    if not weight:
        return None
    weight = weight.strip().lower()
    if weight in ("bold", "bolder"):
        return True
    return weight.isdigit() and int(weight) >= 600


def style_role(name: str) -> bool | None:
    """What a paragraph style's name says of its paragraphs: True for body text (whose bold
    lines may be headings set by hand), False for a role of its own (a caption, a quotation,
    a list...), None when the name says neither (a custom style: ask its base style)."""
    name = name.replace("_20_", " ").strip()
    if _BODY_STYLE.match(name):
        return True
    if _ASIDE_STYLE.search(name):
        return False
    return None


def is_candidate(text: str, look: Look) -> bool:
    """Whether a paragraph looks like a heading set by hand on its own: wholly bold, one
    short line with a letter, no sentence's end, no value after a colon."""
    lines = [line for line in unwrap(clean_lines(text)) if line.strip()]
    if not look.bold or len(lines) != 1:
        return False
    line = one_line(lines[0])
    return (len(line) <= MAX_CHARS and len(line.split()) <= MAX_WORDS
            and any(c.isalpha() for c in line) and not line.endswith(_SENTENCE_ENDS)
            and (not _LABEL_VALUE.search(line) or is_division(line)))


def _lines(step: _Step) -> list[str]:
    """A step's lines with words (a walker may record a plain paragraph as a block)."""
    found = step.lines if step.kind == "block" else (step.text,)
    return [one_line(line) for line in found if line.strip()]


def _is_fill_in(step: _Step) -> bool:
    lines = _lines(step)
    return step.kind != "heading" and bool(lines) and all(_FILL_IN.match(x) for x in lines)


def _reads_as_text(step: _Step) -> bool:
    """A list or a table (lines), or a paragraph that is text: a sentence's end or enough
    words."""
    lines = _lines(step)
    if len(lines) != 1:
        return len(lines) > 1
    return lines[0].endswith(_TEXT_ENDS) or len(lines[0].split()) >= MIN_BODY_WORDS


def line_reads_as_text(line: str) -> bool:
    """Whether one printed line reads as text: a sentence's end, or :data:`MIN_BODY_WORDS`
    words holding a letter ("Ramette de papier A4 10 4,50", a table's row, holds four),
    after the colon of a "label : value" line ("Pièces jointes : formulaire CERFA n° 12156"
    holds three; "Pièce justificative : Document officiel fourni pour prouver une situation"
    is a definition, text)."""
    line = one_line(line)
    if line.endswith(_TEXT_ENDS):
        return True
    label = _LABEL_VALUE.search(line)
    value = line[label.start():] if label else line
    return sum(1 for word in value.split() if any(c.isalpha() for c in word)) >= MIN_BODY_WORDS


def _opens_text(steps: Sequence[_Step], start: int) -> bool:
    """Whether the printed line ``start`` opens text: it reads as text with the lines it
    goes on to (a lower-case start: "La prime est versée" / "aux ménages modestes."),
    :data:`GLOSSARY_LINES` more at most."""
    if steps[start].kind != "paragraph":
        return False
    text = steps[start].text
    for step in steps[start + 1:start + 1 + GLOSSARY_LINES]:
        if line_reads_as_text(text) or step.kind != "paragraph" or step.look.bold or not goes_on(
                text, step.text):
            break
        text = f"{text} {step.text}"
    return line_reads_as_text(text)


def _candidate(step: _Step, may_head: Callable[[str], bool] | None) -> bool:
    return (step.kind == "paragraph" and is_candidate(step.text, step.look)
            and (may_head is None or may_head(one_line(step.text))))


def _has_body(steps: Sequence[_Step], start: int,
              may_head: Callable[[str], bool] | None = None) -> bool:
    """Whether the steps from ``start`` up to the next heading or candidate hold text."""
    for step in steps[start:]:
        if step.kind in ("heading", "break") or _candidate(step, may_head):
            return False
        if _reads_as_text(step):
            return True
    return False


def hand_headings(steps: Sequence[_Step],
                  may_head: Callable[[str], bool] | None = None,
                  lines: bool = False) -> dict[int, int]:
    """The positions of the paragraphs of ``steps`` that are headings set by hand, each with
    its rank below the styled heading open before it (0: just below); ``may_head`` and
    ``lines`` as :class:`HandOutline` takes them."""
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
        if _candidate(step, may_head):
            run.append(i)
            continue
        body = step.kind == "block" or (step.kind == "paragraph" and not step.look.bold)
        if run and body and len(run) <= MAX_RUN and (
                _opens_text(steps, i) if lines
                else not _is_fill_in(step) and _has_body(steps, i, may_head)):
            runs.append(run)
        run = []
    if lines:
        runs = _without_glossaries(steps, runs)
    if len(runs) == 1 and len(runs[0]) > 1:
        runs = []  # a lone pair of bold lines: a sender's block more likely than an outline
    sizes = sorted({steps[i].look.size or 0.0 for r in runs for i in r}, reverse=True)
    ranks: dict[int, int] = {}
    for found in runs:
        for position, i in enumerate(found):
            rank = sizes.index(steps[i].look.size or 0.0)
            if position:
                rank = max(rank, ranks[found[position - 1]] + 1)
            ranks[i] = rank
    return ranks


def _without_glossaries(steps: Sequence[_Step], runs: list[list[int]]) -> list[list[int]]:
    """``runs`` less the terms of glossaries: :data:`MIN_GLOSSARY` single bold lines or more
    in a row, each but the last over :data:`GLOSSARY_LINES` lines of text at most before the
    next."""
    chains: list[list[list[int]]] = []
    for found in runs:
        chain = chains[-1] if chains else None
        if (chain and len(found) == 1 and len(chain[-1]) == 1
                and _short_body_up_to(steps, chain[-1][0], found[0])):
            chain.append(found)
        else:
            chains.append([found])
    return [found for chain in chains if not _glossary(steps, chain) for found in chain]


def _sort_key(term: str) -> str:
    """A glossary's order: letters without their accents, case folded."""
    return "".join(c for c in unicodedata.normalize("NFKD", term)
                   if not unicodedata.combining(c)).casefold()


def _glossary(steps: Sequence[_Step], chain: list[list[int]]) -> bool:
    """Whether a chain of single bold lines over short bodies is a glossary: long enough,
    its terms in alphabetical order (a glossary's are; a guide's questions, "Qui peut en
    bénéficier ?", and a rule's articles, "Article 2 : Réservation", are in the order they
    are read, and head their short sections)."""
    terms = [one_line(steps[found[0]].text) for found in chain]
    if len(terms) < MIN_GLOSSARY or any(t.endswith("?") or is_division(t) for t in terms):
        return False
    keys = [_sort_key(t) for t in terms]
    return keys == sorted(keys)


def _short_body_up_to(steps: Sequence[_Step], term: int, following: int) -> bool:
    """Whether the steps between the bold line ``term`` and the bold line ``following`` are
    lines of text, :data:`GLOSSARY_LINES` at most."""
    between = [s for s in steps[term + 1:following]
               if not (s.kind == "paragraph" and not s.text.strip())]
    return 0 < len(between) <= GLOSSARY_LINES and all(
        s.kind == "paragraph" and not s.look.bold for s in between)
