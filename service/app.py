"""The FastAPI application: ``create_app(settings)``, whose lifespan loads the index.

Nothing happens at import time. On start-up the lifespan resolves the embedding model,
brings the index up to date with the corpus when asked to, and puts a
:class:`~service.live.LiveIndex` in ``app.state``; a broken index or a missing model stops
the start with a clear message instead of failing every request.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.concurrency import run_in_threadpool

from index import __version__
from index.models import ResolvedModel
from service import engine as engines
from service.api import ask, chat, docs, documents, health, search, widget
from service.errors import COMMON_ERRORS, error_responses, install_error_handlers
from service.limits import UploadLimitMiddleware
from service.ratelimit import RateLimitMiddleware, parse_limits
from service.security import DOCS_CSP, SecurityHeadersMiddleware, content_security_policy
from service.live import LiveIndex
from service.llm.client import llm_client
from service.metrics import Metrics, MetricsMiddleware
from service.settings import Settings

logger = logging.getLogger(__name__)

DESCRIPTION = """Answers from your documents, proven with exact quotes.

For every passage, `GET /v1/documents/{id}/text` sliced `[start:end]` equals `quote`,
character for character. Errors are `{"error": {"code", "message"}}`."""


def load_live_index(
    settings: Settings, update: bool = True, model: ResolvedModel | None = None
) -> LiveIndex:
    """Resolve the model (unless given), update the index if the corpus changed, load it."""
    model = model or engines.resolve(settings)
    embedder = engines.make_embedder(settings, model)
    if update:
        report = engines.build(settings, model, embedder=embedder)
        if not report.up_to_date:
            logger.info("index updated to generation %d: %d documents, %d passages",
                        report.generation, report.documents, report.passages)
    return LiveIndex(engines.open_engine(settings, model, embedder=embedder))


def create_app(
    settings: Settings | None = None,
    *,
    update_index: bool = True,
    model: ResolvedModel | None = None,
    live: LiveIndex | None = None,
) -> FastAPI:
    """Build the app. ``update_index=False`` serves the index as it is and ``model`` skips
    resolving the model again (``ragqa serve`` has just done both); ``live``, an index
    already loaded, is served as it is (``ragqa serve`` loads it before uvicorn starts, so
    a broken index is its one-line error, not a failed application start-up)."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.live = live or await run_in_threadpool(load_live_index, settings,
                                                         update_index, model)
        engine = app.state.live.engine
        logger.info("serving generation %d of %s with %s (%s)", engine.generation,
                    settings.index_dir, engine.model.name, engine.embedder.backend)
        app.state.llm = llm_client(settings)  # None without RAGQA_LLM_URL: passages only
        try:
            yield
        finally:
            if app.state.llm is not None:
                await app.state.llm.aclose()

    # /docs is served by service/api/docs.py from local files (FastAPI's uses a CDN); no ReDoc.
    app = FastAPI(title="ragqa", version=__version__, description=DESCRIPTION,
                  lifespan=lifespan, responses=error_responses(*COMMON_ERRORS),
                  docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.metrics = Metrics()
    install_error_handlers(app)
    app.include_router(search.router)
    app.include_router(ask.router)
    app.include_router(chat.router)
    app.include_router(documents.router)
    app.include_router(health.router)
    app.include_router(widget.router)
    app.include_router(docs.router)
    if settings.cors_origin_list:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origin_list),
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
        )
    app.add_middleware(UploadLimitMiddleware, max_bytes=settings.max_upload_bytes,
                       max_mb=settings.max_upload_mb, max_body_bytes=settings.max_body_bytes,
                       max_body_kb=settings.max_body_kb)
    app.add_middleware(RateLimitMiddleware, limits=parse_limits(settings.rate_limit),
                       include_loopback=settings.rate_limit_loopback)
    # Outside the limits, so that their 413 and 429 answers carry the headers too.
    app.add_middleware(SecurityHeadersMiddleware, csp=content_security_policy(),
                       docs_csp=DOCS_CSP)
    # Outermost, so that errors answered by any other layer are counted too.
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    return app
