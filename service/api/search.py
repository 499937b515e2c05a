"""``POST /v1/search``: ranked passages with verified quotes (``run_search`` also serves
``/v1/ask`` and the OpenAI endpoint).

A question asked in a conversation (``history``) is searched as a standalone question: the
LLM's rewrite when one is configured and answers in time (:mod:`ragqa.service.llm.rewrite`),
else the question with what it leans on (:mod:`ragqa.index.search.followup`); the response's
``retrieval.query`` says what was searched.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from ragqa.engine import Engine
from ragqa.index.access import EVERYONE, Reader
from ragqa.index.documents.ids import validate_doc_id
from ragqa.index.search.followup import Turn
from ragqa.index.search.retriever import validate_question
from ragqa.service.deps import AuditDep, EngineDep, ReaderDep, require_json, require_reader
from ragqa.service.llm.client import LLMClient
from ragqa.service.llm.rewrite import Rewriter
from ragqa.service.schemas import HistoryTurn, SearchRequest, SearchResponse, search_response

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/v1", tags=["search"],
                   dependencies=[Depends(require_reader), Depends(require_json)])


# Dependencies are ``async def`` without awaiting: a plain ``def`` would cost a thread
# hand-off (see ragqa.service.deps).
async def get_llm(request: Request) -> LLMClient | None:
    """The app's LLM client, or None when ``RAGQA_LLM_URL`` is not set."""
    return getattr(request.app.state, "llm", None)


async def get_rewriter(request: Request) -> Rewriter | None:
    """The rewriter of the app's LLM (made on first use, with its cache), or None."""
    llm = await get_llm(request)
    if llm is None:
        return None
    state = request.app.state
    rewriter = getattr(state, "rewriter", None)
    if rewriter is None or rewriter.llm is not llm:  # a new client: a new cache
        rewriter = state.rewriter = Rewriter(llm)
    return rewriter


LLMDep = Annotated[LLMClient | None, Depends(get_llm)]
RewriterDep = Annotated[Rewriter | None, Depends(get_rewriter)]


def history_of(turns: Sequence[HistoryTurn] | None) -> list[Turn]:
    """A request's earlier turns as the engine reads them (their document ids checked)."""
    out = []
    for turn in turns or ():
        for doc_id in turn.doc_ids or ():
            validate_doc_id(doc_id)
        out.append(Turn(turn.question, turn.answer or "", tuple(turn.doc_ids or ())))
    return out


async def standalone_question(body: SearchRequest, rewriter: Rewriter | None,
                              history: Sequence[Turn] | None = None) -> str | None:
    """The LLM's standalone form of a follow-up, or None (no history, no LLM, or it
    failed: then the engine borrows from the history itself)."""
    history = history_of(body.history) if history is None else history
    if rewriter is None or not history:
        return None
    validate_question(body.question)  # a question that cannot be asked costs no LLM call
    return await rewriter.rewrite(body.question, history)


def run_search(engine: Engine, body: SearchRequest, standalone: str | None = None,
               history: Sequence[Turn] | None = None,
               reader: Reader = EVERYONE) -> SearchResponse:
    """Search and highlight (the engine's one search path); the retriever checks the
    question and that the filter's documents exist, this edge only that their ids are well
    formed. ``standalone``: the LLM's rewrite of a follow-up; ``history`` the request's
    turns (read from ``body`` when not given); ``reader``: whose documents are searched
    (their allowlist goes down the search path: nothing else is ranked)."""
    started = time.perf_counter()
    doc_ids = body.filters.doc_ids if body.filters and body.filters.doc_ids else None
    for doc_id in doc_ids or ():
        validate_doc_id(doc_id)
    history = history_of(body.history) if history is None else history
    found = engine.search(body.question, body.k, doc_ids=doc_ids, history=history,
                          standalone=standalone, readable=engine.readable(reader))
    took = (time.perf_counter() - started) * 1000
    return search_response(found.result, took_ms=took, highlights=found.highlights,
                           query=found.query, history_used=found.history_used,
                           history_method=found.history_method, answers=found.answers)


async def search_in_conversation(engine: Engine, body: SearchRequest,
                                 rewriter: Rewriter | None,
                                 reader: Reader = EVERYONE) -> SearchResponse:
    """:func:`run_search` after the LLM's rewrite of a follow-up (when there is an LLM)."""
    history = history_of(body.history)
    standalone = await standalone_question(body, rewriter, history)
    return await run_in_threadpool(run_search, engine, body, standalone, history, reader)


@router.post("/search", response_model=SearchResponse)
async def search(body: SearchRequest, engine: EngineDep, rewriter: RewriterDep,
                 reader: ReaderDep, audit: AuditDep) -> SearchResponse:
    """The ``k`` passages that best answer ``question``; ``quote`` is ``text[start:end]``.
    With ``history``, a follow-up is searched as a standalone question (``retrieval.query``)."""
    found = await search_in_conversation(engine, body, rewriter, reader)
    audit.record([p.doc_id for p in found.passages], body.question)
    return found
