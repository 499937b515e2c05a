"""A PostgreSQL folder sync memo saved in the database (:mod:`ragqa.index.pg.saved_memo`): a
new process's first sync reads only what changed, and leaves the database exactly as a full
sync (no memo) does; a memo that cannot be trusted is set aside with a line in the log."""

# ruff: noqa: F811 - the fixtures of test_sync_memo, taken by name
from __future__ import annotations

import logging
import os
import shutil
import time

import pytest

from ragqa.index.config import IndexConfig
from ragqa.index.documents.chunking import ChunkingParams
from ragqa.index.documents import corpus as documents_corpus
from ragqa.index.pg import indexing
from ragqa.index.pg.indexing import index_corpus_into
from ragqa.index.pg.reclaim import KeptKeys
from ragqa.index.pg.sync_memo import SyncMemo
from tests.index.pg.test_sync_memo import (CONFIG, Twin, _page, _write, corpus,  # noqa: F401
                                           loads, snapshot, twin)


@pytest.fixture
def settled(monkeypatch) -> None:
    """The folder's files read as if their last change were long past (their stamps kept:
    git's racy-file rule is for files changed within a few seconds of the read)."""
    monkeypatch.setattr(documents_corpus, "now_ns", lambda: time.time_ns() + 60 * 10**9)


@pytest.fixture
def hashed(monkeypatch) -> list[int]:
    """How many files each sync read and hashed (memo or not)."""
    counts: list[int] = []
    real = indexing.read_corpus

    def spy(*args, **kwargs):
        scan = real(*args, **kwargs)
        counts.append(scan.hashed)
        return scan

    monkeypatch.setattr(indexing, "read_corpus", spy)
    return counts


def restart(twin: Twin) -> None:
    """The memo's database synced by a new process from now on (nothing in memory)."""
    twin.memo, twin.kept = SyncMemo(), KeptKeys()


def _saved(twin: Twin) -> int:
    return twin.conns["memo"].execute("SELECT count(*) FROM sync_memo").fetchone()[0]


def test_a_new_process_reads_no_document_of_an_unchanged_folder(
        twin, corpus, loads, hashed, settled, monkeypatch):
    twin.sync()
    assert _saved(twin) == 1 and twin.conns["full"].execute(
        "SELECT count(*) FROM sync_memo").fetchone()[0] == 0  # a full sync saves none
    restart(twin)
    loads.clear()
    hashed.clear()
    reclaims: list[object] = []
    real = indexing.reclaim
    monkeypatch.setattr(indexing, "reclaim",
                        lambda conn, **kwargs: reclaims.append(conn) or real(conn, **kwargs))
    report = twin.sync()
    assert report.up_to_date and report.unchanged == 3
    assert reclaims == [twin.conns["full"]]  # nothing written since the memo's reclaim
    assert loads.count("a.md") == 1 and len(loads) == 3  # the full sync's alone
    assert hashed == [0, 3]  # (memo, full): the memo's took every hash from the stamps


def test_a_new_process_checks_no_side_row_of_an_unchanged_folder(
        twin, corpus, settled, monkeypatch):
    from ragqa.index.pg import side_fill

    twin.sync()
    restart(twin)
    reads: list[list[str]] = []
    real = side_fill.read_documents

    def spy(conn, doc_ids, step=None):
        reads.append(list(doc_ids))
        return real(conn, doc_ids, step)

    monkeypatch.setattr(side_fill, "read_documents", spy)
    twin.sync()
    assert len(reads) == 2 and all(len(r) == 3 for r in reads)  # the full sync's alone

    def upload(conn):  # another process writes: the next reclaim runs (and finds c.txt's)
        conn.execute("UPDATE documents SET indexed_at = indexed_at WHERE doc_id = 'c.txt'")
        conn.execute("INSERT INTO sentence_vectors (key, embedding) SELECT key + 1, "
                     "embedding FROM sentence_vectors ORDER BY key DESC LIMIT 1")

    twin.each(upload)
    restart(twin)
    twin.sync()  # the same tables as the full sync's, the orphan row deleted


def test_a_new_process_reads_what_changed_and_gives_what_a_full_sync_gives(
        twin, corpus, loads, hashed, settled):
    twin.sync()

    _write(corpus, "c.txt", "Nokia signe un autre accord.\n\nLa fibre arrive.\n")  # changed
    restart(twin)
    loads.clear()
    report = twin.sync()
    assert report.changed == ["c.txt"] and loads.count("c.txt") == 2
    assert loads.count("a.md") == 1  # (the full sync's)

    path = corpus / "b.md"  # touched, same content: hashed again, not loaded
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    restart(twin)
    loads.clear()
    hashed.clear()
    report = twin.sync()
    assert report.up_to_date and hashed == [1, 3] and loads.count("b.md") == 1

    (corpus / "b.md.title").write_text("Titre choisi\n", encoding="utf-8")  # retitled
    restart(twin)
    assert twin.sync().changed == ["b.md"]
    (corpus / "b.md.title").write_text("Autre titre\n", encoding="utf-8")
    restart(twin)
    assert twin.sync().changed == ["b.md"]

    _write(corpus, "e.md", _page("e", generic=True))  # the context moves: a.md cut again
    restart(twin)
    loads.clear()
    report = twin.sync()
    assert report.added == ["e.md"] and loads.count("a.md") == 2

    (corpus / "e.md").unlink()  # removed
    restart(twin)
    assert twin.sync().removed == ["e.md"]


