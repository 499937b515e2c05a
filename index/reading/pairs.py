"""(question, passage) pairs as the reader's inputs: tokenised windows with their passage
offsets, and a character answer span turned into token positions.

A passage longer than one window is read in overlapping windows (the tokenizer's own
overflow with a stride); the passage's verdict is its best window's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

QUERY_PREFIX = "query: "  # e5's own prefix for the question side
MAX_QUESTION_TOKENS = 48


@dataclass(frozen=True)
class Window:
    """One tokenised window of one pair. ``offsets[i]`` is the passage slice of token ``i``
    (``None`` outside the passage: special tokens, the question)."""

    pair: int  # index of the pair this window comes from
    input_ids: tuple[int, ...]
    offsets: tuple[tuple[int, int] | None, ...]

    def __len__(self) -> int:
        return len(self.input_ids)

    def answer_tokens(self, start: int, end: int) -> tuple[int, int] | None:
        """Token positions ``(first, last)`` covering the passage's chars ``[start, end)``
        when the window holds all of them, else ``None``."""
        first = last = None
        for i, span in enumerate(self.offsets):
            if span is None or span[1] <= span[0]:
                continue
            if first is None and span[0] <= start < span[1]:
                first = i
            if first is not None and span[0] < end <= span[1]:
                last = i
                break
        if first is None or last is None:
            return None
        return first, last


def windows(tokenizer: Any, pairs: list[tuple[str, str]], *, max_len: int = 320,
            stride: int = 96) -> list[Window]:
    """Every window of every ``(question, passage)`` pair, in order. The question is cut to
    ``MAX_QUESTION_TOKENS``; the passage fills the rest of ``max_len``, windows overlapping
    by ``stride`` tokens."""
    out: list[Window] = []
    for number, (question, passage) in enumerate(pairs):
        q_ids = tokenizer(QUERY_PREFIX + question, add_special_tokens=False)["input_ids"]
        question = tokenizer.decode(q_ids[:MAX_QUESTION_TOKENS]) if len(q_ids) > MAX_QUESTION_TOKENS else QUERY_PREFIX + question
        enc = tokenizer(question, passage, truncation="only_second", max_length=max_len,
                        stride=stride, return_overflowing_tokens=True,
                        return_offsets_mapping=True)
        for w in range(len(enc["input_ids"])):
            sequence = enc.sequence_ids(w)
            offsets = tuple(
                (int(a), int(b)) if s == 1 else None
                for s, (a, b) in zip(sequence, enc["offset_mapping"][w])
            )
            out.append(Window(number, tuple(enc["input_ids"][w]), offsets))
    return out
