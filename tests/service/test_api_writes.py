"""POST and DELETE /v1/documents: durable uploads of every format, access, live updates."""

import threading
import time

import pytest
from fastapi.testclient import TestClient

from ragqa.service.app import create_app
from tests.service.conftest import LOOPBACK, assert_error, make_settings
from tests.service.uploads import FILES, QUESTION, assert_uploaded_and_found, upload

NOKIA_DOC = "002_3fd3ba12ca1ab0c9.txt"


@pytest.mark.parametrize("doc_id", sorted(FILES))
def test_upload_each_format_then_find_and_delete_it(write_client, writable, doc_id):
    corpus, _ = writable
    response = upload(write_client, doc_id, FILES[doc_id])
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "created" and body["id"] == doc_id and body["generation"] == 2
    assert (corpus / doc_id).read_bytes() == FILES[doc_id]  # durable in the corpus folder
    assert not list(corpus.rglob(".upload-*"))
    assert_uploaded_and_found(write_client, doc_id, body)

    deleted = write_client.delete(f"/v1/documents/{doc_id}")
    assert deleted.status_code == 200 and deleted.json()["status"] == "deleted"
    assert not (corpus / doc_id).exists()
    assert_error(write_client.get(f"/v1/documents/{doc_id}"), 404, "unknown_document")
    after = write_client.post("/v1/search", json=QUESTION).json()
    assert doc_id not in {p["doc_id"] for p in after["passages"]}
    assert write_client.get("/health").json()["generation"] == 3


def test_upload_is_idempotent_and_reupload_replaces(write_client):
    first = upload(write_client, "notes/zorglub.md", FILES["notes/zorglub.md"])
    again = upload(write_client, "notes/zorglub.md", FILES["notes/zorglub.md"])
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["status"] == "unchanged"
    assert again.json()["generation"] == first.json()["generation"]
    new = "# Zorglub Telecom\n\nZorglub Telecom renonce au câble de Dakhla.\n".encode()
    replaced = upload(write_client, "notes/zorglub.md", new)
    assert replaced.status_code == 200 and replaced.json()["status"] == "replaced"
    assert replaced.json()["generation"] == first.json()["generation"] + 1
    assert write_client.get("/v1/documents/notes/zorglub.md/text").text == new.decode()


def test_upload_uses_the_file_name_by_default(write_client):
    response = write_client.post("/v1/documents", files={"file": ("memo.txt", b"Un memo.")})
    assert response.status_code == 201 and response.json()["id"] == "memo.txt"


@pytest.mark.parametrize(
    "doc_id, data, status, code",
    [
        ("tool.exe", b"MZ\x90\x00", 415, "unsupported_file_type"),
        ("noext", b"text", 415, "unsupported_file_type"),
        ("bad.txt", b"\x00\x01\x02\x03" * 100, 422, "invalid_document"),
        ("bad.pdf", b"%PDF-1.4 garbage", 422, "invalid_document"),
        ("empty.md", b"  \n", 422, "invalid_document"),
        ("../escape.txt", b"x", 400, "invalid_document_id"),
        ("/abs.txt", b"x", 400, "invalid_document_id"),
        ("a/../../b.txt", b"x", 400, "invalid_document_id"),
        ("nul\x00.txt", b"x", 400, "invalid_document_id"),
    ],
)
def test_bad_uploads_are_refused_and_nothing_indexed_is_lost(write_client, writable, doc_id,
                                                            data, status, code):
    corpus, _ = writable
    before = sorted(p.relative_to(corpus) for p in corpus.rglob("*"))
    health = write_client.get("/health").json()
    assert_error(upload(write_client, doc_id, data), status, code)
    assert sorted(p.relative_to(corpus) for p in corpus.rglob("*")) == before
    assert write_client.get("/health").json() == health


def test_upload_needs_multipart_and_a_file(write_client):
    assert_error(write_client.post("/v1/documents", json={"file": "x"}), 415,
                 "unsupported_media_type")
    assert_error(write_client.post("/v1/documents", files={"other": ("a.txt", b"x")}), 422,
                 "missing_field")