def test_a_file_replaced_within_its_stamps_granularity_is_read_again(
        twin, corpus, monkeypatch):
    from ragqa.index.documents.folder import Stamp

    # A filesystem whose times are too coarse to move within the test (and a file replaced
    # in place): every stamp is the same, written at `written`; every read began a second
    # after it, within git's racy window. No hash is kept, so the rewrite is seen.
    written = time.time_ns()
    real_of = Stamp.of.__func__
    monkeypatch.setattr(Stamp, "of", classmethod(
        lambda cls, st: real_of(cls, st)._replace(mtime_ns=written, ctime_ns=written, ino=0)))
    monkeypatch.setattr(documents_corpus, "now_ns", lambda: written + 10**9)
    twin.sync()
    path = corpus / "c.txt"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("Nokia", "Nikol"), encoding="utf-8")  # same size
    restart(twin)
    assert twin.sync().changed == ["c.txt"]


def test_another_machine_with_other_stamps_reads_the_files(twin, corpus, loads, hashed,
                                                            settled, monkeypatch):
    from ragqa.index.documents.folder import Stamp

    twin.sync()
    real_of = Stamp.of.__func__
    monkeypatch.setattr(Stamp, "of", classmethod(  # the same folder, other inodes
        lambda cls, st: real_of(cls, st)._replace(ino=st.st_ino + 1)))
    restart(twin)
    loads.clear()
    hashed.clear()
    report = twin.sync()
    assert report.up_to_date and hashed == [3, 3]
    assert len(loads) == 3  # hashes match the memo's: still not loaded


def test_a_memo_of_other_settings_is_set_aside(pg_server, corpus, embedder, loads, settled,
                                               caplog):
    from contextlib import ExitStack

    from tests.postgres import database_copy

    with ExitStack() as stack:
        urls = (stack.enter_context(database_copy(pg_server)),
                stack.enter_context(database_copy(pg_server)))
        twin = Twin(urls, corpus, embedder)
        stack.callback(twin.close)
        twin.sync()
        other = IndexConfig(token_vectors=True,
                            chunking=ChunkingParams(chunk_size=100, chunk_overlap=20))
        restart(twin)
        loads.clear()
        with caplog.at_level(logging.INFO, logger="ragqa.index.pg.saved_memo"):
            reports = [index_corpus_into(conn, corpus, config=other, contextual=True,
                                         load_embedder=lambda: twin.embedder,
                                         **({"memo": twin.memo} if name == "memo" else {}))
                       for name, conn in twin.conns.items()]
        assert "saved under other settings" in caplog.text
        assert reports[0].changed == reports[1].changed
        assert loads.count("a.md") >= 2  # read by both
        assert snapshot(twin.conns["memo"]) == snapshot(twin.conns["full"])


def test_a_corrupt_memo_is_set_aside_and_a_folder_never_takes_another_ones(
        twin, corpus, loads, settled, caplog, tmp_path):
    twin.sync()
    twin.conns["memo"].execute("UPDATE sync_memo SET memo = 'garbage'")
    restart(twin)
    loads.clear()
    with caplog.at_level(logging.INFO, logger="ragqa.index.pg.saved_memo"):
        assert twin.sync().up_to_date
    assert "set aside" in caplog.text and loads.count("a.md") == 2
    assert _saved(twin) == 1  # saved anew

    copy = tmp_path / "copy"  # the same files in another folder: not its memo
    shutil.copytree(corpus, copy, copy_function=shutil.copy2)
    restart(twin)
    twin.folder = copy
    loads.clear()
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="ragqa.index.pg.saved_memo"):
        assert twin.sync().up_to_date
    assert "no sync memo saved" in caplog.text and loads.count("a.md") == 2
    assert _saved(twin) == 2  # one a folder
    rows = twin.conns["memo"].execute("SELECT folder FROM sync_memo ORDER BY 1").fetchall()
    assert [r[0] for r in rows] == sorted([str(corpus), str(copy)])


def test_an_unchanged_sync_does_not_write_the_memo_again(twin, corpus, settled):
    twin.sync()
    conn = twin.conns["memo"]
    first = conn.execute("SELECT xmin::text FROM sync_memo").fetchone()
    twin.sync()
    assert conn.execute("SELECT xmin::text FROM sync_memo").fetchone() == first
    restart(twin)
    twin.sync()
    assert conn.execute("SELECT xmin::text FROM sync_memo").fetchone() == first
    _write(corpus, "d.md", _page("d"))
    twin.sync()
    assert conn.execute("SELECT xmin::text FROM sync_memo").fetchone() != first


def test_a_memo_saved_by_other_code_is_forgotten_and_the_sync_made_anew(
        twin, corpus, settled, caplog):
    twin.sync()
    conn = twin.conns["memo"]
    # What another ragqa version whose key was the same would have saved: c.txt's cut
    # under another digest (so its stored layout is not taken as the plan's either).
    memo = SyncMemo()
    plans = memo.planner(conn, corpus, CONFIG, True)
    entry = plans._entries["c.txt"]
    entry.cut = type(entry.cut)("0" * 32, entry.cut.passages)
    memo.save(conn)
    restart(twin)
    with caplog.at_level(logging.WARNING, logger="ragqa.index.pg.indexing"):
        report = twin.sync()
    assert "saved sync memo is forgotten" in caplog.text and report.up_to_date
    assert _saved(twin) == 1
