"""Micro-batching of query embeddings (index/embedding/batching.py) with the real bundled model."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from ragqa.index.embedding.batching import MicroBatcher
from ragqa.index.embedding.embedder import Embedder
from ragqa.index.embedding.models import ResolvedModel
from tests.support import wait_until


@pytest.fixture()
def fresh_embedder(minilm: ResolvedModel) -> Embedder:
    """Its own embedder: an empty query cache and batch counters that start at zero."""
    return Embedder(minilm, query_cache_size=1, query_batch_size=32, query_batch_wait_ms=2.0)


QUESTIONS = [f"Question numéro {i} : combien de visiteurs au salon {i * 7} ?" for i in range(16)]


def test_concurrent_queries_share_one_encode_call_and_match_unbatched(fresh_embedder):
    emb = fresh_embedder
    # Hold the model so the first caller's pass cannot finish until every other caller has
    # queued: the batching is then deterministic (1 pass for the first, 1 for the rest).
    emb._lock.acquire()
    with ThreadPoolExecutor(len(QUESTIONS)) as pool:
        futures = [pool.submit(emb.encode_queries, [q]) for q in QUESTIONS]
        wait_until(lambda: len(emb.batcher._queue) == len(QUESTIONS) - 1,
                   what="every other caller queued", timeout=30)
        emb._lock.release()
        batched = np.stack([f.result()[0] for f in futures])
    assert emb.batcher.stats.calls == 2
    assert sorted(emb.batcher.stats.sizes) == [1, len(QUESTIONS) - 1]
    # Every caller got its own vector: equal to encoding its question alone.
    alone = np.stack([
        emb._model.encode([emb.query_prefix + q], normalize_embeddings=True)[0]
        for q in QUESTIONS
    ])
    np.testing.assert_allclose(batched, alone, atol=1e-5)


def test_lone_query_is_encoded_at_once_in_its_own_pass(fresh_embedder):
    emb = fresh_embedder
    vector = emb.encode_queries(["Une seule question ?"])
    assert vector.shape == (1, emb.dimension)
    assert emb.batcher.stats.sizes == [1]


def test_batch_never_exceeds_max_batch_and_keeps_order():
    calls: list[list[str]] = []
    gate = threading.Event()

    def encode(texts: list[str]) -> np.ndarray:
        calls.append(list(texts))
        gate.wait(10)
        return np.array([[float(t)] for t in texts], dtype=np.float32)

    batcher = MicroBatcher(encode, max_batch=4, max_wait_ms=0)
    requests = [[str(i)] for i in range(9)] + [["100", "101"]]
    with ThreadPoolExecutor(len(requests)) as pool:
        futures = [pool.submit(batcher, requests[0])]
        wait_until(lambda: len(calls) == 1, what="the first pass started", timeout=30)
        futures += [pool.submit(batcher, texts) for texts in requests[1:]]
        wait_until(lambda: len(batcher._queue) == len(requests) - 1,
                   what="every other request queued", timeout=30)
        gate.set()
        results = [f.result() for f in futures]
    for texts, result in zip(requests, results):
        assert result[:, 0].tolist() == [float(t) for t in texts]
    assert all(len(c) <= 4 for c in calls)
    assert sum(len(c) for c in calls) == 11
    assert len(calls) < len(requests)


def test_many_callers_each_get_their_own_rows_and_none_is_left_waiting():
    """Under a steady load every caller gets its own rows and none is left waiting (a lost
    wake-up would hang a request: the pool's timeout says so)."""
    def encode(texts: list[str]) -> np.ndarray:
        time.sleep(0.001)  # a pass takes time: callers queue behind it
        return np.array([[float(t)] for t in texts], dtype=np.float32)

    batcher = MicroBatcher(encode, max_batch=5, max_wait_ms=0.5)
    requests = [[str(i * 10 + j) for j in range(1 + i % 3)] for i in range(600)]
    with ThreadPoolExecutor(24) as pool:
        futures = [pool.submit(batcher, texts) for texts in requests]
        results = [f.result(timeout=60) for f in futures]
    for texts, result in zip(requests, results):
        assert result[:, 0].tolist() == [float(t) for t in texts]
    assert batcher.stats.texts == sum(len(t) for t in requests)
    assert batcher.stats.calls < len(requests)  # they shared passes
    assert not batcher._running and not batcher._queue


def test_an_encode_failure_reaches_every_caller_of_the_batch():
    gate = threading.Event()

    def encode(texts: list[str]) -> np.ndarray:
        gate.wait(10)
        if len(texts) > 1:
            raise RuntimeError("model broke")
        return np.zeros((len(texts), 1), dtype=np.float32)

    batcher = MicroBatcher(encode, max_batch=8, max_wait_ms=0)
    with ThreadPoolExecutor(4) as pool:
        first = pool.submit(batcher, ["a"])
        wait_until(lambda: batcher._running, what="the first pass started", timeout=30)
        others = [pool.submit(batcher, [t]) for t in "bcd"]
        wait_until(lambda: len(batcher._queue) == 3, what="three callers queued", timeout=30)
        gate.set()
        assert first.result().shape == (1, 1)
        for future in others:
            with pytest.raises(RuntimeError, match="model broke"):
                future.result()
    # The batcher recovers: the next call is served.
    assert batcher(["e"]).shape == (1, 1)


def test_token_vectors_made_beside_concurrent_embeddings_match_sequential_ones(minilm):
    """The relevance signal's token vectors share the model and its tokenizer with the
    embeddings of concurrent requests: made beside them, they equal those made alone."""
    texts = [f"Le salon numéro {i} attend {i * 1000} visiteurs à Marrakech." for i in range(12)]
    sequential = Embedder(minilm, token_cache_size=1)
    expected = [sequential.token_vectors(t, query=False) for t in texts]
    shared = Embedder(minilm, token_cache_size=1)

    def work(i: int):
        if i % 2:
            return shared.encode_passages([texts[i] * 3, texts[i]])
        return shared.token_vectors(texts[i], query=False)

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(work, range(len(texts))))
    for i in range(0, len(texts), 2):
        np.testing.assert_allclose(results[i], expected[i], atol=1e-3)
