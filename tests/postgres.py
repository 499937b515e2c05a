"""A real PostgreSQL 16 with pgvector for tests, from the PyPI package ``pgserver``.

``pg_server`` starts one server per test session in a temporary folder (a few seconds) and
deletes it at the end; ``pg_url`` gives each test a fresh, empty database on it. Set
``RAGQA_TEST_DATABASE_URL`` (a superuser's URL on PostgreSQL >= 15 with the pgvector
package installed) to run the same tests against your own server instead.

As root, pgserver cannot run PostgreSQL as root (PostgreSQL refuses to): it creates a
system user ``pgserver`` (``useradd``) and runs the server as that user, after making the
folders above the data folder and its bundled binaries readable and traversable by others
(``chmod o+rx``). That is why the data folder is our own ``mkdtemp`` folder, not pytest's
``tmp_path`` (which lives under a 0700 folder pgserver would open up). Tests are skipped,
with the reason, only when no server can be started.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

TEST_URL_VARIABLE = "RAGQA_TEST_DATABASE_URL"


@dataclass(frozen=True)
class PgServer:
    """Where the test server is: ``url(database)`` gives a database's URL on it."""

    admin_url: str
    url_for: Callable[[str], str]

    def url(self, database: str) -> str:
        return self.url_for(database)


def _start_pgserver(prefix: str, hint: str = "") -> tuple[object, Path]:
    """A pgserver PostgreSQL in a new ``mkdtemp`` folder: ``(server, folder)``; the test is
    skipped, with the reason, when pgserver is missing or cannot start here."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs, at import: XDG_RUNTIME_DIR not set
        try:
            import pgserver
        except ImportError:
            pytest.skip(f"pgserver is not installed (pip install -e '.[test]'){hint}")
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return pgserver.get_server(folder / "data", cleanup_mode="delete"), folder
    except Exception as exc:  # noqa: BLE001 - any failure to start means: cannot test here
        shutil.rmtree(folder, ignore_errors=True)
        pytest.skip(f"PostgreSQL (pgserver) could not start here: {type(exc).__name__}: {exc}")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    external = os.environ.get(TEST_URL_VARIABLE)
    if external:
        from psycopg.conninfo import conninfo_to_dict, make_conninfo

        def url_for(database: str) -> str:
            return make_conninfo(**{**conninfo_to_dict(external), "dbname": database})

        yield PgServer(external, url_for)
        return
    server, folder = _start_pgserver("ragqa-pg-", f", and {TEST_URL_VARIABLE} is not set")
    try:
        yield PgServer(server.get_uri(), lambda database: server.get_uri(database))
    finally:
        server.cleanup()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def pg_url(pg_server: PgServer) -> Iterator[str]:
    """A fresh empty database for one test, dropped afterwards."""
    with database_copy(pg_server) as url:
        yield url


@contextmanager
def database_copy(server: PgServer, template: str | None = None) -> Iterator[str]:
    """A fresh database, copied from ``template`` when given (``CREATE DATABASE …
    TEMPLATE``: a file copy, no re-indexing), dropped afterwards; its URL."""
    import psycopg

    name = f"ragqa_test_{uuid.uuid4().hex[:12]}"
    copy = f' TEMPLATE "{template}"' if template else ""
    with psycopg.connect(server.admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"{copy}')
    try:
        yield server.url(name)
    finally:
        with psycopg.connect(server.admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_corpus(pg_server: PgServer, corpus_index: Path, minilm, embedder) -> str:
    """The name of a template database holding the real corpus as ``ragqa index`` with
    ``RAGQA_STORE=postgres`` writes it (default settings, the bundled MiniLM), its vectors
    taken by key from the session's files index: copy it with :func:`database_copy`."""
    import numpy as np
    import psycopg

    from ragqa.index.files.dense import all_vectors
    from ragqa.index.records import ModelRecord
    from ragqa.index.pg.connect import connect
    from ragqa.index.pg.identity import ensure_identity
    from ragqa.index.pg.indexing import index_corpus_into
    from ragqa.index.pg.migrations import migrate
    from ragqa.index.pg.view import store_identity
    from ragqa.index.documents.processing import vector_key
    from ragqa.index.files.generations import load_index
    from ragqa.settings import Settings
    from tests.conftest import CORPUS

    files = load_index(corpus_index)
    matrix = all_vectors(files.dense)
    by_key = {key: matrix[row] for row, key in enumerate(files.vector_keys)}

    class FilesVectors:  # an unknown key fails: the stores key passages alike
        def encode_passages(self, texts):
            found = [by_key.get(vector_key(text)) for text in texts]
            if all(v is not None for v in found):
                return np.stack(found)
            held, vectors = files.stored_sentence_vectors(texts)  # a batch of sentences:
            assert held.all()  # the files index made them with the same model
            return vectors

    name = f"ragqa_corpus_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_server.admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    config = Settings(_env_file=None).index_config()
    with connect(pg_server.url(name)) as conn:
        migrate(conn, dimension=embedder.dimension)
        model = ModelRecord(minilm.requested, minilm.name, embedder.identity.weights_sha256,
                            embedder.dimension, minilm.fallback)
        ensure_identity(conn, store_identity(model, embedder.identity, config))
        index_corpus_into(conn, CORPUS, config=config, contextual=embedder.identity.embed_context,
                          load_embedder=FilesVectors)
    return name


@dataclass
class OwnPgServer:
    """A PostgreSQL of one test's own, which the test may stop and start again (the URL
    stays the same: the socket lives in the data folder)."""

    server: object  # pgserver.PostgresServer

    @property
    def url(self) -> str:
        return self.server.get_uri()

    def stop(self) -> None:
        """Stop at once, as a crash or a failover would (``pg_ctl stop -m immediate``)."""
        import pgserver

        pgserver.pg_ctl(["-w", "-m", "immediate", "stop"], pgdata=self.server.pgdata,
                        user=self.server.system_user)

    def start(self) -> None:
        self.server.ensure_postgres_running()


@pytest.fixture
def pg_own_server() -> Iterator[OwnPgServer]:
    """A throw-away pgserver PostgreSQL for one test (a few seconds to start)."""
    server, folder = _start_pgserver("ragqa-pg-own-")
    own = OwnPgServer(server)
    try:
        yield own
    finally:
        server.cleanup()  # stops it if running, then deletes its data folder
        shutil.rmtree(folder, ignore_errors=True)
