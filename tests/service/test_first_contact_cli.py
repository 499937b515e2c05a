"""First contact with the ``ragqa`` command: a mistyped folder, an index folder that cannot
be made, the PostgreSQL store without its extra. Each fails with one line and its exit code
before any model is loaded (the model given here is a broken folder: loading it would fail
with exit 5 instead)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.support import run_ragqa

COMMANDS = {
    "ask": ("ask", "Combien de visiteurs ?"),
    "index": ("index",),
    "serve": ("serve", "--port", "0"),
}


@pytest.fixture
def broken_model(tmp_path: Path) -> str:
    """A model folder that resolves (it exists) but fails to load (exit 5)."""
    folder = tmp_path / "broken-model"
    folder.mkdir()
    (folder / "config.json").write_text("{", encoding="utf-8")
    return str(folder)


def one_error_line(proc: subprocess.CompletedProcess) -> str:
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("ragqa: error: ") and "Traceback" not in proc.stderr
    return lines[0]


@pytest.mark.parametrize("command", COMMANDS)
def test_a_missing_corpus_fails_before_the_model_loads(command, tmp_path, broken_model):
    missing, index = tmp_path / "no-such-corpus", tmp_path / "idx"
    proc = run_ragqa(*COMMANDS[command], "--corpus", str(missing), "--index", str(index),
                     RAGQA_EMBED_MODEL=broken_model)
    assert proc.returncode == 3, proc.stderr
    line = one_error_line(proc)
    assert "RAGQA_CORPUS_DIR" in line and f"{missing} does not exist" in line
    assert not index.exists()  # nothing made for a folder that is not there


def test_a_corpus_that_is_a_file_is_named_so(tmp_path, broken_model):
    corpus = tmp_path / "notes.txt"
    corpus.write_text("Gitex Africa\n", encoding="utf-8")
    proc = run_ragqa("ask", "Gitex ?", "--corpus", str(corpus), RAGQA_EMBED_MODEL=broken_model)
    assert proc.returncode == 3
    assert f"{corpus} is not a folder" in one_error_line(proc)


@pytest.mark.parametrize("command", COMMANDS)
def test_an_index_folder_that_cannot_be_created_exits_4_naming_the_setting(
        command, small_corpus, tmp_path, broken_model):
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    index = blocker / "idx"
    # RAGQA_INDEX_DIR as a user sets it; `ask --corpus` without --index uses a folder of its
    # own, so ask is given --index.
    options = ("--index", str(index)) if command == "ask" else ()
    proc = run_ragqa(*COMMANDS[command], "--corpus", str(small_corpus), *options,
                     RAGQA_INDEX_DIR=str(index), RAGQA_EMBED_MODEL=broken_model)
    assert proc.returncode == 4, proc.stderr
    line = one_error_line(proc)
    assert "RAGQA_INDEX_DIR" in line and str(index) in line and "not a folder" in line


def test_an_index_folder_that_is_a_file_exits_4(small_corpus, tmp_path, broken_model):
    index = tmp_path / "index"
    index.write_text("", encoding="utf-8")
    proc = run_ragqa("index", "--corpus", str(small_corpus), RAGQA_INDEX_DIR=str(index),
                     RAGQA_EMBED_MODEL=broken_model)
    assert proc.returncode == 4
    line = one_error_line(proc)
    assert "RAGQA_INDEX_DIR" in line and f"{index} is not a folder" in line


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes in read-only folders")
def test_a_read_only_place_for_the_index_exits_4(small_corpus, tmp_path, broken_model):
    place = tmp_path / "read-only"
    place.mkdir(mode=0o555)
    try:
        proc = run_ragqa("index", "--corpus", str(small_corpus),
                         "--index", str(place / "idx"), RAGQA_EMBED_MODEL=broken_model)
    finally:
        place.chmod(0o755)
    assert proc.returncode == 4
    assert "RAGQA_INDEX_DIR" in one_error_line(proc) and "not writable" in proc.stderr


@pytest.fixture
def without_psycopg(tmp_path: Path) -> str:
    """PYTHONPATH for a child Python that cannot import psycopg (as without the extra)."""
    folder = tmp_path / "no-psycopg"
    folder.mkdir()
    (folder / "sitecustomize.py").write_text(
        "import sys\nsys.modules['psycopg'] = None  # find_spec: None; import: an error\n",
        encoding="utf-8")
    return os.pathsep.join(p for p in (str(folder), os.environ.get("PYTHONPATH")) if p)


@pytest.mark.parametrize("command", COMMANDS)
def test_the_postgres_store_without_its_extra_says_what_to_install(
        command, small_corpus, tmp_path, broken_model, without_psycopg):
    proc = run_ragqa(*COMMANDS[command], "--corpus", str(small_corpus),
                     RAGQA_STORE="postgres",
                     RAGQA_DATABASE_URL="postgresql://ragqa@127.0.0.1:9/ragqa",
                     RAGQA_EMBED_MODEL=broken_model, PYTHONPATH=without_psycopg)
    assert proc.returncode == 4, proc.stderr
    line = one_error_line(proc)
    assert "RAGQA_STORE=postgres" in line and "psycopg[binary]" in line
    assert "psycopg-pool" not in line  # only what is missing
    assert line.endswith(".venv/bin/pip install -e '.[postgres]'")
