"""Pointing at the sentence of a passage that best answers a question.

A highlight is a span of the document's canonical text inside a passage's ``[start, end)``
(so a client can underline it in the quote or in the full text with the same offsets).
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable, Iterator

from cachetools import LRUCache

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


Sentences = list[tuple[tuple[int, int], frozenset[str]]]


def analysed_sentences(
    text: str, start: int, end: int, analyze: Callable[[str], list[str]]
) -> Sentences:
    """The sentences of ``text[start:end]`` with the set of terms of each."""
    return [((s, e), frozenset(analyze(text[s:e]))) for s, e in sentence_spans(text, start, end)]


def best_sentence(sentences: Sentences, wanted: set[str] | frozenset[str],
                  default: tuple[int, int]) -> tuple[int, int]:
    """The span of the sentence sharing the most ``wanted`` terms (see :func:`highlight_span`)."""
    if not sentences:
        return default
    if not wanted:
        return sentences[0][0]
    terms = [found & wanted for _, found in sentences]
    frequency: dict[str, int] = {}
    for found in terms:
        for term in found:
            frequency[term] = frequency.get(term, 0) + 1
    best, best_score = sentences[0][0], 0.0
    for (span, _), found in zip(sentences, terms):
        score = sum(1.0 + math.log(len(sentences) / frequency[t]) for t in found)
        if score > best_score:
            best, best_score = span, score
    return best


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
    sentences = analysed_sentences(text, start, end, analyze)
    return best_sentence(sentences, set(analyze(question)), (start, end))


class Highlighter:
    """:func:`highlight_span` over one index, remembering each passage's analysed sentences.

    A passage's text never changes within an index generation, so only the question is
    analysed per request: the passages returned most often cost a lookup. Thread-safe.
    """

    def __init__(self, analyze: Callable[[str], list[str]], cache_size: int = 4096) -> None:
        self._analyze = analyze
        self._sentences: LRUCache = LRUCache(maxsize=cache_size)
        self._lock = threading.Lock()

    def for_question(self, question: str) -> Callable[[str, str, int, int], tuple[int, int]]:
        """``span(doc_id, text, start, end)`` for this question."""
        wanted = frozenset(self._analyze(question))

        def span(doc_id: str, text: str, start: int, end: int) -> tuple[int, int]:
            key = (doc_id, start, end)
            with self._lock:
                sentences = self._sentences.get(key)
            if sentences is None:
                sentences = analysed_sentences(text, start, end, self._analyze)
                with self._lock:
                    self._sentences[key] = sentences
            return best_sentence(sentences, wanted, (start, end))

        return span
