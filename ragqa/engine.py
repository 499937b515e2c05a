"""The ready engine: one loaded index generation, the model, its embedder and a retriever.

Made by :mod:`ragqa.wiring` (the composition root) and nowhere else; the HTTP service, the
CLI and the eval all search through it, so they search through exactly the same code.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ragqa.index.embedding import Embedder
from ragqa.index.models import ResolvedModel
from ragqa.index.highlight import Highlighter
from ragqa.index.search import Retriever, SearchResult
from ragqa.settings import Settings


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

    def highlight(self, result: SearchResult) -> tuple[tuple[int, int], ...]:
        """The span of each hit's sentence that best matches the result's question."""
        vector = None
        if self.highlights.uses_model and result.hits:
            # The search has just encoded the question: a lookup in the query cache.
            vector = self.embedder.encode_queries([result.question])[0]
        focus = self.highlights.focus(result.question, vector)
        documents = self.retriever.index.documents
        return tuple(self.highlights.span(focus, hit.doc_id, documents[hit.doc_id].text,
                                          hit.start, hit.end) for hit in result.hits)
