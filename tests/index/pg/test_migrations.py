"""Schema migrations at start-up: fresh, repeated, concurrent, refused when newer."""

from __future__ import annotations

import threading

import psycopg
import pytest

from ragqa.index.pg.connect import connect, redact
from ragqa.index.pg.errors import (DatabaseUnavailableError, MigrationPermissionError,
                             SchemaNotReadyError, SchemaTooNewError, VectorExtensionError)
from ragqa.index.pg.migrations import check_schema, check_vector_extension, migrate
from ragqa.index.pg.schema import SCHEMA_VERSION

TABLES = {"schema_version", "store_identity", "documents", "refused", "passages", "postings",
          "corpus_stats", "corpus_context", "document_groups", "sentence_vectors",
          "token_vectors", "corpus_folder", "sync_memo", "folder_sidecars", "document_links",
          "folder_hidden", "folder_sidecars_unknown"}


def _tables(conn: psycopg.Connection) -> set[str]:
    rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
    return {r[0] for r in rows}


def test_fresh_database_is_migrated_to_the_current_version(pg_url: str) -> None:
    with connect(pg_url) as conn:
        assert migrate(conn, dimension=384) == 0
        assert _tables(conn) == TABLES
        versions = conn.execute("SELECT version FROM schema_version ORDER BY 1").fetchall()
        assert [v[0] for v in versions] == list(range(1, SCHEMA_VERSION + 1))
        kind = conn.execute("SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                            "WHERE attrelid = 'passages'::regclass AND attname = 'embedding'")
        assert kind.fetchone()[0] == "vector(384)"
        indexes = {r[0] for r in conn.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'passages'").fetchall()}
        assert any("USING hnsw (embedding vector_ip_ops)" in d for d in indexes)
        assert check_schema(conn) == SCHEMA_VERSION
        assert check_vector_extension(conn) >= "0.5"


def test_migrating_again_changes_nothing(pg_url: str) -> None:
    with connect(pg_url) as conn:
        migrate(conn, dimension=8)
        conn.execute("INSERT INTO refused (doc_id, reason) VALUES ('a.pdf', 'encrypted')")
        assert migrate(conn, dimension=8) == SCHEMA_VERSION
        assert conn.execute("SELECT count(*) FROM refused").fetchone()[0] == 1
        assert conn.execute("SELECT count(*) FROM schema_version").fetchone()[0] == SCHEMA_VERSION


def test_replicas_starting_together_migrate_once(pg_url: str) -> None:
    found: list[int] = []
    failures: list[BaseException] = []
    barrier = threading.Barrier(6)

    def start() -> None:
        try:
            with connect(pg_url) as conn:
                barrier.wait()
                found.append(migrate(conn, dimension=8))
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=start) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not failures
    assert sorted(found) == [0] + [SCHEMA_VERSION] * 5  # one migrated, the others waited
    with connect(pg_url) as conn:
        assert conn.execute("SELECT count(*) FROM schema_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("SELECT count(*) FROM corpus_stats").fetchone()[0] == 1


def test_a_newer_database_is_refused_and_left_alone(pg_url: str) -> None:
    with connect(pg_url) as conn:
        migrate(conn, dimension=8)
        conn.execute("INSERT INTO schema_version (version, description) VALUES (%s, 'future')",
                     (SCHEMA_VERSION + 1,))
        with pytest.raises(SchemaTooNewError, match=rf"version {SCHEMA_VERSION + 1}, newer than "
                                                    rf"this ragqa's {SCHEMA_VERSION}.*upgrade"):
            migrate(conn, dimension=8)
        with pytest.raises(SchemaTooNewError):
            check_schema(conn)
        assert conn.execute("SELECT max(version) FROM schema_version").fetchone()[0] == \
            SCHEMA_VERSION + 1


def test_an_unmigrated_database_is_not_ready(pg_url: str) -> None:
    with connect(pg_url) as conn:
        with pytest.raises(SchemaNotReadyError, match="schema version 0.*needs"):
            check_schema(conn)


def test_no_vector_extension_is_named(pg_url: str) -> None:
    with connect(pg_url) as conn:
        with pytest.raises(VectorExtensionError, match="CREATE EXTENSION vector"):
            check_vector_extension(conn)


def test_a_role_without_rights_gets_the_fix_and_nothing_is_half_applied(pg_url: str) -> None:
    role = "ragqa_limited"
    with connect(pg_url) as admin:
        admin.execute(f"DROP ROLE IF EXISTS {role}")
        admin.execute(f"CREATE ROLE {role} LOGIN")
    try:
        limited = pg_url.replace("postgresql://postgres:", f"postgresql://{role}:", 1)
        assert limited != pg_url
        with connect(limited) as conn:
            with pytest.raises(MigrationPermissionError, match="CREATE on the database"):
                migrate(conn, dimension=8)
        with connect(pg_url) as admin:
            admin.execute(f"GRANT CREATE ON SCHEMA public TO {role}")
        with connect(limited) as conn:
            # May create tables now, but not the extension (pgvector is not a trusted one).
            with pytest.raises(VectorExtensionError, match="as a superuser"):
                migrate(conn, dimension=8)
            # Nothing half-applied: the transaction was rolled back.
            assert conn.execute("SELECT to_regclass('schema_version')").fetchone()[0] is None
    finally:
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute(f"DROP OWNED BY {role}")
            admin.execute(f"DROP ROLE IF EXISTS {role}")


def test_an_unreachable_database_is_one_clear_error(tmp_path) -> None:
    url = f"postgresql://ragqa:secret@/nowhere?host={tmp_path}"
    with pytest.raises(DatabaseUnavailableError, match="cannot connect to") as caught:
        connect(url, timeout=2)
    assert "secret" not in str(caught.value)


def test_a_malformed_url_is_one_clear_error() -> None:
    with pytest.raises(DatabaseUnavailableError, match="invalid database URL"):
        connect("not a url at all")


def test_passwords_are_redacted() -> None:
    assert redact("postgresql://u:p@ss@host:5432/db") == "postgresql://u:***@host:5432/db"
    assert redact("postgresql://u@host/db") == "postgresql://u@host/db"
    assert redact("host=h password=s3 dbname=d") == "host=h password=*** dbname=d"
    assert redact("postgresql://u@h/d?password=s3&x=1") == "postgresql://u@h/d?password=***&x=1"


def test_a_version_1_database_keeps_its_documents_through_version_2(pg_url: str) -> None:
    from ragqa.index.pg import migrations
    from ragqa.index.pg.schema import MIGRATIONS

    with connect(pg_url) as conn:
        original = migrations.MIGRATIONS
        migrations.MIGRATIONS = MIGRATIONS[:1]  # what a ragqa of schema version 1 applied
        try:
            migrate(conn, dimension=8)
        finally:
            migrations.MIGRATIONS = original
        conn.execute("INSERT INTO documents (doc_id, title, content_hash, text) "
                     "VALUES ('a.txt', 'A', 'h', 'text')")
        assert migrate(conn, dimension=8) == 1
        assert conn.execute("SELECT doc_id, explicit_title FROM documents").fetchall() == [
            ("a.txt", None)]
        assert "corpus_context" in _tables(conn)


def test_a_version_6_database_gets_an_empty_sync_memo_and_keeps_its_folder(
        pg_url: str) -> None:
    from ragqa.index.pg import migrations
    from ragqa.index.pg.schema import MIGRATIONS

    with connect(pg_url) as conn:
        original = migrations.MIGRATIONS
        migrations.MIGRATIONS = MIGRATIONS[:6]  # what a ragqa of schema version 6 applied
        try:
            migrate(conn, dimension=8)
        finally:
            migrations.MIGRATIONS = original
        conn.execute("INSERT INTO corpus_folder (path) VALUES ('/srv/corpus')")
        assert "sync_memo" not in _tables(conn)
        assert migrate(conn, dimension=8) == 6
        assert conn.execute("SELECT path FROM corpus_folder").fetchall() == [("/srv/corpus",)]
        assert conn.execute("SELECT count(*) FROM sync_memo").fetchone()[0] == 0


def test_a_version_7_database_keeps_its_groups_as_the_folder_rules(pg_url: str) -> None:
    """Version 8: its groups kept, none taken as a writer's (it could not tell them apart),
    no ``.groups`` file taken as applied and no link recorded (the next sync does both)."""
    from ragqa.index.pg import migrations
    from ragqa.index.pg.schema import MIGRATIONS

    with connect(pg_url) as conn:
        original = migrations.MIGRATIONS
        migrations.MIGRATIONS = MIGRATIONS[:7]  # what a ragqa of schema version 7 applied
        try:
            migrate(conn, dimension=8)
        finally:
            migrations.MIGRATIONS = original
        conn.execute("INSERT INTO document_groups (doc_id, groups) VALUES ('a.md', '{rh}')")
        assert migrate(conn, dimension=8) == 7
        assert conn.execute("SELECT doc_id, groups, given FROM document_groups").fetchall() == [
            ("a.md", ["rh"], False)]
        for table in ("folder_sidecars", "document_links", "folder_hidden"):
            assert conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0


def test_a_version_8_database_takes_its_applied_groups_files_as_their_documents_own(
        pg_url: str) -> None:
    """Version 9: a ``.groups`` file's groups as applied are marked given (a link's own file
    is then not the link rule's to write over), the others are left."""
    from ragqa.index.pg import migrations
    from ragqa.index.pg.schema import MIGRATIONS

    with connect(pg_url) as conn:
        original = migrations.MIGRATIONS
        migrations.MIGRATIONS = MIGRATIONS[:8]  # what a ragqa of schema version 8 applied
        try:
            migrate(conn, dimension=8)
        finally:
            migrations.MIGRATIONS = original
        conn.execute("INSERT INTO document_groups (doc_id, groups) VALUES "
                     "('lien.md', '{direction}'), ('paie.md', '{x}'), ('autre.md', '{rh}')")
        conn.execute("INSERT INTO folder_sidecars (doc_id, groups) VALUES "
                     "('lien.md', '{direction}'), ('paie.md', '{rh}')")
        assert migrate(conn, dimension=8) == 8
        assert conn.execute("SELECT doc_id, given FROM document_groups ORDER BY doc_id"
                            ).fetchall() == [("autre.md", False), ("lien.md", True),
                                             ("paie.md", False)]
        assert conn.execute("SELECT count(*) FROM folder_hidden").fetchone()[0] == 0
