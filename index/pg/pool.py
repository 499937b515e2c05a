"""A pool of connections for a serving process, with the database's absence as our error.

A served process keeps a few connections open (``psycopg_pool``) and takes one per unit of
work. When the database goes away, every failure to get or use a connection becomes
:class:`DatabaseUnavailableError` (the HTTP edge answers 503); the pool drops broken
connections and opens new ones in the background, so the first request after the database
is back works again without a restart.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from ragqa.index.pg.connect import redact, register_vector_type
from ragqa.index.pg.errors import DatabaseUnavailableError

logger = logging.getLogger(__name__)


class Pool:
    """Connections to one database (autocommit, pgvector's type registered)."""

    def __init__(self, url: str, *, size: int = 8, timeout: float = 10.0,
                 application_name: str = "ragqa") -> None:
        self.url = url
        self.timeout = timeout
        self._pool = ConnectionPool(
            url,
            min_size=1,
            max_size=max(1, size),
            open=False,
            timeout=timeout,
            # A connection broken while idle (the database restarted) is replaced before use.
            check=ConnectionPool.check_connection,
            reconnect_timeout=timeout,
            kwargs={"autocommit": True, "application_name": application_name,
                    "connect_timeout": max(1, int(timeout))},
            configure=_configure,
            name="ragqa",
        )
        self._local = threading.local()  # the connection pinned by this thread's session

    def open(self) -> Pool:
        """Open the pool and wait for a first connection; raise our error if none comes."""
        try:
            self._pool.open(wait=True, timeout=self.timeout)
        except PoolTimeout:
            self._pool.close()
            raise DatabaseUnavailableError(_unreachable(self.url)) from None
        return self

    def close(self) -> None:
        self._pool.close()

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection]:
        """One connection for a unit of work; our error when the database is unavailable.
        Inside this thread's :meth:`session`, the session's connection."""
        pinned = getattr(self._local, "conn", None)
        if pinned is not None:
            try:
                yield pinned
            except psycopg.OperationalError as exc:
                raise DatabaseUnavailableError(_lost(self.url, exc)) from None
            return
        try:
            with self._pool.connection() as conn:
                yield conn
        except PoolTimeout:
            raise DatabaseUnavailableError(_unreachable(self.url)) from None
        except psycopg.OperationalError as exc:
            raise DatabaseUnavailableError(_lost(self.url, exc)) from None

    @contextmanager
    def session(self) -> Iterator[None]:
        """Every unit of work of this thread until the block ends shares one connection (a
        search's reads: one connection taken from the pool, not one per query)."""
        if getattr(self._local, "conn", None) is not None:
            yield  # nested: the outer session's connection
            return
        with self.connection() as conn:
            self._local.conn = conn
            try:
                yield
            finally:
                self._local.conn = None


def _configure(conn: psycopg.Connection) -> None:
    register_vector_type(conn)


def _unreachable(url: str) -> str:
    return f"the database at {redact(url)} is not reachable (no connection came in time)"


def _lost(url: str, exc: psycopg.OperationalError) -> str:
    reason = " ".join(str(exc).split()) or type(exc).__name__
    return f"lost the database at {redact(url)}: {reason}"
