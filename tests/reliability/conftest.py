"""Fixtures for reliability runs: a real `ragqa serve` over copies of the corpus and index."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import CORPUS
from tests.support import Server, running
from tests.service.conftest import writable, write_client  # noqa: F401 - shared fixtures


@pytest.fixture(scope="module")
def served_copy(tmp_path_factory: pytest.TempPathFactory, corpus_index: Path) -> Iterator[Server]:
    """`ragqa serve` (loopback, no keys: writes allowed from here) over copies of the real
    corpus and its session index, so write endpoints never touch the repository's corpus."""
    root = tmp_path_factory.mktemp("served")
    corpus, index = root / "corpus", root / "index"
    shutil.copytree(CORPUS, corpus)
    shutil.copytree(corpus_index, index)
    with running(corpus, index, root / "serve.log") as server:
        server.corpus = corpus  # type: ignore[attr-defined]
        yield server
