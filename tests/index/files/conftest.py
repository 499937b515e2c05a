"""Fixtures of the files store's tests."""

import shutil
from pathlib import Path

import pytest

from tests.conftest import CORPUS


@pytest.fixture
def copied(tmp_path: Path, corpus_index: Path) -> tuple[Path, Path]:
    """The real corpus (its notes aside) and its index, the session's, copied: nothing is
    embedded again, and a test may write both."""
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(CORPUS, corpus, ignore=shutil.ignore_patterns("notes"))
    shutil.copytree(corpus_index, index)
    return corpus, index
