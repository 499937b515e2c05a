"""``POST /v1/ask``: the ``/v1/search`` passages plus an answer from the LLM, whole or streamed.

Whatever happens to the LLM (down, slow, garbage), the passages are returned with status 200
and ``answer: null`` with a ``reason``. With ``"stream": true`` the response is
``text/event-stream``: ``passages`` first, then ``delta``…, ``citations``, ``done``; or
``error`` when the LLM fails after the passages were sent.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any

from fastapi import APIRouter, Depends

from ragqa.service.api.search import LLMDep, RewriterDep, search_in_conversation
from ragqa.service.deps import (
    AuditDep,
    EngineDep,
    ReaderDep,
    SettingsDep,
    require_json,
    require_reader,
)
from ragqa.service.llm import answer as flow
from ragqa.service.llm.abstain import language_code
from ragqa.service.llm.client import LLMClient, Message
from ragqa.service.llm.errors import LLMError
from ragqa.service.llm.sse import EventStreamResponse, sse
from ragqa.service.schemas import AskRequest, AskResponse, SearchResponse

logger = logging.getLogger(__name__)

NO_LLM = flow.NO_LLM

router = APIRouter(prefix="/v1", tags=["ask"],
                   dependencies=[Depends(require_reader), Depends(require_json)])

# Under OpenAPI 3.1, the schema of a text/event-stream describes each event.
_SSE_EVENT = {"type": "object", "required": ["event", "data"], "properties": {
    "event": {"enum": ["passages", "delta", "citations", "done", "error"]},
    "data": {"type": "string", "contentMediaType": "application/json"}}}
_STREAM_DOC = {200: {"content": {"text/event-stream": {"schema": _SSE_EVENT}},
                     "description": "The answer (JSON), or SSE events with `stream: true`"}}


@router.post("/ask", response_model=AskResponse, responses=_STREAM_DOC)
async def ask(body: AskRequest, engine: EngineDep, llm: LLMDep, rewriter: RewriterDep,
              settings: SettingsDep, reader: ReaderDep, audit: AuditDep) -> Any:
    """Like ``/v1/search`` plus ``answer`` (text, citations, model, grounded), ``reason``
    and ``reason_code`` (for programs: see README's "Reason codes").

    ``answer`` is null, with a ``reason``, when no LLM is configured, generation was not
    requested or the LLM failed; on low relevance the LLM is not called and the answer says
    the documents do not answer. With ``history``, the earlier turns go to the LLM as the
    conversation before the question (as the OpenAI endpoint's do)."""
    found = await search_in_conversation(engine, body, rewriter, reader)
    audit.record([p.doc_id for p in found.passages], body.question)
    early = flow.without_llm(found, llm, generate=body.generate,
                             language=language_code(settings.language))
    history = conversation_messages(body)
    if body.stream:
        return EventStreamResponse(ask_events(found, llm, early, history))
    outcome = early
    if outcome is None:
        assert llm is not None
        try:
            outcome = await flow.generate(llm, found, history)
        except LLMError as exc:
            logger.warning("no answer for /v1/ask: %s", exc)
            outcome = flow.failed(exc)
    # The search response's fields as they are (already validated models, not a dump).
    return AskResponse(**dict(found), answer=outcome.answer, reason=outcome.reason,
                       reason_code=outcome.code)


def conversation_messages(body: AskRequest) -> list[Message]:
    """The request's earlier turns as chat messages (user, then assistant when answered)."""
    messages: list[Message] = []
    for turn in body.history or ():
        messages.append({"role": "user", "content": turn.question})
        if turn.answer:
            messages.append({"role": "assistant", "content": turn.answer})
    return messages


async def ask_events(found: SearchResponse, llm: LLMClient | None,
                     early: flow.Outcome | None,
                     history: list[Message] | None = None) -> AsyncIterator[str]:
    """The SSE events of one streamed ``/v1/ask``."""
    yield sse(found.model_dump(mode="json"), "passages")
    if early is not None:
        if early.answer is not None:  # an abstention: said as one piece
            yield sse({"text": early.answer.text}, "delta")
            yield sse(_citations(early), "citations")
        yield sse(_done(early), "done")
        return
    assert llm is not None
    outcome: flow.Outcome | None = None
    upstream = None
    try:
        upstream = await flow.open_stream(llm, found, history or ())
        async with aclosing(flow.stream(upstream, found)) as items:
            async for item in items:
                if isinstance(item, str):
                    yield sse({"text": item}, "delta")
                else:
                    outcome = item
    except LLMError as exc:
        logger.warning("streamed /v1/ask failed: %s", exc)
        # `code` is the same value `reason_code` takes in a non-streamed answer.
        yield sse({"code": exc.code, "message": str(exc)}, "error")
        return
    finally:
        if upstream is not None:  # whatever ended the stream, the LLM stops generating
            await upstream.aclose()
    assert outcome is not None
    yield sse(_citations(outcome), "citations")
    yield sse(_done(outcome), "done")


def _citations(outcome: flow.Outcome) -> dict[str, Any]:
    answer = outcome.answer
    assert answer is not None
    return {"citations": [c.model_dump() for c in answer.citations],
            "grounded": answer.grounded, "removed_markers": answer.removed_markers}


def _done(outcome: flow.Outcome) -> dict[str, Any]:
    answer = outcome.answer.model_dump() if outcome.answer is not None else None
    return {"answer": answer, "reason": outcome.reason, "reason_code": outcome.code}
