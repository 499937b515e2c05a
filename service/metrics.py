"""Prometheus metrics per route: requests, errors and latency (``prometheus-client``); and
the hits and misses of the search path's caches, read from the engine when scraped."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ragqa.index.cachestats import CacheCount

# The caches' counts by name (the engine's ``cache_counts``), or None before it has started.
CacheSource = Callable[[], Mapping[str, CacheCount] | None]

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    """One registry per app, so several apps (tests) never share counters."""

    def __init__(self, caches: CacheSource | None = None) -> None:
        """``caches``: read at each scrape for ``ragqa_cache_hits_total`` and
        ``ragqa_cache_misses_total`` (label ``cache``)."""
        self.registry = CollectorRegistry()
        self.requests = Counter("ragqa_http_requests", "HTTP requests handled",
                                ("method", "route", "status"), registry=self.registry)
        self.errors = Counter("ragqa_http_errors", "HTTP responses with status >= 400",
                              ("method", "route", "status"), registry=self.registry)
        self.latency = Histogram("ragqa_http_request_duration_seconds",
                                 "Time to answer an HTTP request", ("method", "route"),
                                 buckets=LATENCY_BUCKETS, registry=self.registry)
        if caches is not None:
            self.registry.register(CacheCollector(caches))


class CacheCollector(Collector):
    """``ragqa_cache_hits_total{cache="..."}`` and ``ragqa_cache_misses_total``: the counts
    the caches keep themselves (:mod:`ragqa.index.cachestats`), read when scraped."""

    def __init__(self, source: CacheSource) -> None:
        self.source = source

    def collect(self) -> Iterator[CounterMetricFamily]:
        counts = self.source() or {}
        hits = CounterMetricFamily("ragqa_cache_hits", "Lookups a cache of the search path "
                                   "answered", labels=("cache",))
        misses = CounterMetricFamily("ragqa_cache_misses", "Lookups a cache of the search "
                                     "path did not answer (the work was done)",
                                     labels=("cache",))
        for name, count in sorted(counts.items()):
            hits.add_metric((name,), count.hits)
            misses.add_metric((name,), count.misses)
        yield hits
        yield misses


class MetricsMiddleware:
    """Pure ASGI middleware (no body buffering); labels requests by route template."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            route = scope.get("route")
            # The template (/v1/documents/{doc_id:path}), never the raw path: bounded labels.
            label = getattr(route, "path", None) or "unmatched"
            method = scope["method"]
            self.metrics.requests.labels(method, label, str(status)).inc()
            if status >= 400:
                self.metrics.errors.labels(method, label, str(status)).inc()
            self.metrics.latency.labels(method, label).observe(time.perf_counter() - started)
