"""POST and DELETE /v1/documents with RAGQA_STORE=postgres: the same responses and errors
as the files store, one transaction per document, no corpus folder, and 503 while the
database is away, recovering without a restart."""

from __future__ import annotations

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from tests.service.conftest import assert_error, check_passages
from tests.service.uploads import FILES, QUESTION, assert_uploaded_and_found, upload


@pytest.mark.parametrize("doc_id", sorted(FILES))
def test_upload_each_format_then_find_and_delete_it(pg_write_client, doc_id):
    client = pg_write_client
    before = client.get("/health").json()
    assert before["store"] == "postgres"
    response = upload(client, doc_id, FILES[doc_id])
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "created" and body["id"] == doc_id
    assert body["generation"] == before["generation"] + 1  # one transaction, one change
    assert_uploaded_and_found(client, doc_id, body)

    deleted = client.delete(f"/v1/documents/{doc_id}")
    assert deleted.status_code == 200 and deleted.json()["status"] == "deleted"
    assert_error(client.get(f"/v1/documents/{doc_id}"), 404, "unknown_document")
    after = client.post("/v1/search", json=QUESTION).json()
    assert doc_id not in {p["doc_id"] for p in after["passages"]}
    health = client.get("/health").json()
    assert health["generation"] == before["generation"] + 2
    assert (health["documents"], health["passages"]) == (before["documents"], before["passages"])


def test_upload_is_idempotent_and_reupload_replaces(pg_write_client):
    client = pg_write_client
    first = upload(client, "notes/zorglub.md", FILES["notes/zorglub.md"])
    again = upload(client, "notes/zorglub.md", FILES["notes/zorglub.md"])
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["status"] == "unchanged"
    assert again.json()["generation"] == first.json()["generation"]
    assert again.json()["document"] == first.json()["document"]
    new = "# Zorglub Telecom\n\nZorglub Telecom renonce au câble de Dakhla.\n".encode()
    replaced = upload(client, "notes/zorglub.md", new)
    assert replaced.status_code == 200 and replaced.json()["status"] == "replaced"
    assert replaced.json()["generation"] == first.json()["generation"] + 1
    assert client.get("/v1/documents/notes/zorglub.md/text").text == new.decode()
    check_passages(client, client.post("/v1/search", json=QUESTION).json())


@pytest.mark.parametrize("doc_id, data, status, code", [
    ("tool.exe", b"MZ\x90\x00", 415, "unsupported_file_type"),
    ("bad.txt", b"\x00\x01\x02\x03" * 100, 422, "invalid_document"),
    ("bad.pdf", b"%PDF-1.4 garbage", 422, "invalid_document"),
    ("../escape.txt", b"x", 400, "invalid_document_id"),
])
def test_bad_uploads_are_refused_and_nothing_changes(pg_write_client, doc_id, data, status,
                                                     code):
    health = pg_write_client.get("/health").json()
    assert_error(upload(pg_write_client, doc_id, data), status, code)
    assert pg_write_client.get("/health").json() == health


def test_delete_errors_and_the_last_document_stays(pg_write_client):
    client = pg_write_client
    assert_error(client.delete("/v1/documents/missing.txt"), 404, "unknown_document")
    assert_error(client.delete("/v1/documents/%2E%2E/x.txt"), 400, "invalid_document_id")
    ids = [d["id"] for d in client.get("/v1/documents").json()["documents"]]
    for doc_id in ids[:-1]:
        assert client.delete(f"/v1/documents/{doc_id}").status_code == 200
    assert_error(client.delete(f"/v1/documents/{ids[-1]}"), 409, "last_document")
    assert [d["id"] for d in client.get("/v1/documents").json()["documents"]] == ids[-1:]


def test_an_explicit_title_is_kept_by_uploads_without_one(pg_write_client):
    client = pg_write_client
    doc_id, data = "notes/zorglub.txt", FILES["notes/zorglub.txt"]
    response = upload(client, doc_id, data, title="  Câble Dakhla–Canaries ")
    assert response.status_code == 201, response.text
    assert response.json()["document"]["title"] == "Câble Dakhla–Canaries"
    found = client.post("/v1/search", json=QUESTION).json()["passages"][0]
    assert found["doc_id"] == doc_id and found["title"] == "Câble Dakhla–Canaries"
    assert upload(client, doc_id, data).json()["status"] == "unchanged"
    renamed = upload(client, doc_id, data, title="Zorglub").json()
    assert renamed["status"] == "replaced" and renamed["document"]["title"] == "Zorglub"
    reset = upload(client, doc_id, data, title=" ").json()
    assert reset["document"]["title"] == "Zorglub Telecom"


def test_database_away_is_503_then_recovers_without_restart(pg_write_client, pg_server):
    client = pg_write_client
    name = conninfo_to_dict(client.database_url)["dbname"]
    assert client.post("/v1/search", json=QUESTION).status_code == 200
    with psycopg.connect(pg_server.admin_url, autocommit=True) as admin:
        # Renamed away (connections killed): for the server, the database is gone.
        admin.execute(f'SELECT pg_terminate_backend(pid) FROM pg_stat_activity '
                      f"WHERE datname = '{name}' AND pid <> pg_backend_pid()")
        admin.execute(f'ALTER DATABASE "{name}" RENAME TO "{name}_away"')
    try:
        for path, call in (("/v1/search", lambda: client.post("/v1/search", json=QUESTION)),
                           ("/health", lambda: client.get("/health")),
                           ("/v1/documents", lambda: client.get("/v1/documents"))):
            error = assert_error(call(), 503, "database_unavailable")
            assert "database" in error["message"], path
    finally:
        with psycopg.connect(pg_server.admin_url, autocommit=True) as admin:
            admin.execute(f'ALTER DATABASE "{name}_away" RENAME TO "{name}"')
    response = client.post("/v1/search", json={**QUESTION, "question": "Nokia fibre"})
    assert response.status_code == 200, response.text
    assert client.get("/health").json()["status"] == "ok"
