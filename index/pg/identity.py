"""The store's identity: which embedding model and which passage settings built it.

A database holds vectors of one model and passages cut and analysed one way. The first
server to start records both; every later one must match, or is refused — a mismatch would
silently mix incomparable vectors or terms.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import psycopg

from ragqa.index.errors import ModelMismatchError
from ragqa.index.pg.errors import StoreConfigMismatchError

# Key of the advisory lock that serialises the first recording of the identity.
IDENTITY_LOCK_KEY = 0x72616771_6964656E  # "ragqiden"


@dataclass(frozen=True)
class StoreIdentity:
    """``settings`` is what shapes passages (chunking, analysis, BM25): a JSON-able dict."""

    model_name: str
    weights_sha256: str
    dimension: int
    settings: dict

    def settings_json(self) -> str:
        return json.dumps(self.settings, sort_keys=True, separators=(",", ":"))


def read_identity(conn: psycopg.Connection) -> StoreIdentity | None:
    row = conn.execute(
        "SELECT model_name, weights_sha256, dimension, settings FROM store_identity"
    ).fetchone()
    if row is None:
        return None
    return StoreIdentity(row[0], row[1], int(row[2]), row[3])


def ensure_identity(conn: psycopg.Connection, wanted: StoreIdentity) -> StoreIdentity:
    """Record ``wanted`` on a new store, or check it against the recorded one.

    Raises :class:`~ragqa.index.errors.ModelMismatchError` for another model or dimension, and
    :class:`StoreConfigMismatchError` for other passage settings.
    """
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (IDENTITY_LOCK_KEY,))
        found = read_identity(conn)
        if found is None:
            column = _embedding_dimension(conn)
            if column is not None and column != wanted.dimension:
                raise ModelMismatchError(
                    f"the database's vectors have {column} dimensions but model "
                    f"{wanted.model_name!r} makes {wanted.dimension}; use a new database"
                )
            conn.execute(
                "INSERT INTO store_identity (model_name, weights_sha256, dimension, settings) "
                "VALUES (%s, %s, %s, %s::jsonb)",
                (wanted.model_name, wanted.weights_sha256, wanted.dimension,
                 wanted.settings_json()),
            )
            return wanted
    check_identity(found, wanted)
    return found


def check_identity(found: StoreIdentity, wanted: StoreIdentity) -> None:
    if found.weights_sha256 != wanted.weights_sha256 or found.dimension != wanted.dimension:
        raise ModelMismatchError(
            f"the database was embedded with model {found.model_name!r} "
            f"({found.dimension} dimensions) but {wanted.model_name!r} is loaded now; "
            "configure that model, or index into a new database with this one"
        )
    if found.settings_json() != wanted.settings_json():
        raise StoreConfigMismatchError(
            f"the database was indexed with settings {found.settings_json()} but "
            f"{wanted.settings_json()} are configured now; use the database's settings, "
            "or index into a new database"
        )


def _embedding_dimension(conn: psycopg.Connection) -> int | None:
    row = conn.execute(
        "SELECT atttypmod FROM pg_attribute "
        "WHERE attrelid = 'passages'::regclass AND attname = 'embedding' AND NOT attisdropped"
    ).fetchone()
    return int(row[0]) if row and row[0] > 0 else None
