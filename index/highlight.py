"""Pointing at the sentence of a passage that best answers a question.

A highlight is a span of the document's canonical text inside a passage's ``[start, end)``
(so a client can underline it in the quote or in the full text with the same offsets).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator

# A sentence ends at ., !, ? or … (optionally followed by a closing quote or bracket) and
# whitespace, or at a line break: live-blog entries and lists have no final punctuation.
_SENTENCE_END = re.compile(r"(?<=[.!?…])[»”\"')\]]?\s+|\n+")


def sentence_spans(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Spans of the sentences of ``text[start:end]``, whitespace-trimmed, in order."""
    cursor = start
    for match in _SENTENCE_END.finditer(text, start, end):
        yield from _trim(text, cursor, match.start())
        cursor = match.end()
    yield from _trim(text, cursor, end)


def _trim(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    chunk = text[start:end]
    stripped = chunk.strip()
    if stripped:
        lead = len(chunk) - len(chunk.lstrip())
        yield start + lead, start + lead + len(stripped)


def highlight_span(
    text: str,
    start: int,
    end: int,
    question: str,
    analyze: Callable[[str], list[str]],
) -> tuple[int, int]:
    """The sentence of ``text[start:end]`` sharing the most question terms.

    ``analyze`` turns text into terms (the index's BM25 analyzer, so stemming and accent
    folding match retrieval). Terms rare within the passage weigh more; ties go to the
    earlier sentence. With no shared term, the passage's first sentence is returned.
    """
    spans = list(sentence_spans(text, start, end))
    if not spans:
        return start, end
    wanted = set(analyze(question))
    if not wanted:
        return spans[0]
    terms = [set(analyze(text[s:e])) & wanted for s, e in spans]
    frequency: dict[str, int] = {}
    for found in terms:
        for term in found:
            frequency[term] = frequency.get(term, 0) + 1
    best, best_score = spans[0], 0.0
    for span, found in zip(spans, terms):
        score = sum(1.0 + math.log(len(spans) / frequency[t]) for t in found)
        if score > best_score:
            best, best_score = span, score
    return best
