"""Cutting documents into passages that are exact, citable slices of their text.

The product's promise lives here: for every passage, ``doc.text[start:end]`` is the
passage's text, character for character. Passages never cross a section, a boilerplate
line, a skipped line (page chrome) or a page boundary, but the start of a page that carries
on the section of the page before (a continued slide, any page of a PDF but its first),
and are at most ``chunk_size`` characters long. A passage is cited by the page that holds
most of it (:func:`page_of_span`). Where a page break does cut, a page that starts mid-line
is cut at its first line start instead: the joined line is not cut at the break, and every
later line of the page is in passages of that page. A section that holds nothing but a generic
heading line (a markdown heading, or the section's own heading line as the file marks it: a
deck's section-header slide) yields no passage, nor does a heading line left alone above a
block too long to share a passage with it, nor a passage made only of lines that say
nothing (a kicker, the title alone).
"""

from __future__ import annotations

import bisect
from collections.abc import Collection, Iterator
from dataclasses import dataclass

from langchain_text_splitters import RecursiveCharacterTextSplitter

from ragqa.index.documents.boilerplate import normalise_line
from ragqa.index.documents.closing import closes
from ragqa.index.documents.outline import HEADING_PATH_SEPARATOR, OutlinedDocument
from ragqa.index.documents.reading import Document
from ragqa.index.documents.sections import Section, heading_title, is_markdown_heading

# Paragraphs first, then lines, then sentences, then clauses, then words. Lookbehind
# separators keep the punctuation with the sentence it ends.
SEPARATORS = (
    r"\n\s*\n",
    r"\n",
    r"(?<=[.!?…»”])\s+",
    r"(?<=[;:])\s+",
    r"(?<=,)\s+",
    r"\s+",
    "",
)


@dataclass(frozen=True)
class ChunkingParams:
    """Passage size and overlap, in characters.

    Re-measured for issue 14 in BM25-only mode on the ``dev`` splits of three corpus shapes
    (``python -m ragqa.eval.corpus_sweep``; recall@5 / MRR@10, project / PIAF / long pages):
    1000/450 gives 0.896/0.744, 0.870/0.784, 0.848/0.758; overlap 142 costs the news set
    most (0.831/0.682; PIAF and the long pages, whose paragraphs are shorter than a
    passage, do not move), 300 too (0.870/0.706); 500/225 loses everywhere
    (0.753/0.604, 0.787/0.682, 0.756/0.641), 800/350 too. Longer passages gain a little on
    all three (1500/675: 0.883/0.755, 0.881/0.794, 0.856/0.762) but a longer passage
    contains more answers by its length alone, is a longer quote, and is what the dense
    model reads (the bundled MiniLM stops at 256 tokens, about 1,000 characters; e5 at 512):
    the size is decided with the dense measurements, not from BM25 alone.
    """

    chunk_size: int = 1000
    chunk_overlap: int = 450

    def __post_init__(self) -> None:
        if self.chunk_size < 50:
            raise ValueError("chunk_size must be at least 50 characters")
        if not 0 <= self.chunk_overlap < self.chunk_size // 2:
            raise ValueError("chunk_overlap must be between 0 and half of chunk_size")


@dataclass(frozen=True)
class Passage:
    """A verbatim slice ``[start, end)`` of document ``doc_id``."""

    doc_id: str
    start: int
    end: int
    section: str
    page: int | None = None


def make_splitter(params: ChunkingParams) -> RecursiveCharacterTextSplitter:
    return RecursiveCharacterTextSplitter(
        chunk_size=params.chunk_size,
        chunk_overlap=params.chunk_overlap,
        separators=list(SEPARATORS),
        is_separator_regex=True,
        keep_separator="end",
        strip_whitespace=True,
    )


def content_runs(
    text: str, section: Section, boilerplate: frozenset[str], breaks: tuple[int, ...] = (),
    skipped: Collection[int] = frozenset(),
) -> Iterator[tuple[int, int]]:
    """Maximal spans of the section free of boilerplate lines, skipped lines (those starting
    at an offset in ``skipped``) and page breaks (``breaks``, as :func:`line_breaks` gives
    them), trimmed."""
    run_start: int | None = None
    offset = section.start
    first = True
    for line in text[section.start : section.end].split("\n"):
        line_end = offset + len(line)
        # The section's own heading line is never boilerplate: it names the section.
        is_noise = offset in skipped or (not first and normalise_line(line) in boilerplate)
        first = False
        page_break = offset in breaks and offset != section.start
        if (is_noise or page_break) and run_start is not None:
            yield from _trimmed(text, run_start, offset)
            run_start = None
        if not is_noise and run_start is None:
            run_start = offset
        offset = line_end + 1
    if run_start is not None:
        yield from _trimmed(text, run_start, section.end)


