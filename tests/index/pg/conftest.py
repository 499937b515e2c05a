"""The PostgreSQL store's tests run against a real server (see :mod:`tests.postgres`)."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from ragqa.index.config import IndexConfig
from ragqa.index.embedding.embedder import Embedder
from ragqa.index.embedding.models import ResolvedModel
from ragqa.index.pg.connect import connect
from ragqa.index.pg.identity import StoreIdentity, ensure_identity
from ragqa.index.pg.migrations import migrate
from ragqa.index.pg.view import store_identity
from tests.index.pg.models import model_record
from tests.postgres import pg_server, pg_url  # noqa: F401 - fixtures

DIM = 8


@pytest.fixture
def conn(pg_url: str) -> Iterator[psycopg.Connection]:  # noqa: F811
    """A connection to a fresh database migrated to the current schema (dimension 8)."""
    connection = connect(pg_url)
    migrate(connection, dimension=DIM)
    try:
        yield connection
    finally:
        connection.close()


@pytest.fixture
def store_conn(pg_url: str, minilm: ResolvedModel,  # noqa: F811
               embedder: Embedder) -> Iterator[tuple[psycopg.Connection, StoreIdentity]]:
    """A connection to a fresh database set up for the bundled model and default settings,
    and the identity recorded."""
    connection = connect(pg_url)
    migrate(connection, dimension=embedder.dimension)
    found = ensure_identity(connection, store_identity(model_record(minilm, embedder),
                                                       embedder.identity, IndexConfig()))
    try:
        yield connection, found
    finally:
        connection.close()
