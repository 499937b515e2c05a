"""The PostgreSQL store's tests run against a real server (see :mod:`tests.postgres`)."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from ragqa.index.pg.connect import connect
from ragqa.index.pg.migrations import migrate
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
