"""The ready engine: one loaded index generation, the model, its embedder and a retriever.

Made by :mod:`ragqa.wiring` (the composition root) and nowhere else; the HTTP service, the
CLI and the eval all search through it, so they search through exactly the same code.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from ragqa.index.embedding import Embedder
from ragqa.index.models import ResolvedModel
from ragqa.index.highlight import Highlighter
from ragqa.index.search import Hit, Retriever
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
        self.highlights = Highlighter(self.retriever.index.lexical.analyzer)

    @property
    def generation(self) -> int:
        return self.retriever.index.generation

    def highlighter(self, question: str) -> Callable[[Hit], tuple[int, int]]:
        """Maps a hit to the span of its sentence that best matches ``question``."""
        documents = self.retriever.index.documents
        sentence = self.highlights.for_question(question)

        def span(hit: Hit) -> tuple[int, int]:
            return sentence(hit.doc_id, documents[hit.doc_id].text, hit.start, hit.end)

        return span
