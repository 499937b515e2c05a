"""Turning text into normalised vectors with a sentence-transformers model.

The prefixes and the backend variant come from the :class:`~ragqa.index.embedding.identity.VectorIdentity`
the embedder is made for, so the vectors it makes are exactly those that identity names.

With an ONNX or OpenVINO backend, the model's folder is tokenised and pooled without torch
where it can be (:mod:`ragqa.index.embedding.pipeline`): torch and sentence-transformers
are then never imported (about 400 MB of a serving process); the torch backend loads them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from cachetools import LRUCache

from ragqa.index.cachestats import CacheCount, CacheCounter
from ragqa.index.embedding.backends import ExportedTransformer, open_backend, vector_variant
from ragqa.index.embedding.batching import MicroBatcher
from ragqa.index.embedding.identity import VectorIdentity, vector_identity
from ragqa.index.embedding.inputs import model_inputs
from ragqa.index.embedding.models import ResolvedModel
from ragqa.index.embedding.pipeline import (SentenceTransformerPipeline, TextPipeline,
                                            folder_pipeline)
from ragqa.index.errors import ModelUnavailableError

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
        query_tokens: bool = False,
    ) -> None:
        """``identity``: the vectors to make (prefixes, variant); default: the model's own
        prefixes for ``backend``. ``backend``: ``torch``, or ``onnx``/``onnx-int8``/
        ``openvino`` run from an ONNX export of the model kept in ``export_dir``, or ``auto``
        (see :func:`ragqa.index.embedding.backends.open_backend`). Concurrent query embeddings are batched together (up to ``query_batch_size`` texts, waiting at
        most ``query_batch_wait_ms`` under load; see :mod:`ragqa.index.embedding.batching`).
        ``query_tokens``: keep the :meth:`token_vectors` of the questions embedded, from the
        same model pass (an ONNX backend's), for the relevance signal's token match."""
        self.model = model
        self.batch_size = batch_size
        self.identity = identity or vector_identity(model, backend=backend)
        # int8 vectors differ from fp32 ones: the identity says which are made, so an index
        # built with one is never searched with the other (see index/embedding/backends.py).
        if self.identity.variant != vector_variant(backend, model.name):
            raise ValueError(f"backend {backend!r} does not make {self.identity.variant!r} "
                             "vectors")
        self.query_prefix = self.identity.query_prefix
        self.passage_prefix = self.identity.passage_prefix
        # torch releases the GIL while encoding; one lock keeps concurrent callers from
        # oversubscribing the cores with parallel forward passes.
        self._lock = threading.Lock()
        # The backend first: an export runs in a child process, before this one loads
        # anything big, and an exported graph runs the transformer itself: then only the
        # tokenizer and the pooling are needed, read from the folder without torch where it
        # can be (else sentence-transformers' own, its torch weights mapped, then dropped).
        self.backend, graph = open_backend(model, backend, export_dir)
        text: TextPipeline | None = folder_pipeline(model.path) if graph is not None else None
        self._model = None if text is not None else _load(model, device,
                                                           weights=graph is None)
        if self._model is not None:
            text = SentenceTransformerPipeline(self._model)
            if graph is not None:  # the exported graph does the transformer's work
                self._model[0].auto_model.to("meta")
        assert text is not None
        self._text = text
        self._exported = ExportedTransformer(text, graph) if graph is not None else None
        dim = text.dimension
        if dim is None:
            dim = int(self.encode(["x"]).shape[1])
        self.dimension = int(dim)
        # Repeated questions skip the model: vectors depend only on the model and the text.
        self._query_cache: LRUCache = LRUCache(maxsize=max(1, query_cache_size))
        # Sentences of returned passages, embedded as passages: the relevance signal and the
        # highlight both compare the question with them, often the same ones.
        self._sentence_cache: LRUCache = LRUCache(maxsize=max(1, sentence_cache_size))
        # Token vectors of questions and top passages for the relevance signal (float16, about
        # 200 KB for a 1,000-character passage).
        self._token_cache: LRUCache = LRUCache(maxsize=max(1, token_cache_size))
        self._cache_lock = threading.Lock()
        # Lookups of each cache (``/metrics``: ragqa_cache_hits_total{cache=...}).
        self._counters = {name: CacheCounter() for name in (
            "query_vectors", "sentence_vectors", "token_vectors_question",
            "token_vectors_passage")}
        self.query_tokens = query_tokens
        self.batcher = MicroBatcher(
            lambda texts: self._encode_queries(texts),
            max_batch=query_batch_size, max_wait_ms=query_batch_wait_ms,
        )

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Normalised query vectors, served from a bounded LRU cache when seen before."""
        return self._cached(self._query_cache, texts,
                            lambda new: self.batcher([self.query_prefix + t for t in new]),
                            self._counters["query_vectors"])

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self.encode([self.passage_prefix + t for t in texts])

    def encode_sentences(self, texts: Sequence[str]) -> np.ndarray:
        """:meth:`encode_passages` of short texts (a passage's sentences), served from a
        bounded LRU cache when seen before; one model call for all the new ones."""
        return self._cached(self._sentence_cache, texts, self.encode_passages,
                            self._counters["sentence_vectors"])

    def token_vectors(self, text: str, *, query: bool) -> np.ndarray:
        """Normalised last-layer vectors of the tokens of ``text`` read as a query (``query``)
        or as a passage: one row per token of the text itself (the prefix, special tokens and
        tokens without a letter or digit left out; truncated like the model truncates).
        Served from a bounded LRU cache when seen before."""
        key = (query, text)
        with self._cache_lock:
            cached = self._token_cache.get(key)
        counter = self._counters["token_vectors_question" if query else "token_vectors_passage"]
        counter.add(hits=cached is not None, misses=cached is None)
        if cached is not None:
            return cached.astype(np.float32)
        stored = self._token_pass(text, query=query)
        with self._cache_lock:
            self._token_cache[key] = stored
        return stored.astype(np.float32)  # what the cache will give: the same every time

    def _token_pass(self, text: str, *, query: bool) -> np.ndarray:
        """The model's pass behind :meth:`token_vectors` (float16 rows, read-only)."""
        prefix = self.query_prefix if query else self.passage_prefix
        # Under the model's lock: a fast tokenizer called with other truncation settings from
        # another thread at the same time fails ("Already borrowed").
        with self._lock:
            spans = self._text.spans(prefix + text)
            if self._exported is not None:
                features = self._text.inputs([prefix + text])
                states = self._exported.token_states(features)[0]
            else:
                import torch

                features = model_inputs(self._model, [prefix + text])
                device = self._model.device
                with torch.no_grad():
                    out = self._model[0]({k: v.to(device) if hasattr(v, "to") else v
                                          for k, v in features.items()})
                states = out["token_embeddings"][0].float().cpu().numpy()
        return self._own_tokens(states, features["input_ids"][0].tolist(), spans, len(prefix))

    def passage_token_vectors(self, texts: Sequence[str]) -> list[np.ndarray]:
        """:meth:`token_vectors` of each of ``texts`` read as a passage (float16 rows), for
        an index to keep: nothing is cached. One pass per text, as a search makes them: the
        same vectors, and faster than padded batches (measured: 40 ms a passage alone, 85 ms
        in batches of 32, e5 int8 on 2 cores)."""
        return [self._token_pass(text, query=False) for text in texts]

    def _keep_tokens(self, key: tuple[bool, str], states: np.ndarray, ids: list[int],
                     spans: list[tuple[int, int]], prefix_chars: int) -> np.ndarray:
        """:meth:`_own_tokens`, cached under ``key``."""
        stored = self._own_tokens(states, ids, spans, prefix_chars)
        with self._cache_lock:
            self._token_cache[key] = stored
        return stored

    def _own_tokens(self, states: np.ndarray, ids: list[int], spans: list[tuple[int, int]],
                    prefix_chars: int) -> np.ndarray:
        """The normalised states of the text's own tokens (float16, read-only): not the
        special tokens, not those of the prefix (the text's tokens end after it: the
        prefix's trailing space belongs to the text's first token), not those without a
        letter or digit."""
        pieces = self._text.pieces(ids)
        special = self._text.special_ids
        keep = [i for i, (token_id, piece, (_, end)) in enumerate(zip(ids, pieces, spans))
                if token_id not in special and end > prefix_chars
                and any(ch.isalnum() for ch in piece)]
        vectors = states[keep]
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        stored = vectors.astype(np.float16)
        stored.setflags(write=False)
        return stored

    def _encode_queries(self, texts: list[str]) -> np.ndarray:
        """The micro-batcher's work: :meth:`encode` of prefixed questions, keeping their
        token vectors from the same pass when asked to (``query_tokens``)."""
        if (not self.query_tokens or self._exported is None or not texts
                or self._text.padding_side != "right"):
            return self.encode(texts)
        order = np.argsort([-len(t) for t in texts], kind="stable")  # less padding
        rows = []
        with self._lock:
            for begin in range(0, len(texts), self.batch_size):
                chunk = [texts[i] for i in order[begin : begin + self.batch_size]]
                vectors, states, features = self._exported.encode_with_states(chunk)
                lengths = features["attention_mask"].sum(axis=1).tolist()
                spans = [self._text.spans(t) for t in chunk]
                rows.append(vectors)
                for i, text in enumerate(chunk):
                    ids = features["input_ids"][i][: lengths[i]].tolist()
                    if len(spans[i]) == len(ids) and text.startswith(self.query_prefix):
                        self._keep_tokens((True, text[len(self.query_prefix):]),
                                          states[i][: lengths[i]], ids, spans[i],
                                          len(self.query_prefix))
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        out[order] = np.concatenate(rows)
        return out

    def cache_counts(self) -> dict[str, CacheCount]:
        """Hits and misses so far of the query, sentence and token-vector caches."""
        return {name: counter.snapshot() for name, counter in self._counters.items()}

    def _cached(self, cache: LRUCache, texts: Sequence[str],
                encode: Callable[[list[str]], np.ndarray], counter: CacheCounter) -> np.ndarray:
        """Vectors of ``texts`` from ``cache``, the missing ones (each once) by ``encode``."""
        with self._cache_lock:
            cached = [cache.get(t) for t in texts]
        missing = list(dict.fromkeys(t for t, v in zip(texts, cached) if v is None))
        counter.add(hits=len(texts) - sum(v is None for v in cached), misses=len(missing))
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


def _load(model: ResolvedModel, device: str, *, weights: bool = True):
    """The sentence-transformers model in ``model.path`` (never downloads). Without
    ``weights`` the transformer's are read as float16 (the bundled model's are stored so:
    mapped from the file, not copied) for an exported backend to drop."""
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # "Loading weights" bars are noise in a CLI or server
    kwargs = {}
    if not weights:
        import torch

        kwargs["model_kwargs"] = {"dtype": torch.float16}
    try:
        return SentenceTransformer(str(model.path), device=device, local_files_only=True,
                                   **kwargs)
    except Exception as exc:  # noqa: BLE001 - report any load failure as ours
        raise ModelUnavailableError(f"cannot load embedding model from {model.path}: {exc}") from exc
