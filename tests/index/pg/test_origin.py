"""The corpus folder a database remembers of its last sync, and which default folder it
refuses (a real PostgreSQL, see :mod:`tests.postgres`)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ragqa.index.errors import ConfigError
from ragqa.index.pg.origin import check_default_folder, record_folder, recorded_folder


def test_another_existing_folder_is_refused_naming_both(conn, tmp_path):
    corpus, other = tmp_path / "p" / "corpus", tmp_path / "elsewhere" / "corpus"
    corpus.mkdir(parents=True)
    other.mkdir(parents=True)
    check_default_folder(conn, other, "db")  # never synced: nothing to hold against anyone
    record_folder(conn, corpus)
    assert recorded_folder(conn) == str(corpus)
    check_default_folder(conn, corpus, "db")  # its own folder
    with pytest.raises(ConfigError, match="RAGQA_CORPUS_DIR") as caught:
        check_default_folder(conn, other, "db")
    assert f"database db holds the folder {corpus}, not {other}" in str(caught.value)
    shutil.rmtree(corpus)  # gone (a project moved, another machine): held against no one
    check_default_folder(conn, other, "db")


def test_the_last_sync_s_folder_is_the_one_kept(conn, tmp_path, monkeypatch):
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    record_folder(conn, first)
    record_folder(conn, second)  # synced with `--corpus b`: b is now its folder
    assert recorded_folder(conn) == str(second)
    assert conn.execute("SELECT count(*) FROM corpus_folder").fetchone()[0] == 1
    with pytest.raises(ConfigError):
        check_default_folder(conn, first, "db")
    # noted absolute, links not followed (a link moved to another version is one folder)
    monkeypatch.chdir(tmp_path)
    Path("link").symlink_to(first, target_is_directory=True)
    record_folder(conn, Path("link"))
    assert recorded_folder(conn) == str(tmp_path / "link")
