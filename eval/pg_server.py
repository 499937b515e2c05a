"""A PostgreSQL server for the measurements: the one at a given URL, or a throw-away
PostgreSQL 16 + pgvector started with pgserver in a temporary folder (stopped, then
deleted, on exit)."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg


@contextlib.contextmanager
def database_server(url: str | None) -> Iterator[tuple[str, Callable[[str], str]]]:
    """``(admin URL, URL of a database by name)`` for ``url``'s server or a pgserver one."""
    if url is not None:
        from psycopg.conninfo import conninfo_to_dict, make_conninfo

        yield url, lambda name: make_conninfo(**{**conninfo_to_dict(url), "dbname": name})
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs: XDG_RUNTIME_DIR not set
        import pgserver

        folder = Path(tempfile.mkdtemp(prefix="ragqa-pg-eval-"))
        server = pgserver.get_server(folder / "data", cleanup_mode="stop")
    try:
        yield server.get_uri(), server.get_uri
    finally:
        server.cleanup()  # stop first: the data folder must outlive the server
        shutil.rmtree(folder, ignore_errors=True)


def fresh_database(admin_url: str, url_for: Callable[[str], str], name: str) -> str:
    """Create (or re-create) database ``name``; its URL."""
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    return url_for(name)
