"""The composition root: settings in, a ready :class:`~ragqa.engine.Engine` out.

:func:`start` is the one place that wires the parts together (model resolved once, embedder
made once, the store opened and made ready to serve); the CLI, the app factory, ``ragqa
eval``, ``eval/calibrate.py`` and ``ragqa bench`` all call it or its steps below, so they all
search through the same code. :func:`open_store` is the one place a store is chosen
(:data:`STORES`); above it nothing asks which store it has.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

from ragqa.engine import Engine
from ragqa.index.reading.stage import ReadingStage
from ragqa.index.embedding.embedder import Embedder
from ragqa.index.embedding.identity import VectorIdentity, vector_identity
from ragqa.index.embedding.models import (DEFAULT_MODEL_NAME, FALLBACK_MODEL_NAME, ResolvedModel,
                                          resolve_model)
from ragqa.index.errors import ModelMismatchError
from ragqa.index.records import BuildReport, ModelRecord, Progress
from ragqa.index.store import Store
from ragqa.settings import Settings, check_folders

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
    embedder: Embedder | None = None,
) -> Started:
    """Resolve the model, make its embedder, open the store, make it ready to serve (the
    files store: the corpus folder's changes indexed when ``update``; postgres: an empty
    database indexed from the folder), and an engine over it.

    Fails fast (our own errors) on a missing model, a broken index or a model mismatch.
    ``model`` skips resolving (a caller that already reported the resolution); ``embedder``
    reuses a loaded one (a benchmark's).
    """
    if update:
        check_folders(settings)  # cheap, before the model loads (seconds)
    model = model or resolve(settings)
    embedder = embedder or make_embedder(settings, model, identity(settings, model))
    store = open_store(settings, model, embedder=embedder)
    try:
        with _store_errors(settings):
            if rebuild:
                report: BuildReport | None = store.sync(rebuild=True, strict=strict,
                                                        progress=progress)
            else:
                report = store.start(update=update, strict=strict, progress=progress)
            engine = Engine(settings, model, embedder, store, reading_stage(settings, model))
    except BaseException:
        store.close()
        raise
    return Started(engine, report)


def reading_stage(settings: Settings, model: ResolvedModel) -> ReadingStage | None:
    """The trained reader's stage when ``RAGQA_READER`` is on and the reader loads over
    ``model`` (one warning saying why not, otherwise: the search goes on without it)."""
    if not settings.reader:
        return None
    from ragqa.index.reading.artifact import DEFAULT_DIR
    from ragqa.index.reading.reader import reader_or_none

    reader = reader_or_none(model.path, model.weights_sha256(), settings.reader_dir or DEFAULT_DIR)
    if reader is None:
        return None
    if settings.low_relevance_threshold is None:
        return ReadingStage(reader, top=settings.reader_top)
    return ReadingStage(reader, top=settings.reader_top,
                        threshold=settings.low_relevance_threshold)


def open_store(settings: Settings, model: ResolvedModel, *,
               embedder: Embedder | None = None) -> Store:
    """The store the settings name (``RAGQA_STORE``), the one place a backend is chosen.

    Without ``embedder`` the files store loads the model only if something must be
    embedded (``ragqa index`` on an unchanged corpus never loads it); the PostgreSQL store
    needs it at once (its dimension is part of the database's identity).
    """
    vectors = embedder.identity if embedder is not None else identity(settings, model)

    def load_embedder() -> Embedder:
        nonlocal embedder
        if embedder is None:
            embedder = make_embedder(settings, model, vectors)
        return embedder

    with _store_errors(settings):
        return STORES[settings.store](settings, model, vectors, load_embedder)


def _files_store(settings: Settings, model: ResolvedModel, vectors: VectorIdentity,
                 load_embedder: Callable[[], Embedder]) -> Store:
    from ragqa.index.files.store import FilesStore

    return FilesStore(settings.corpus_dir, settings.index_dir, config=settings.index_config(),
                      model=model, identity=vectors, load_embedder=load_embedder)


def _postgres_store(settings: Settings, model: ResolvedModel, vectors: VectorIdentity,
                    load_embedder: Callable[[], Embedder]) -> Store:
    from ragqa.index.pg.store import PgOptions, PgStore

    assert settings.database_url is not None  # the settings refuse postgres without one
    embedder = load_embedder()
    options = PgOptions(settings.database_url, pool_size=settings.database_pool_size,
                        timeout=settings.database_timeout,
                        ef_search=max(settings.candidates, 40))
    return PgStore(options, settings.corpus_dir, config=settings.index_config(),
                   model=model_record(model, embedder), embedder=embedder,
                   default_corpus="corpus_dir" not in settings.model_fields_set,
                   watching=settings.watch)


# RAGQA_STORE -> how to open it: a new backend is one module and one line here.
STORES: dict[str, Callable[[Settings, ResolvedModel, VectorIdentity, Callable[[], Embedder]],
                           Store]] = {
    "files": _files_store,
    "postgres": _postgres_store,
}


def resolve(settings: Settings) -> ResolvedModel:
    """The embedding model the settings ask for: for the default one, the bundled fallback
    (with a warning) when it cannot be had; a model named in ``RAGQA_EMBED_MODEL`` that
    cannot be had is :class:`ModelUnavailableError` instead (a typo must not re-embed an
    index with the weaker fallback)."""
    named = ("embed_model" in settings.model_fields_set
             and settings.embed_model not in (DEFAULT_MODEL_NAME, FALLBACK_MODEL_NAME))
    return resolve_model(
        settings.embed_model,
        offline=settings.is_offline,
        download_timeout=settings.download_timeout,
        allow_fallback=not named,
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
    params = settings.retrieval_params(model.name)
    embedder = Embedder(
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
    if settings.device != "cpu" and embedder.backend != "torch":
        logger.warning("RAGQA_DEVICE=%s is for the torch backend; the %s backend runs the "
                       "model on the CPU", settings.device, embedder.backend)
    return embedder


@contextmanager
def opened_store(settings: Settings, model: ResolvedModel, *,
                 embedder: Embedder | None = None) -> Iterator[Store]:
    """:func:`open_store` for one block (``ragqa index``), settled (:meth:`~ragqa.index.
    store.Store.settle`: a merge that erases a removed file's text run before the process
    ends) and closed after it, its errors naming the setting to fix."""
    store = open_store(settings, model, embedder=embedder)
    try:
        with _store_errors(settings):
            yield store
            store.settle()
    finally:
        store.close()


def index_corpus(
    settings: Settings,
    model: ResolvedModel,
    *,
    embedder: Embedder | None = None,
    rebuild: bool = False,
    strict: bool = False,
    progress: Progress | None = None,
) -> BuildReport:
    """Bring the settings' store in line with their corpus folder."""
    with opened_store(settings, model, embedder=embedder) as store:
        return store.sync(rebuild=rebuild, strict=strict, progress=progress)


def model_record(model: ResolvedModel, embedder: Embedder) -> ModelRecord:
    """What a store records of the model that made its vectors."""
    return ModelRecord(requested=model.requested, name=model.name,
                       weights_sha256=embedder.identity.weights_sha256,
                       dimension=embedder.dimension, fallback=model.fallback)


def _store_errors(settings: Settings) -> AbstractContextManager[None]:
    """A store's errors, naming the setting to fix (:data:`STORE_ERRORS`)."""
    return STORE_ERRORS.get(settings.store, lambda _: nullcontext())(settings)


@contextmanager
def _database_errors(settings: Settings) -> Iterator[None]:
    """The PostgreSQL store's configuration errors name ``RAGQA_DATABASE_URL``."""
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


# Errors of a store that name the setting to fix, by RAGQA_STORE.
STORE_ERRORS: dict[str, Callable[[Settings], AbstractContextManager[None]]] = {
    "postgres": _database_errors,
}
