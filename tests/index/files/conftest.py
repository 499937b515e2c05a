"""Fixtures of the files store's tests."""

import shutil
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from ragqa.index.embedding.embedder import Embedder
from ragqa.index.embedding.models import ResolvedModel

from tests.conftest import CORPUS


class RememberingEmbedder(Embedder):
    """The bundled MiniLM, each distinct text run through the model once a session.

    The files store's tests rebuild the whole corpus again and again to compare a sync, a
    segment or a merge with what a fresh build serves; the model's vectors for a text do
    not depend on the test, so its pass is remembered here, below every counter the tests
    read (:meth:`encode_passages`, :meth:`encode_sentences` and the builds' own reports
    count what the index code asks for, as before). Token passes are not remembered."""

    def __init__(self, model: ResolvedModel) -> None:
        self._made: dict[str, np.ndarray] = {}  # before the model's first pass, made below
        self._made_lock = threading.Lock()
        super().__init__(model)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        with self._made_lock:
            missing = [t for t in dict.fromkeys(texts) if t not in self._made]
        if missing:
            made = super().encode(missing)
            with self._made_lock:
                self._made.update(zip(missing, made))
        if not texts:
            return super().encode(texts)
        with self._made_lock:
            return np.stack([self._made[t] for t in texts])


@pytest.fixture(scope="session")
def embedder(minilm: ResolvedModel) -> Embedder:
    return RememberingEmbedder(minilm)


@pytest.fixture
def copied(tmp_path: Path, corpus_index: Path) -> tuple[Path, Path]:
    """The real corpus (its notes aside) and its index, the session's, copied: nothing is
    embedded again, and a test may write both."""
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(CORPUS, corpus, ignore=shutil.ignore_patterns("notes"))
    shutil.copytree(corpus_index, index)
    return corpus, index
