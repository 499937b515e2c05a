"""Per-document writes: one transaction, idempotent, safe with concurrent writers and
with a writer killed before its commit."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import numpy as np
import psycopg
import pytest

from ragqa.index.pg.connect import connect
from ragqa.index.pg.writes import (DocumentWrite, PassageRow, delete_document, refuse_document,
                             replace_document, stored_vectors)
from tests.index.pg.docs import make_document

ROOT = Path(__file__).resolve().parents[3]
_VERSION = re.compile(r" version (\S+) : ")


def assert_consistent(conn: psycopg.Connection) -> dict[str, str]:
    """Every stored document is exactly one whole version of itself (passages, offsets,
    terms, postings, vectors), and the corpus statistics are exact; returns each document's
    version."""
    versions = {}
    for doc_id, text, content_hash, count in conn.execute(
            "SELECT doc_id, text, content_hash, passages FROM documents ORDER BY doc_id"):
        found = set(_VERSION.findall(text))
        assert len(found) == 1, f"{doc_id} mixes versions {found}"
        version = found.pop()
        expected = make_document(doc_id, version, passages=count)
        assert expected.text == text and expected.content_hash == content_hash
        rows = conn.execute(
            "SELECT id, ordinal, start_offset, end_offset, length, embedding FROM passages "
            "WHERE doc_id = %s ORDER BY ordinal", (doc_id,)).fetchall()
        assert [r[1] for r in rows] == list(range(count))
        for (pid, _, start, end, length, vector), p in zip(rows, expected.passages):
            assert (start, end, length) == (p.start, p.end, len(p.terms))
            np.testing.assert_allclose(vector.to_numpy(), p.vector, rtol=1e-6)
            postings = dict(conn.execute(
                "SELECT term, tf FROM postings WHERE passage_id = %s", (pid,)).fetchall())
            assert postings == dict(Counter(p.terms))
        versions[doc_id] = version
    orphans = conn.execute("SELECT count(*) FROM postings WHERE passage_id NOT IN "
                           "(SELECT id FROM passages)").fetchone()[0]
    assert orphans == 0
    stats = conn.execute("SELECT passages, total_length FROM corpus_stats").fetchone()
    actual = conn.execute("SELECT count(*), coalesce(sum(length), 0) FROM passages").fetchone()
    assert tuple(stats) == tuple(actual)
    return versions


def test_a_document_is_stored_whole(conn: psycopg.Connection) -> None:
    doc = make_document("notes/fibre.md", "1", passages=4)
    outcome = replace_document(conn, doc)
    assert (outcome.changed, outcome.passages, outcome.removed) == (True, 4, 0)
    assert assert_consistent(conn) == {"notes/fibre.md": "1"}
    text = conn.execute("SELECT text FROM documents").fetchone()[0]
    for start, end in conn.execute("SELECT start_offset, end_offset FROM passages").fetchall():
        assert text[start:end].startswith("Paragraphe ")


def test_an_unchanged_upload_writes_nothing(conn: psycopg.Connection) -> None:
    replace_document(conn, make_document("a.md", "1"))
    before = conn.execute("SELECT xmin::text, id FROM passages ORDER BY id").fetchall()
    stamp = conn.execute("SELECT xmin::text, indexed_at FROM documents").fetchone()
    changes = conn.execute("SELECT changes FROM corpus_stats").fetchone()[0]
    outcome = replace_document(conn, make_document("a.md", "1"))
    assert (outcome.changed, outcome.passages, outcome.removed) == (False, 3, 0)
    assert conn.execute("SELECT changes FROM corpus_stats").fetchone()[0] == changes
    assert conn.execute("SELECT xmin::text, id FROM passages ORDER BY id").fetchall() == before
    assert conn.execute("SELECT xmin::text, indexed_at FROM documents").fetchone() == stamp


def test_a_new_version_replaces_the_old_one_only(conn: psycopg.Connection) -> None:
    replace_document(conn, make_document("a.md", "1", passages=5))
    replace_document(conn, make_document("b.md", "1", passages=2))
    b_rows = conn.execute("SELECT xmin::text, id FROM passages WHERE doc_id = 'b.md'").fetchall()
    changes = conn.execute("SELECT changes FROM corpus_stats").fetchone()[0]
    outcome = replace_document(conn, make_document("a.md", "2", passages=3))
    assert (outcome.changed, outcome.passages, outcome.removed) == (True, 3, 5)
    # Every change is counted: replicas drop cached results when the counter moves.
    assert conn.execute("SELECT changes FROM corpus_stats").fetchone()[0] == changes + 1
    assert assert_consistent(conn) == {"a.md": "2", "b.md": "1"}
    # The other document's rows were not rewritten: the cost follows the document.
    assert conn.execute("SELECT xmin::text, id FROM passages WHERE doc_id = 'b.md'").fetchall() \
        == b_rows


def test_stored_vectors_by_key(conn: psycopg.Connection) -> None:
    doc = make_document("a.md", "1", passages=3)
    replace_document(conn, doc)
    replace_document(conn, make_document("b.md", "1"))
    found = stored_vectors(conn, "a.md")
    assert set(found) == {p.embed_key for p in doc.passages}
    for p in doc.passages:
        np.testing.assert_allclose(found[p.embed_key], p.vector, rtol=1e-6)
    assert stored_vectors(conn, "missing.md") == {}


def test_delete_and_refuse(conn: psycopg.Connection) -> None:
    replace_document(conn, make_document("a.md", "1"))
    replace_document(conn, make_document("b.md", "1"))
    assert delete_document(conn, "a.md") is True
    assert delete_document(conn, "a.md") is False
    refuse_document(conn, "b.md", "the PDF is encrypted", "abc")
    assert conn.execute("SELECT doc_id, reason, content_hash FROM refused").fetchall() == \
        [("b.md", "the PDF is encrypted", "abc")]
    assert assert_consistent(conn) == {}
    replace_document(conn, make_document("b.md", "2"))  # fixed and uploaded again
    assert conn.execute("SELECT count(*) FROM refused").fetchone()[0] == 0
    assert assert_consistent(conn) == {"b.md": "2"}
    assert delete_document(conn, "b.md") is True
    assert conn.execute("SELECT count(*) FROM postings").fetchone()[0] == 0


def test_passages_outside_the_text_are_refused_before_writing(conn: psycopg.Connection) -> None:
    bad = DocumentWrite("a.md", "a", "short", "h", (PassageRow(0, 99, "a", None, ("x",)),))
    with pytest.raises(ValueError, match="outside the text"):
        replace_document(conn, bad)
    assert conn.execute("SELECT count(*) FROM documents").fetchone()[0] == 0


def test_a_failing_write_leaves_the_previous_version(conn: psycopg.Connection) -> None:
    replace_document(conn, make_document("a.md", "1"))

    def fail() -> None:
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        replace_document(conn, make_document("a.md", "2", passages=6), before_commit=fail)
    assert assert_consistent(conn) == {"a.md": "1"}


def test_concurrent_writers_in_threads(pg_url: str, conn: psycopg.Connection) -> None:
    failures: list[BaseException] = []

    def writer(name: str) -> None:
        try:
            with connect(pg_url) as own:
                for i in range(6):
                    for d in range(3):
                        replace_document(own, make_document(f"shared-{d}.md", f"{name}-{i}",
                                                            passages=1 + (i + d) % 4))
                    replace_document(own, make_document(f"own-{name}.md", str(i)))
                    if i == 3:
                        delete_document(own, "shared-0.md")
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=writer, args=(f"t{n}",)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not failures, failures
    versions = assert_consistent(conn)
    assert {f"own-t{n}.md" for n in range(6)} <= set(versions)
    assert all(versions[f"own-t{n}.md"] == "5" for n in range(6))


def _run(*args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    return subprocess.Popen([sys.executable, "-m", "tests.index.pg.writer_proc", *args],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def test_concurrent_writer_processes(pg_url: str, conn: psycopg.Connection) -> None:
    procs = [_run(pg_url, "many", f"p{n}", "5") for n in range(3)]
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    versions = assert_consistent(conn)
    assert {f"shared-{d}.md" for d in range(4)} <= set(versions)
    assert {f"own-p{n}-{i}.md" for n in range(3) for i in range(3)} <= set(versions)


def test_a_writer_killed_before_commit_leaves_nothing(pg_url: str,
                                                      conn: psycopg.Connection) -> None:
    replace_document(conn, make_document("big.md", "1", passages=2))
    proc = _run(pg_url, "hang", "big.md", "400")
    assert proc.stdout is not None
    try:
        line = proc.stdout.readline()
        assert line.strip() == "READY", proc.stderr.read() if proc.stderr else line
        # Everything is written but not committed: readers still see version 1.
        assert assert_consistent(conn) == {"big.md": "1"}
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    assert assert_consistent(conn) == {"big.md": "1"}
    # The dead writer's document lock went with its connection: the next write goes through.
    conn.execute("SET lock_timeout = '10s'")
    assert replace_document(conn, make_document("big.md", "2", passages=3)).changed
    assert assert_consistent(conn) == {"big.md": "2"}


def test_deletes_that_keep_one_document_cannot_empty_the_store_together(
        pg_url: str, conn: psycopg.Connection) -> None:
    from ragqa.index.pg.errors import LastDocumentRefusal

    for doc_id in ("a.txt", "b.txt"):
        replace_document(conn, make_document(doc_id, "v1"))
    changes = conn.execute("SELECT changes FROM corpus_stats").fetchone()[0]
    assert not delete_document(conn, "missing.txt", keep_one=True)  # nothing: no change
    assert conn.execute("SELECT changes FROM corpus_stats").fetchone()[0] == changes
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def delete(doc_id: str) -> None:
        with connect(pg_url) as own:
            start.wait()
            try:
                delete_document(own, doc_id, keep_one=True)
                outcomes.append("deleted")
            except LastDocumentRefusal:
                outcomes.append("refused")

    threads = [threading.Thread(target=delete, args=(d,)) for d in ("a.txt", "b.txt")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["deleted", "refused"]
    assert conn.execute("SELECT count(*) FROM documents").fetchone()[0] == 1
