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

The workers speak HTTP/1.1 themselves (:class:`Connection`: one keep-alive connection
each, a request written and its answer read by its length) rather than through httpx,
because the generator runs on the cores of the server it measures: httpx cost 1.5-2.2 ms
of CPU a request on 2 cores (a tenth of the machine at 130 requests/s, taken from the
server), this 0.3-0.5 ms (session 30: the generator's CPU time, its imports taken off,
over 1,900-2,400 requests at concurrency 16; eval/results/bench-varying-session30). The
scrapes of ``--metrics`` still use httpx (two a run).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from urllib.parse import urlencode, urlsplit

import httpx
import numpy as np


async def _run(url: str, concurrency: int, seconds: float, warmup: float, questions: list[str],
               repeat: bool, method: str, k: int, once: bool = False,
               metrics: str | None = None) -> dict:
    counter = iter(range(10**12))
    latencies: list[float] = []
    errors = 0
    sent = 0
    # The scrapes have a client of their own: the workers' connections are never free.
    async with httpx.AsyncClient(timeout=60.0) as scraper:
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
            connection = Connection(url, timeout=120.0)
            try:
                await requests(connection)
            finally:
                connection.close()

        async def requests(connection: Connection) -> None:
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
                        status = await connection.post_json({"question": question, "k": k})
                    else:
                        status = await connection.get({"query": question, "limit": k})
                    ok = status == 200
                except (OSError, ValueError, asyncio.IncompleteReadError, asyncio.TimeoutError):
                    connection.close()  # the next request opens a new one
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


class Connection:
    """One keep-alive HTTP/1.1 connection to ``url``'s host (opened on first use, again
    after a failure or a ``Connection: close``): requests to ``url``'s path, each answer's
    status returned and its body read (by ``Content-Length`` or chunks) and dropped."""

    def __init__(self, url: str, timeout: float) -> None:
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"the load generator speaks plain http only, not {url!r}")
        self.host, self.port = parts.hostname, parts.port or 80
        self.path = parts.path or "/"
        self.timeout = timeout
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def post_json(self, payload: dict) -> int:
        body = json.dumps(payload, ensure_ascii=False).encode()
        return await self._request(b"POST", self.path, body)

    async def get(self, params: dict) -> int:
        return await self._request(b"GET", f"{self.path}?{urlencode(params)}", None)

    async def _request(self, method: bytes, target: str, body: bytes | None) -> int:
        async with asyncio.timeout(self.timeout):  # (no task made, as wait_for does)
            return await self._exchange(method, target, body)

    async def _exchange(self, method: bytes, target: str, body: bytes | None) -> int:
        if self._streams is None:
            self._streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self._streams
        head = [method + b" " + target.encode() + b" HTTP/1.1",
                f"Host: {self.host}:{self.port}".encode()]
        if body is not None:
            head += [b"Content-Type: application/json", f"Content-Length: {len(body)}".encode()]
        writer.write(b"\r\n".join(head) + b"\r\n\r\n" + (body or b""))
        status_line = await reader.readline()
        parts = status_line.split(None, 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/"):
            raise ValueError(f"not an HTTP answer: {status_line[:80]!r}")
        status = int(parts[1])
        length, chunked, close = None, False, False
        while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = line.partition(b":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value
            elif name == b"connection":
                close = value == b"close"
        if chunked:
            while size := int((await reader.readline()).split(b";")[0], 16):
                await reader.readexactly(size + 2)
            while await reader.readline() not in (b"\r\n", b"\n", b""):
                pass  # trailers
        elif length is not None:
            await reader.readexactly(length)
        else:  # the body runs to the connection's end
            await reader.read()
            close = True
        if close:
            self.close()
        return status

    def close(self) -> None:
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None


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
