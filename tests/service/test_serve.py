"""End to end: the real `ragqa serve` process on a free loopback port, queried with httpx."""

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import CORPUS, LIVE_BLOG
from tests.service.conftest import check_passages
from index.models import FALLBACK_MODEL_NAME

RAGQA = Path(sys.executable).with_name("ragqa")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_ragqa_serve_updates_the_index_then_answers(tmp_path, corpus_index):
    corpus = tmp_path / "corpus"
    index = tmp_path / "index"
    shutil.copytree(CORPUS, corpus)
    shutil.copytree(corpus_index, index)
    (corpus / "extra.md").write_text("# Zorglub\n\nZorglub Telecom pose un câble à Dakhla.\n",
                                     encoding="utf-8")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAGQA_")}
    env.update(HF_HUB_OFFLINE="1", RAGQA_OFFLINE="1", RAGQA_EMBED_MODEL=FALLBACK_MODEL_NAME,
               RAGQA_PORT=str(port))
    proc = subprocess.Popen(
        [str(RAGQA), "serve", "--corpus", str(corpus), "--index", str(index)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            assert proc.poll() is None, proc.stdout.read()
            try:
                health = httpx.get(f"{base}/health", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "ragqa serve did not start in time"
                time.sleep(0.3)
        assert health.json()["generation"] == 2  # the new corpus file was indexed first
        with httpx.Client(base_url=base, timeout=30) as client:
            response = client.post("/v1/search", json={
                "question": "Combien de visiteurs et d'exposants sont attendus au Gitex Africa ?",
                "k": 3})
            assert response.status_code == 200, response.text
            body = response.json()
            assert body["passages"][0]["doc_id"] == LIVE_BLOG
            check_passages(client, body)
            extra = client.post("/v1/search", json={"question": "Zorglub Dakhla", "k": 1})
            assert extra.json()["passages"][0]["doc_id"] == "extra.md"
            assert client.post("/v1/search", json={"question": " "}).status_code == 422
            assert client.get("/docs").status_code == 200
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=30)
    assert "1 added, 0 changed, 0 removed" in output
    assert f"serving on http://127.0.0.1:{port}" in output
    assert "Traceback" not in output


def test_serve_with_a_missing_corpus_fails_with_one_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAGQA_")}
    env.update(HF_HUB_OFFLINE="1", RAGQA_OFFLINE="1", RAGQA_EMBED_MODEL=FALLBACK_MODEL_NAME)
    proc = subprocess.run(
        [str(RAGQA), "serve", "--corpus", str(tmp_path / "none"), "--index", str(tmp_path / "i"),
         "--port", str(free_port())],
        capture_output=True, text=True, env=env, timeout=300,
    )
    assert proc.returncode == 3
    assert "does not exist" in proc.stderr and "Traceback" not in proc.stderr


def test_app_start_fails_fast_on_a_missing_corpus(tmp_path):
    import pytest
    from fastapi.testclient import TestClient

    from index.errors import EmptyCorpusError
    from service.app import create_app
    from tests.service.conftest import make_settings

    (tmp_path / "corpus").mkdir()
    app = create_app(make_settings(tmp_path / "corpus", tmp_path / "index"))
    with pytest.raises(EmptyCorpusError, match="no documents to index"):
        with TestClient(app):
            pass
