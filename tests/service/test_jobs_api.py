"""Uploads that don't block: 202 with a job to follow, refusals at once, a delete that
cancels, and an accepted upload that survives kill -9 (real stores, real model)."""

from __future__ import annotations

import shutil
import signal
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.conftest import CORPUS
from tests.service.uploads import FILES, QUESTION, assert_uploaded_and_found, upload
from tests.support import running, wait_until

DOC = "notes/zorglub.txt"


def _finished(client, job_id: str) -> dict | None:
    job = client.get(f"/v1/jobs/{job_id}").json()
    return job if job["state"] not in ("queued", "running") else None


def test_an_upload_not_indexed_in_time_is_accepted_and_followed(write_app):
    with write_app(upload_wait_seconds=0) as client:
        response = upload(client, DOC, FILES[DOC])
        assert response.status_code == 202, response.text
        body = response.json()
        job = body["job"]
        assert body["status"] == "accepted" and body["id"] == DOC
        assert response.headers["location"] == f"/v1/jobs/{job['id']}"
        assert job["document"] == DOC and job["state"] in ("queued", "running", "done")
        done = wait_until(lambda: _finished(client, job["id"]), what="the upload's job")
        assert done["state"] == "done" and done["status"] == "created", done
        assert done["passages_total"] >= 1 and done["passages_done"] == done["passages_total"]
        assert any(j["id"] == job["id"] for j in client.get("/v1/jobs").json()["jobs"])
        assert_uploaded_and_found(client, DOC, {"document": client.get(
            f"/v1/documents/{DOC}").json()})


def test_within_the_wait_an_upload_answers_as_a_synchronous_write(write_app):
    with write_app(upload_wait_seconds=300) as client:
        response = upload(client, DOC, FILES[DOC])
        assert response.status_code == 201 and response.json()["status"] == "created"
        assert response.json()["job"] is None


def test_a_file_the_indexer_cannot_read_is_refused_at_once(write_app):
    with write_app(upload_wait_seconds=0) as client:
        response = upload(client, "broken.pdf", b"%PDF-1.4 not really a pdf")
        assert response.status_code == 422, response.text
        jobs = client.get("/v1/jobs").json()["jobs"]
        assert all(j["document"] != "broken.pdf" for j in jobs)  # nothing accepted


def test_an_unknown_job_is_404(write_app):
    with write_app() as client:
        response = client.get("/v1/jobs/nope")
        assert response.status_code == 404 and response.json()["error"]["code"] == "unknown_job"


def test_a_delete_cancels_an_upload_not_yet_indexed(write_app):
    # A long document, so that its indexing is still going when the delete comes.
    text = "\n\n".join(f"Paragraphe {i} : Zorglub Telecom pose un câble sous-marin numéro {i} "
                       f"entre Dakhla et les Canaries, long de {i * 7} kilomètres."
                       for i in range(400))
    with write_app(upload_wait_seconds=0) as client:
        accepted = upload(client, "notes/long.txt", text.encode())
        assert accepted.status_code == 202
        deleted = client.delete("/v1/documents/notes/long.txt")
        assert deleted.status_code == 200, deleted.text
        # Cancelled before it was indexed, or indexed first and then deleted: gone either way.
        assert deleted.json()["status"] in ("cancelled", "deleted")
        job = wait_until(lambda: _finished(client, accepted.json()["job"]["id"]),
                         what="the cancelled job")
        assert job["state"] in ("cancelled", "done")
        assert client.get("/v1/documents/notes/long.txt").status_code == 404
        found = client.post("/v1/search", json=QUESTION).json()["passages"]
        assert all(p["doc_id"] != "notes/long.txt" for p in found)


def test_an_upload_waiting_in_the_queue_answers_cancelled_when_deleted(write_app):
    # The upload request is still waiting for its job (queued behind a long one) when a
    # DELETE of the same id cancels it: it answers `cancelled` (it was a 500 before).
    text = "\n\n".join(f"Paragraphe {i} : Zorglub Telecom pose un câble sous-marin numéro {i} "
                       f"entre Dakhla et les Canaries, long de {i * 7} kilomètres."
                       for i in range(400))
    with write_app(upload_wait_seconds=120) as client, ThreadPoolExecutor(2) as pool:
        long = pool.submit(upload, client, "notes/long.txt", text.encode())
        wait_until(lambda: any(j["document"] == "notes/long.txt"
                               for j in client.get("/v1/jobs").json()["jobs"]),
                   what="the long upload's job")
        queued = pool.submit(upload, client, DOC, FILES[DOC])
        wait_until(lambda: any(j["document"] == DOC and j["state"] == "queued"
                               for j in client.get("/v1/jobs").json()["jobs"]),
                   what="the second upload queued")
        deleted = client.delete(f"/v1/documents/{DOC}")
        assert deleted.status_code == 200 and deleted.json()["status"] == "cancelled"
        answer = queued.result(timeout=120)
        assert answer.status_code == 200, answer.text
        assert answer.json()["status"] == "cancelled"
        assert answer.json()["job"]["state"] == "cancelled"
        assert long.result(timeout=300).status_code == 201
        assert client.get(f"/v1/documents/{DOC}").status_code == 404


@pytest.mark.heavy
def test_an_accepted_upload_survives_kill_9(tmp_path: Path, corpus_index: Path):
    """The files store, through a real `ragqa serve`: accepted (202), the server killed at
    once, started again: the upload is indexed and found."""
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(CORPUS, corpus)
    shutil.copytree(corpus_index, index)
    with running(corpus, index, tmp_path / "first.log",
                 RAGQA_UPLOAD_WAIT_SECONDS="0") as server:
        response = httpx.post(f"{server.base_url}/v1/documents", files={"file": ("z.txt", FILES[DOC])},
                              data={"id": DOC}, timeout=60)
        assert response.status_code == 202, response.text
        job_id = response.json()["job"]["id"]
        server.proc.send_signal(signal.SIGKILL)
        server.proc.wait(30)
    with running(corpus, index, tmp_path / "second.log") as server:
        def done() -> dict | None:
            job = httpx.get(f"{server.base_url}/v1/jobs/{job_id}", timeout=30).json()
            return job if job["state"] == "done" else None

        wait_until(done, what="the accepted upload to be indexed after the restart",
                   timeout=300)
        found = httpx.post(f"{server.base_url}/v1/search", json=QUESTION, timeout=60).json()
        assert found["passages"][0]["doc_id"] == DOC
