"""A closed-loop HTTP load generator, run as its own process so it never shares the server's
interpreter: ``python -m ragqa.eval.bench.load URL --concurrency 16 --seconds 10 --questions F``.

``concurrency`` workers each send a request, wait for the answer, and send the next. Every
question is made unique (a counter is appended) so no cache can answer it; ``--repeat``
sends the questions as they are instead, to measure the caches. Prints one JSON object.
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
               repeat: bool, method: str, k: int) -> dict:
    counter = iter(range(10**12))
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=120.0) as client:
        started = time.perf_counter()
        measure_from, stop_at = started + warmup, started + warmup + seconds

        async def worker() -> None:
            nonlocal errors
            while True:
                n = next(counter)
                question = questions[n % len(questions)]
                if not repeat:
                    question = f"{question} ({n})"
                sent = time.perf_counter()
                if sent >= stop_at:
                    return
                try:
                    if method == "POST":
                        response = await client.post(url, json={"question": question, "k": k})
                    else:
                        response = await client.get(url, params={"query": question, "limit": k})
                    ok = response.status_code == 200
                except httpx.HTTPError:
                    ok = False
                done = time.perf_counter()
                if sent >= measure_from and done <= stop_at:
                    if ok:
                        latencies.append((done - sent) * 1000)
                    else:
                        errors += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    values = np.array(latencies) if latencies else np.zeros(1)
    return {
        "concurrency": concurrency,
        "requests": len(latencies),
        "errors": errors,
        "seconds": seconds,
        "throughput_qps": round(len(latencies) / seconds, 2),
        "p50_ms": round(float(np.percentile(values, 50)), 2),
        "p95_ms": round(float(np.percentile(values, 95)), 2),
        "p99_ms": round(float(np.percentile(values, 99)), 2),
        "mean_ms": round(float(values.mean()), 2),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--questions", required=True, help="a JSON list of questions")
    parser.add_argument("--repeat", action="store_true")
    parser.add_argument("--method", choices=["POST", "GET"], default="POST")
    parser.add_argument("-k", type=int, default=5)
    args = parser.parse_args(argv)
    with open(args.questions, encoding="utf-8") as handle:
        questions = json.load(handle)
    result = asyncio.run(_run(args.url, args.concurrency, args.seconds, args.warmup, questions,
                              args.repeat, args.method, args.k))
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
