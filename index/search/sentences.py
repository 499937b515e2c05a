"""The vectors a search reads passages with: their sentences', their tokens'.

The highlight and the relevance signal compare the question with single sentences of the
passages returned, and the relevance's token match with the top passage's tokens
(:mod:`ragqa.index.search.highlight`, :mod:`ragqa.index.search.relevance`). A store that
made them at index time (:mod:`ragqa.index.files.sentences`, :mod:`ragqa.index.files.tokens`)
answers with a lookup; the others are made by the model (the embedder's bounded caches
remember them).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ragqa.index.cachestats import CacheCounter
from ragqa.index.embedding.embedder import Embedder
from ragqa.index.search.view import IndexView


class SentenceVectors:
    """Passage-side vectors of sentences: the store's where it holds them, else the model's.

    ``counter`` counts each sentence found in the store as a hit and each one left to the
    model as a miss (``/metrics``: ``ragqa_cache_hits_total{cache="stored_sentences"}``).
    """

    def __init__(self, index: IndexView, embedder: Embedder,
                 counter: CacheCounter | None = None) -> None:
        self.index = index
        self.embedder = embedder
        self.counter = counter if counter is not None else CacheCounter()

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        """Normalised float32 vectors of ``texts``, one row each."""
        found, vectors = self.index.stored_sentence_vectors(texts)
        held = int(found.sum())
        self.counter.add(hits=held, misses=len(texts) - held)
        if held < len(texts):
            missing = np.flatnonzero(~found)
            vectors[missing] = self.embedder.encode_sentences([texts[i] for i in missing])
        return vectors


class PassageTokens:
    """A passage's token vectors: the store's where it holds them, else the model's.

    ``counter`` counts a passage found in the store as a hit, one left to the model as a
    miss (``/metrics``: ``ragqa_cache_hits_total{cache="stored_tokens"}``).
    """

    def __init__(self, index: IndexView, embedder: Embedder,
                 counter: CacheCounter | None = None) -> None:
        self.index = index
        self.embedder = embedder
        self.counter = counter if counter is not None else CacheCounter()

    def of(self, quote: str, windows: Sequence[str] = ()) -> np.ndarray:
        """Normalised float32 token vectors of the passage ``quote``, one row a token.

        ``windows``: the quotes of the index's passages a passage joined at query time was
        made of; when the store holds all of them, their tokens together stand for the
        joined passage's (each token as its own window's pass read it)."""
        found = self._lookup(quote, windows)
        self.counter.add(hits=found is not None, misses=found is None)
        if found is not None:
            return found
        return self.embedder.token_vectors(quote, query=False)

    def stored(self, quote: str, windows: Sequence[str] = ()) -> np.ndarray | None:
        """:meth:`of` where the store holds the tokens (counted as a hit), else None: no
        model pass."""
        return self.stored_each([(quote, windows)])[0]

    def stored_each(self, passages: Sequence[tuple[str, Sequence[str]]]
                    ) -> list[np.ndarray | None]:
        """:meth:`stored` of each ``(quote, windows)`` of ``passages``, read from the store
        together (one statement on PostgreSQL)."""
        found = self._read_each(passages)
        self.counter.add(hits=sum(f is not None for f in found), misses=0)
        return found

    def _lookup(self, quote: str, windows: Sequence[str]) -> np.ndarray | None:
        return self._read_each([(quote, windows)])[0]

    def _read_each(self, passages: Sequence[tuple[str, Sequence[str]]]
                   ) -> list[np.ndarray | None]:
        quotes = [quote for quote, _ in passages]
        read = self.index.stored_token_vectors_each(
            quotes + [window for _, windows in passages for window in windows])
        found, parts = read[:len(quotes)], iter(read[len(quotes):])
        for i, (_, windows) in enumerate(passages):
            own = [next(parts) for _ in windows]
            if found[i] is None and own and all(part is not None for part in own):
                found[i] = np.concatenate(own)
        return found
