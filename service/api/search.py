"""``POST /v1/search``: ranked passages with verified quotes (``run_search`` also serves
``/v1/ask``)."""

from __future__ import annotations

import logging
import time

from fastapi import APIRouter, Depends

from ragqa.index.documents.ids import validate_doc_id
from ragqa.service.deps import EngineDep, require_json, require_reader
from ragqa.engine import Engine
from ragqa.service.schemas import SearchRequest, SearchResponse, search_response

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/v1", tags=["search"],
                   dependencies=[Depends(require_reader), Depends(require_json)])


def run_search(engine: Engine, body: SearchRequest) -> SearchResponse:
    """Search and highlight (the engine's one search path); the retriever checks the
    question and that the filter's documents exist, this edge only that their ids are well
    formed."""
    started = time.perf_counter()
    doc_ids = body.filters.doc_ids if body.filters and body.filters.doc_ids else None
    for doc_id in doc_ids or ():
        validate_doc_id(doc_id)
    found = engine.search(body.question, body.k, doc_ids=doc_ids)
    took = (time.perf_counter() - started) * 1000
    return search_response(found.result, took_ms=took, highlights=found.highlights)


@router.post("/search", response_model=SearchResponse)
def search(body: SearchRequest, engine: EngineDep) -> SearchResponse:
    """The ``k`` passages that best answer ``question``; ``quote`` is ``text[start:end]``."""
    return run_search(engine, body)

