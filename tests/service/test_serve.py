"""End to end: the real `ragqa serve` process on a free loopback port, queried with httpx."""

import shutil

import httpx

from tests.conftest import CORPUS, LIVE_BLOG
from tests.service.conftest import check_passages
from tests.support import free_port, run_ragqa, start, stop


def test_ragqa_serve_updates_the_index_then_answers(tmp_path, corpus_index):
    corpus = tmp_path / "corpus"
    index = tmp_path / "index"
    shutil.copytree(CORPUS, corpus)
    shutil.copytree(corpus_index, index)
    (corpus / "extra.md").write_text("# Zorglub\n\nZorglub Telecom pose un câble à Dakhla.\n",
                                     encoding="utf-8")
    server = start(corpus, index, tmp_path / "serve.log", timeout=180)
    base, port = server.base_url, server.port
    try:
        health = httpx.get(f"{base}/health", timeout=2)
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
        output = stop(server)
    assert "1 added, 0 changed, 0 removed" in output
    assert f"serving on http://127.0.0.1:{port}" in output
    assert "Traceback" not in output


def test_serve_with_a_missing_corpus_fails_with_one_line(tmp_path):
    proc = run_ragqa("serve", "--corpus", str(tmp_path / "none"), "--index",
                     str(tmp_path / "i"), "--port", str(free_port()))
    assert proc.returncode == 3
    assert "does not exist" in proc.stderr and "Traceback" not in proc.stderr


def test_app_start_fails_fast_on_a_missing_corpus(tmp_path):
    import pytest
    from fastapi.testclient import TestClient

    from ragqa.index.errors import EmptyCorpusError
    from ragqa.service.app import create_app
    from tests.service.conftest import make_settings

    (tmp_path / "corpus").mkdir()
    app = create_app(make_settings(tmp_path / "corpus", tmp_path / "index"))
    with pytest.raises(EmptyCorpusError, match="no documents to index"):
        with TestClient(app):
            pass


# Run in a child: threadpoolctl lets one live thread control a process's OpenBLAS, so a
# limit set earlier in the test process (by a library, from the main thread) would make the
# app's, set from TestClient's thread, a no-op here, though not under `ragqa serve`.
BLAS_CHILD = """
import json, sys
from fastapi.testclient import TestClient
from threadpoolctl import threadpool_info
from ragqa.service.app import create_app
from ragqa.settings import Settings

def blas():  # numpy's OpenBLAS: one pool for the process (FAISS's OpenMP build: per thread)
    return sorted(p["num_threads"] for p in threadpool_info()
                  if p["user_api"] == "blas" and p.get("threading_layer") == "pthreads")

app = create_app(Settings(_env_file=None, corpus_dir=sys.argv[1], index_dir=sys.argv[2]))
before = blas()
with TestClient(app) as client:
    inside = blas()
    status = client.post("/v1/search", json={"question": "Gitex Africa", "k": 1}).status_code
print(json.dumps({"before": before, "inside": inside, "after": blas(), "status": status}))
"""


def test_a_served_app_keeps_blas_to_one_thread_and_gives_it_back(corpus_index):
    import json
    import subprocess
    import sys

    import pytest

    from tests.support import child_env

    done = subprocess.run([sys.executable, "-c", BLAS_CHILD, str(CORPUS), str(corpus_index)],
                          capture_output=True, text=True, timeout=300,
                          env=child_env(OPENBLAS_NUM_THREADS="2"))  # a known start
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    if not seen["before"]:
        pytest.skip("numpy's BLAS is not a pthreads OpenBLAS here")
    assert seen["status"] == 200
    assert set(seen["before"]) == {2}
    assert set(seen["inside"]) == {1}
    assert seen["after"] == seen["before"]
