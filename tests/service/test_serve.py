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


def test_a_served_app_keeps_blas_to_one_thread_and_gives_it_back(corpus_index):
    import pytest
    from fastapi.testclient import TestClient
    from threadpoolctl import threadpool_info

    from ragqa.service.app import create_app
    from tests.service.conftest import make_settings

    def blas_threads() -> dict[str, int]:
        # numpy's OpenBLAS (pthreads: one pool for the process; FAISS's OpenMP build
        # follows each thread's OpenMP settings instead)
        return {pool["filepath"]: pool["num_threads"] for pool in threadpool_info()
                if pool["user_api"] == "blas" and pool.get("threading_layer") == "pthreads"}

    app = create_app(make_settings(CORPUS, corpus_index))
    before = blas_threads()
    assert before, "numpy's BLAS is not seen"
    if max(before.values()) == 1:
        pytest.skip("one core: numpy's BLAS has one thread already")
    with TestClient(app) as client:
        inside = blas_threads()
        assert set(inside.values()) == {1}, inside
        assert client.post("/v1/search", json={"question": "Gitex Africa", "k": 1}).status_code == 200
    after = blas_threads()
    assert {path: after[path] for path in before} == before
