"""Helpers shared by the tests (not fixtures): the real ``ragqa`` command as a subprocess,
its environment, free loopback ports and a live ``ragqa serve``."""

from __future__ import annotations

import os
import socket
import sys

# The real command: ``python -m ragqa`` runs exactly what the ``ragqa`` script runs, from
# the code under test (whichever checkout is on sys.path), not from a stale installation.
RAGQA = (sys.executable, "-m", "ragqa")


def child_env(**settings: str) -> dict[str, str]:
    """The environment for a child ragqa: no developer RAGQA_* variable, offline models."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAGQA_")}
    env.update(HF_HUB_OFFLINE="1", RAGQA_OFFLINE="1", **settings)
    return env


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def build_index(corpus, index_dir, model, embedder, config=None, *, load_embedder=None, **kw):
    """``update_index`` with ``embedder``'s identity; ``load_embedder`` replaces the loader
    (e.g. one that fails, to prove that nothing is embedded)."""
    from index.builder import IndexConfig, update_index

    return update_index(corpus, index_dir, model=model, identity=embedder.identity,
                        load_embedder=load_embedder or (lambda: embedder),
                        config=config or IndexConfig(), **kw)
