"""``GET /``, ``GET /widget.js``: the files the browser tests use, served with fitting types."""

import re


def test_the_demo_page_embeds_the_widget_with_one_tag_and_no_inline_code(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    page = response.text
    assert '<script src="/widget.js" defer></script>' in page and "<ragqa-chat" in page
    # Nothing a strict Content-Security-Policy (default-src 'self') would block.
    assert re.findall(r"<script(?![^>]*\bsrc=)", page) == []
    assert not re.search(r"\sstyle=|<style|\son\w+=", page)
    for asset in re.findall(r'(?:href|src)="(/[^"]*)"', page):
        if asset not in ("/docs", "/health"):
            assert client.get(asset).status_code == 200, asset


def test_the_widget_script_is_served_and_revalidated(client):
    response = client.get("/widget.js")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert "customElements.define('ragqa-chat'" in response.text
    assert ".innerHTML" not in response.text and "insertAdjacentHTML" not in response.text
    etag = response.headers["etag"]
    again = client.get("/widget.js", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""


def test_head_requests_get_the_headers_without_the_body(client):
    for path in ("/", "/widget.js"):
        head, get = client.head(path), client.get(path)
        assert head.status_code == 200, path
        assert head.headers["content-type"] == get.headers["content-type"]
        assert head.headers["etag"] == get.headers["etag"]
        assert head.content == b""
