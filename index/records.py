"""Records that cross between the stores, the search and the service: what a document, a
passage, a model and an indexing run are, whichever store holds them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class PassageRecord:
    """What a hit needs of one passage: where it is, its section, page, document title
    and its verbatim text (``document text[start:end]``)."""

    row: int
    doc_id: str
    start: int
    end: int
    section: str
    page: int | None
    title: str  # its document's
    quote: str
    # The rest of the passage's first line before it and of its last line after it: what
    # tells the highlighter whether a sentence is a whole line (a heading), without the
    # document's whole text.
    before: str = ""
    after: str = ""
    # A passage joined at query time from overlapping windows of one section: the spans
    # ``(start, end)`` of the index's passages it was made of, in document order (empty for
    # a passage as stored).
    windows: tuple[tuple[int, int], ...] = ()
    # A passage cut at query time to the sentences better-ranked passages of its document do
    # not show (it overlaps one it could not join): the quotes of the index's passages it was
    # cut from, whose stored tokens stand for it (empty for a passage as stored or joined).
    cut_from: tuple[str, ...] = ()


@dataclass(frozen=True)
class DocumentRecord:
    """A stored document: its canonical text (what every citation offset refers to), title,
    sections and pages, and how many passages it has."""

    doc_id: str
    title: str
    content_hash: str
    text: str
    sections: tuple[str, ...]
    passages: int
    indexed_at: str
    pages: tuple[int, ...] = ()


@dataclass(frozen=True)
class ModelRecord:
    """The embedding model that made the vectors, as resolved when building."""

    requested: str
    name: str
    weights_sha256: str
    dimension: int
    fallback: bool


@dataclass(frozen=True)
class RefusedFile:
    """A corpus file left out of the index: why, and its hash when it could be read (so an
    unchanged refused file does not make the index look out of date)."""

    reason: str
    sha256: str | None = None


class Progress(Protocol):
    """Told ``(done, to do)`` as embedding goes (see ragqa/progress.py): passages, then,
    with ``unit``, what else a build embeds ("sentences", "token passes")."""

    def __call__(self, done: int, total: int, unit: str = "passages") -> None: ...


@dataclass
class BuildReport:
    """What an indexing run did."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    documents: int = 0
    passages: int = 0
    embedded: int = 0
    reused: int = 0
    sentences_embedded: int = 0  # sentences embedded for the index (the others were reused)
    tokens_embedded: int = 0  # passages whose token vectors were made (the others reused)
    seconds: float = 0.0
    model: str = ""
    fallback: bool = False
    generation: int = 0
    up_to_date: bool = False
    rebuilt: bool = False
    # Corpus files left out of the index, by id, with the reason (unreadable, too large,
    # binary, empty, a broken PDF...). One bad file must not stop a corpus from being served.
    refused: dict[str, str] = field(default_factory=dict)


# Passages per encode call between two progress reports: two batches of the model's
# length-sorted batching, small enough for a report every few seconds on a CPU (8 s at the
# slowest measured rate, e5 on 1,000-character passages on 2 cores: 8 passages/s).
PROGRESS_STEP = 64


def line_context(text: str, start: int, end: int, limit: int | None = None) -> tuple[str, str]:
    """``(before, after)``: the rest of the line of ``text`` that holds ``start``, before it,
    and of the line that holds ``end``, after it; at most ``limit`` characters each (the
    PostgreSQL store reads a margin of the document, not all of it)."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    if limit is not None:
        line_start, line_end = max(line_start, start - limit), min(line_end, end + limit)
    return text[line_start:start], text[end:line_end]
