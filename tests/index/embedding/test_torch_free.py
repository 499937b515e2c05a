"""A real serving start with an ONNX backend never imports torch or sentence-transformers:
the app factory's engine (ragqa.wiring), a small corpus indexed, one search through the HTTP
API, in a fresh process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ragqa.index.embedding.models import BUNDLED_MODEL_NAME, FALLBACK_MODEL_NAME

from tests.support import child_env

pytest.importorskip("onnxruntime")

SERVE_AND_SEARCH = """
import json, sys
from pathlib import Path
from fastapi.testclient import TestClient
from ragqa.service.app import create_app
from ragqa.settings import load_settings

corpus, index = Path(sys.argv[1]), Path(sys.argv[2])
app = create_app(load_settings(corpus_dir=corpus, index_dir=index))
with TestClient(app) as client:
    response = client.post("/v1/search", json={"question": "Qui lance la 5G à Casablanca ?"})
    health = client.get("/health").json()
print(json.dumps({"status": response.status_code, "backend": health.get("backend"),
                  "hits": len(response.json().get("passages", [])),
                  "imported": sorted(m for m in ("torch", "sentence_transformers")
                                     if m in sys.modules)}))
"""


def _serve_and_search(small_corpus: Path, index: Path, **settings: str) -> dict:
    done = subprocess.run([sys.executable, "-c", SERVE_AND_SEARCH, str(small_corpus),
                           str(index)], check=False, capture_output=True, text=True, timeout=600,
                          env=child_env(**settings), cwd=index.parent)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_serving_with_onnx_imports_neither_torch_nor_sentence_transformers(
        small_corpus: Path, tmp_path: Path):
    """MiniLM (``auto`` runs it with ONNX Runtime; its export is kept in the user's cache,
    as the other serving tests do)."""
    found = _serve_and_search(small_corpus, tmp_path / "index",
                              RAGQA_EMBED_MODEL=FALLBACK_MODEL_NAME)
    assert found["status"] == 200 and found["hits"] > 0 and found["backend"] == "onnx"
    assert found["imported"] == []


@pytest.mark.heavy
def test_serving_the_default_model_imports_neither_torch_nor_sentence_transformers(
        small_corpus: Path, tmp_path: Path, converted: Path):
    """The default: the bundled e5 with ragqa's int8 export (made here: about a minute)."""
    found = _serve_and_search(small_corpus, tmp_path / "index",
                              RAGQA_EMBED_MODEL=BUNDLED_MODEL_NAME,
                              RAGQA_MODEL_CACHE_DIR=str(converted.parent),
                              RAGQA_EXPORT_DIR=str(tmp_path / "exports"))
    assert found["status"] == 200 and found["hits"] > 0 and found["backend"] == "onnx-int8"
    assert found["imported"] == []
