"""Soak: concurrent readers (search, ask, document listing) while a writer uploads and deletes.

Against a real ``ragqa serve`` on loopback. Every response must succeed; every passage's
quote must equal its document's text ``[start:end]`` (base documents as served at the start,
uploaded ones as the writer sent them); every acknowledged upload not deleted since must be
listed at the end. Latency percentiles per request kind are reported.

    .venv/bin/python -m tests.reliability.soak --seconds 60 --clients 32

copies ``corpus/`` to a temporary folder, indexes it (a minute or two), serves it and soaks it.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from collections.abc import Sequence
from pathlib import Path

import httpx

QUESTIONS = [
    "Combien de visiteurs sont attendus au Gitex Africa 2025 ?",
    "Quel accord Nokia a-t-il signé avec le Maroc ?",
    "Qui dirige Kaoun International ?",
    "data center Rabat",
    "Zorglub câble sous-marin soak",
]


def upload_text(n: int) -> str:
    return (f"# Zorglub soak {n}\n\nZorglub Telecom pose le câble sous-marin numéro {n} "
            f"entre Dakhla et les Canaries, pour le soak {n}.\n")


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    quotes_checked: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, seconds: float) -> None:
        with self.lock:
            self.latencies.setdefault(kind, []).append(seconds)

    def fail(self, message: str) -> None:
        with self.lock:
            self.failures.append(message[:500])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def soak(base_url: str | Sequence[str], seconds: float, clients: int = 32,
         seed: int = 8) -> dict:
    """Run the soak against ``base_url``; returns the summary (``failures`` must be empty).

    Given several URLs (replicas of one store), reader ``i`` asks replica ``i mod n``, the
    writer's requests go to each replica in turn, and at the end every acknowledged upload
    must be listed, with its text, by every replica.
    """
    urls = [base_url] if isinstance(base_url, str) else list(base_url)
    stats = Stats()
    with httpx.Client(base_url=urls[0], timeout=120) as setup:
        listed = setup.get("/v1/documents").json()["documents"]
        base = {d["id"]: setup.get(f"/v1/documents/{d['id']}/text").text for d in listed}
    uploaded: dict[str, str] = {}  # acknowledged and not deleted since
    ever: dict[str, str] = {}  # every text the writer sent, by id (for quote checks)
    state = threading.Lock()
    stop = threading.Event()

    def check_quotes(body: dict) -> None:
        for p in body["passages"]:
            text = base.get(p["doc_id"]) or ever.get(p["doc_id"])
            if text is None or text[p["start"] : p["end"]] != p["quote"]:
                stats.fail(f"quote not verified: {p['doc_id']} [{p['start']}:{p['end']}]")
            else:
                with stats.lock:
                    stats.quotes_checked += 1

    def reader(index: int) -> None:
        rng = random.Random(seed * 1000 + index)
        with httpx.Client(base_url=urls[index % len(urls)], timeout=120) as client:
            while not stop.is_set():
                kind = rng.choice(["search", "search", "ask", "documents"])
                started = time.perf_counter()
                try:
                    if kind == "documents":
                        response = client.get("/v1/documents")
                    else:
                        body = {"question": rng.choice(QUESTIONS), "k": rng.randint(1, 8)}
                        if kind == "ask":
                            body["generate"] = rng.random() < 0.5
                        response = client.post(f"/v1/{kind}", json=body)
                except httpx.HTTPError as exc:
                    stats.fail(f"{kind}: {type(exc).__name__}: {exc}")
                    continue
                stats.record(kind, time.perf_counter() - started)
                if response.status_code != 200:
                    stats.fail(f"{kind}: {response.status_code} {response.text}")
                elif kind != "documents":
                    check_quotes(response.json())

    def writer() -> None:
        rng = random.Random(seed)
        n = 0
        replicas = [httpx.Client(base_url=url, timeout=300) for url in urls]
        turn = 0
        try:
            while not stop.is_set():
                client = replicas[turn % len(replicas)]
                turn += 1
                if len(uploaded) >= 3 and rng.random() < 0.5:
                    doc_id = rng.choice(sorted(uploaded))
                    started = time.perf_counter()
                    response = client.delete(f"/v1/documents/{doc_id}")
                    stats.record("delete", time.perf_counter() - started)
                    if response.status_code != 200:
                        stats.fail(f"delete {doc_id}: {response.status_code} {response.text}")
                    else:
                        with state:
                            del uploaded[doc_id]
                    continue
                n += 1
                doc_id, text = f"soak/zorglub-{n}.md", upload_text(n)
                ever[doc_id] = text  # before sending: a reader may see it before the answer
                started = time.perf_counter()
                response = client.post("/v1/documents", data={"id": doc_id},
                                       files={"file": (f"zorglub-{n}.md", text.encode())})
                stats.record("upload", time.perf_counter() - started)
                if response.status_code != 201:
                    stats.fail(f"upload {doc_id}: {response.status_code} {response.text}")
                else:
                    with state:
                        uploaded[doc_id] = text
        finally:
            for client in replicas:
                client.close()

    threads = [threading.Thread(target=reader, args=(i,)) for i in range(clients)]
    threads.append(threading.Thread(target=writer))
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    for url in urls:
        with httpx.Client(base_url=url, timeout=120) as client:
            listed_ids = {d["id"] for d in client.get("/v1/documents").json()["documents"]}
            for doc_id, text in uploaded.items():
                if doc_id not in listed_ids:
                    stats.fail(f"acknowledged upload missing through {url}: {doc_id}")
                elif client.get(f"/v1/documents/{doc_id}/text").text != text:
                    stats.fail(f"acknowledged upload changed through {url}: {doc_id}")
    everything = [s for values in stats.latencies.values() for s in values]
    return {
        "seconds": round(elapsed, 1),
        "clients": clients,
        "replicas": len(urls),
        "requests": len(everything),
        "by_kind": {k: len(v) for k, v in sorted(stats.latencies.items())},
        "failed": len(stats.failures),
        "failures": stats.failures[:20],
        "quotes_checked": stats.quotes_checked,
        "uploads_acknowledged_present": len(uploaded),
        "p50_ms": round(percentile(everything, 0.50) * 1000, 1),
        "p99_ms": round(percentile(everything, 0.99) * 1000, 1),
        "p99_ms_by_kind": {k: round(percentile(v, 0.99) * 1000, 1)
                           for k, v in sorted(stats.latencies.items())},
    }


def main() -> None:
    from tests.support import running

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--corpus", type=Path, default=Path("corpus"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ragqa-soak-") as tmp:
        corpus = Path(tmp) / "corpus"
        shutil.copytree(args.corpus, corpus)
        with running(corpus, Path(tmp) / "index", Path(tmp) / "serve.log") as server:
            summary = soak(server.base_url, args.seconds, args.clients)
            log = server.output()
        summary["traceback_in_server_log"] = "Traceback" in log
        print(json.dumps(summary, indent=2, ensure_ascii=False))
        raise SystemExit(1 if summary["failed"] or summary["traceback_in_server_log"] else 0)


if __name__ == "__main__":
    main()
