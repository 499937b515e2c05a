"""Finding boilerplate: lines a document repeats section after section.

News exports repeat the same footer, share prompt or copyright notice after every entry.
Such a line carries no answer and, indexed, would crowd out real passages. We find it
generically: a line (normalised: case, whitespace) that occurs in at least ``min_sections``
distinct sections *of one document* is that document's template, hence boilerplate (and is
left out wherever it occurs). Content quoted twice (an entry posted twice) stays, because the
default threshold is three sections.

A line shared by several *documents* is not boilerplate by that fact alone: administrative
pages share glossary definitions, contact blocks and quoted paragraphs that a question may
target, and a line dropped everywhere can never be found. Counting sections across documents
(the rule until issue 14) lost exactly those. Measured in BM25-only mode on the ``dev``
splits (``python -m ragqa.eval.corpus_sweep``, see ``eval/results/corpus-processing.md``), with the
other new defaults, recall@1 / recall@5 / MRR@10:

=====================================  =================  =================  =================
rule                                   project (news)     PIAF               long pages
=====================================  =================  =================  =================
>= 3 sections of one document (this)   0.662/0.896/0.744  0.719/0.870/0.784  0.688/0.848/0.758
>= 3 sections anywhere (before)        0.662/0.896/0.744  0.719/0.870/0.784  0.587/0.716/0.647
never                                  0.649/0.896/0.739  0.719/0.870/0.784  0.688/0.848/0.758
=====================================  =================  =================  =================

Also tried: this rule or any short repeated line (< 10 words; but a contact line such as a
phone number is short), 0.676/0.841/0.749 on the long pages; keeping a shared line in the
first document holding it only, 0.552/0.754/0.639 there (before the other changes, where
the old rule gave 0.521/0.719/0.606).
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
