"""``[n]`` markers in an answer: keep those that point to a passage, remove the others.

``[0]`` is the LLM's abstention (the prompt asks for it when the passages do not answer):
removed from the text like an invalid marker, but recorded as ``abstained``, not as removed.

:class:`MarkerFilter` works on a stream of text pieces (and on a whole answer fed at once),
holding back only what could still become a marker, so the pieces it lets through are final:
the streamed deltas join into exactly the answer's text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ragqa.service.schemas import Answer, Citation, PassageOut

# [1], [2, 3], [2;3]: the forms models use. Leading spaces go with a removed marker.
MARKER = re.compile(r"(\s*)\[\s*(\d{1,6}(?:\s*[,;]\s*\d{1,6})*)\s*\]")
_OPEN_MARKER = re.compile(r"\[\s*(?:\d{1,6}(?:\s*[,;]\s*\d{0,6})*\s*)?\Z")
_HOLD = 40  # longest unclosed "[..." held back waiting for its "]"
ABSTAIN_MARKER = 0  # "[0]": the passages do not answer (see the prompt's rules)


def _numbers(group: str) -> list[int]:
    return [int(n) for n in re.split(r"\s*[,;]\s*", group.strip())]


class MarkerFilter:
    """Feed answer pieces, get back text with invalid markers removed; ``removed`` lists
    the numbers that pointed to no passage (1..``count`` are valid); ``abstained`` is
    True once a ``[0]`` was seen."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.removed: list[int] = []
        self.abstained = False
        self._pending = ""
        self._started = False

    def feed(self, piece: str) -> str:
        """The part of what has been fed so far that can be emitted now."""
        self._pending += piece
        cut = len(self._pending)
        bracket = self._pending.rfind("[")
        if bracket != -1 and len(self._pending) - bracket <= _HOLD \
                and _OPEN_MARKER.match(self._pending, bracket):
            cut = bracket
        ready = self._pending[:cut]
        # Trailing spaces wait: they vanish if the answer ends or a removed marker follows.
        kept = ready.rstrip()
        self._pending = self._pending[len(kept):]
        return self._emit(kept)

    def flush(self) -> str:
        """Whatever is left, at the end of the answer (without trailing whitespace)."""
        rest, self._pending = self._pending.rstrip(), ""
        return self._emit(rest)

    def _emit(self, text: str) -> str:
        text = MARKER.sub(self._rewrite, text)
        if not self._started:
            text = text.lstrip()
            self._started = bool(text)
        return text

    def _rewrite(self, match: re.Match[str]) -> str:
        numbers = _numbers(match.group(2))
        valid = [n for n in numbers if 1 <= n <= self.count]
        for n in numbers:
            if n == ABSTAIN_MARKER:
                self.abstained = True
            elif n not in valid and n not in self.removed:
                self.removed.append(n)
        if not valid:
            return ""
        return f"{match.group(1)}[{', '.join(str(n) for n in valid)}]"


def clean(text: str, count: int) -> tuple[str, MarkerFilter]:
    """A whole answer with invalid markers removed, and the filter that read it (its
    ``removed`` numbers, whether it ``abstained``)."""
    marker_filter = MarkerFilter(count)
    cleaned = marker_filter.feed(text) + marker_filter.flush()
    return cleaned, marker_filter


def cited_numbers(text: str) -> list[int]:
    """Marker numbers in order of first appearance, each once."""
    seen: list[int] = []
    for match in MARKER.finditer(text):
        for n in _numbers(match.group(2)):
            if n not in seen:
                seen.append(n)
    return seen


def make_answer(text: str, passages: Sequence[PassageOut], model: str,
                removed: Sequence[int] = ()) -> Answer:
    """The answer object for an already cleaned ``text``: one citation per valid marker,
    mapped to the passage of that rank; grounded when there is at least one."""
    citations = [
        Citation(n=n, doc_id=p.doc_id, start=p.start, end=p.end, quote=p.quote)
        for n in cited_numbers(text) if 1 <= n <= len(passages)
        for p in (passages[n - 1],)
    ]
    return Answer(text=text, citations=citations, model=model, grounded=bool(citations),
                  removed_markers=sorted(set(removed)))
