"""``GET /docs``: Swagger UI from this server only (works offline), under a strict CSP."""

import re

from ragqa.service.security import DOCS_CSP


def test_docs_reference_only_local_assets_that_answer(client):
    response = client.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    urls = re.findall(r'(?:href|src|data-openapi-url)="([^"]*)"', page)
    assert len(urls) == 5 and all(u.startswith("/") and not u.startswith("//") for u in urls), urls
    assert "http" not in page.lower().replace("http-equiv", "")  # no CDN, no other host
    assert re.findall(r"<script(?![^>]*\bsrc=)", page) == []  # no inline script
    assert not re.search(r"\sstyle=|<style|\son\w+=", page)
    kinds = {}
    for url in urls:
        asset = client.get(url)
        assert asset.status_code == 200, url
        kinds[url.rsplit("/", 1)[-1]] = asset.headers["content-type"].split(";")[0]
    assert kinds == {"favicon.png": "image/png", "swagger-ui.css": "text/css",
                     "swagger-ui-bundle.js": "text/javascript", "docs-init.js": "text/javascript",
                     "openapi.json": "application/json"}
    assert client.get("/docs/assets/swagger-ui-bundle.js").content.startswith(b"/*!")
    assert "SwaggerUIBundle(" in client.get("/docs/assets/docs-init.js").text


def test_docs_get_a_strict_policy_and_unknown_assets_are_404(client):
    response = client.get("/docs")
    assert response.headers["content-security-policy"] == DOCS_CSP
    assert "'unsafe-inline'" not in DOCS_CSP.split("script-src")[1].split(";")[0]
    assert "script-src 'self'" in DOCS_CSP and "default-src 'none'" in DOCS_CSP
    assert client.get("/docs/assets/swagger-ui.css").headers["content-security-policy"]
    assert client.get("/docs/assets/../../etc/passwd").status_code == 404
    unknown = client.get("/docs/assets/redoc.standalone.js")  # the API's error shape
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"
    assert client.get("/redoc").status_code == 404  # ReDoc is not served
