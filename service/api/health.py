"""``GET /health`` and ``GET /metrics``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from ragqa.service.deps import EngineDep
from ragqa.service.schemas import HealthOut

router = APIRouter(tags=["operations"])


@router.get("/health", response_model=HealthOut)
def health(engine: EngineDep) -> HealthOut:
    """What is being served: model (and whether it is the fallback), counts, generation."""
    index = engine.index
    documents, passages = index.counts()
    return HealthOut(status="ok", model=engine.model.name, fallback=engine.model.fallback,
                     documents=documents, passages=passages, generation=index.generation,
                     refused=len(index.refused()), backend=engine.embedder.backend,
                     store=index.store)


@router.get("/metrics", response_class=Response, include_in_schema=False)
def metrics(request: Request) -> Response:
    """Prometheus text format: requests, errors and latency per route."""
    return Response(generate_latest(request.app.state.metrics.registry),
                    media_type=CONTENT_TYPE_LATEST)