def _trimmed(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    chunk = text[start:end]
    stripped = chunk.strip()
    if stripped:
        lead = len(chunk) - len(chunk.lstrip())
        yield start + lead, start + lead + len(stripped)


def chunk_document(
    doc: Document,
    sections: list[Section],
    boilerplate: frozenset[str],
    splitter: RecursiveCharacterTextSplitter,
    generic_headings: frozenset[str] = frozenset(),
    skipped: Collection[int] = frozenset(),
    minor: Collection[int] = frozenset(),
) -> list[Passage]:
    """All passages of ``doc``, in document order.

    A chunk that is only its section's heading line yields no passage when the section has
    others. A section that holds nothing but its heading line yields no passage when that
    heading is generic (its normalised title is in ``generic_headings``, see
    :func:`ragqa.index.documents.boilerplate.find_generic_headings`), nor does a passage whose every
    line is *minor* (starts at an offset in ``minor``: a kicker, a rule, the title line),
    unless the document has nothing else. Lines starting at an offset in ``skipped`` (page
    chrome: a paywall notice, a login prompt) are in no passage.
    """
    text = doc.text
    # A page that carries on the section of the page before (a continued slide, a PDF's
    # page) is read across: its passages may start on the page before.
    continued = set(doc.continued_pages) if isinstance(doc, OutlinedDocument) else set()
    breaks = line_breaks(text, tuple(p for p in doc.pages if p not in continued))
    passages: list[Passage] = []
    empty_sections: list[Passage] = []
    for section in sections:
        found_here: list[Passage] = []
        for run_start, run_end in content_runs(text, section, boilerplate, breaks, skipped):
            run = text[run_start:run_end]
            cursor = -1
            for chunk in splitter.split_text(run):
                if not any(c.isalnum() for c in chunk):
                    continue
                found = run.find(chunk, cursor + 1)
                if found < 0:  # cannot happen: every chunk is a slice of the run
                    found = run.find(chunk)
                cursor = found
                start = run_start + found
                found_here.append(
                    Passage(
                        doc_id=doc.doc_id,
                        start=start,
                        end=start + len(chunk),
                        section=section.title,
                        page=page_of_span(doc.pages, start, start + len(chunk)),
                    )
                )
        # A heading line left alone above a block too long to share a passage with it says
        # nothing the passages under it do not: they are of its section, named in what the
        # model reads of them. As a passage of a few words it outscores them for a question
        # worded like it.
        headed = [p for p in found_here
                  if not _heading_only(text[p.start : p.end], section.title)]
        if headed:
            found_here = headed
        # A generic heading with nothing under it ("## Qui est concerné ?" right above
        # "### Cas général") answers nothing, and as a few-word passage it outscores real
        # ones for a question worded like it; nor does a closing one (a deck's last slide,
        # "Questions ?"). A distinctive one (a live blog's video entry, title only) is
        # content and stays.
        elif (normalise_line(section.title) in generic_headings
              or closes(section.title.split(HEADING_PATH_SEPARATOR)[-1])):
            empty_sections.extend(found_here)
            continue
        # A kicker over the headline ("COMMUNIQUÉ DE PRESSE", a rule) or the title alone
        # before the first section answers nothing, and as a few-word passage it outscores
        # real ones for a question that shares a word with it.
        for p in found_here:
            (empty_sections if minor and _only_minor(text, p, minor) else passages).append(p)
    return passages or sorted(empty_sections, key=lambda p: p.start)


def _only_minor(text: str, passage: Passage, minor: Collection[int]) -> bool:
    """Whether every line ``passage`` touches starts at an offset in ``minor``."""
    offset = text.rfind("\n", 0, passage.start) + 1
    for line in text[offset : passage.end].split("\n"):
        if line.strip() and offset not in minor:
            return False
        offset += len(line) + 1
    return True


def _heading_only(chunk: str, section_title: str) -> bool:
    """Whether ``chunk`` is nothing but a heading line: a markdown heading, or the line of
    its section's own heading as the file marks it (a Word or HTML heading, a slide's
    title: a section-header slide holds only that line, and a passage never crosses a
    slide), or lines of its section's heading path only (a section-header slide's title
    above the title of the first slide under it)."""
    first, _, rest = chunk.partition("\n")
    path = section_title.split(HEADING_PATH_SEPARATOR)
    own = path[-1]
    if ((heading_title(first) is not None or normalise_line(first) == normalise_line(own))
            and not any(c.isalnum() for c in rest)):
        return True
    # markdown headings only, the last its section's own: "## Messagerie" above "### Boîte
    # pleine" (not a log's or an agenda's dated lines, text in a Word or PDF file)
    lines = [line for line in chunk.split("\n") if line.strip()]
    if (len(lines) > 1 and all(is_markdown_heading(line) for line in lines)
            and heading_title(lines[-1]) == own):
        return True
    lines = [normalise_line(line) for line in lines]
    return len(lines) > 1 and lines[-1] == normalise_line(own) and all(
        line in {normalise_line(part) for part in path[:-1]} for line in lines[:-1])


def line_breaks(text: str, pages: tuple[int, ...]) -> tuple[int, ...]:
    """Where passages are cut for the page starts ``pages``: each page start that falls at
    a line start, else the first line start after it (the line joined over the break goes
    with the page it starts on; the rest of the page's lines are on their page)."""
    cuts = []
    for start in pages:
        if start and text[start - 1] != "\n":
            start = text.find("\n", start) + 1
            if not start:
                continue
        cuts.append(start)
    return tuple(cuts)


def page_of(pages: tuple[int, ...], offset: int) -> int | None:
    """1-based page number holding ``offset``, or ``None`` for unpaginated documents."""
    if not pages:
        return None
    return bisect.bisect_right(pages, offset)


def page_of_span(pages: tuple[int, ...], start: int, end: int) -> int | None:
    """The page a passage ``[start, end)`` is cited by: the one holding most of its text
    (the first of equals). A passage read across a page break (a PDF's section, a continued
    slide) is found where the reader will find most of it: a title line at the foot of a
    page does not send them to the page before the text."""
    first, last = page_of(pages, start), page_of(pages, max(start, end - 1))
    if first is None or last is None or first == last:
        return first
    shares = [min(end, pages[n] if n < len(pages) else end) - max(start, pages[n - 1])
              for n in range(first, last + 1)]
    return first + shares.index(max(shares))
