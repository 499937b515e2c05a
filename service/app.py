"""The FastAPI application: ``create_app(settings)``, whose lifespan loads the index.

Nothing happens at import time. On start-up the lifespan starts the engine through the
composition root (:func:`ragqa.wiring.start`: model, embedder, store opened and made ready)
unless it was given one, and puts it in ``app.state.engine``; a broken index or a missing
model stops the start with a clear message instead of failing every request.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from threadpoolctl import threadpool_limits

from ragqa.index import __version__
from ragqa import wiring
from ragqa.engine import Engine
from ragqa.index.jobs import JobQueue
from ragqa.index.watch import FolderWatcher
from ragqa.settings import Settings, check_extras, load_settings
from ragqa.service.auth import authenticator
from ragqa.service.api import ask, chat, docs, documents, health, jobs, search, widget
from ragqa.service.errors import COMMON_ERRORS, error_responses, install_error_handlers
from ragqa.service.cors import JsonCORSMiddleware
from ragqa.service.limits import UploadLimitMiddleware
from ragqa.service.audit import open_audit_log
from ragqa.service.ratelimit import RateLimitMiddleware, parse_limits
from ragqa.service.security import DOCS_CSP, SecurityHeadersMiddleware, content_security_policy
from ragqa.service.llm.client import llm_client
from ragqa.service.metrics import Metrics, MetricsMiddleware

logger = logging.getLogger(__name__)

DESCRIPTION = """Answers from your documents, proven with exact quotes.

For every passage, `GET /v1/documents/{id}/text` sliced `[start:end]` equals `quote`,
character for character. Errors are `{"error": {"code", "message"}}`."""


def create_app(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    update_index: bool = True,
) -> FastAPI:
    """Build the app. ``engine``, already started by :func:`ragqa.wiring.start`, is served
    as it is (``ragqa serve`` starts it before uvicorn, so a broken index is its one-line
    error, not a failed application start-up); without it the lifespan starts one, bringing
    the index up to date first unless ``update_index=False``."""
    settings = settings or load_settings()  # ConfigError names a bad RAGQA_* variable
    check_extras(settings)  # settings given explicitly skipped load_settings' check
    # Reads must not be served unaudited: a log that cannot be opened fails the start.
    audit_log = open_audit_log(settings.audit_log, questions=settings.audit_questions)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        served = engine or await run_in_threadpool(_start, settings, update_index)
        app.state.engine = served
        if settings.auth == "none":
            await run_in_threadpool(_warn_groups_unenforced, served)
        app.state.jobs = JobQueue(served.store, settings.jobs_folder).start()
        watcher = None
        if settings.watch:
            watcher = FolderWatcher(settings.corpus_dir, app.state.jobs.submit_sync,
                                    settings.watch_interval).start()
        logger.info("serving generation %d of the %s store with %s (%s)", served.generation,
                    served.store.name, served.model.name, served.embedder.backend)
        app.state.llm = llm_client(settings)  # None without RAGQA_LLM_URL: passages only
        # Requests are the parallelism of a served process: a BLAS pool for each small matrix
        # product (the token match's, the sentences' cosines) only spins on the cores other
        # requests and the model need. numpy's BLAS at one thread: concurrency-16 searches
        # faster, concurrency 1 within noise (docs/performance.md). The start-up build above
        # kept the pool; index jobs run in this process while serving do not. (threadpoolctl
        # lets one live thread control OpenBLAS: under `ragqa serve`, this one.)
        with threadpool_limits(limits=1, user_api="blas"):
            try:
                yield
            finally:
                if watcher is not None:
                    await run_in_threadpool(watcher.close)
                await run_in_threadpool(app.state.jobs.close)
                if app.state.llm is not None:
                    await app.state.llm.aclose()
                if engine is None:  # started here: its connections (if any) end here too
                    served.close()

    # /docs is served by service/api/docs.py from local files (FastAPI's uses a CDN); no ReDoc.
    app = FastAPI(title="ragqa", version=__version__, description=DESCRIPTION,
                  lifespan=lifespan, responses=error_responses(*COMMON_ERRORS),
                  docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.audit_log = audit_log
    app.state.auth = authenticator(
        settings.auth, jwks=settings.jwt_jwks, issuer=settings.jwt_issuer,
        audience=settings.jwt_audience, groups_claim=settings.jwt_groups_claim,
        leeway=settings.jwt_leeway, trusted_proxies=settings.trusted_proxies,
        user_header=settings.auth_user_header, groups_header=settings.auth_groups_header)
    app.state.metrics = Metrics(caches=lambda: _cache_counts(app))
    install_error_handlers(app)
    app.include_router(search.router)
    app.include_router(ask.router)
    app.include_router(chat.router)
    app.include_router(documents.router)
    app.include_router(jobs.router)
    app.include_router(health.router)
    app.include_router(widget.router)
    app.include_router(docs.router)
    if settings.cors_origin_list:
        app.add_middleware(
            JsonCORSMiddleware,
            allow_origins=list(settings.cors_origin_list),
            allow_methods=["GET", "POST", "PUT", "DELETE"],  # PUT: a document's groups
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


def _cache_counts(app: FastAPI):
    engine = getattr(app.state, "engine", None)  # None until the lifespan has started it
    return engine.cache_counts() if engine is not None else None


def _start(settings: Settings, update_index: bool) -> Engine:
    ready = wiring.start(settings, update=update_index)
    if ready.report is not None and not ready.report.up_to_date:
        logger.info("index updated to generation %d: %d documents, %d passages",
                    ready.report.generation, ready.report.documents, ready.report.passages)
    return ready.engine


def _warn_groups_unenforced(engine: Engine) -> None:
    """Documents with groups served without RAGQA_AUTH: the groups restrict nothing (every
    caller reads every document), which a log line says at start rather than nobody."""
    restricted = engine.store.groups.all()
    if restricted:
        logger.warning("%d documents have groups (.groups files or uploads), but RAGQA_AUTH "
                       "is none: every caller reads every document. Set RAGQA_AUTH=jwt or "
                       "RAGQA_AUTH=header to enforce them (docs/reliability.md, Access)",
                       len(restricted))
