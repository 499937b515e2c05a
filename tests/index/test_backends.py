"""ONNX Runtime backends of the embedding model (index/backends.py), exported offline from
the bundled model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.embedding import Embedder
from index.models import ResolvedModel

pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

TEXTS = ["Combien de visiteurs au Gitex Africa 2025 ?", "x",
         "Nokia et le ministère signent un accord pour la fibre optique. " * 20]


@pytest.fixture(scope="module")
def export_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("onnx-export")


def test_onnx_backend_matches_torch_and_shares_its_identity(embedder, minilm: ResolvedModel,
                                                            export_dir: Path):
    onnx = Embedder(minilm, backend="onnx", export_dir=export_dir)
    np.testing.assert_allclose(onnx.encode_passages(TEXTS), embedder.encode_passages(TEXTS),
                               atol=1e-4)
    assert onnx.info.weights_sha256 == embedder.info.weights_sha256
    assert (export_dir / "model.onnx").exists()


def test_int8_backend_has_its_own_identity(embedder, minilm: ResolvedModel, export_dir: Path):
    int8 = Embedder(minilm, backend="onnx-int8", export_dir=export_dir)
    vectors = int8.encode_queries(TEXTS)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    assert np.min(np.sum(vectors * embedder.encode_queries(TEXTS), axis=1)) > 0.8
    # Different vectors, different identity: an index built with one refuses the other.
    assert int8.info.weights_sha256 != embedder.info.weights_sha256


def test_unknown_backend_is_refused(minilm: ResolvedModel):
    with pytest.raises(ValueError, match="torch, onnx"):
        Embedder(minilm, backend="tensorrt")
