"""Documents whose sections come from the file's structure, not from markup in the text.

A Word heading, an OpenDocument ``text:h``, a slide's title or a sheet's name starts a
section, but the canonical text carries no ``#`` to say so: it is what a person reads.
Such a document is an :class:`OutlinedDocument`, a :class:`Document` that also holds its
:class:`Heading` records (the offset of each heading line and its *heading path*, the
titles from the top level down). :func:`document_sections` gives the sections of any
document: those of its outline when it has one, else those found in its text by
:func:`ragqa.index.documents.sections.split_sections`.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    """A document whose section starts are known from its file (headings, slides, sheets)."""

    headings: tuple[Heading, ...] = ()


def document_sections(doc: Document) -> list[Section]:
    """Consecutive sections covering ``doc.text`` entirely, in order.

    For an :class:`OutlinedDocument` with headings, one section per heading, titled with
    its heading path; text before the first heading is a section titled with the document
    title (as :func:`~ragqa.index.documents.sections.split_sections` does for markdown).
    """
    headings = doc.headings if isinstance(doc, OutlinedDocument) else ()
    if not headings:
        return split_sections(doc.text, doc.title)
    starts = [(h.start, h.title) for h in headings]
    if not doc.text[: starts[0][0]].strip():
        starts[0] = (0, starts[0][1])  # only blank lines before the first heading
    sections: list[Section] = []
    if starts[0][0] > 0:
        sections.append(Section(doc.title, 0, starts[0][0]))
    for i, (start, title) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else len(doc.text)
        sections.append(Section(title, start, end))
    return sections
