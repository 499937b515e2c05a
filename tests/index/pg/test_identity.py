"""The store identity: a server with another model or other passage settings is refused."""

from __future__ import annotations

import threading

import psycopg
import pytest

from ragqa.index.errors import ModelMismatchError
from ragqa.index.pg.connect import connect
from ragqa.index.pg.errors import StoreConfigMismatchError
from ragqa.index.pg.identity import StoreIdentity, ensure_identity, read_identity
from tests.index.pg.conftest import DIM

SETTINGS = {"chunking": {"chunk_size": 1000, "chunk_overlap": 450}, "analysis": "french"}
MINILM = StoreIdentity("all-MiniLM-L6-v2", "a" * 64, DIM, SETTINGS)


def test_the_first_server_records_its_identity(conn: psycopg.Connection) -> None:
    assert read_identity(conn) is None
    assert ensure_identity(conn, MINILM) == MINILM
    assert read_identity(conn) == MINILM
    assert ensure_identity(conn, MINILM) == MINILM  # and the next one matches


def test_another_model_is_refused(conn: psycopg.Connection) -> None:
    ensure_identity(conn, MINILM)
    other = StoreIdentity("multilingual-e5-small", "b" * 64, DIM, SETTINGS)
    with pytest.raises(ModelMismatchError, match="embedded with model 'all-MiniLM-L6-v2'"):
        ensure_identity(conn, other)
    assert read_identity(conn) == MINILM


def test_other_settings_are_refused(conn: psycopg.Connection) -> None:
    ensure_identity(conn, MINILM)
    changed = StoreIdentity(MINILM.model_name, MINILM.weights_sha256, DIM,
                            {**SETTINGS, "chunking": {"chunk_size": 800, "chunk_overlap": 450}})
    with pytest.raises(StoreConfigMismatchError, match="chunk_size"):
        ensure_identity(conn, changed)


def test_a_model_of_another_dimension_is_refused_on_a_new_store(conn: psycopg.Connection) -> None:
    wide = StoreIdentity("e5-base", "c" * 64, 768, SETTINGS)
    with pytest.raises(ModelMismatchError, match=f"{DIM} dimensions.*makes 768"):
        ensure_identity(conn, wide)
    assert read_identity(conn) is None


def test_servers_starting_together_record_one_identity(pg_url: str,
                                                       conn: psycopg.Connection) -> None:
    outcomes: list[object] = []
    barrier = threading.Barrier(4)

    def start(identity: StoreIdentity) -> None:
        with connect(pg_url) as own:
            barrier.wait()
            try:
                outcomes.append(ensure_identity(own, identity))
            except ModelMismatchError as exc:
                outcomes.append(exc)

    others = [MINILM, MINILM, StoreIdentity("other", "d" * 64, DIM, SETTINGS), MINILM]
    threads = [threading.Thread(target=start, args=(i,)) for i in others]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    recorded = read_identity(conn)
    assert recorded is not None
    assert conn.execute("SELECT count(*) FROM store_identity").fetchone()[0] == 1
    # Whoever came first won; every other identity was refused, none was half-recorded.
    assert sum(o == recorded for o in outcomes) == sum(i == recorded for i in others)
    assert len(outcomes) == 4
