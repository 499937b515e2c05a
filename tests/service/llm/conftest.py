"""LLM servers as real processes on loopback: llama.cpp's server with a tiny random model the
tests write themselves, and a small OpenAI-compatible stub for the behaviours a real server
cannot be made to show on demand (see fake_llm.py). Plus ``ragqa serve`` itself."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from ragqa.service.app import create_app
from ragqa.service.llm.client import llm_client as make_llm_client
from tests.conftest import CORPUS
from tests.postgres import database_copy
from tests.service.conftest import LOOPBACK, STORES, make_settings
from tests.service.llm.tiny_llama import write_tiny_llama
from tests.support import free_port, start, stop, wait_until

FAKE_LLM = Path(__file__).with_name("fake_llm.py")
GITEX = "Combien de visiteurs et d'exposants sont attendus au Gitex Africa ?"


def _answers(url: str, proc: subprocess.Popen) -> bool:
    """Whether ``url`` answers 200; fails at once if ``proc`` (its server) has exited."""
    if proc.poll() is not None:
        raise AssertionError(f"the server exited\n{proc.stdout.read()}")
    return httpx.get(url, timeout=2).status_code == 200


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``python -m llama_cpp.server`` serving the tiny model; yields its ``/v1`` base URL."""
    pytest.importorskip("llama_cpp.server", reason="pip install -e '.[test]' (llama-cpp-python)")
    model = write_tiny_llama(tmp_path_factory.mktemp("tiny-llama") / "tiny.gguf")
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host",
         "127.0.0.1", "--port", str(port), "--n_ctx", "16384", "--n_threads", "1",
         "--seed", "7", "--verbose", "false"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    base = f"http://127.0.0.1:{port}/v1"
    try:
        wait_until(lambda: _answers(f"{base}/models", proc), what="llama_cpp.server start",
                   timeout=180, interval=0.1, ignoring=httpx.TransportError)
        yield base
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


class FakeLLM:
    def __init__(self, url: str, state: Path) -> None:
        self.url = url
        self.state = state

    def requests(self) -> list[dict]:
        """Request bodies received so far."""
        log = self.state / "requests.jsonl"
        if not log.exists():
            return []
        return [json.loads(line) for line in log.read_text().splitlines()]


@pytest.fixture
def fake_llm(tmp_path: Path) -> Iterator[Callable[..., FakeLLM]]:
    """Starts ``fake_llm.py MODE`` processes; stops them after the test."""
    procs: list[subprocess.Popen] = []

    def start(mode: str, text: str = "") -> FakeLLM:
        state = tmp_path / f"fake-{mode}-{len(procs)}"
        state.mkdir()
        proc = subprocess.Popen([sys.executable, str(FAKE_LLM), mode, str(state), text],
                                stdout=subprocess.PIPE, text=True)
        procs.append(proc)
        port = int(proc.stdout.readline())
        return FakeLLM(f"http://127.0.0.1:{port}/v1", state)

    yield start
    for proc in procs:
        proc.kill()
        proc.wait(timeout=30)


def closed_port_url() -> str:
    """A loopback URL where nothing listens: an LLM that is down."""
    return f"http://127.0.0.1:{free_port()}/v1"


@contextmanager
def llm_client(index: Path, corpus: Path = CORPUS, update_index: bool = False,
               **values) -> Iterator[TestClient]:
    """The app over ``index`` with the given settings; relevance never low unless asked."""
    values.setdefault("low_relevance_threshold", 0.0)
    values.setdefault("llm_retries", 0)
    app = create_app(make_settings(corpus, index, **values), update_index=update_index)
    with TestClient(app, client=LOOPBACK) as client:
        yield client


@contextmanager
def ragqa_serve(tmp_path: Path, index: Path, env: dict[str, str],
                corpus: Path = CORPUS) -> Iterator[str]:
    """A real ``ragqa serve`` process over copies of ``corpus`` and ``index``; yields its URL."""
    corpus_copy, index_copy = tmp_path / "serve-corpus", tmp_path / "serve-index"
    shutil.copytree(corpus, corpus_copy)
    shutil.copytree(index, index_copy)
    server = start(corpus_copy, index_copy, tmp_path / "serve.log",
                   **{"RAGQA_LOW_RELEVANCE_THRESHOLD": "0", **env})
    try:
        yield server.base_url
    finally:
        output = stop(server)
        assert "Traceback" not in output, output


@pytest.fixture(scope="module", params=STORES)
def app_client(request: pytest.FixtureRequest, corpus_index: Path) -> Iterator[TestClient]:
    """One app over the real corpus for a module, in each store (``.store`` says which: the
    session's files index, or a copy of the corpus database); tests give it an LLM with
    :func:`using_llm`. Relevance is never low here."""
    if request.param == "files":
        with llm_client(corpus_index) as client:
            client.store = "files"
            yield client
        return
    server = request.getfixturevalue("pg_server")
    with database_copy(server, request.getfixturevalue("pg_corpus")) as url:
        with llm_client(corpus_index, store="postgres", database_url=url) as client:
            client.store = "postgres"
            yield client


@contextmanager
def using_llm(client: TestClient, **values) -> Iterator[TestClient]:
    """``client``'s app with the LLM client that ``create_app`` builds from these settings
    (``llm_url=…``), for the duration of the block."""
    values.setdefault("llm_retries", 0)
    llm = make_llm_client(make_settings(CORPUS, Path("unused"), **values))
    app = client.app
    previous, app.state.llm = app.state.llm, llm
    try:
        yield client
    finally:
        app.state.llm = previous
        client.portal.call(llm.aclose)
