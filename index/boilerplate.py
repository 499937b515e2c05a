"""Finding boilerplate: lines that repeat across sections or documents.

News exports repeat the same footer, share prompt or copyright notice after every entry.
Such a line carries no answer and, indexed, would crowd out real passages. We find it
generically: a line (normalised: case, whitespace) that occurs in at least
``min_sections`` distinct sections is boilerplate. Content quoted twice (an entry posted
twice) stays, because the default threshold is three sections.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from ragqa.index.sections import Section

MIN_SECTIONS = 3
MIN_CHARS = 12  # very short lines ("0", "Entretien.") are left to the chunker


def normalise_line(line: str) -> str:
    return " ".join(line.split()).casefold()


def find_boilerplate(
    docs: Iterable[tuple[str, list[Section]]], min_sections: int = MIN_SECTIONS
) -> frozenset[str]:
    """Normalised lines that occur in at least ``min_sections`` distinct sections.

    ``docs`` yields ``(text, sections)`` pairs.
    """
    seen_in: dict[str, set[tuple[int, int]]] = defaultdict(set)
    for doc_no, (text, sections) in enumerate(docs):
        for sec_no, section in enumerate(sections):
            for line in text[section.start : section.end].split("\n"):
                key = normalise_line(line)
                if len(key) >= MIN_CHARS:
                    seen_in[key].add((doc_no, sec_no))
    return frozenset(key for key, where in seen_in.items() if len(where) >= min_sections)
