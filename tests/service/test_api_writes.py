"""POST and DELETE /v1/documents on both stores: durable uploads of every format, the same
responses and errors, access, live updates; then what only one store does (the files
store's corpus folder; the postgres store's 503 while the database is away)."""

from __future__ import annotations

import threading
import time
import unicodedata

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from tests.service.conftest import assert_error, check_passages
from tests.service.uploads import FILES, QUESTION, assert_uploaded_and_found, upload
from tests.support import wait_until

NOKIA_DOC = "002_3fd3ba12ca1ab0c9.txt"
FILES_ONLY = pytest.mark.parametrize("store", ["files"])
POSTGRES_ONLY = pytest.mark.parametrize("store", ["postgres"])


@pytest.fixture
def client(write_app):
    """An app over data this test may change, in each store, called from loopback."""
    with write_app() as test_client:
        yield test_client


def stored_state(client) -> tuple:
    """What a refused write must leave as it was: health, the document list and the files
    of the corpus folder (none, and no folder, for the postgres store)."""
    folder = client.corpus
    files = sorted(p.relative_to(folder) for p in folder.rglob("*")) if folder.exists() else []
    return client.get("/health").json(), client.get("/v1/documents").json(), files


@pytest.mark.parametrize("doc_id", sorted(FILES))
def test_upload_each_format_then_find_and_delete_it(client, doc_id):
    before = client.get("/health").json()
    assert before["store"] == client.store
    response = upload(client, doc_id, FILES[doc_id])
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "created" and body["id"] == doc_id
    assert body["generation"] == before["generation"] + 1  # one write, one change
    assert_uploaded_and_found(client, doc_id, body)

    deleted = client.delete(f"/v1/documents/{doc_id}")
    assert deleted.status_code == 200 and deleted.json()["status"] == "deleted"
    assert_error(client.get(f"/v1/documents/{doc_id}"), 404, "unknown_document")
    after = client.post("/v1/search", json=QUESTION).json()
    assert doc_id not in {p["doc_id"] for p in after["passages"]}
    health = client.get("/health").json()
    assert health["generation"] == before["generation"] + 2
    assert (health["documents"], health["passages"]) == (before["documents"], before["passages"])


def test_upload_is_idempotent_and_reupload_replaces(client):
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


def test_upload_uses_the_file_name_by_default(client):
    response = client.post("/v1/documents", files={"file": ("memo.txt", b"Un memo.")})
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
def test_bad_uploads_are_refused_and_nothing_changes(client, doc_id, data, status, code):
    before = stored_state(client)
    assert_error(upload(client, doc_id, data), status, code)
    assert stored_state(client) == before


def test_upload_needs_multipart_and_a_file(client):
    assert_error(client.post("/v1/documents", json={"file": "x"}), 415,
                 "unsupported_media_type")
    assert_error(client.post("/v1/documents", files={"other": ("a.txt", b"x")}), 422,
                 "missing_field")
    # two files in one request: the first was dropped in silence
    before = stored_state(client)
    two = client.post("/v1/documents", files=[("file", ("a.txt", b"Texte A.")),
                                              ("file", ("b.txt", b"Texte B."))])
    assert "2 times" in assert_error(two, 422, "invalid_request")["message"]
    assert stored_state(client) == before


def test_upload_over_the_limit_is_413(write_app):
    with write_app(max_upload_mb=0.001) as client:
        big = b"Zorglub. " * 400  # 3.6 kB > 1 kB
        assert "RAGQA_MAX_UPLOAD_MB" in assert_error(upload(client, "big.txt", big), 413,
                                                     "payload_too_large")["message"]
        assert upload(client, "small.txt", b"Petit texte.").status_code == 201


