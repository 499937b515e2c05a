"""The composition root: settings in, a ready :class:`~ragqa.engine.Engine` out.

:func:`start` is the one place that wires the parts together (model resolved once, embedder
made once, index brought up to date if asked, generation opened); the CLI, the app factory,
``ragqa eval``, ``eval/calibrate.py`` and ``ragqa bench`` all call it or its steps below, so
they all search through the same code. :func:`refresh` re-indexes for a served engine
(uploads and deletes) with the engine's own model and embedder.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ragqa.index.files.builder import update_index
from ragqa.index.records import BuildReport, Progress
from ragqa.index.embedding.embedder import Embedder
from ragqa.index.errors import ConfigError, ModelMismatchError
from ragqa.index.embedding.identity import VectorIdentity, vector_identity
from ragqa.index.records import ModelRecord
from ragqa.index.embedding.models import ResolvedModel, resolve_model
from ragqa.index.search.retriever import Retriever
from ragqa.index.files.generations import load_index
from ragqa.engine import Engine
from ragqa.settings import Settings

if TYPE_CHECKING:  # the postgres extra is optional: imported where the store is used
    import psycopg

    from ragqa.index.pg.identity import StoreIdentity

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Started:
    """What :func:`start` made: the engine, and the indexing run's report (``None`` when
    the index was opened as it is)."""

    engine: Engine
    report: BuildReport | None


def start(
    settings: Settings,
    *,
    update: bool = True,
    rebuild: bool = False,
    strict: bool = False,
    progress: Progress | None = None,
    model: ResolvedModel | None = None,
) -> Started:
    """Resolve the model, make its embedder, update the index when ``update``, open it.

    Fails fast (our own errors) on a missing model, a broken index or a model mismatch.
    ``model`` skips resolving (a caller that already reported the resolution).
    """
    model = model or resolve(settings)
    embedder = make_embedder(settings, model, identity(settings, model))
    if settings.store == "postgres":
        return start_postgres(settings, model, embedder, index_if_empty=update, strict=strict,
                              progress=progress)
    report = None
    if update:
        report = index_corpus(settings, model, embedder=embedder, rebuild=rebuild,
                              strict=strict, progress=progress)
    return Started(open_engine(settings, model, embedder), report)


def start_postgres(
    settings: Settings,
    model: ResolvedModel,
    embedder: Embedder,
    *,
    index_if_empty: bool = True,
    strict: bool = False,
    progress: Progress | None = None,
) -> Started:
    """Connect → migrate → check the store's identity → (index the corpus folder into an
    empty store) → an engine over a connection pool. A store that holds documents is served
    as it is: the database, not the folder, is the truth (``ragqa index`` syncs them)."""
    from ragqa.index.pg.indexing import holds_documents
    from ragqa.index.pg.pool import Pool
    from ragqa.index.pg.store import PgStore

    report = None
    with _database(settings):
        with _prepared(settings, model, embedder) as (conn, found):
            empty = not holds_documents(conn)
            if empty and index_if_empty:
                report = _sync(conn, settings, model, embedder, strict=strict, progress=progress)
            elif not empty:
                logger.info("serving the database as it is (run `ragqa index` to bring it in "
                            "line with %s)", settings.corpus_dir)
        assert settings.database_url is not None
        pool = Pool(settings.database_url, size=settings.database_pool_size,
                    timeout=settings.database_timeout).open()
    store = PgStore(pool, found, settings.index_config(), model=_model_record(model, embedder),
                    ef_search=max(settings.candidates, 40))
    retriever = Retriever(store, embedder, settings.retrieval_params(model.name))
    return Started(Engine(settings, model, embedder, retriever), report)


def refresh(engine: Engine) -> Engine:
    """Bring ``engine``'s index up to date with its corpus and open the new generation with
    the same model and embedder (the live index calls this after every upload or delete)."""
    index_corpus(engine.settings, engine.model, embedder=engine.embedder)
    return open_engine(engine.settings, engine.model, engine.embedder)


def resolve(settings: Settings) -> ResolvedModel:
    """The embedding model the settings ask for (or the bundled fallback, with a warning)."""
    return resolve_model(
        settings.embed_model,
        offline=settings.is_offline,
        download_timeout=settings.download_timeout,
        model_cache=settings.model_cache_root,
    )


def identity(settings: Settings, model: ResolvedModel) -> VectorIdentity:
    """The identity of the vectors ``model`` makes with these settings (backend variant,
    prefixes, embedded context); computed without loading the model."""
    return vector_identity(
        model,
        backend=settings.embed_backend,
        query_prefix=settings.query_prefix,
        passage_prefix=settings.passage_prefix,
        embed_context=settings.embed_context,
    )


def export_dir(settings: Settings, model: ResolvedModel) -> Path:
    """Where ONNX exports of ``model`` live: one folder per model name and weights."""
    weights = model.weights_sha256()[:16]
    return settings.export_root / f"{model.name.replace('/', '--')}-{weights}"


def make_embedder(settings: Settings, model: ResolvedModel,
                  vectors: VectorIdentity | None = None) -> Embedder:
    """Load ``model`` with the settings' backend and batching, making ``vectors`` (default:
    the settings' :func:`identity`)."""
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # "Loading weights" bars are noise in a CLI or server
    params = settings.retrieval_params(model.name)
    return Embedder(
        model,
        identity=vectors or identity(settings, model),
        device=settings.device,
        batch_size=settings.embed_batch_size,
        backend=settings.embed_backend,
        export_dir=export_dir(settings, model) if settings.embed_backend != "torch" else None,
        query_batch_size=settings.query_batch_size,
        query_batch_wait_ms=settings.query_batch_wait_ms,
        # The question's token vectors come from the pass that embeds it when the relevance
        # signal's token match will read them.
        query_tokens=any(m.uses_token_match() for m in (params.relevance, params.relevance_dense)
                         if m is not None),
    )


