"""The ask flow: from retrieved passages to an answer object, whole or streamed.

Shared by ``POST /v1/ask`` and ``POST /v1/chat/completions``. The order of decisions:
generation not requested, no LLM configured, nothing relevant retrieved (abstain without
calling the LLM, unless the search is ``borderline``: near the low-relevance threshold, the
LLM reads the passages and may abstain itself, ``llm_abstained``), then the LLM, whose
failures become :class:`~ragqa.service.llm.errors.LLMError`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import aclosing
from dataclasses import dataclass

from ragqa.service.llm.abstain import abstention
from ragqa.service.llm.citations import MarkerFilter, clean, make_answer
from ragqa.service.llm.client import LLMClient, Message, TextStream
from ragqa.service.llm.errors import LLMBadResponseError, LLMError
from ragqa.service.llm.prompt import build_messages
from ragqa.service.schemas import Answer, ReasonCode, SearchResponse

NO_LLM = "no LLM configured"
NOT_REQUESTED = "generation not requested"
ABSTAINED = "low relevance: the documents do not seem to answer this question"
NO_PASSAGE = "no passage matches this question"
NOT_GROUNDED = "the answer cites no passage"
LLM_ABSTAINED = "the LLM found no answer in the passages"
EMPTY = "the LLM returned an empty answer"
ABSTAINER = "ragqa"  # the `model` of an abstention: ragqa wrote it, not an LLM


@dataclass(frozen=True)
class Outcome:
    """``answer`` (or None), ``reason`` and its ``code`` as they go into the response."""

    answer: Answer | None
    reason: str | None = None
    code: ReasonCode | None = None  # set exactly when ``reason`` is


def failed(exc: LLMError) -> Outcome:
    """The outcome of an LLM failure: no answer, the error as the reason."""
    return Outcome(None, str(exc), exc.code)  # type: ignore[arg-type]  # an LLMError code


def without_llm(found: SearchResponse, llm: LLMClient | None, *, generate: bool = True,
                language: str = "fr") -> Outcome | None:
    """The outcome when the LLM is not to be called, else None. ``language`` is the
    fallback for abstentions whose question's language cannot be told."""
    if not generate:
        return Outcome(None, NOT_REQUESTED, "generate_false")
    if llm is None:
        return Outcome(None, NO_LLM, "no_llm")
    if (found.low_relevance and not found.borderline) or not found.passages:
        text = abstention(found.question, language)
        answer = Answer(text=text, citations=[], model=ABSTAINER, grounded=False)
        if found.passages:
            return Outcome(answer, ABSTAINED, "low_relevance")
        return Outcome(answer, NO_PASSAGE, "no_passage")
    return None


def messages_for(found: SearchResponse, history: Sequence[Message] = ()) -> list[Message]:
    """The answer's prompt; a follow-up the LLM rewrote carries its standalone form."""
    retrieval = found.retrieval
    standalone = retrieval.query if retrieval.history_method == "llm" else None
    return build_messages(found.question, found.passages, history, standalone)


def finish(text: str, found: SearchResponse, model: str, markers: MarkerFilter) -> Outcome:
    """The outcome of the LLM's whole (cleaned) text: grounded when it cites a passage;
    else its abstention (it wrote ``[0]``: the passages do not answer), else not grounded."""
    if markers.abstained and not text:  # "[0]" alone: the abstention, in words
        text = abstention(found.question)
    answer = make_answer(text, found.passages, model, markers.removed)
    if answer.grounded:
        return Outcome(answer)
    if markers.abstained:
        return Outcome(answer, LLM_ABSTAINED, "llm_abstained")
    return Outcome(answer, NOT_GROUNDED, "not_grounded")


async def generate(llm: LLMClient, found: SearchResponse,
                   history: Sequence[Message] = ()) -> Outcome:
    """A whole answer from the LLM. Raises LLMError."""
    completion = await llm.complete(messages_for(found, history))
    text, markers = clean(completion.text, len(found.passages))
    if not text and not markers.abstained:
        raise LLMBadResponseError(EMPTY)
    return finish(text, found, completion.model, markers)


async def open_stream(llm: LLMClient, found: SearchResponse,
                      history: Sequence[Message] = ()) -> TextStream:
    """Start the LLM's streamed answer. Raises LLMError (down, timeout) before any text."""
    return await llm.stream(messages_for(found, history))


async def stream(upstream: TextStream, found: SearchResponse) -> AsyncIterator[str | Outcome]:
    """Text pieces as the LLM writes them (invalid markers already removed), then the final
    :class:`Outcome`. Raises LLMError mid-way.

    The upstream response is closed whenever this generator ends: finished, failed, or
    cancelled because our own client went away, which stops the LLM generating."""
    markers = MarkerFilter(len(found.passages))
    pieces: list[str] = []
    try:
        async with aclosing(upstream.__aiter__()) as texts:
            async for piece in texts:
                ready = markers.feed(piece)
                if ready:
                    pieces.append(ready)
                    yield ready
        rest = markers.flush()
        if rest:
            pieces.append(rest)
            yield rest
    finally:
        await upstream.aclose()
    if not pieces and not markers.abstained:
        raise LLMBadResponseError(EMPTY)
    yield finish("".join(pieces), found, upstream.model, markers)
