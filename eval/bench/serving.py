"""Serving over real HTTP: a server process on loopback, the load generator in another.

Used for ``ragqa serve`` and for the peers (any command line that serves HTTP), so every
server is measured the same way: cold start to the first answer, latency and throughput per
concurrency level, resident memory.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    """A server process started by the bench (stopped with :meth:`stop`)."""

    process: subprocess.Popen
    port: int
    log: Path
    started: float

    def rss_mb(self) -> dict[str, float]:
        """Current and peak resident memory of the server and its children, in MiB."""
        try:
            root = psutil.Process(self.process.pid)
            procs = [root, *root.children(recursive=True)]
            rss = sum(p.memory_info().rss for p in procs)
            peak = sum(_peak_rss(p.pid) for p in procs)
        except psutil.Error:
            return {"rss_mb": 0.0, "peak_rss_mb": 0.0}
        return {"rss_mb": round(rss / 2**20, 1), "peak_rss_mb": round(max(peak, rss) / 2**20, 1)}

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def _peak_rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def start(command: Sequence[str], port: int, log: Path, env: dict[str, str] | None = None,
          cwd: Path | None = None) -> Server:
    log.parent.mkdir(parents=True, exist_ok=True)
    handle = open(log, "w", encoding="utf-8")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(list(command), stdout=handle, stderr=subprocess.STDOUT,
                               env={**os.environ, **(env or {})}, cwd=cwd)
    return Server(process, port, log, time.perf_counter())


def first_answer(server: Server, probe, timeout: float = 600.0) -> float:
    """Seconds from the server's start to its first successful answer to ``probe(client)``."""
    with httpx.Client(timeout=30.0) as client:
        while True:
            if server.process.poll() is not None:
                tail = server.log.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"server exited with {server.process.returncode}:\n{tail}")
            try:
                if probe(client).status_code == 200:
                    return time.perf_counter() - server.started
            except httpx.HTTPError:
                pass
            if time.perf_counter() - server.started > timeout:
                raise RuntimeError(f"server not answering after {timeout:.0f} s; see {server.log}")
            time.sleep(0.05)


def ragqa_serve(corpus_dir: Path, index_dir: Path, log: Path, env: dict[str, str]) -> Server:
    port = free_port()
    command = [sys.executable, "-m", "ragqa", "serve", "--corpus", str(corpus_dir),
               "--index", str(index_dir), "--port", str(port)]
    return start(command, port, log, env)


def search_probe(port: int, question: str):
    url = f"http://127.0.0.1:{port}/v1/search"
    return lambda client: client.post(url, json={"question": question, "k": 5})


def load(url: str, concurrency: int, seconds: float, questions_file: Path, *,
         method: str = "POST", repeat: bool = False, warmup: float = 1.0, once: bool = False,
         metrics: str | None = None) -> dict:
    """Run the load generator in its own process against ``url``; its JSON result
    (``once``, ``metrics``: see :mod:`ragqa.eval.bench.load`)."""
    command = [sys.executable, "-m", "ragqa.eval.bench.load", url, "--concurrency", str(concurrency),
               "--seconds", str(seconds), "--warmup", str(warmup), "--questions",
               str(questions_file), "--method", method]
    if repeat:
        command.append("--repeat")
    if once:
        command.append("--once")
    if metrics:
        command += ["--metrics", metrics]
    done = subprocess.run(command, capture_output=True, text=True, check=False,
                          timeout=seconds + warmup + 300)
    if done.returncode != 0:
        raise RuntimeError(f"load generator failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout)
