"""Checks shared by the tests of structured formats (office files, slides, sheets, e-mail)."""

from __future__ import annotations

import re
from itertools import pairwise

from ragqa.index.documents.chunking import ChunkingParams, Passage, chunk_document, make_splitter
from ragqa.index.documents.outline import document_sections
from ragqa.index.documents.reading import Document

# What a converter would add and a reader never sees: markdown headings, table pipes and
# rules, emphasis, bullets.
CONVERTER_SYNTAX = re.compile(r"^\s*#|\||^\s*[-*+•]\s|\*\*|^\s*-{3,}\s*$", re.MULTILINE)


def assert_plain(doc: Document) -> None:
    """``doc``'s canonical text carries no converter syntax and no stray line endings."""
    assert not CONVERTER_SYNTAX.search(doc.text), CONVERTER_SYNTAX.search(doc.text)
    assert "\r" not in doc.text and "\x00" not in doc.text
    assert "\n\n\n" not in doc.text.strip("\n") or doc.pages  # empty slides aside


def section_titles(doc: Document) -> list[str]:
    return [s.title for s in document_sections(doc)]


def passages(doc: Document, size: int = 300) -> list[Passage]:
    """``doc``'s passages, cut along its own sections; each is checked to be an exact slice
    that stays inside its section."""
    sections = document_sections(doc)
    assert sections[0].start == 0 and sections[-1].end == len(doc.text)
    assert all(a.end == b.start for a, b in pairwise(sections))
    found = chunk_document(doc, sections, frozenset(),
                           make_splitter(ChunkingParams(chunk_size=size, chunk_overlap=0)))
    for p in found:
        assert any(s.title == p.section and s.start <= p.start and p.end <= s.end
                   for s in sections), p
        assert doc.text[p.start:p.end].strip() == doc.text[p.start:p.end] != ""
    return found
