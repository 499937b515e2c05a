"""Access: keys (constant time, never logged), loopback-only writes, rate limits, body limits,
hostile ids and upload names, CORS and security headers, on the real app stack."""

from __future__ import annotations

import logging
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from ragqa.service.app import create_app
from tests.service.conftest import LOOPBACK, assert_error, make_settings

REMOTE = ("192.0.2.7", 4000)
KEY = "s3cret-Zorglub-4242"


def app_for(writable, **values):
    return create_app(make_settings(*writable, **values), update_index=False)


def test_keys_are_compared_in_constant_time_and_never_logged(writable, monkeypatch, caplog):
    import hmac

    import ragqa.service.deps as deps

    compared: list[tuple[bytes, bytes]] = []

    def spy(a, b):
        compared.append((a, b))
        return hmac.compare_digest(a, b)

    monkeypatch.setattr(deps.secrets, "compare_digest", spy)
    caplog.set_level(logging.DEBUG)
    with TestClient(app_for(writable, api_keys=KEY), client=REMOTE) as client:
        bad = client.post("/v1/documents", files={"file": ("k.txt", b"Texte.")},
                          headers={"Authorization": f"Bearer {KEY}x"})
        assert_error(bad, 401, "unauthorized")
        good = client.post("/v1/documents", files={"file": ("k.txt", b"Texte.")},
                           headers={"Authorization": f"Bearer {KEY}"})
        assert good.status_code == 201, good.text
    assert (f"{KEY}x".encode(), KEY.encode()) in compared
    assert (KEY.encode(), KEY.encode()) in compared
    assert KEY not in caplog.text and KEY not in bad.text


def test_writes_from_other_machines_need_a_key(writable):
    with TestClient(app_for(writable), client=REMOTE) as remote:
        assert_error(remote.post("/v1/documents", files={"file": ("r.txt", b"Texte.")}),
                     403, "forbidden")
        assert_error(remote.delete("/v1/documents/r.txt"), 403, "forbidden")
        assert remote.get("/v1/documents").status_code == 200  # reads stay open


def test_rate_limit_answers_429_with_retry_after_per_client(writable):
    with TestClient(app_for(writable, rate_limit="3/minute"), client=REMOTE) as remote:
        statuses = [remote.get("/v1/documents").status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        limited = remote.get("/v1/documents")
        error = assert_error(limited, 429, "rate_limited")
        assert "RAGQA_RATE_LIMIT" in error["message"]
        assert 1 <= int(limited.headers["retry-after"]) <= 60
        assert remote.get("/health").status_code == 200  # monitoring is never limited
    with TestClient(app_for(writable, rate_limit="3/minute"), client=("192.0.2.8", 1)) as other:
        assert other.get("/v1/documents").status_code == 200  # another client, its own budget


def test_loopback_is_exempt_unless_configured(writable):
    with TestClient(app_for(writable, rate_limit="2/minute"), client=LOOPBACK) as local:
        assert {local.get("/v1/documents").status_code for _ in range(5)} == {200}
    settings = {"rate_limit": "2/minute", "rate_limit_loopback": True}
    with TestClient(app_for(writable, **settings), client=LOOPBACK) as local:
        assert [local.get("/v1/documents").status_code for _ in range(3)] == [200, 200, 429]
    with TestClient(app_for(writable, rate_limit="off"), client=REMOTE) as remote:
        assert {remote.get("/v1/documents").status_code for _ in range(5)} == {200}


def test_bad_rate_limit_setting_is_refused():
    with pytest.raises(ValueError, match="rate_limit"):
        make_settings("c", "i", rate_limit="lots")


def test_json_bodies_are_limited(writable):
    with TestClient(app_for(writable, max_body_kb=1), client=LOOPBACK) as client:
        big = {"question": "Nokia " * 300}  # ~1.8 kB
        error = assert_error(client.post("/v1/search", json=big), 413, "payload_too_large")
        assert "RAGQA_MAX_BODY_KB" in error["message"]
        assert client.post("/v1/search", json={"question": "Nokia"}).status_code == 200
        # Uploads keep their own, larger limit.
        upload = client.post("/v1/documents", files={"file": ("n.txt", b"Nokia. " * 400)})
        assert upload.status_code == 201, upload.text


@pytest.mark.parametrize("doc_id", [
    "../etc/passwd.txt", "a/../../b.txt", "/abs.txt", "a\\..\\b.txt", "nul\x00.txt",
    "ctl\x01.txt", "c1\x85.txt", ".hidden.txt", "a//b.txt", "x" * 600 + ".txt", "é" * 200 + ".txt",
])
def test_hostile_ids_and_upload_names_are_400(write_client, writable, doc_id):
    corpus, _ = writable
    before = sorted(p.relative_to(corpus) for p in corpus.rglob("*"))
    by_id = write_client.post("/v1/documents", files={"file": ("n.txt", b"Texte.")},
                              data={"id": doc_id})
    assert_error(by_id, 400, "invalid_document_id")
    assert sorted(p.relative_to(corpus) for p in corpus.rglob("*")) == before
    quoted = quote(doc_id, safe="")
    for response in (write_client.get(f"/v1/documents/{quoted}"),
                     write_client.delete(f"/v1/documents/{quoted}")):
        assert response.status_code in (400, 404), response.text
        assert response.json()["error"]["code"] in ("invalid_document_id", "unknown_document")


def test_upload_file_names_are_reduced_to_their_base_name(write_client, writable):
    corpus, _ = writable
    response = write_client.post("/v1/documents",
                                 files={"file": ("../../outside/évasion -x.txt", b"Texte.")})
    assert response.status_code == 201 and response.json()["id"] == "évasion -x.txt"
    assert (corpus / "évasion -x.txt").is_file()
    assert not (corpus.parent / "outside").exists()


def test_cors_preflight_only_for_configured_origins(writable):
    preflight = {"Origin": "https://intranet.example", "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "content-type"}
    settings = {"cors_origins": "https://intranet.example", "rate_limit_loopback": True}
    with TestClient(app_for(writable, **settings), client=LOOPBACK) as client:
        allowed = client.options("/v1/ask", headers=preflight)
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == "https://intranet.example"
        assert "POST" in allowed.headers["access-control-allow-methods"]
        other = client.options("/v1/ask", headers={**preflight, "Origin": "https://evil.example"})
        error = assert_error(other, 400, "cors_refused")  # the API's error shape, not text
        assert "origin" in error["message"] and "RAGQA_CORS_ORIGINS" in error["message"]
        assert "access-control-allow-origin" not in other.headers
        simple = client.post("/v1/search", json={"question": "Nokia"},
                             headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in simple.headers


def test_security_headers_everywhere_and_csp_on_the_widget(write_client):
    for path in ("/health", "/v1/documents", "/no/such/route"):
        headers = write_client.get(path).headers
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["x-frame-options"] == "DENY"
    assert "content-security-policy" not in write_client.get("/v1/documents").headers
    # Swagger UI is served from local files (no CDN), so /docs gets the same strict CSP.
    for path in ("/", "/widget.js", "/docs"):
        response = write_client.get(path)
        assert response.status_code == 200, path
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp.split("style-src")[0]
        assert "connect-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert response.headers["x-content-type-options"] == "nosniff"
    page = write_client.get("/").text
    assert "<script>" not in page.replace(" ", "")  # no inline script for the CSP to block
