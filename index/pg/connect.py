"""Opening a connection to the store's database, with clear errors."""

from __future__ import annotations

import re

import psycopg

from ragqa.index.pg.errors import DatabaseUnavailableError

_PASSWORD = re.compile(r"(://[^:/@]*:)[^/]*@")  # up to the last @ before the path
_PASSWORD_PARAM = re.compile(r"(password=)[^&\s]+")


def redact(url: str) -> str:
    """``url`` with its password (if any) replaced by ``***``, fit for messages and logs."""
    return _PASSWORD_PARAM.sub(r"\1***", _PASSWORD.sub(r"\1***@", url))


def connect(url: str, *, timeout: float = 10.0, application_name: str = "ragqa") -> psycopg.Connection:
    """An autocommit connection with the pgvector type registered when the extension exists.

    Autocommit, because every unit of work in this package opens its own explicit
    ``conn.transaction()``; one inside a caller's open transaction would become a savepoint
    and hold its locks until the caller commits. Raises :class:`DatabaseUnavailableError`
    (unreachable, wrong credentials, unknown database) naming the redacted URL.
    """
    try:
        conn = psycopg.connect(url, autocommit=True, connect_timeout=max(1, int(timeout)),
                               application_name=application_name)
    except psycopg.OperationalError as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise DatabaseUnavailableError(f"cannot connect to {redact(url)}: {reason}") from None
    except psycopg.ProgrammingError as exc:  # a malformed URL
        raise DatabaseUnavailableError(f"invalid database URL {redact(url)}: {exc}") from None
    register_vector_type(conn)
    return conn


def register_vector_type(conn: psycopg.Connection) -> bool:
    """Let numpy arrays in and out of ``vector`` columns, if the extension is installed."""
    from pgvector.psycopg import register_vector

    try:
        register_vector(conn)
    except psycopg.ProgrammingError:  # "vector type not found in the database"
        return False
    return True
