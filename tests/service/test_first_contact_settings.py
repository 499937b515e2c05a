"""First contact through the settings: what the edges (CLI, app factory) check before any
model is loaded, in process."""

from __future__ import annotations

import sys

import pytest
from ragqa.index.errors import ConfigError, EmptyCorpusError, IndexWriteError, MissingExtraError

from ragqa.settings import Settings, check_folders, load_settings

DATABASE = "postgresql://ragqa@127.0.0.1:9/ragqa"


def test_the_postgres_store_needs_its_extra_installed(monkeypatch):
    monkeypatch.setitem(sys.modules, "pgvector", None)  # find_spec answers None, as uninstalled
    assert load_settings(store="files").store == "files"  # not needed by the files store
    with pytest.raises(MissingExtraError) as caught:
        load_settings(store="postgres", database_url=DATABASE)
    message = str(caught.value)
    assert isinstance(caught.value, ConfigError)
    assert message.startswith("RAGQA_STORE=postgres needs pgvector (the postgres extra)")
    assert message.endswith("install it with: .venv/bin/pip install -e '.[postgres]'")


def test_the_app_factory_checks_the_extra_before_anything_else(monkeypatch):
    from ragqa.service.app import create_app

    monkeypatch.setitem(sys.modules, "psycopg", None)
    monkeypatch.setenv("RAGQA_STORE", "postgres")
    monkeypatch.setenv("RAGQA_DATABASE_URL", DATABASE)
    with pytest.raises(MissingExtraError, match=r"psycopg\[binary\]"):
        create_app()


def test_an_index_folder_ragqa_may_not_write_in_is_named(tmp_path, monkeypatch):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    settings = Settings(_env_file=None, corpus_dir=corpus, index_dir=tmp_path / "idx")
    check_folders(settings)
    # A read-only place (root may write anywhere: access() is what the check asks).
    monkeypatch.setattr("os.access", lambda path, mode: False)
    with pytest.raises(IndexWriteError) as caught:
        check_folders(settings)
    assert str(caught.value) == (f"RAGQA_INDEX_DIR (--index): cannot create the index folder "
                                 f"{tmp_path / 'idx'}: {tmp_path} is not writable (permission "
                                 "denied or read-only file system)")


def test_the_postgres_store_needs_no_index_folder_and_its_corpus_only_to_index(tmp_path):
    settings = Settings(_env_file=None, store="postgres", database_url=DATABASE,
                        corpus_dir=tmp_path / "none", index_dir=tmp_path / "none" / "idx")
    check_folders(settings)  # served as the database holds it
    with pytest.raises(EmptyCorpusError, match="RAGQA_CORPUS_DIR"):
        check_folders(settings, indexing=True)
