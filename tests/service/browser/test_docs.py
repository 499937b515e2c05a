"""``/docs`` in a real Chromium with every other host unreachable: Swagger UI still renders."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
from playwright.sync_api import expect


def test_docs_render_the_operations_offline(stack, open_tab):
    tab = open_tab()
    page = tab.page
    own = urlsplit(stack.ragqa).netloc
    elsewhere = []

    def only_this_server(route) -> None:
        if urlsplit(route.request.url).netloc == own:
            route.continue_()
        else:  # what an intranet without internet access does
            elsewhere.append(route.request.url)
            route.abort("internetdisconnected")

    page.route("**/*", only_this_server)
    page.goto(f"{stack.ragqa}/docs")
    schema = httpx.get(f"{stack.ragqa}/openapi.json").json()
    operations = sum(len(methods) for methods in schema["paths"].values())
    expect(page.locator(".opblock")).to_have_count(operations, timeout=30_000)
    expect(page.locator(".opblock-summary-path", has_text="/v1/ask")).to_be_visible()
    page.locator(".opblock-summary-path", has_text="/v1/search").first.click()
    expect(page.get_by_role("button", name="Try it out")).to_be_visible()
    assert elsewhere == []  # nothing was even asked of another host
    assert tab.errors == []  # and nothing was blocked by the page's policy
