"""A closed-loop HTTP load generator, run as its own process so it never shares the server's
interpreter: ``python -m ragqa.eval.bench.load URL --concurrency 16 --seconds 10 --questions F``.

``concurrency`` workers each send a request, wait for the answer, and send the next. Every
question is made unique (a counter is appended) so no cache can answer it; ``--repeat``
sends the questions as they are instead, to measure the caches; ``--once`` sends each
question as it is, at most once, in order, until they run out or the time is up (``sent``:
how many were taken, warm-up included). With ``--metrics URL`` (a ``/metrics`` endpoint),
the caches' hits and misses over the measured window are given too (``caches``: the
difference of two scrapes, one when measuring starts, one when the last answer is in).
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time

import httpx
import numpy as np


async def _run(url: str, concurrency: int, seconds: float, warmup: float, questions: list[str],
               repeat: bool, method: str, k: int, once: bool = False,
               metrics: str | None = None) -> dict:
    counter = iter(range(10**12))
    latencies: list[float] = []
    errors = 0
    sent = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    # The scrapes have a client of their own: the workers' pool is never free at high load.
    async with httpx.AsyncClient(limits=limits, timeout=120.0) as client, \
            httpx.AsyncClient(timeout=60.0) as scraper:
        scrapes: list[dict[str, tuple[float, float]]] = []
        if metrics and warmup <= 0:  # every request is measured: scrape before the first
            scrapes.append(await _cache_counts(scraper, metrics))
        started = time.perf_counter()
        measure_from, stop_at = started + warmup, started + warmup + seconds

        async def scrape_at_start() -> None:
            await asyncio.sleep(max(0.0, measure_from - time.perf_counter()))
            scrapes.append(await _cache_counts(scraper, metrics))

        async def worker() -> None:
            nonlocal errors, sent
            while True:
                n = next(counter)
                if once and n >= len(questions):
                    return
                question = questions[n % len(questions)]
                if not (repeat or once):
                    question = f"{question} ({n})"
                sent_at = time.perf_counter()
                if sent_at >= stop_at:
                    return
                sent += 1
                try:
                    if method == "POST":
                        response = await client.post(url, json={"question": question, "k": k})
                    else:
                        response = await client.get(url, params={"query": question, "limit": k})
                    ok = response.status_code == 200
                except httpx.HTTPError:
                    ok = False
                done = time.perf_counter()
                if sent_at >= measure_from and done <= stop_at:
                    if ok:
                        latencies.append((done - sent_at) * 1000)
                    else:
                        errors += 1

        tasks = [worker() for _ in range(concurrency)]
        if metrics and warmup > 0:
            tasks.append(scrape_at_start())
        await asyncio.gather(*tasks)
        if metrics:
            scrapes.append(await _cache_counts(scraper, metrics))
        # The window measured: shorter than asked when --once ran out of questions.
        window = min(time.perf_counter(), stop_at) - measure_from if once else seconds
    values = np.array(latencies) if latencies else np.zeros(1)
    extra: dict = {}
    if once:
        extra["sent"] = sent
    if metrics:
        extra["caches"] = deltas(*scrapes)
    return {
        "concurrency": concurrency,
        "requests": len(latencies),
        "errors": errors,
        "seconds": round(window, 2),
        "throughput_qps": round(len(latencies) / max(window, 1e-9), 2),
        "p50_ms": round(float(np.percentile(values, 50)), 2),
        "p95_ms": round(float(np.percentile(values, 95)), 2),
        "p99_ms": round(float(np.percentile(values, 99)), 2),
        "mean_ms": round(float(values.mean()), 2),
        **extra,
    }


async def _cache_counts(client: httpx.AsyncClient, url: str | None
                        ) -> dict[str, tuple[float, float]]:
    """``{cache: (hits, misses)}`` from a ``/metrics`` endpoint."""
    response = await client.get(url)
    response.raise_for_status()
    return cache_counts_of(response.text)


def cache_counts_of(text: str) -> dict[str, tuple[float, float]]:
    """``{cache: (hits, misses)}`` from Prometheus text (``ragqa_cache_hits_total`` ...)."""
    from prometheus_client.parser import text_string_to_metric_families

    counts: dict[str, list[float]] = {}
    for family in text_string_to_metric_families(text):
        if family.name not in ("ragqa_cache_hits", "ragqa_cache_misses"):
            continue
        for sample in family.samples:
            if sample.name.endswith("_total"):
                pair = counts.setdefault(sample.labels["cache"], [0.0, 0.0])
                pair[family.name.endswith("misses")] = sample.value
    return {name: (hits, misses) for name, (hits, misses) in counts.items()}


def deltas(before: dict[str, tuple[float, float]], after: dict[str, tuple[float, float]]
            ) -> dict[str, dict]:
    """Each cache's hits, misses and hit rate between two scrapes (rate None: no lookups)."""
    out = {}
    for name in sorted(after):
        hits = after[name][0] - before.get(name, (0.0, 0.0))[0]
        misses = after[name][1] - before.get(name, (0.0, 0.0))[1]
        total = hits + misses
        out[name] = {"hits": int(hits), "misses": int(misses),
                     "hit_rate": round(hits / total, 3) if total else None}
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--questions", required=True, help="a JSON list of questions")
    parser.add_argument("--repeat", action="store_true")
    parser.add_argument("--once", action="store_true",
                        help="each question as it is, at most once, in order")
    parser.add_argument("--metrics", default=None, help="the server's /metrics URL")
    parser.add_argument("--method", choices=["POST", "GET"], default="POST")
    parser.add_argument("-k", type=int, default=5)
    args = parser.parse_args(argv)
    with open(args.questions, encoding="utf-8") as handle:
        questions = json.load(handle)
    result = asyncio.run(_run(args.url, args.concurrency, args.seconds, args.warmup, questions,
                              args.repeat, args.method, args.k, args.once, args.metrics))
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
