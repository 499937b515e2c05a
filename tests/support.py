"""Helpers shared by the tests (not fixtures): waiting on a condition, the real ``ragqa``
command as a subprocess, its environment, free loopback ports, a live ``ragqa serve``,
building an index, and a handbook to index alone."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import httpx
from ragqa.index.embedding.models import FALLBACK_MODEL_NAME

# The real command: ``python -m ragqa`` runs exactly what the ``ragqa`` script runs, from
# the code under test (whichever checkout is on sys.path), not from a stale installation.
RAGQA = (sys.executable, "-m", "ragqa")

T = TypeVar("T")

# One document of several sections, a handbook alone in its index (every question is
# answered from it): conversations over it.
HANDBOOK = """# Livret d'accueil des salariés

## Congés payés

Chaque salarié acquiert deux jours et demi de congés payés par mois de travail effectif.
Les congés sont posés dans le portail du personnel au moins un mois à l'avance, et le
responsable les valide sous huit jours.

## Télétravail

Le télétravail est possible deux jours par semaine après la période d'essai. La demande
est adressée au service des ressources humaines, qui signe un avenant au contrat.

## Notes de frais

Les frais de déplacement sont remboursés sur justificatif dans les trente jours. Un repas
au restaurant est pris en charge jusqu'à vingt-cinq euros, une nuit d'hôtel jusqu'à cent
vingt euros en province.

## Mutuelle

La mutuelle d'entreprise couvre le salarié et ses enfants. L'employeur en paie la moitié,
le reste est prélevé sur le bulletin de paie.
"""


def wait_until(condition: Callable[[], T], *, what: str, timeout: float = 60.0,
               interval: float = 0.05,
               ignoring: type[Exception] | tuple[type[Exception], ...] = (),
               pause: Callable[[float], object] = time.sleep) -> T:
    """Call ``condition`` every ``interval`` seconds until it returns a truthy value, and
    return that value; after ``timeout`` seconds fail the test (``AssertionError``) naming
    ``what`` was awaited and what the last call returned or raised.

    An exception of the ``ignoring`` types counts as "not yet" (a server that does not
    listen yet); any other propagates at once, so a condition can stop the wait early by
    asserting (a process that died). ``pause`` waits between calls: Playwright's sync API,
    for one, runs its handlers only inside its own waits.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = condition()
        except ignoring as exc:
            last = f"raised {exc!r}"
        else:
            if value:
                return value
            last = f"returned {value!r}"
        if time.monotonic() >= deadline:
            if len(last) > 500:
                last = last[:500] + "..."
            raise AssertionError(f"{what}: not within {timeout:g} s (the last check {last})")
        pause(interval)


def child_env(**settings: str) -> dict[str, str]:
    """The environment for a child ragqa: no developer RAGQA_* variable, offline models."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAGQA_")}
    env.update(HF_HUB_OFFLINE="1", RAGQA_OFFLINE="1", RAGQA_EMBED_MODEL=FALLBACK_MODEL_NAME,
               # An upload is answered once indexed (201/200), however busy the cores: what
               # the tests of writes check. The 202 path: tests/service/test_jobs_api.py.
               RAGQA_UPLOAD_WAIT_SECONDS="300")
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

    def healthy() -> bool:
        if proc.poll() is not None:
            raise RuntimeError(f"ragqa serve exited with {proc.returncode}:\n{server.output()}")
        return httpx.get(f"{server.base_url}/health", timeout=2).status_code == 200

    try:
        wait_until(healthy, what="ragqa serve answering /health with 200", timeout=timeout,
                   interval=0.2, ignoring=httpx.TransportError)
    except AssertionError as exc:
        proc.kill()
        raise RuntimeError(f"{exc}\n{server.output()}") from None
    return server


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


def files_holding(folder: Path, strings) -> list[str]:
    """The files under ``folder`` (every one, read as bytes) holding any of ``strings``,
    as UTF-8, UTF-16 or UTF-32 (numpy stores its string arrays as UTF-32), as written or
    lowercased: where a document's text could still be on disk."""
    needles = {s.encode(encoding) for text in strings for s in (text, text.lower())
               for encoding in ("utf-8", "utf-16-le", "utf-32-le")}
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()):
        try:
            data = path.read_bytes()
        except FileNotFoundError:  # removed meanwhile (a merge publishing)
            continue
        if any(needle in data for needle in needles):
            found.append(path.relative_to(folder).as_posix())
    return found
