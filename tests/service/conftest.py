"""Fixtures for the HTTP service: apps over the real corpus index, built with the real model."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from ragqa.service.app import create_app
from ragqa.settings import Settings
from tests.conftest import CORPUS
from tests.postgres import PgServer, database_copy, pg_corpus, pg_server, pg_url  # noqa: F401
from ragqa.index.embedding.models import FALLBACK_MODEL_NAME

LOOPBACK = ("127.0.0.1", 50000)


def make_settings(corpus_dir: Path, index_dir: Path, **values) -> Settings:
    """Settings from explicit values only: no developer RAGQA_* variable, no .env."""
    with pytest.MonkeyPatch.context() as mp:
        for name in list(os.environ):
            if name.startswith("RAGQA_"):
                mp.delenv(name)
        # The session index is built with MiniLM: ask for it by name (offline it resolves
        # to the bundled package, "fallback": true), not for the default bundled e5 model.
        values.setdefault("embed_model", FALLBACK_MODEL_NAME)
        # Uploads answered once indexed, however busy the cores (see tests/support.py).
        values.setdefault("upload_wait_seconds", 300)
        return Settings(_env_file=None, corpus_dir=corpus_dir, index_dir=index_dir,
                        offline=True, **values)


@pytest.fixture(scope="module")
def client(corpus_index: Path) -> Iterator[TestClient]:
    """A read-only app over the session index of the real corpus (module-wide: fast)."""
    app = create_app(make_settings(CORPUS, corpus_index))
    with TestClient(app, client=LOOPBACK) as test_client:
        yield test_client


STORES = ("files", "postgres")


@pytest.fixture(scope="module", params=STORES)
def store_client(request: pytest.FixtureRequest, corpus_index: Path) -> Iterator[TestClient]:
    """A read-only app over the real corpus in each store (``.store`` says which): the
    session's files index, or a copy of the corpus database."""
    if request.param == "files":
        app = create_app(make_settings(CORPUS, corpus_index))
        with TestClient(app, client=LOOPBACK) as test_client:
            test_client.store = "files"
            yield test_client
        return
    server: PgServer = request.getfixturevalue("pg_server")
    with database_copy(server, request.getfixturevalue("pg_corpus")) as url:
        app = create_app(make_settings(CORPUS, corpus_index, store="postgres", database_url=url))
        with TestClient(app, client=LOOPBACK) as test_client:
            test_client.store = "postgres"
            yield test_client


@pytest.fixture
def writable(tmp_path: Path, corpus_index: Path) -> tuple[Path, Path]:
    """Copies of the corpus and its index that a test may change."""
    corpus = tmp_path / "corpus"
    index = tmp_path / "index"
    shutil.copytree(CORPUS, corpus)
    shutil.copytree(corpus_index, index)
    return corpus, index


@pytest.fixture
def write_client(writable: tuple[Path, Path]) -> Iterator[TestClient]:
    """An app over the copies, called from loopback (write endpoints allowed)."""
    app = create_app(make_settings(*writable), update_index=False)
    with TestClient(app, client=LOOPBACK) as test_client:
        yield test_client


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest) -> str:
    """The store a write test runs on: each of :data:`STORES`, unless the test names one
    (``@pytest.mark.parametrize("store", ["files"])``, for what only that store does)."""
    return request.param


@pytest.fixture
def write_app(request: pytest.FixtureRequest, store: str, tmp_path: Path
              ) -> Iterator[Callable[..., AbstractContextManager[TestClient]]]:
    """``write_app(client=LOOPBACK, update_index=False, **settings)`` opens an app over data
    this test may change, in ``store``: copies of the corpus folder and its index, or a
    fresh copy of the corpus database. Every app a test opens serves the same data. Its
    client says ``.store``, ``.corpus`` (the corpus folder the app is given: the postgres
    store must never write one) and ``.database_url`` (None for the files store)."""
    with ExitStack() as stack:
        if store == "files":
            corpus, index = request.getfixturevalue("writable")
            values: dict[str, str] = {}
        else:
            server: PgServer = request.getfixturevalue("pg_server")
            url = stack.enter_context(database_copy(server, request.getfixturevalue("pg_corpus")))
            corpus, index = tmp_path / "no-corpus", tmp_path / "no-index"
            values = {"store": "postgres", "database_url": url}

        @contextmanager
        def open_app(*, client: tuple[str, int] = LOOPBACK, update_index: bool = False,
                     **settings) -> Iterator[TestClient]:
            app = create_app(make_settings(corpus, index, **values, **settings),
                             update_index=update_index)
            with TestClient(app, client=client) as test_client:
                test_client.store, test_client.corpus = store, corpus
                test_client.database_url = values.get("database_url")
                yield test_client

        yield open_app


def check_passages(client: TestClient | httpx.Client, body: dict) -> None:
    """The promise, for every passage: text[start:end] == quote; highlight inside quote."""
    texts: dict[str, str] = {}
    for passage in body["passages"]:
        doc_id = passage["doc_id"]
        if doc_id not in texts:
            response = client.get(f"/v1/documents/{doc_id}/text")
            assert response.status_code == 200, response.text
            texts[doc_id] = response.text
        text = texts[doc_id]
        start, end = passage["start"], passage["end"]
        assert text[start:end] == passage["quote"]
        span = passage["highlight"]
        assert start <= span["start"] < span["end"] <= end
        sentence = text[span["start"] : span["end"]]
        assert sentence == sentence.strip() and sentence in passage["quote"]


def assert_error(response: httpx.Response, status: int, code: str) -> dict:
    """A 4xx in the common shape; returns the error object."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]
