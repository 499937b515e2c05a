"""``POST /v1/search``: ranked passages with verified quotes (``run_search`` also serves
``/v1/ask``)."""

from __future__ import annotations

import logging
import time

from fastapi import APIRouter, Depends

from ragqa.index.search import validate_question
from ragqa.service.corpus import validate_doc_id
from ragqa.service.deps import EngineDep, require_json, require_reader
from ragqa.engine import Engine
from ragqa.service.errors import ApiError
from ragqa.service.schemas import SearchRequest, SearchResponse, search_response

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/v1", tags=["search"],
                   dependencies=[Depends(require_reader), Depends(require_json)])


def run_search(engine: Engine, body: SearchRequest) -> SearchResponse:
    """Check the request against the served generation, search and highlight."""
    started = time.perf_counter()
    question = validate_question(body.question)  # first: an empty question is the error
    doc_ids = body.filters.doc_ids if body.filters and body.filters.doc_ids else None
    if doc_ids is not None:
        known = engine.retriever.index.documents
        for doc_id in doc_ids:
            validate_doc_id(doc_id)
            if doc_id not in known:
                raise ApiError(404, "unknown_document", f"no document {doc_id!r} in the index; "
                               "GET /v1/documents lists them")
    result = engine.retriever.search(question, body.k, doc_ids=doc_ids)
    took = (time.perf_counter() - started) * 1000
    return search_response(result, took_ms=took, highlight=engine.highlighter(result.question))


@router.post("/search", response_model=SearchResponse)
def search(body: SearchRequest, engine: EngineDep) -> SearchResponse:
    """The ``k`` passages that best answer ``question``; ``quote`` is ``text[start:end]``."""
    return run_search(engine, body)

