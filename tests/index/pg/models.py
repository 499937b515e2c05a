"""The model as the PostgreSQL store's indexing tests see it: its record, and the real
embedder counting what it is asked to embed."""

from __future__ import annotations

from ragqa.index.embedding.embedder import Embedder
from ragqa.index.embedding.models import ResolvedModel
from ragqa.index.records import ModelRecord


class CountingEmbedder:
    """The real embedder, counting the texts (``embedded``) and the calls (``calls``)
    it is asked to embed."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder, self.embedded, self.calls = embedder, 0, 0
        self.dimension = embedder.dimension

    def encode_passages(self, texts):
        self.embedded += len(texts)
        self.calls += 1
        return self.embedder.encode_passages(texts)

    def passage_token_vectors(self, texts):
        self.token_passes = getattr(self, "token_passes", 0) + len(texts)
        return self.embedder.passage_token_vectors(texts)


def model_record(minilm: ResolvedModel, embedder: Embedder) -> ModelRecord:
    return ModelRecord(minilm.requested, minilm.name, embedder.identity.weights_sha256,
                       embedder.dimension, minilm.fallback)
