"""Documents whose sections come from the file's structure, not from markup in the text.

A Word heading, an OpenDocument ``text:h``, a slide's title or a sheet's name starts a
section, but the canonical text carries no ``#`` to say so: it is what a person reads.
Such a document is an :class:`OutlinedDocument`, a :class:`Document` that also holds its
:class:`Heading` records (the offset of each heading line and its *heading path*, the
titles from the top level down). :func:`document_sections` gives the sections of any
document: those of its outline for an :class:`OutlinedDocument` (one section when it has
no heading: a line of its text that looks like a markdown heading, e.g. ``# mount /mnt`` in
a web page's ``<pre>``, is text), else those found in its text by
:func:`ragqa.index.documents.sections.split_sections` (a ``.md`` file's ``#`` headings,
written by its author).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from ragqa.index.documents.reading import Document
from ragqa.index.documents.sections import Section, split_sections

HEADING_PATH_SEPARATOR = " › "


@dataclass(frozen=True)
class Heading:
    """A section start: the heading line at offset ``start`` of the canonical text, and its
    path, e.g. ``("Rapport", "Résultats", "Ventes")`` for a level-3 heading "Ventes"."""

    start: int
    path: tuple[str, ...]

    @property
    def level(self) -> int:
        return len(self.path)

    @property
    def title(self) -> str:
        """The section's title: the heading path, top level first."""
        return HEADING_PATH_SEPARATOR.join(self.path)


@dataclass(frozen=True)
class OutlinedDocument(Document):
    """A document whose section starts are known from its file (headings, slides, sheets).

    ``continued_pages``: the start offsets (among ``pages``) of the pages that carry on the
    section of the page before, whose passages may run across their start: a slide titled
    as the slide before it ("Résultats", then "Résultats (suite)"), whose title is not
    repeated in the text (see :mod:`ragqa.index.documents.presentations`); every page of a
    PDF but its first (a page break is the paper's, not the author's).

    ``page_chrome_removed``: the loader has left out what the layout repeats on each page
    (a PDF's running lines: :mod:`ragqa.index.documents.pageedges`), so its pages are not
    counted one by one as a template (:func:`template_parts`): a sentence the text says
    on three pages stays. ``page_chrome_kept``: the lines of the first page that the layout
    repeats on the others, kept in its text (a document may name itself there), as
    :func:`~ragqa.index.documents.titles.normalise` gives them: no passage holds them (see
    :func:`~ragqa.index.documents.processing.front_matter`); ``page_chrome_stacked``:
    those repeated under them (a footer printed third, a table's header row), which make
    no passage on their own.
    """

    headings: tuple[Heading, ...] = ()
    continued_pages: tuple[int, ...] = ()
    page_chrome_removed: bool = False
    page_chrome_kept: frozenset[str] = frozenset()
    page_chrome_stacked: frozenset[str] = frozenset()


def document_sections(doc: Document) -> list[Section]:
    """Consecutive sections covering ``doc.text`` entirely, in order.

    For an :class:`OutlinedDocument`, one section per heading, titled with its heading
    path; text before the first heading (all of it, without headings) is a section titled
    with the document title (as :func:`~ragqa.index.documents.sections.split_sections`
    does for markdown). A heading directly followed by a deeper one ("Qui est concerné ?"
    right above "Cas général") heads no section of its own: its line opens its first
    sub-section's, whose passages it introduces, instead of being a passage of a few words
    that answers nothing.
    """
    if not isinstance(doc, OutlinedDocument):
        return split_sections(doc.text, doc.title)
    if not doc.headings:
        return [Section(doc.title, 0, len(doc.text))]
    starts = _section_starts(doc.text, doc.headings)
    if not doc.text[: starts[0][0]].strip():
        starts[0] = (0, starts[0][1])  # only blank lines before the first heading
    sections: list[Section] = []
    if starts[0][0] > 0:
        sections.append(Section(doc.title, 0, starts[0][0]))
    for i, (start, title) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else len(doc.text)
        sections.append(Section(title, start, end))
    return sections


def _section_starts(text: str, headings: tuple[Heading, ...]) -> list[tuple[int, str]]:
    """``(offset, title)`` of each section start: a heading with nothing but its own line
    before a deeper heading under it starts the next section instead (a deck's title slide
    above a section-header slide's first slide is not over it)."""
    starts: list[tuple[int, str]] = []
    pending: int | None = None  # the start of the headings waiting for their sub-section
    for heading, following in zip(headings, (*headings[1:], None)):
        start = heading.start if pending is None else pending
        line_end = text.find("\n", heading.start)
        # (A section named by a label, an untitled slide, has no heading line of its own.)
        if (following is not None and following.path[:heading.level] == heading.path
                and following.level > heading.level and line_end >= 0
                and text[heading.start:line_end].rstrip() == heading.path[-1]
                and not text[line_end:following.start].strip()):
            pending = start
            continue
        pending = None
        starts.append((start, heading.title))
    return starts


def template_parts(doc: Document, sections: list[Section]) -> list[Section]:
    """The parts of ``doc`` in which lines repeated are counted as its template
    (boilerplate, :func:`ragqa.index.documents.boilerplate.find_boilerplate`): its
    ``sections``, one that runs over continued slides counted slide by slide (a footer text
    box on every slide is the deck's template however its slides are titled)."""
    continued = doc.continued_pages if isinstance(doc, OutlinedDocument) else ()
    if not continued or doc.page_chrome_removed:
        return sections
    parts: list[Section] = []
    for section in sections:
        bounds = [section.start, *(c for c in continued if section.start < c < section.end),
                  section.end]
        parts.extend(Section(section.title, a, b) for a, b in pairwise(bounds))
    return parts