def test_upload_over_the_limit_is_413(writable):
    app = create_app(make_settings(*writable, max_upload_mb=0.001), update_index=False)
    with TestClient(app, client=LOOPBACK) as client:
        big = b"Zorglub. " * 400  # 3.6 kB > 1 kB
        assert "RAGQA_MAX_UPLOAD_MB" in assert_error(upload(client, "big.txt", big), 413,
                                                     "payload_too_large")["message"]
        assert upload(client, "small.txt", b"Petit texte.").status_code == 201


def test_huge_upload_is_refused_before_its_body_is_read(writable):
    corpus, _ = writable
    before = sorted(p.name for p in corpus.iterdir())
    app = create_app(make_settings(*writable, max_upload_mb=0.001), update_index=False)
    with TestClient(app, client=LOOPBACK) as client:
        response = upload(client, "huge.txt", b"x" * 300_000)  # well past limit + framing
        body = assert_error(response, 413, "payload_too_large")
        assert "RAGQA_MAX_UPLOAD_MB" in body["message"]
        assert response.headers.get("connection") == "close"  # answered by the middleware
    assert sorted(p.name for p in corpus.iterdir()) == before


def test_delete_errors(write_client):
    assert_error(write_client.delete("/v1/documents/missing.txt"), 404, "unknown_document")
    assert_error(write_client.delete("/v1/documents/%2E%2E/x.txt"), 400, "invalid_document_id")


def test_writes_without_keys_are_for_loopback_only(writable):
    app = create_app(make_settings(*writable), update_index=False)
    with TestClient(app, client=("192.0.2.7", 4000)) as remote:
        assert_error(upload(remote, "r.txt", b"Texte."), 403, "forbidden")
        assert_error(remote.delete(f"/v1/documents/{NOKIA_DOC}"), 403, "forbidden")
        assert remote.post("/v1/search", json={"question": "Nokia"}).status_code == 200


def test_api_keys_guard_writes_and_optionally_reads(writable):
    settings = make_settings(*writable, api_keys="k1, k2", require_key_for_read=True)
    with TestClient(create_app(settings, update_index=False), client=LOOPBACK) as client:
        response = upload(client, "k.txt", b"Texte.")
        assert_error(response, 401, "unauthorized")
        assert response.headers["www-authenticate"] == "Bearer"
        assert_error(upload(client, "k.txt", b"Texte.", headers={"Authorization": "Bearer no"}),
                     401, "unauthorized")
        assert_error(client.get("/v1/documents"), 401, "unauthorized")
        ok = upload(client, "k.txt", b"Texte.", headers={"Authorization": "Bearer k2"})
        assert ok.status_code == 201
        listed = client.get("/v1/documents", headers={"Authorization": "Bearer k1"})
        assert "k.txt" in {d["id"] for d in listed.json()["documents"]}


