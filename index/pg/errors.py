"""Errors of the PostgreSQL store. Library code raises these; the edges (CLI, HTTP app)
name the setting to fix (``RAGQA_DATABASE_URL``) and choose exit codes and statuses."""

from __future__ import annotations

from ragqa.index.errors import RagqaError


class StoreError(RagqaError):
    """Base class of the PostgreSQL store's errors."""


class DatabaseUnavailableError(StoreError):
    """The database cannot be reached, or refused the credentials."""


class VectorExtensionError(StoreError):
    """The database has no usable pgvector extension (missing, too old, not creatable)."""


class MigrationPermissionError(StoreError):
    """The database role may not create the schema's tables."""


class SchemaTooNewError(StoreError):
    """The database was migrated by a newer ragqa than this one."""


class SchemaNotReadyError(StoreError):
    """The database has not been migrated (or only partly) to this ragqa's schema."""


class StoreConfigMismatchError(StoreError):
    """The database was indexed with other chunking/analysis settings than configured."""


class LastDocumentRefusal(StoreError):
    """A delete that would leave the store without any document (refused, nothing written)."""


class SideRowsGone(StoreError):
    """A write's passages need sentence or token rows it found stored before its
    transaction, and a reclaim deleted some since (:mod:`ragqa.index.pg.reclaim`): nothing
    was written; prepare it again (the upload path does, by itself)."""
