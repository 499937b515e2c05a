"""Wiring settings to the retrieval core: resolve the model, update and load the index.

Used by every entry point (CLI commands, the HTTP app, the eval), so they all search
through exactly the same code.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from index.builder import BuildReport, update_index
from index.backends import vector_variant
from index.embedding import Embedder
from index.models import ResolvedModel, resolve_model
from index.highlight import Highlighter
from index.search import Hit, Retriever
from index.store import load_index
from service.settings import Settings

logger = logging.getLogger(__name__)


@dataclass
class Engine:
    """A loaded index generation, the model and a retriever over them."""

    settings: Settings
    model: ResolvedModel
    embedder: Embedder
    retriever: Retriever
    highlights: Highlighter = dataclasses.field(init=False, repr=False)

    def __post_init__(self) -> None:
        # The model's similarity joins the term match; sentence vectors are cached per
        # passage for this generation (a new generation is a new Engine).
        weight = self.settings.highlight_model_weight
        lexical = self.retriever.index.lexical
        self.highlights = Highlighter(lexical.analyzer, idf=lexical.idf,
                                      embed=self.embedder.encode_passages if weight else None,
                                      weight=weight)

    @property
    def generation(self) -> int:
        return self.retriever.index.generation

    def highlighter(self, question: str) -> Callable[[Hit], tuple[int, int]]:
        """Maps a hit to the span of its sentence that best matches ``question``."""
        documents = self.retriever.index.documents
        vector = None
        if self.highlights.uses_model:
            # The search has just encoded the question: a lookup in the query cache.
            vector = self.embedder.encode_queries([question])[0]
        sentence = self.highlights.for_question(question, vector)

        def span(hit: Hit) -> tuple[int, int]:
            return sentence(hit.doc_id, documents[hit.doc_id].text, hit.start, hit.end)

        return span


def resolve(settings: Settings) -> ResolvedModel:
    model = resolve_model(
        settings.embed_model,
        offline=settings.is_offline,
        download_timeout=settings.download_timeout,
    )
    # A quantised backend makes other vectors: its identity differs (index/backends.py).
    return dataclasses.replace(model, variant=vector_variant(settings.embed_backend))


def export_dir(settings: Settings, model: ResolvedModel) -> Path:
    """Where ONNX exports of ``model`` live: one folder per model name and weights."""
    weights = dataclasses.replace(model, variant="").weights_sha256()[:16]
    return settings.export_root / f"{model.name.replace('/', '--')}-{weights}"


def make_embedder(settings: Settings, model: ResolvedModel) -> Embedder:
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # "Loading weights" bars are noise in a CLI or server
    return Embedder(
        model,
        device=settings.device,
        batch_size=settings.embed_batch_size,
        query_prefix=settings.query_prefix,
        passage_prefix=settings.passage_prefix,
        backend=settings.embed_backend,
        export_dir=export_dir(settings, model) if settings.embed_backend != "torch" else None,
        query_batch_size=settings.query_batch_size,
        query_batch_wait_ms=settings.query_batch_wait_ms,
    )


def build(
    settings: Settings,
    model: ResolvedModel,
    *,
    corpus_dir: Path | None = None,
    index_dir: Path | None = None,
    rebuild: bool = False,
    strict: bool = False,
    progress: bool = False,
    embedder: Embedder | None = None,
) -> BuildReport:
    """Bring the index up to date with the corpus (loads the model only if needed)."""
    return update_index(
        corpus_dir or settings.corpus_dir,
        index_dir or settings.index_dir,
        model,
        (lambda m: embedder) if embedder is not None else (lambda m: make_embedder(settings, m)),
        settings.index_config(),
        rebuild=rebuild,
        strict=strict,
        progress=progress,
    )


def open_engine(
    settings: Settings,
    model: ResolvedModel,
    *,
    index_dir: Path | None = None,
    embedder: Embedder | None = None,
) -> Engine:
    """Load the served generation and a retriever for it; fails fast on any mismatch."""
    index = load_index(index_dir or settings.index_dir)
    embedder = embedder or make_embedder(settings, model)
    retriever = Retriever(index, embedder, settings.retrieval_params(model.name))
    return Engine(settings, model, embedder, retriever)