def test_huge_upload_is_refused_before_its_body_is_read(write_app):
    with write_app(max_upload_mb=0.001) as client:
        before = stored_state(client)
        response = upload(client, "huge.txt", b"x" * 300_000)  # well past limit + framing
        body = assert_error(response, 413, "payload_too_large")
        assert "RAGQA_MAX_UPLOAD_MB" in body["message"]
        assert response.headers.get("connection") == "close"  # answered by the middleware
        assert stored_state(client) == before


def test_delete_errors_and_the_last_document_stays(client):
    assert_error(client.delete("/v1/documents/missing.txt"), 404, "unknown_document")
    assert_error(client.delete("/v1/documents/%2E%2E/x.txt"), 400, "invalid_document_id")
    ids = [d["id"] for d in client.get("/v1/documents").json()["documents"]]
    for doc_id in ids[:-1]:
        assert client.delete(f"/v1/documents/{doc_id}").status_code == 200
    assert_error(client.delete(f"/v1/documents/{ids[-1]}"), 409, "last_document")
    assert [d["id"] for d in client.get("/v1/documents").json()["documents"]] == ids[-1:]


def test_writes_without_keys_are_for_loopback_only(write_app):
    with write_app(client=("192.0.2.7", 4000)) as remote:
        assert_error(upload(remote, "r.txt", b"Texte."), 403, "forbidden")
        assert_error(remote.delete(f"/v1/documents/{NOKIA_DOC}"), 403, "forbidden")
        assert remote.post("/v1/search", json={"question": "Nokia"}).status_code == 200


def test_api_keys_guard_writes_and_optionally_reads(write_app):
    with write_app(api_keys="k1, k2", require_key_for_read=True) as client:
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


