"""``GET /health`` and ``GET /metrics``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from ragqa.index.access import Reader
from ragqa.service.deps import EngineDep, optional_reader
from ragqa.service.schemas import HealthOut

router = APIRouter(tags=["operations"])


@router.get("/health", response_model=HealthOut)
def health(engine: EngineDep,
           reader: Annotated[Reader | None, Depends(optional_reader)]) -> HealthOut:
    """What is being served: model (and whether it is the fallback), counts, generation.

    The counts are the caller's: the store's totals for readers of everything, the
    documents they may read for others, none for a caller without an identity while
    ``RAGQA_AUTH`` is set (a probe is never refused). The generation, which moves with
    every write (hidden documents' too), only for readers of everything."""
    index = engine.index
    documents = passages = refused = generation = None
    if reader is not None and reader.everything:
        generation = index.generation  # read first: the counts are at least this recent
        documents, passages = index.counts()
        refused = len(index.refused())
    elif reader is not None:
        readable = engine.readable(reader)
        assert readable is not None
        documents = len(readable)
        passages = sum(r.passages for r in index.documents_by_id(readable).values())
    return HealthOut(status="ok", model=engine.model.name, fallback=engine.model.fallback,
                     documents=documents, passages=passages, generation=generation,
                     refused=refused, backend=engine.embedder.backend, store=index.store,
                     reader=engine.reading is not None)


@router.get("/metrics", response_class=Response, include_in_schema=False)
def metrics(request: Request) -> Response:
    """Prometheus text format: requests, errors and latency per route; cache hits and
    misses of the search path."""
    return Response(generate_latest(request.app.state.metrics.registry),
                    media_type=CONTENT_TYPE_LATEST)
