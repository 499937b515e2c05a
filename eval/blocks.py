"""A SQuAD context as the blocks a writer lays out: headings, paragraphs and list items.

PIAF's contexts are plain paragraphs; the long administrative pages
(:mod:`ragqa.eval.longdocs`) are markdown pages (``## heading``, ``### sub-heading``,
``- item``). Each :class:`Block` keeps the offset of its text in the context, so that a
gold answer span can be followed from the context into whatever a loader made of the
written file (:mod:`ragqa.eval.spanmap`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_HEADING = re.compile(r"#{1,6} ")
_ITEM = re.compile(r"[-*] ")


@dataclass(frozen=True)
class Block:
    """One block of a document: ``kind`` is "heading" (with its ``level``, 1 for the
    document's title), "paragraph" or "item"; ``start`` is the offset of ``text`` in the
    context it was read from (-1 for text the writer adds, such as the title)."""

    kind: str
    text: str
    level: int = 0
    start: int = -1


def context_blocks(context: str, base: int = 0) -> list[Block]:
    """The blocks of a context: blank-line separated chunks; a chunk starting with ``#``
    is a heading of that level, a chunk whose every line starts with ``- `` a list (one
    item per line), any other chunk a paragraph (its inner line breaks kept). ``base`` is
    added to every offset (the context's own offset in a larger text)."""
    blocks: list[Block] = []
    for match in re.finditer(r"[^\n]+(?:\n[^\n]+)*", context):
        chunk, start = match.group(), base + match.start()
        if heading := _HEADING.match(chunk):
            marks = heading.end() - 1
            blocks.append(Block("heading", chunk[heading.end():], marks, start + heading.end()))
        elif all(_ITEM.match(line) for line in chunk.split("\n")):
            offset = start
            for line in chunk.split("\n"):
                blocks.append(Block("item", line[2:], 0, offset + 2))
                offset += len(line) + 1
        else:
            blocks.append(Block("paragraph", chunk, 0, start))
    return blocks


def partie_blocks(paragraphs: list[str] | tuple[str, ...], every: int = 10) -> list[Block]:
    """Plain paragraphs under a level-2 heading "Partie n" every ``every`` of them (the
    speed bench's documents)."""
    blocks: list[Block] = []
    for i, text in enumerate(paragraphs):
        if i % every == 0:
            blocks.append(Block("heading", f"Partie {i // every + 1}", 2))
        blocks.append(Block("paragraph", text))
    return blocks
