"""Micro-batching: concurrent query embeddings computed together in one ``encode`` call.

On a CPU a forward pass over 16 short queries costs far less than 16 passes over one, so
when requests arrive together they should share a pass. The policy, per caller thread:

* nothing in flight: the caller encodes its own texts at once (a lone request never waits);
* a pass in flight: the caller queues; when the pass ends, the queued requests are taken
  together (up to ``max_batch`` texts) by one of the waiting threads, the *leader*;
* under load (the previous pass held more than one request) the leader waits at most
  ``max_wait_ms`` for the batch to fill, because a closed-loop client whose answer just
  left sends its next question a few milliseconds later.

Threads, not asyncio: the service embeds inside FastAPI's threadpool (plain ``def``
endpoints), and torch releases the GIL during the forward pass.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

EncodeFn = Callable[[list[str]], np.ndarray]


@dataclass(eq=False)
class _Request:
    texts: list[str]
    result: np.ndarray | None = None
    error: BaseException | None = None
    done: bool = False


@dataclass
class BatchStats:
    """Counters for the bench and the tests: how many passes, and how full they were."""

    calls: int = 0
    requests: int = 0
    texts: int = 0
    sizes: list[int] = field(default_factory=list)  # requests per pass, most recent last


class MicroBatcher:
    """Collects concurrent ``encode`` calls into shared batches (thread-safe)."""

    def __init__(self, encode: EncodeFn, *, max_batch: int = 32, max_wait_ms: float = 2.0,
                 keep_sizes: int = 10_000) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self._encode = encode
        self.max_batch = max_batch
        self.max_wait = max(0.0, max_wait_ms) / 1000.0
        self._cond = threading.Condition()
        self._queue: list[_Request] = []
        self._running = False
        self._last_requests = 0
        self._keep_sizes = keep_sizes
        self.stats = BatchStats()

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for ``texts`` (one row each), possibly computed with other callers' texts."""
        request = _Request(list(texts))
        with self._cond:
            self._queue.append(request)
            if self._running and _count(self._queue) >= self.max_batch:
                self._cond.notify_all()  # a leader waiting for a full batch has one
            while not request.done and self._running:
                self._cond.wait()
            if request.done:
                return _outcome(request)
            self._running = True
        try:
            while not request.done:
                self._lead()
        finally:
            with self._cond:
                self._running = False
                self._cond.notify_all()
        return _outcome(request)

    def _lead(self) -> None:
        """Take one batch off the queue (waiting briefly under load), encode it, deliver."""
        with self._cond:
            if self._last_requests > 1 and self.max_wait > 0:
                deadline = time.monotonic() + self.max_wait
                while _count(self._queue) < self.max_batch:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    self._cond.wait(left)
            batch, size = [], 0
            while self._queue and (not batch or size + len(self._queue[0].texts) <= self.max_batch):
                request = self._queue.pop(0)
                batch.append(request)
                size += len(request.texts)
            self._last_requests = len(batch)
        texts = [t for request in batch for t in request.texts]
        try:
            vectors = self._encode(texts) if texts else None
        except BaseException as exc:  # noqa: BLE001 - every caller of the batch gets it
            with self._cond:
                for request in batch:
                    request.error, request.done = exc, True
                self._cond.notify_all()
            return
        with self._cond:
            offset = 0
            for request in batch:
                n = len(request.texts)
                request.result = vectors[offset : offset + n] if vectors is not None else None
                request.done = True
                offset += n
            self.stats.calls += 1
            self.stats.requests += len(batch)
            self.stats.texts += len(texts)
            self.stats.sizes.append(len(batch))
            del self.stats.sizes[: -self._keep_sizes]
            self._cond.notify_all()


def _count(queue: list[_Request]) -> int:
    return sum(len(request.texts) for request in queue)


def _outcome(request: _Request) -> np.ndarray:
    if request.error is not None:
        raise request.error
    if request.result is None:
        return np.zeros((0, 0), dtype=np.float32)
    return request.result
