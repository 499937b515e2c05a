"""The ready engine: the store (a files generation or PostgreSQL), the model, its embedder
and a retriever.

Made by :mod:`ragqa.wiring` (the composition root) and nowhere else; the HTTP service, the
CLI and the eval all search through it, so they search through exactly the same code.
"""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass

from ragqa.index.embedding.embedder import Embedder
from ragqa.index.embedding.models import ResolvedModel
from ragqa.index.search.highlight import Highlighter
from ragqa.index.search.retriever import Retriever, SearchResult
from ragqa.index.search.view import IndexView
from ragqa.settings import Settings


@dataclass
class Engine:
    """A store (a loaded files generation, or the PostgreSQL store), the model and a
    retriever over them."""

    settings: Settings
    model: ResolvedModel
    embedder: Embedder
    retriever: Retriever
    highlights: Highlighter = dataclasses.field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._highlights_generation = self.retriever.index.generation
        self.highlights = self._highlighter()
        self._lock = threading.Lock()

    def _highlighter(self) -> Highlighter:
        # The model's similarity joins the term match; sentence vectors are cached per
        # passage for one generation (the files store: a new generation is a new Engine;
        # the PostgreSQL store: a new Highlighter when a write changed the generation).
        weight = self.settings.highlight_model_weight
        index = self.retriever.index
        return Highlighter(index.analyzer, idf=index.idf,
                           embed=self.embedder.encode_sentences if weight else None,
                           weight=weight)

    @property
    def index(self) -> IndexView:
        """The store being searched."""
        return self.retriever.index

    @property
    def generation(self) -> int:
        return self.retriever.index.generation

    def highlight(self, result: SearchResult) -> tuple[tuple[int, int], ...]:
        """The span of each hit's sentence that best matches the result's question."""
        if not result.hits:
            return ()
        highlights = self._highlights_for(result.generation)
        vector = None
        if highlights.uses_model:
            # The search has just encoded the question: a lookup in the query cache.
            vector = self.embedder.encode_queries([result.question])[0]
        focus = highlights.focus(result.question, vector)
        documents = self.index.documents_by_id({hit.doc_id for hit in result.hits})
        current = [hit for hit in result.hits if hit.doc_id in documents
                   and documents[hit.doc_id].text[hit.start : hit.end] == hit.quote]
        found = dict(zip((hit.rank for hit in current), highlights.spans(focus, [
            (hit.doc_id, documents[hit.doc_id].text, hit.start, hit.end) for hit in current])))
        # A passage rewritten since the search is highlighted whole.
        return tuple(found.get(hit.rank, (hit.start, hit.end)) for hit in result.hits)

    def _highlights_for(self, generation: int) -> Highlighter:
        with self._lock:
            if generation != self._highlights_generation:
                self.highlights = self._highlighter()
                self._highlights_generation = generation
            return self.highlights
