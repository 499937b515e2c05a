"""Helpers shared by the tests (not fixtures): the real ``ragqa`` command as a subprocess,
its environment, free loopback ports, a live ``ragqa serve``, and building an index."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from ragqa.index.embedding.models import FALLBACK_MODEL_NAME

# The real command: ``python -m ragqa`` runs exactly what the ``ragqa`` script runs, from
# the code under test (whichever checkout is on sys.path), not from a stale installation.
RAGQA = (sys.executable, "-m", "ragqa")


def child_env(**settings: str) -> dict[str, str]:
    """The environment for a child ragqa: no developer RAGQA_* variable, offline models."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAGQA_")}
    env.update(HF_HUB_OFFLINE="1", RAGQA_OFFLINE="1", RAGQA_EMBED_MODEL=FALLBACK_MODEL_NAME)
    env.update(settings)
    return env


def run_ragqa(*args: str, cwd: Path | None = None, **settings: str
              ) -> subprocess.CompletedProcess:
    """Run ``ragqa ARGS`` to completion with ``settings`` (RAGQA_* variables) set."""
    return subprocess.run([*RAGQA, *args], capture_output=True, text=True,
                          env=child_env(**settings), cwd=cwd, timeout=600)


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A running ``ragqa serve``: its base URL, process and captured output file."""

    def __init__(self, proc: subprocess.Popen, base_url: str, log: Path) -> None:
        self.proc = proc
        self.base_url = base_url
        self.log = log

    @property
    def port(self) -> int:
        return int(self.base_url.rsplit(":", 1)[1])

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def kill(self) -> None:
        """SIGKILL: no shutdown handler runs, like a power cut for the process."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=60)


def start(corpus: Path, index: Path, log: Path, *, timeout: float = 300,
          port: int | None = None, cwd: Path | None = None, **settings: str) -> Server:
    """Start ``ragqa serve`` and wait until ``/health`` answers (it may index first)."""
    port = port or free_port()
    handle = open(log, "w", encoding="utf-8")  # noqa: SIM115 - lives as long as the process
    proc = subprocess.Popen(
        [*RAGQA, "serve", "--corpus", str(corpus), "--index", str(index), "--port", str(port)],
        stdout=handle, stderr=subprocess.STDOUT, env=child_env(**settings), cwd=cwd,
    )
    server = Server(proc, f"http://127.0.0.1:{port}", log)
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"ragqa serve exited with {proc.returncode}:\n{server.output()}")
        try:
            if httpx.get(f"{server.base_url}/health", timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"ragqa serve did not start in {timeout:.0f} s:\n{server.output()}")
        time.sleep(0.2)


def stop(server: Server) -> str:
    """SIGTERM (graceful), then the server's whole output."""
    if server.proc.poll() is None:
        server.proc.terminate()
        try:
            server.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    return server.output()


@contextmanager
def running(corpus: Path, index: Path, log: Path, **kw) -> Iterator[Server]:
    """``ragqa serve`` for the ``with`` block (arguments as for :func:`start`)."""
    server = start(corpus, index, log, **kw)
    try:
        yield server
    finally:
        stop(server)


def build_index(corpus, index_dir, model, embedder, config=None, *, load_embedder=None, **kw):
    """``update_index`` with ``embedder``'s identity; ``load_embedder`` replaces the loader
    (e.g. one that fails, to prove that nothing is embedded)."""
    from ragqa.index.files.builder import IndexConfig, update_index

    return update_index(corpus, index_dir, model=model, identity=embedder.identity,
                        load_embedder=load_embedder or (lambda: embedder),
                        config=config or IndexConfig(), **kw)