def test_cors_is_off_by_default_and_follows_the_setting(write_app, client):
    preflight = {"Origin": "https://intranet.example", "Access-Control-Request-Method": "POST"}
    plain = client.options("/v1/search", headers=preflight)
    assert "access-control-allow-origin" not in plain.headers
    with write_app(cors_origins="https://intranet.example") as configured:
        allowed = configured.options("/v1/search", headers=preflight)
        assert allowed.headers["access-control-allow-origin"] == "https://intranet.example"
        other = configured.options("/v1/search",
                                   headers={**preflight, "Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


def test_queries_during_upload_and_delete_see_old_or_new_never_an_error(client):
    listed = client.get("/v1/documents").json()["documents"]
    texts = {d["id"]: client.get(f"/v1/documents/{d['id']}/text").text for d in listed}
    texts["notes/zorglub.md"] = FILES["notes/zorglub.md"].decode()
    errors: list[str] = []
    # (sent, answered, whether the answer included the uploaded document), monotonic times
    seen: list[tuple[float, float, bool]] = []
    stop = threading.Event()

    def hammer() -> None:
        while not stop.is_set():
            sent = time.monotonic()
            response = client.post("/v1/search", json=QUESTION)
            if response.status_code != 200:
                errors.append(response.text)
                continue
            passages = response.json()["passages"]
            # Every quote is a slice of its document as it is in one generation or the other.
            for p in passages:
                if texts.get(p["doc_id"], "")[p["start"] : p["end"]] != p["quote"]:
                    errors.append(f"mixed state: {p}")
            has = any(p["doc_id"] == "notes/zorglub.md" for p in passages)
            seen.append((sent, time.monotonic(), has))

    def sent_after(moment: float) -> list[bool]:
        return [has for sent, _, has in seen if sent > moment]

    threads = [threading.Thread(target=hammer) for _ in range(3)]
    for thread in threads:
        thread.start()
    try:
        wait_until(lambda: len(seen) >= 3, what="three answers before the upload")
        upload_sent = time.monotonic()
        uploaded = upload(client, "notes/zorglub.md", FILES["notes/zorglub.md"])
        assert uploaded.status_code == 201
        uploaded_at = time.monotonic()
        wait_until(lambda: len(sent_after(uploaded_at)) >= 3,
                   what="three searches sent after the upload was acknowledged")
        delete_sent = time.monotonic()
        assert client.delete("/v1/documents/notes/zorglub.md").status_code == 200
        deleted_at = time.monotonic()
        wait_until(lambda: len(sent_after(deleted_at)) >= 3,
                   what="three searches sent after the delete was acknowledged")
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert errors == []
    # Answered before the upload began: without it; asked once it was acknowledged (and
    # answered before the delete began): with it; asked after the delete: without it.
    assert not any(has for _, answered, has in seen if answered < upload_sent)
    assert all(has for sent, answered, has in seen if uploaded_at < sent and answered < delete_sent)
    assert not any(sent_after(deleted_at))


def test_an_explicit_title_is_kept_by_uploads_without_one(client):
    doc_id, data = "notes/zorglub.txt", FILES["notes/zorglub.txt"]
    response = upload(client, doc_id, data, title="  Câble Dakhla–Canaries ")
    assert response.status_code == 201, response.text
    assert response.json()["document"]["title"] == "Câble Dakhla–Canaries"
    found = client.post("/v1/search", json=QUESTION).json()["passages"][0]
    assert found["doc_id"] == doc_id and found["title"] == "Câble Dakhla–Canaries"
    # same bytes, no title field: unchanged, title kept; a new title re-indexes
    assert upload(client, doc_id, data).json()["status"] == "unchanged"
    renamed = upload(client, doc_id, data, title="Zorglub").json()
    assert renamed["status"] == "replaced" and renamed["document"]["title"] == "Zorglub"
    # another document's upload (the files store re-indexes everything): the title survives
    assert upload(client, "notes/other.md", b"# Autre\n\nAutre texte.\n").status_code == 201
    assert client.get(f"/v1/documents/{doc_id}").json()["title"] == "Zorglub"
    # a blank title gives the document its headline back (an empty form field is absent)
    reset = upload(client, doc_id, data, title=" ").json()
    assert reset["document"]["title"] == "Zorglub Telecom"


# --- what only one store does -------------------------------------------------------------


@FILES_ONLY
def test_files_store_keeps_each_upload_in_the_corpus_folder(client):
    for doc_id, data in sorted(FILES.items()):
        assert upload(client, doc_id, data).status_code == 201
        assert (client.corpus / doc_id).read_bytes() == data  # durable in the corpus folder
        assert not list(client.corpus.rglob(".upload-*"))
        assert client.delete(f"/v1/documents/{doc_id}").status_code == 200
        assert not (client.corpus / doc_id).exists()


@FILES_ONLY
def test_an_id_where_the_corpus_holds_a_file_or_a_folder_is_a_conflict(client):
    data = FILES["notes/zorglub.txt"]
    assert upload(client, "notes/zorglub.txt", data).status_code == 201
    before = stored_state(client)
    # a path under a file (was a 500: the folder could not be made), and a file over a folder
    assert_error(upload(client, "notes/zorglub.txt/plus.txt", data), 409, "conflict")
    assert stored_state(client) == before
    (client.corpus / "dossier.txt").mkdir()
    (client.corpus / "dossier.txt" / "x.md").write_bytes(data)
    before = stored_state(client)
    assert_error(upload(client, "dossier.txt", data), 409, "conflict")
    assert stored_state(client) == before


@FILES_ONLY
def test_files_store_keeps_an_explicit_title_beside_its_document(client):
    doc_id, data = "notes/zorglub.txt", FILES["notes/zorglub.txt"]
    beside = client.corpus / "notes/zorglub.txt.title"
    assert upload(client, doc_id, data, title="  Câble Dakhla–Canaries ").status_code == 201
    assert beside.read_text("utf-8") == "Câble Dakhla–Canaries"
    upload(client, doc_id, data, title=" ")  # a blank title: the headline again
    assert not beside.exists()
    upload(client, doc_id, data, title="Zorglub")
    assert client.delete(f"/v1/documents/{doc_id}").status_code == 200
    assert not beside.exists()


@FILES_ONLY
def test_files_store_reports_a_refused_corpus_file_that_can_be_fixed_or_deleted(
        write_app, writable):
    corpus, _ = writable
    (corpus / "scan.txt").write_bytes(b"\x00\x01\x02\x03" * 100)
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.4 garbage")
    with write_app(update_index=True) as client:  # brings the index up to date at start
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


@FILES_ONLY
def test_files_store_deletes_documents_only_not_their_sidecars_or_other_files(
        write_app, writable):
    # A writer's DELETE of "x.txt.groups" removed the sidecar, opening the document to
    # every reader; any file of the folder could go ("200 deleted", then GET 404).
    corpus, _ = writable
    (corpus / "keep.bin").write_bytes(b"\x00binary")
    (corpus / "equipe").mkdir()
    (corpus / "equipe/x.txt").write_text("Le comité se réunit le mardi.", encoding="utf-8")
    (corpus / "equipe/x.txt.title").write_text("Comité", encoding="utf-8")
    (corpus / "equipe/x.txt.groups").write_text("direction\n", encoding="utf-8")
    with write_app(update_index=True) as client:
        for name in ("equipe/x.txt.groups", "equipe/x.txt.title", "keep.bin"):
            assert_error(client.delete(f"/v1/documents/{name}"), 404, "unknown_document")
        assert (corpus / "equipe/x.txt.groups").is_file()
        assert (corpus / "equipe/x.txt.title").is_file() and (corpus / "keep.bin").is_file()
        assert client.get("/v1/documents/equipe/x.txt").json()["title"] == "Comité"


def test_an_id_spelt_composed_or_decomposed_reaches_one_document(client):
    # A name copied from a Mac is decomposed ("e" + U+0301); typed, it is composed: both
    # spellings are one document, read, replaced and deleted alike.
    decomposed = unicodedata.normalize("NFD", "notes/procédure.txt")
    composed = unicodedata.normalize("NFC", decomposed)
    first = upload(client, decomposed, "La procédure de congé passe par le portail RH.")
    assert first.status_code == 201, first.text
    found = client.get(f"/v1/documents/{composed}")
    assert found.status_code == 200 and found.json()["id"] == decomposed
    assert "portail RH" in client.get(f"/v1/documents/{composed}/text").text
    again = upload(client, composed, "La procédure de congé passe par le portail SIRH.")
    assert again.status_code == 200 and again.json()["id"] == decomposed
    listed = [d["id"] for d in client.get("/v1/documents").json()["documents"]]
    assert listed.count(decomposed) == 1 and composed not in listed
    assert client.delete(f"/v1/documents/{composed}").json()["status"] == "deleted"
    assert_error(client.get(f"/v1/documents/{decomposed}"), 404, "unknown_document")


@POSTGRES_ONLY
def test_postgres_store_writes_nothing_beside_the_database(client, tmp_path):
    for doc_id, data in sorted(FILES.items()):
        assert upload(client, doc_id, data).status_code == 201
    assert client.delete("/v1/documents/notes/zorglub.md").status_code == 200
    assert not client.corpus.exists()
    # Only the server's upload jobs are on its disk (records; an upload's bytes only until it
    # is indexed): no corpus folder, no index.
    index = tmp_path / "no-index"
    assert [p.relative_to(index).parts[0] for p in index.rglob("*")] in ([], [".jobs"] * len(
        list(index.rglob("*"))))
    assert not list(index.rglob("*.data"))


@POSTGRES_ONLY
def test_postgres_store_answers_503_while_the_database_is_away_then_recovers(
        write_app, pg_server):
    # A short pool timeout: each refused request waits for it.
    with write_app(database_timeout=1) as client:
        name = conninfo_to_dict(client.database_url)["dbname"]
        assert client.post("/v1/search", json=QUESTION).status_code == 200
        with psycopg.connect(pg_server.admin_url, autocommit=True) as admin:
            # Renamed away (connections killed): for the server, the database is gone.
            admin.execute(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
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
