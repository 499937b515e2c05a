"""GET /v1/documents, /v1/documents/{id}, /v1/documents/{id}/text; /health and /metrics."""

import hashlib

import pytest

from tests.conftest import CORPUS, LIVE_BLOG
from tests.service.conftest import assert_error



@pytest.fixture(scope="module")
def client(store_client):
    """Every test here runs on both stores (see ``store_client``)."""
    return store_client

def test_list_documents_describes_every_indexed_document(client):
    response = client.get("/v1/documents")
    assert response.status_code == 200
    body = response.json()
    ids = [d["id"] for d in body["documents"]]
    assert ids == sorted(p.name for p in CORPUS.glob("*.txt"))
    blog = next(d for d in body["documents"] if d["id"] == LIVE_BLOG)
    data = (CORPUS / LIVE_BLOG).read_bytes()
    assert blog["content_hash"] == hashlib.sha256(data).hexdigest()
    assert blog["passages"] > 100 and len(blog["sections"]) > 50
    assert blog["indexed_at"].endswith("+00:00") and blog["pages"] is None
    assert body["generation"] == client.get("/health").json()["generation"]


def test_one_document_and_its_canonical_text(client):
    meta = client.get(f"/v1/documents/{LIVE_BLOG}")
    assert meta.status_code == 200
    assert meta.json() == next(d for d in client.get("/v1/documents").json()["documents"]
                               if d["id"] == LIVE_BLOG)
    text = client.get(f"/v1/documents/{LIVE_BLOG}/text")
    assert text.status_code == 200 and text.headers["content-type"].startswith("text/plain")
    assert text.text == (CORPUS / LIVE_BLOG).read_text(encoding="utf-8").replace("\r\n", "\n")
    assert len(text.text) == meta.json()["chars"]


@pytest.mark.parametrize("suffix", ["", "/text"])
@pytest.mark.parametrize(
    "doc_id, status, code",
    [
        ("missing.txt", 404, "unknown_document"),
        ("sub/missing.md", 404, "unknown_document"),
        ("%2E%2E/%2E%2E/etc/passwd", 400, "invalid_document_id"),
        ("a/%2E%2E/" + LIVE_BLOG, 400, "invalid_document_id"),
        ("a//b.txt", 400, "invalid_document_id"),
        ("%00.txt", 400, "invalid_document_id"),
        ("..%5C..%5Cwin.ini", 400, "invalid_document_id"),
        (".hidden.txt", 400, "invalid_document_id"),
    ],
)
def test_bad_and_unknown_ids(client, doc_id, status, code, suffix):
    assert_error(client.get(f"/v1/documents/{doc_id}{suffix}"), status, code)


def test_health_says_what_is_served(client):
    body = client.get("/health").json()
    listed = client.get("/v1/documents").json()["documents"]
    assert body == {
        "status": "ok",
        "model": "sentence-transformers/all-MiniLM-L6-v2",
        "fallback": True,
        "documents": len(listed),
        "passages": sum(d["passages"] for d in listed),
        # files: the first generation; postgres: one change per document written
        "generation": 1 if client.store == "files" else len(listed),
        "refused": 0,
        "backend": "onnx",  # RAGQA_EMBED_BACKEND=auto with onnxruntime installed
        "store": client.store,
        "reader": False,  # RAGQA_READER is off by default
    }


def _sample(text: str, name: str, labels: str) -> float:
    for line in text.splitlines():
        if line.startswith(f"{name}{{") and all(part in line for part in labels.split(",")):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_count_requests_errors_and_latency_per_route(client):
    before = client.get("/metrics").text
    client.post("/v1/search", json={"question": "5G"})
    client.post("/v1/search", json={"question": ""})
    client.get("/v1/documents/nope.txt")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    after = response.text
    search = 'method="POST",route="/v1/search"'
    for status, expected in (("200", 1), ("422", 1)):
        labels = f'{search},status="{status}"'
        assert (_sample(after, "ragqa_http_requests_total", labels)
                - _sample(before, "ragqa_http_requests_total", labels)) == expected
    assert (_sample(after, "ragqa_http_errors_total", f'{search},status="422"')
            - _sample(before, "ragqa_http_errors_total", f'{search},status="422"')) == 1
    doc_route = 'route="/v1/documents/{doc_id:path}",status="404"'
    assert _sample(after, "ragqa_http_errors_total", doc_route) >= 1
    assert (_sample(after, "ragqa_http_request_duration_seconds_count", search)
            - _sample(before, "ragqa_http_request_duration_seconds_count", search)) == 2
    assert "nope.txt" not in after  # routes are labelled by template, not raw path
