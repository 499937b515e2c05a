"""Request and response bodies of the HTTP API (also printed by ``ragqa ask --json``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from index.search import Hit, SearchResult


class Span(BaseModel):
    start: int
    end: int


class PassageOut(BaseModel):
    rank: int
    score: float
    doc_id: str
    title: str
    section: str
    quote: str = Field(description="Exactly text[start:end] of the document's canonical text")
    start: int
    end: int
    highlight: Span | None = None
    page: int | None = None


class RetrievalInfo(BaseModel):
    mode: str
    model: str
    fallback: bool


class SearchResponse(BaseModel):
    model_config = ConfigDict(extra="allow")

    question: str
    passages: list[PassageOut]
    retrieval: RetrievalInfo
    took_ms: float


def passage_out(hit: Hit) -> PassageOut:
    return PassageOut(
        rank=hit.rank,
        score=hit.score,
        doc_id=hit.doc_id,
        title=hit.title,
        section=hit.section,
        quote=hit.quote,
        start=hit.start,
        end=hit.end,
        page=hit.page,
    )


def search_response(
    result: SearchResult, *, model: str, fallback: bool, took_ms: float
) -> SearchResponse:
    return SearchResponse(
        question=result.question,
        passages=[passage_out(h) for h in result.hits],
        retrieval=RetrievalInfo(mode=result.mode, model=model, fallback=fallback),
        took_ms=round(took_ms, 2),
    )
