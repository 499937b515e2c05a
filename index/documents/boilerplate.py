"""Finding boilerplate: lines a document repeats section after section.

News exports repeat the same footer, share prompt or copyright notice after every entry.
Such a line carries no answer and, indexed, would crowd out real passages. We find it
generically: a line (normalised: case, whitespace) that occurs in at least ``min_sections``
distinct sections *of one document* is that document's template, hence boilerplate (and is
left out wherever it occurs). Content quoted twice (an entry posted twice) stays, because the
default threshold is three sections.

A line shared by several *documents* is not boilerplate by that fact alone: glossary
definitions, contact blocks and quoted paragraphs that a question may target are shared, and
a line dropped everywhere can never be found (counting sections across documents, the rule
until issue 14, lost exactly those). Measured: eval/results/corpus-processing.md#boilerplate-rule
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from ragqa.index.documents.sections import Section

MIN_SECTIONS = 3
MIN_CHARS = 12  # very short lines ("0", "Entretien.") are left to the chunker


def normalise_line(line: str) -> str:
    return " ".join(line.split()).casefold()


def find_boilerplate(
    docs: Iterable[tuple[str, list[Section]]], min_sections: int = MIN_SECTIONS
) -> frozenset[str]:
    """Normalised lines that occur in at least ``min_sections`` distinct sections of one
    document.

    ``docs`` yields ``(text, sections)`` pairs.
    """
    found: set[str] = set()
    for text, sections in docs:
        sections_with: Counter[str] = Counter()
        for section in sections:
            keys = {normalise_line(line) for line in text[section.start : section.end].split("\n")}
            sections_with.update(key for key in keys if len(key) >= MIN_CHARS)
        found.update(key for key, count in sections_with.items() if count >= min_sections)
    return frozenset(found)


def find_generic_headings(
    titles: Iterable[Iterable[str]], min_documents: int = MIN_SECTIONS
) -> frozenset[str]:
    """Normalised section titles that head sections in at least ``min_documents`` documents
    ("De quoi s'agit-il ?", "Cas général"): they name no document's subject.

    ``titles`` yields each document's section titles.
    """
    documents_with: Counter[str] = Counter()
    for doc_titles in titles:
        documents_with.update({normalise_line(t) for t in doc_titles})
    return frozenset(t for t, count in documents_with.items() if count >= min_documents)
