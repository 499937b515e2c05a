"""Applying the schema's migrations at start-up, safely from several replicas at once.

Every replica calls :func:`migrate` when it starts. The whole run is one transaction under
a transaction-scoped advisory lock, so when several start together one migrates and the
others wait, then find the database current and do nothing; a replica killed half-way
leaves nothing applied (PostgreSQL's DDL is transactional). A database migrated by a newer
ragqa is refused with :class:`SchemaTooNewError`, never downgraded or half-used.
"""

from __future__ import annotations

import logging

import psycopg
from psycopg import errors as pg_errors

from ragqa.index.pg.connect import register_vector_type
from ragqa.index.pg.errors import (MigrationPermissionError, SchemaNotReadyError, SchemaTooNewError,
                             VectorExtensionError)
from ragqa.index.pg.schema import CREATE_VECTOR_INDEX, VECTOR_INDEX, MIGRATIONS, MIN_PGVECTOR, SCHEMA_VERSION

logger = logging.getLogger(__name__)

# Arbitrary constant shared by every ragqa process: the key of the migration lock.
MIGRATION_LOCK_KEY = 0x72616771_6D696772  # "ragqmigr"

_VERSION_TABLE = """CREATE TABLE IF NOT EXISTS schema_version (
    version integer PRIMARY KEY,
    description text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)"""


def migrate(conn: psycopg.Connection, *, dimension: int) -> int:
    """Bring the database to :data:`SCHEMA_VERSION`; return the version it was at before.

    ``dimension`` is the embedding dimension the ``passages.embedding`` column is created
    with on a new database (an existing one keeps its own; the store identity check
    refuses a mismatch). Raises :class:`SchemaTooNewError` for a newer database and
    :class:`VectorExtensionError` when pgvector is missing or too old.
    """
    if dimension <= 0:
        raise ValueError("dimension must be positive")
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK_KEY,))
        _execute(conn, _VERSION_TABLE)
        found = _current_version(conn)
        _refuse_newer(found)
        for migration in MIGRATIONS:
            if migration.version <= found:
                continue
            logger.info("applying schema migration %d: %s", migration.version,
                        migration.description)
            for statement in migration.statements(dimension):
                _execute(conn, statement)
            conn.execute(
                "INSERT INTO schema_version (version, description) VALUES (%s, %s)",
                (migration.version, migration.description),
            )
        check_vector_extension(conn)
        # A bulk load killed between dropping the graph and rebuilding it left none.
        if conn.execute("SELECT to_regclass(%s)", (VECTOR_INDEX,)).fetchone()[0] is None:
            _execute(conn, CREATE_VECTOR_INDEX)
    register_vector_type(conn)  # the type exists now, if it did not at connection time
    return found


def check_schema(conn: psycopg.Connection) -> int:
    """The database's schema version, if it is exactly this code's; raise otherwise.

    For processes that must not migrate (read-only roles): :class:`SchemaTooNewError` or
    :class:`SchemaNotReadyError`.
    """
    exists = conn.execute("SELECT to_regclass('schema_version') IS NOT NULL").fetchone()
    found = _current_version(conn) if exists and exists[0] else 0
    _refuse_newer(found)
    if found < SCHEMA_VERSION:
        raise SchemaNotReadyError(
            f"the database is at schema version {found}, this ragqa needs {SCHEMA_VERSION}; "
            "start ragqa once with a role allowed to migrate it"
        )
    check_vector_extension(conn)
    return found


def check_vector_extension(conn: psycopg.Connection) -> str:
    """The installed pgvector version; :class:`VectorExtensionError` if missing or too old."""
    row = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'").fetchone()
    if row is None:
        raise VectorExtensionError(
            "the pgvector extension is not installed in this database; run "
            "`CREATE EXTENSION vector` as a superuser (the package is e.g. postgresql-16-pgvector)"
        )
    version = row[0]
    if _version_tuple(version) < MIN_PGVECTOR:
        raise VectorExtensionError(
            f"pgvector {version} is too old (HNSW needs "
            f"{'.'.join(map(str, MIN_PGVECTOR))} or newer); run `ALTER EXTENSION vector UPDATE`"
        )
    return version


def _execute(conn: psycopg.Connection, statement: str) -> None:
    try:
        conn.execute(statement)
    except (pg_errors.UndefinedFile, pg_errors.FeatureNotSupported) as exc:
        raise VectorExtensionError(
            "the pgvector extension is not available on this PostgreSQL server "
            f"({exc.diag.message_primary}); install it (e.g. postgresql-16-pgvector)"
        ) from None
    except pg_errors.InsufficientPrivilege as exc:
        if statement.startswith("CREATE EXTENSION"):
            raise VectorExtensionError(
                f"cannot create the pgvector extension ({exc.diag.message_primary}); run "
                "`CREATE EXTENSION vector` in this database as a superuser, then start again"
            ) from None
        raise MigrationPermissionError(
            f"cannot create ragqa's tables ({exc.diag.message_primary}); give ragqa's role "
            "CREATE on the database's schema (e.g. make it the database's owner)"
        ) from None


def _current_version(conn: psycopg.Connection) -> int:
    row = conn.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()
    return int(row[0]) if row else 0


def _refuse_newer(found: int) -> None:
    if found > SCHEMA_VERSION:
        raise SchemaTooNewError(
            f"the database is at schema version {found}, newer than this ragqa's "
            f"{SCHEMA_VERSION}: it was migrated by a newer ragqa; upgrade ragqa (a database "
            "is never downgraded)"
        )


def _version_tuple(version: str) -> tuple[int, ...]:
    parts = []
    for part in version.split("."):
        digits = "".join(c for c in part if c.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)
