"""``POST /v1/chat/completions`` and ``GET /v1/models``: ragqa as a model for stock clients.

The OpenAI protocol, so the ``openai`` package, Open WebUI and friends can talk to ragqa:
the last user message is the question, earlier user and assistant turns are its conversation
(the follow-up is searched as a standalone question, as ``/v1/search`` does with a
``history``, and they go to the LLM as context), the answer carries ``[n]`` markers, and
the passages ride in an extra top-level ``ragqa`` field that stock clients ignore. A client's own system
messages are not passed on: ragqa's system prompt is what keeps answers grounded.
LLM failures are 502 (down, garbage) or 504 (timeout) with the common error body; a
``model`` other than ``ragqa`` is a 404 whose error body also has OpenAI's ``type`` and
``param``. Without an LLM, the completion lists the passages whole, in the question's
language (:mod:`ragqa.service.llm.listing`).
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field, field_validator

from ragqa.index.search.followup import MAX_TURNS
from ragqa.index.search.retriever import BLANK_PATTERN, MAX_QUESTION_CHARS, unpaired_surrogate
from ragqa.service.api.search import LLMDep, RewriterDep, search_in_conversation
from ragqa.service.deps import (
    AuditDep,
    EngineDep,
    ReaderDep,
    SettingsDep,
    require_json,
    require_reader,
)
from ragqa.service.errors import ApiError, error_responses
from ragqa.service.llm import answer as flow
from ragqa.service.llm.abstain import language_code
from ragqa.service.llm.client import Message, TextStream
from ragqa.service.llm.errors import LLMError
from ragqa.service.llm.sse import EventStreamResponse, sse
from ragqa.service.llm.listing import passages_text
from ragqa.service.schemas import (
    EXAMPLE_QUESTION,
    MAX_ANSWER_CHARS,
    MAX_HISTORY_CHARS,
    Answer,
    Citation,
    Filters,
    HistoryTurn,
    SearchRequest,
    SearchResponse,
    json_integer,
)

logger = logging.getLogger(__name__)

MODEL_ID = "ragqa"
# The roles of OpenAI's chat messages ("developer" is its newer "system"; "function" the
# older "tool"): only user and assistant messages are read, the others accepted and skipped.
ROLES = ("system", "developer", "user", "assistant", "tool", "function")

router = APIRouter(prefix="/v1", tags=["openai"], dependencies=[Depends(require_reader)])


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: str
    content: str | list[dict[str, Any]] | None = None

    @field_validator("role")
    @classmethod
    def _role(cls, value: str) -> str:
        if value not in ROLES:  # was ignored: a misspelt "user" left the question unasked
            raise ValueError(f"unknown role {value[:40]!r}; one of {', '.join(ROLES)}")
        return value

    @field_validator("content")
    @classmethod
    def _content(cls, value: str | list[dict[str, Any]] | None
                 ) -> str | list[dict[str, Any]] | None:
        parts = [value] if isinstance(value, str) else [
            p.get("text") for p in value or () if isinstance(p.get("text"), str)]
        for part in parts:
            if (broken := unpaired_surrogate(part)) is not None:
                raise ValueError(f"a message {broken}")
        return value

    def text(self) -> str:
        """The content, joining the text parts of a multi-part message (with a space: it
        is read as one question)."""
        if isinstance(self.content, list):
            return " ".join(str(p.get("text", "")) for p in self.content
                            if p.get("type") == "text")
        return self.content or ""

    def holds_only_other_parts(self) -> bool:
        """Whether the content is parts none of which is text (an image alone)."""
        return (isinstance(self.content, list) and bool(self.content)
                and not any(p.get("type") == "text" for p in self.content))


class RagqaOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    k: int = Field(5, ge=1, le=50)

    @field_validator("k", mode="before")
    @classmethod
    def _k(cls, value: object) -> object:
        return json_integer(value)
    filters: Filters | None = None


class ChatRequest(BaseModel):
    # Stock clients send options we do not use (temperature, top_p, user, …): ignored. The
    # example is the body Swagger's "Try it out" starts from: a question the corpus answers.
    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [
        {"model": MODEL_ID, "messages": [{"role": "user", "content": EXAMPLE_QUESTION}]}]})

    model: str = Field(MODEL_ID, description="`ragqa`, the one model served (404 otherwise)")
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = Field(False, strict=True)
    ragqa: RagqaOptions | None = Field(
        None, description="ragqa's own options (the openai client's `extra_body`)")


@router.get("/models")
def models() -> dict[str, Any]:
    """The one model ragqa serves."""
    return {"object": "list",
            "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "ragqa"}]}


@router.post("/chat/completions", dependencies=[Depends(require_json)],
             responses={200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}},
                        **error_responses(502, 504)})
async def chat_completions(body: ChatRequest, engine: EngineDep, llm: LLMDep,
                           rewriter: RewriterDep, settings: SettingsDep,
                           reader: ReaderDep, audit: AuditDep) -> Any:
    """A chat completion answered from the documents, with ``[n]`` citations."""
    if body.model != MODEL_ID:
        raise ApiError(404, "model_not_found",
                       f"The model {body.model!r} does not exist; this server serves one "
                       f"model: {MODEL_ID!r} (GET /v1/models)",
                       fields={"type": "invalid_request_error", "param": "model"})
    question, history = _split(body.messages)
    options = body.ragqa or RagqaOptions()
    search = SearchRequest(question=question, k=options.k, filters=options.filters,
                           history=turns_of(history) or None)
    found = await search_in_conversation(engine, search, rewriter, reader)
    audit.record([p.doc_id for p in found.passages], question)
    language = language_code(settings.language)
    outcome = flow.without_llm(found, llm, language=language)
    if outcome is not None and outcome.answer is None:  # no LLM: the passages, listed
        outcome = flow.Outcome(_passages_only(found, language), outcome.reason, outcome.code)
    reply = _Reply(found)
    if body.stream:
        upstream = None
        if outcome is None:
            assert llm is not None
            upstream = await _or_http_error(flow.open_stream(llm, found, history))
        return EventStreamResponse(_chunks(reply, found, outcome, upstream))
    if outcome is None:
        assert llm is not None
        outcome = await _or_http_error(flow.generate(llm, found, history))
    return reply.completion(outcome)


def _split(messages: list[ChatMessage]) -> tuple[str, list[Message]]:
    """The last user message's text, and the turns before it."""
    for i in range(len(messages) - 1, -1, -1):
        if messages[i].role == "user":
            if messages[i].holds_only_other_parts():
                raise ApiError(422, "invalid_question", "the last user message has no text "
                               "part: ragqa reads text only (images and files are not read)")
            history = [{"role": m.role, "content": m.text()} for m in messages[:i]]
            return messages[i].text(), history
    raise ApiError(422, "invalid_request", "messages: there is no user message to answer")


