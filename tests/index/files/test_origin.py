"""The corpus folder an index remembers, and which default folder it refuses."""

import shutil

import pytest

from ragqa.index.errors import ConfigError
from ragqa.index.files.origin import ORIGIN, check_default_folder, record_folder


def _project(root):
    (root / "corpus").mkdir(parents=True)
    (root / ".ragqa" / "index").mkdir(parents=True)
    return root / "corpus", root / ".ragqa" / "index"


def test_another_existing_folder_is_refused_naming_both(tmp_path):
    corpus, index = _project(tmp_path / "p")
    record_folder(index, corpus)
    check_default_folder(index, corpus)  # its own folder
    other = tmp_path / "elsewhere" / "corpus"
    other.mkdir(parents=True)
    with pytest.raises(ConfigError, match="RAGQA_CORPUS_DIR") as caught:
        check_default_folder(index, other)
    assert str(corpus) in str(caught.value) and str(other) in str(caught.value)
    shutil.rmtree(corpus)  # a folder that is gone (a project moved) is held against no one
    check_default_folder(index, other)


def test_a_copied_project_and_a_moved_link_are_the_same_folder(tmp_path):
    corpus, index = _project(tmp_path / "p1")
    record_folder(index, corpus)
    shutil.copytree(tmp_path / "p1", tmp_path / "p2")  # the index copied with its corpus
    check_default_folder(tmp_path / "p2" / ".ragqa" / "index", tmp_path / "p2" / "corpus")
    # a `corpus` link switched to another version of the documents, the old one kept
    root = tmp_path / "p3"
    (root / "data" / "v1").mkdir(parents=True)
    (root / "data" / "v2").mkdir()
    (root / "corpus").symlink_to(root / "data" / "v1", target_is_directory=True)
    index = root / "index"
    index.mkdir()
    record_folder(index, root / "corpus")
    (root / "corpus").unlink()
    (root / "corpus").symlink_to(root / "data" / "v2", target_is_directory=True)
    check_default_folder(index, root / "corpus")


def test_an_unreadable_record_is_no_record_and_a_failed_write_no_error(tmp_path, caplog,
                                                                         monkeypatch):
    from ragqa.index.files import origin

    corpus, index = _project(tmp_path / "p")
    (index / ORIGIN).write_text("not json", "utf-8")
    check_default_folder(index, tmp_path / "anything")
    (index / ORIGIN).unlink()

    def full(*_):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(origin, "write_atomic", full)  # (a disk that is full: a fake)
    record_folder(index, corpus)  # a sync that succeeded stays a success
    assert not (index / ORIGIN).exists() and "No space left" in caplog.text