def test_cors_is_off_by_default_and_follows_the_setting(writable, write_client):
    preflight = {"Origin": "https://intranet.example", "Access-Control-Request-Method": "POST"}
    plain = write_client.options("/v1/search", headers=preflight)
    assert "access-control-allow-origin" not in plain.headers
    settings = make_settings(*writable, cors_origins="https://intranet.example")
    with TestClient(create_app(settings, update_index=False), client=LOOPBACK) as client:
        allowed = client.options("/v1/search", headers=preflight)
        assert allowed.headers["access-control-allow-origin"] == "https://intranet.example"
        other = client.options("/v1/search", headers={**preflight, "Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


def wait_until(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_queries_during_upload_and_delete_see_old_or_new_never_an_error(write_client, writable):
    corpus, _ = writable
    texts = {p.name: p.read_text(encoding="utf-8") for p in corpus.glob("*.txt")}
    texts["notes/zorglub.md"] = FILES["notes/zorglub.md"].decode()
    errors: list[str] = []
    seen: list[bool] = []  # whether each answer included the uploaded document
    stop = threading.Event()

    def hammer() -> None:
        while not stop.is_set():
            response = write_client.post("/v1/search", json=QUESTION)
            if response.status_code != 200:
                errors.append(response.text)
                continue
            passages = response.json()["passages"]
            # Every quote is a slice of its document as it is in one generation or the other.
            for p in passages:
                if texts[p["doc_id"]][p["start"] : p["end"]] != p["quote"]:
                    errors.append(f"mixed state: {p}")
            seen.append(any(p["doc_id"] == "notes/zorglub.md" for p in passages))

    threads = [threading.Thread(target=hammer) for _ in range(3)]
    for thread in threads:
        thread.start()
    try:
        wait_until(lambda: len(seen) >= 3)
        uploaded = upload(write_client, "notes/zorglub.md", FILES["notes/zorglub.md"])
        assert uploaded.status_code == 201
        wait_until(lambda: seen.count(True) >= 3)
        assert write_client.delete("/v1/documents/notes/zorglub.md").status_code == 200
        count = len(seen)
        wait_until(lambda: len(seen) >= count + 3)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert errors == []
    assert seen[0] is False and True in seen and seen[-1] is False


def test_a_refused_corpus_file_is_reported_and_can_be_fixed_or_deleted(writable):
    corpus, index = writable
    (corpus / "scan.txt").write_bytes(b"\x00\x01\x02\x03" * 100)
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.4 garbage")
    app = create_app(make_settings(corpus, index))  # brings the index up to date at start
    with TestClient(app, client=LOOPBACK) as client:
        assert client.get("/health").json()["refused"] == 2
        listed = client.get("/v1/documents").json()
        reasons = {entry["id"]: entry["reason"] for entry in listed["refused"]}
        assert set(reasons) == {"scan.txt", "broken.pdf"} and "binary" in reasons["scan.txt"]
        assert {"scan.txt", "broken.pdf"}.isdisjoint(d["id"] for d in listed["documents"])

        assert client.delete("/v1/documents/scan.txt").status_code == 200
        assert not (corpus / "scan.txt").exists()
        fixed = upload(client, "broken.pdf", FILES["pdf/zorglub.pdf"])
        assert fixed.status_code == 200 and fixed.json()["status"] == "replaced"
        assert client.get("/health").json()["refused"] == 0
        assert client.get("/v1/documents").json()["refused"] == []
        assert client.get("/v1/documents/broken.pdf").json()["pages"] == 2


def test_upload_with_an_explicit_title_keeps_it_across_reindexing(write_client, writable):
    corpus, _ = writable
    doc_id, data = "notes/zorglub.txt", FILES["notes/zorglub.txt"]
    response = upload(write_client, doc_id, data, title="  Câble Dakhla–Canaries ")
    assert response.status_code == 201, response.text
    assert response.json()["document"]["title"] == "Câble Dakhla–Canaries"
    assert (corpus / "notes/zorglub.txt.title").read_text("utf-8") == "Câble Dakhla–Canaries"
    found = write_client.post("/v1/search", json=QUESTION).json()["passages"][0]
    assert found["doc_id"] == doc_id and found["title"] == "Câble Dakhla–Canaries"
    # same bytes, no title field: unchanged, title kept; a new title re-indexes
    assert upload(write_client, doc_id, data).json()["status"] == "unchanged"
    renamed = upload(write_client, doc_id, data, title="Zorglub").json()
    assert renamed["status"] == "replaced" and renamed["document"]["title"] == "Zorglub"
    # another document's upload re-indexes everything: the explicit title survives
    assert upload(write_client, "notes/other.md", b"# Autre\n\nAutre texte.\n").status_code == 201
    assert write_client.get(f"/v1/documents/{doc_id}").json()["title"] == "Zorglub"
    # a blank title gives the document its headline back (an empty form field is absent)
    reset = upload(write_client, doc_id, data, title=" ").json()
    assert reset["document"]["title"] == "Zorglub Telecom"
    assert not (corpus / "notes/zorglub.txt.title").exists()
    upload(write_client, doc_id, data, title="Zorglub")
    assert write_client.delete(f"/v1/documents/{doc_id}").status_code == 200
    assert not (corpus / "notes/zorglub.txt.title").exists()