def turns_of(history: list[Message]) -> list[HistoryTurn]:
    """The chat's earlier messages as turns (each user message, with the assistant's reply
    that follows it), the most recent that fit the API's bounds, cut to its limits rather
    than refused: a long chat is a chat, not an error."""
    turns: list[HistoryTurn] = []
    for message in history:
        text = message["content"].strip()
        if message["role"] == "user" and not re.fullmatch(BLANK_PATTERN, text):
            turns.append(HistoryTurn(question=text[:MAX_QUESTION_CHARS]))
        elif message["role"] == "assistant" and text and turns and not turns[-1].answer:
            turns[-1].answer = text[:MAX_ANSWER_CHARS]
    kept: list[HistoryTurn] = []
    size = 0
    for turn in reversed(turns[-MAX_TURNS:]):
        size += len(turn.question) + len(turn.answer or "")
        if size > MAX_HISTORY_CHARS:
            break
        kept.append(turn)
    return kept[::-1]


async def _or_http_error(call: Any) -> Any:
    try:
        return await call
    except LLMError as exc:
        logger.warning("chat completion failed: %s", exc)
        raise  # answered by service/errors.py with the error's status and code


def _passages_only(found: SearchResponse, language: str) -> Answer:
    """Without an LLM, the passages listed whole in the question's language, each with its
    marker and cited (built here, not parsed from the text: quotes may hold "[2]")."""
    text = passages_text(found.question, found.passages, found.low_relevance, language)
    citations = [Citation(n=n, doc_id=p.doc_id, start=p.start, end=p.end, quote=p.quote)
                 for n, p in enumerate(found.passages, start=1)]
    return Answer(text=text, citations=citations, model=MODEL_ID, grounded=bool(citations))


class _Reply:
    """The OpenAI-shaped envelope of one completion."""

    def __init__(self, found: SearchResponse) -> None:
        self.id = f"chatcmpl-{uuid.uuid4().hex}"
        self.created = int(time.time())
        self.found = found

    def passages(self) -> dict[str, Any]:
        dumped = self.found.model_dump(mode="json")
        return {key: dumped[key] for key in ("passages", "low_relevance", "relevance",
                                             "borderline", "retrieval")}

    def final(self, outcome: flow.Outcome) -> dict[str, Any]:
        answer = outcome.answer
        assert answer is not None
        return {"citations": [c.model_dump() for c in answer.citations],
                "grounded": answer.grounded, "removed_markers": answer.removed_markers,
                "llm_model": answer.model, "reason": outcome.reason,
                "reason_code": outcome.code}

    def completion(self, outcome: flow.Outcome) -> dict[str, Any]:
        assert outcome.answer is not None
        return {
            "id": self.id, "object": "chat.completion", "created": self.created,
            "model": MODEL_ID,
            "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                         "message": {"role": "assistant", "content": outcome.answer.text}}],
            "ragqa": {**self.passages(), **self.final(outcome)},
        }

    def chunk(self, delta: dict[str, Any], finish: str | None = None,
              extra: dict[str, Any] | None = None) -> str:
        data: dict[str, Any] = {
            "id": self.id, "object": "chat.completion.chunk", "created": self.created,
            "model": MODEL_ID,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish,
                         "logprobs": None}],
        }
        if extra is not None:
            data["ragqa"] = extra
        return sse(data)


async def _chunks(reply: _Reply, found: SearchResponse, outcome: flow.Outcome | None,
                  upstream: TextStream | None) -> AsyncIterator[str]:
    """Chunks: role and passages first, content pieces, a last chunk with the citations,
    then ``[DONE]``; a mid-way LLM failure ends with ``{"error": …}`` as OpenAI's does."""
    try:
        yield reply.chunk({"role": "assistant", "content": ""}, extra=reply.passages())
        if upstream is not None:
            async with aclosing(flow.stream(upstream, found)) as items:
                async for item in items:
                    if isinstance(item, str):
                        yield reply.chunk({"content": item})
                    else:
                        outcome = item
    except LLMError as exc:
        logger.warning("streamed chat completion failed: %s", exc)
        yield sse({"error": {"code": exc.code, "message": str(exc)}})
        return
    finally:
        if upstream is not None:  # also when the client left before the first piece
            await upstream.aclose()
    if upstream is None:
        assert outcome is not None and outcome.answer is not None
        yield reply.chunk({"content": outcome.answer.text})
    assert outcome is not None
    yield reply.chunk({}, finish="stop", extra=reply.final(outcome))
    yield sse("[DONE]")