def index_corpus(
    settings: Settings,
    model: ResolvedModel,
    *,
    embedder: Embedder | None = None,
    rebuild: bool = False,
    strict: bool = False,
    progress: Progress | None = None,
) -> BuildReport:
    """Bring the settings' index up to date with their corpus. Without ``embedder`` the
    model is loaded only if something must be embedded (``ragqa index`` on an unchanged
    corpus never loads it); with the PostgreSQL store it is loaded (its dimension is part
    of the store's identity)."""
    if settings.store == "postgres":
        if rebuild:
            raise ConfigError("--rebuild is for the files store; with RAGQA_STORE=postgres, "
                              "index into a new database to start over")
        embedder = embedder or make_embedder(settings, model)
        with _database(settings), _prepared(settings, model, embedder) as (conn, _):
            return _sync(conn, settings, model, embedder, strict=strict, progress=progress)
    vectors = embedder.identity if embedder is not None else identity(settings, model)
    return update_index(
        settings.corpus_dir,
        settings.index_dir,
        model=model,
        identity=vectors,
        load_embedder=(lambda: embedder) if embedder is not None
        else (lambda: make_embedder(settings, model, vectors)),
        config=settings.index_config(),
        rebuild=rebuild,
        strict=strict,
        progress=progress,
    )


def open_engine(settings: Settings, model: ResolvedModel, embedder: Embedder) -> Engine:
    """Load the served generation and a retriever for it; fails fast on any mismatch."""
    index = load_index(settings.index_dir)
    retriever = Retriever(index, embedder, settings.retrieval_params(model.name))
    return Engine(settings, model, embedder, retriever)


def _model_record(model: ResolvedModel, embedder: Embedder) -> ModelRecord:
    return ModelRecord(requested=model.requested, name=model.name,
                       weights_sha256=embedder.identity.weights_sha256,
                       dimension=embedder.dimension, fallback=model.fallback)


@contextmanager
def _prepared(settings: Settings, model: ResolvedModel,
              embedder: Embedder) -> Iterator[tuple[psycopg.Connection, StoreIdentity]]:
    """One connection to a database migrated to this ragqa's schema whose identity matches
    the model and settings (recorded on a new database): ``(connection, identity)``."""
    from ragqa.index.pg.connect import connect
    from ragqa.index.pg.identity import ensure_identity
    from ragqa.index.pg.migrations import migrate
    from ragqa.index.pg.store import store_identity

    assert settings.database_url is not None
    conn = connect(settings.database_url, timeout=settings.database_timeout)
    try:
        migrate(conn, dimension=embedder.dimension)
        wanted = store_identity(_model_record(model, embedder), embedder.identity,
                                settings.index_config())
        yield conn, ensure_identity(conn, wanted)
    finally:
        conn.close()


def _sync(conn: psycopg.Connection, settings: Settings, model: ResolvedModel, embedder: Embedder, *,
          strict: bool, progress: Progress | None) -> BuildReport:
    from ragqa.index.pg.indexing import index_corpus_into

    return index_corpus_into(conn, settings.corpus_dir, config=settings.index_config(),
                             contextual=embedder.identity.embed_context,
                             load_embedder=lambda: embedder, model_name=model.name,
                             fallback=model.fallback, strict=strict, progress=progress)


@contextmanager
def _database(settings: Settings) -> Iterator[None]:
    """The store's configuration errors name ``RAGQA_DATABASE_URL`` (the setting to fix)."""
    from ragqa.index.pg.connect import redact
    from ragqa.index.pg.errors import DatabaseUnavailableError, StoreError

    try:
        yield
    except DatabaseUnavailableError as exc:
        raise DatabaseUnavailableError(
            f"RAGQA_DATABASE_URL: {exc}; check the URL (host, port, user, password, database) "
            "and that PostgreSQL is running") from None
    except (StoreError, ModelMismatchError) as exc:
        url = redact(settings.database_url or "")
        raise type(exc)(f"RAGQA_DATABASE_URL ({url}): {exc}") from None
