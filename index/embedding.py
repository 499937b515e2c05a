"""Turning text into normalised vectors with a sentence-transformers model.

The prefixes and the backend variant come from the :class:`~ragqa.index.identity.VectorIdentity`
the embedder is made for, so the vectors it makes are exactly those that identity names.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from cachetools import LRUCache

from ragqa.index.backends import model_inputs, open_backend, vector_variant
from ragqa.index.batching import MicroBatcher
from ragqa.index.errors import ModelUnavailableError
from ragqa.index.identity import VectorIdentity, vector_identity
from ragqa.index.models import ResolvedModel

logger = logging.getLogger(__name__)


class Embedder:
    """A loaded sentence-transformers model making the vectors of one identity."""

    def __init__(
        self,
        model: ResolvedModel,
        *,
        identity: VectorIdentity | None = None,
        device: str = "cpu",
        batch_size: int = 32,
        query_cache_size: int = 2048,
        sentence_cache_size: int = 8192,
        token_cache_size: int = 256,
        backend: str = "torch",
        export_dir: Path | None = None,
        query_batch_size: int = 32,
        query_batch_wait_ms: float = 2.0,
    ) -> None:
        """``identity``: the vectors to make (prefixes, variant); default: the model's own
        prefixes for ``backend``. ``backend``: ``torch``, or ``onnx``/``onnx-int8``/
        ``openvino`` run from an ONNX export of the model kept in ``export_dir``, or ``auto``
        (see :func:`ragqa.index.backends.open_backend`). Concurrent query embeddings are batched together (up to ``query_batch_size`` texts, waiting at
        most ``query_batch_wait_ms`` under load; see :mod:`ragqa.index.batching`)."""
        self._model = _load(model, device)
        self.model = model
        self.batch_size = batch_size
        self.identity = identity or vector_identity(model, backend=backend)
        # int8 vectors differ from fp32 ones: the identity says which are made, so an index
        # built with one is never searched with the other (see index/backends.py).
        if self.identity.variant != vector_variant(backend):
            raise ValueError(f"backend {backend!r} does not make {self.identity.variant!r} "
                             "vectors")
        self.query_prefix = self.identity.query_prefix
        self.passage_prefix = self.identity.passage_prefix
        get_dim = getattr(self._model, "get_embedding_dimension", None) or getattr(
            self._model, "get_sentence_embedding_dimension"
        )
        dim = get_dim()
        if dim is None:
            dim = int(self._model.encode(["x"]).shape[1])
        self.dimension = int(dim)
        # torch releases the GIL while encoding; one lock keeps concurrent callers from
        # oversubscribing the cores with parallel forward passes.
        self._lock = threading.Lock()
        # Repeated questions skip the model: vectors depend only on the model and the text.
        self._query_cache: LRUCache = LRUCache(maxsize=max(1, query_cache_size))
        # Sentences of returned passages, embedded as passages: the relevance signal and the
        # highlight both compare the question with them, often the same ones.
        self._sentence_cache: LRUCache = LRUCache(maxsize=max(1, sentence_cache_size))
        # Token vectors of questions and top passages for the relevance signal (float16, about
        # 200 KB for a 1,000-character passage).
        self._token_cache: LRUCache = LRUCache(maxsize=max(1, token_cache_size))
        self._cache_lock = threading.Lock()
        self.backend, self._exported = open_backend(self._model, backend, export_dir)
        self.batcher = MicroBatcher(
            lambda texts: self.encode(texts),
            max_batch=query_batch_size, max_wait_ms=query_batch_wait_ms,
        )

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Normalised query vectors, served from a bounded LRU cache when seen before."""
        return self._cached(self._query_cache, texts,
                            lambda new: self.batcher([self.query_prefix + t for t in new]))

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self.encode([self.passage_prefix + t for t in texts])

    def encode_sentences(self, texts: Sequence[str]) -> np.ndarray:
        """:meth:`encode_passages` of short texts (a passage's sentences), served from a
        bounded LRU cache when seen before; one model call for all the new ones."""
        return self._cached(self._sentence_cache, texts, self.encode_passages)

    def token_vectors(self, text: str, *, query: bool) -> np.ndarray:
        """Normalised last-layer vectors of the tokens of ``text`` read as a query (``query``)
        or as a passage: one row per token of the text itself (the prefix, special tokens and
        tokens without a letter or digit left out; truncated like the model truncates).
        Served from a bounded LRU cache when seen before."""
        key = (query, text)
        with self._cache_lock:
            cached = self._token_cache.get(key)
        if cached is not None:
            return cached.astype(np.float32)
        prefix = self.query_prefix if query else self.passage_prefix
        tokenizer = self._model.tokenizer
        # Under the model's lock: a fast tokenizer called with other truncation settings from
        # another thread at the same time fails ("Already borrowed").
        with self._lock:
            features = model_inputs(self._model, [prefix + text])
            # The character span of each token: the text's own tokens end after the prefix
            # (the prefix's trailing space belongs to the text's first token).
            spans = tokenizer(prefix + text, return_offsets_mapping=True, truncation=True,
                              max_length=features["input_ids"].shape[1])["offset_mapping"]
            if self._exported is not None:
                states = self._exported.token_states(features)[0]
            else:
                import torch

                device = self._model.device
                with torch.no_grad():
                    out = self._model[0]({k: v.to(device) if hasattr(v, "to") else v
                                          for k, v in features.items()})
                states = out["token_embeddings"][0].float().cpu().numpy()
        ids = features["input_ids"][0].tolist()
        pieces = tokenizer.convert_ids_to_tokens(ids)
        special = set(tokenizer.all_special_ids)
        keep = [i for i, (token_id, piece, (_, end)) in enumerate(zip(ids, pieces, spans))
                if token_id not in special and end > len(prefix)
                and any(ch.isalnum() for ch in piece)]
        vectors = states[keep]
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        stored = vectors.astype(np.float16)
        stored.setflags(write=False)
        with self._cache_lock:
            self._token_cache[key] = stored
        return stored.astype(np.float32)  # what the cache will give: the same every time

    def _cached(self, cache: LRUCache, texts: Sequence[str],
                encode: Callable[[list[str]], np.ndarray]) -> np.ndarray:
        """Vectors of ``texts`` from ``cache``, the missing ones (each once) by ``encode``."""
        with self._cache_lock:
            cached = [cache.get(t) for t in texts]
        missing = list(dict.fromkeys(t for t, v in zip(texts, cached) if v is None))
        if missing:
            found = dict(zip(missing, encode(missing)))
            with self._cache_lock:
                for text, vector in found.items():
                    vector.setflags(write=False)
                    cache[text] = vector
            cached = [v if v is not None else found[t] for t, v in zip(texts, cached)]
        if not cached:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack(cached)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """The model itself on ``texts`` as given (no prefix, no cache, no micro-batching):
        normalised float32 vectors, one row per text. The bench times this."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            if self._exported is not None:
                return self._exported.encode(texts, self.batch_size)
            vectors = self._model.encode(
                list(texts),
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)


def _load(model: ResolvedModel, device: str):
    """The sentence-transformers model in ``model.path`` (never downloads)."""
    from sentence_transformers import SentenceTransformer

    try:
        return SentenceTransformer(str(model.path), device=device, local_files_only=True)
    except Exception as exc:  # noqa: BLE001 - report any load failure as ours
        raise ModelUnavailableError(f"cannot load embedding model from {model.path}: {exc}") from exc
