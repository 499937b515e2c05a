"""Following gold answer spans from the text a document was written from into the
canonical text a loader made of the written file.

A loader rewrites layout, not words: it drops markup, joins wrapped lines, puts headings
and list items on lines of their own, and separates blocks and pages with blank lines. So
each written block is looked for in the canonical text with whitespace runs read as one
space, in document order (a repeated block maps to its own copy), and an answer's offsets
inside its block are carried over character for character. A block not found whole (a PDF
page footer printed inside it) still places its spans by their own text, read with up to
:data:`ANCHOR` characters of the block before or after it, or alone where it occurs once
(counted apart: ``by_answer``). A span placed neither way (text a loader lost or changed)
is *unmapped*: reported, never dropped silently.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ragqa.eval.blocks import Block

ANCHOR = 40


@dataclass(frozen=True)
class _Folded:
    """A text with each whitespace run read as one space: ``text``, and for each of its
    characters the offset of the character it stands for in the original."""

    text: str
    origin: tuple[int, ...]


def _fold(text: str) -> _Folded:
    chars: list[str] = []
    origin: list[int] = []
    for i, char in enumerate(text):
        if char.isspace():
            if chars and chars[-1] == " ":
                continue
            char = " "
        chars.append(char)
        origin.append(i)
    return _Folded("".join(chars), tuple(origin))


def _folded_offset(text: str, offset: int) -> int:
    """Where the character at ``offset`` of ``text`` falls in its folded form."""
    return len(_fold(text[:offset]).text) if offset else 0


@dataclass(frozen=True)
class SpanMapping:
    """The spans' offsets in the canonical text, None for each span that could not be
    mapped, and the blocks that were not found."""

    spans: tuple[tuple[int, int] | None, ...]
    lost_blocks: tuple[Block, ...]
    by_answer: int = 0  # spans of lost blocks placed by their own text


def map_spans(canonical: str, blocks: Sequence[Block], spans: Sequence[tuple[int, int]],
              printable: Callable[[str], str] | None = None) -> SpanMapping:
    """Map ``spans`` (offsets in the text the ``blocks`` were read from) into
    ``canonical``. ``printable`` is what the writer did to each block's characters, one for
    one (PDF's Windows-1252: ``œ`` stays, ``ō`` is printed ``?``)."""
    folded = _fold(canonical)
    found: dict[int, int] = {}  # block number -> folded offset in the canonical text
    lost: list[Block] = []
    cursor = 0
    for number, block in enumerate(blocks):
        needle = _fold((printable or str)(block.text)).text.strip()
        if not needle:
            continue
        at = folded.text.find(needle, cursor)
        if at < 0:
            at = folded.text.find(needle)  # out of order: a loader moved it
        if at < 0:
            lost.append(block)
            continue
        found[number] = at - (1 if _fold(block.text).text.startswith(" ") else 0)
        cursor = at + len(needle)
    mapped: list[tuple[int, int] | None] = []
    by_answer = 0
    for start, end in spans:
        number = next((n for n, b in enumerate(blocks)
                       if b.start >= 0 and b.start <= start and end <= b.start + len(b.text)),
                      None)
        if number is None or end <= start:
            mapped.append(None)
            continue
        if number not in found:
            placed = _by_answer(folded, blocks[number], start, end, printable or str)
            by_answer += placed is not None
            mapped.append(placed)
            continue
        block = blocks[number]
        first = found[number] + _folded_offset(block.text, start - block.start)
        last = found[number] + _folded_offset(block.text, end - 1 - block.start)
        if last >= len(folded.origin):
            mapped.append(None)
            continue
        mapped.append((folded.origin[first], folded.origin[last] + 1))
    return SpanMapping(tuple(mapped), tuple(lost), by_answer)


def _by_answer(folded: _Folded, block: Block, start: int, end: int,
               printable: Callable[[str], str]) -> tuple[int, int] | None:
    """The span ``start:end`` of a block that was not found whole, placed by its own text
    with some of the block's text before it, after it, or alone where it occurs once."""
    text = printable(block.text)
    first, last = start - block.start, end - block.start
    answer = _fold(text[first:last]).text.strip()
    before = _fold(text[max(0, first - ANCHOR):first]).text.lstrip()
    after = _fold(text[last:last + ANCHOR]).text.rstrip()
    if not answer:
        return None
    for needle, lead in ((before + answer, len(before)), (answer + after, 0)):
        at = folded.text.find(needle)
        if at >= 0 and folded.text.find(needle, at + 1) < 0 and len(needle) > len(answer):
            break
    else:
        at, lead = folded.text.find(answer), 0
        if at < 0 or folded.text.find(answer, at + 1) >= 0:
            return None
    at += lead
    return folded.origin[at], folded.origin[at + len(answer) - 1] + 1
