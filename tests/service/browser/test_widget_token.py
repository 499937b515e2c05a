"""``<ragqa-chat>`` with a reader's token (issue 29): a real ``ragqa serve`` with
``RAGQA_AUTH=jwt`` (a JWKS file made here, as an identity provider publishes one) over the
corpus plus three documents for three groups (``.groups`` sidecars), embedded by a page of
another origin in a real Chromium. The reader sees only their groups' documents, in the
answer and in the context view; a token that expired is replaced through the page's
callback."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import CORPUS
from tests.service.browser.conftest import Site, finished, ragqa_serve, start_site
from tests.service.test_auth import AUDIENCE, ISSUER, RSA_KEY, _jwk, token
from tests.service.test_permissions import MARKERS, SECRETS
from tests.support import free_port

QUESTION = "Quarkonia salaires budget amende usines"
TITLES = {"rh/salaires.md": "Grille des salaires", "finance/budget.md": "Budget",
          "juridique/litige.md": "Contentieux"}


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory, corpus_index: Path
            ) -> Iterator[tuple[str, Site]]:
    """``ragqa serve`` with RAGQA_AUTH=jwt over the corpus and the groups' documents, and a
    site of another origin (listed in RAGQA_CORS_ORIGINS) to embed the widget."""
    work = tmp_path_factory.mktemp("browser-token")
    corpus, index = work / "corpus", work / "index"
    shutil.copytree(CORPUS, corpus)
    shutil.copytree(corpus_index, index)
    for doc_id, (group, text) in SECRETS.items():
        path = corpus / doc_id
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        (corpus / f"{doc_id}.groups").write_text(group + "\n", encoding="utf-8")
    jwks = work / "jwks.json"
    jwks.write_text(json.dumps({"keys": [_jwk(RSA_KEY, "rsa-1")]}), encoding="utf-8")
    site, server = start_site({})
    port = free_port()
    try:
        with ragqa_serve(corpus, index, work, port, RAGQA_AUTH="jwt", RAGQA_JWT_JWKS=str(jwks),
                         RAGQA_JWT_ISSUER=ISSUER, RAGQA_JWT_AUDIENCE=AUDIENCE,
                         RAGQA_WRITE_GROUP="ragqa-editors",
                         RAGQA_CORS_ORIGINS=site.url) as ragqa:
            yield ragqa, site
    finally:
        server.shutdown()


def page_with(ragqa: str, element: str, script: str = "") -> str:
    return f"""<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Intranet</title>
<script src="{ragqa}/widget.js"></script></head>
<body><h1>Intranet</h1>{element}<script>{script}</script></body></html>"""


def ask_and_read(page) -> list[str]:
    box = page.get_by_role("textbox", name="Votre question")
    box.fill(QUESTION)
    box.press("Enter")
    reply = finished(page)
    expect(reply.locator(".error")).to_have_count(0)
    return reply.locator(".card .doc-title").all_text_contents()


def test_a_reader_with_a_token_sees_only_their_documents(secured, open_tab):
    ragqa, site = secured
    rh = token(groups=["rh"])
    site.pages["/rh.html"] = page_with(ragqa, f'<ragqa-chat endpoint="{ragqa}" token="{rh}">'
                                              "</ragqa-chat>")
    tab = open_tab()
    page = tab.page
    page.goto(f"{site.url}/rh.html")
    titles = ask_and_read(page)
    assert TITLES["rh/salaires.md"] in titles
    assert TITLES["finance/budget.md"] not in titles
    assert TITLES["juridique/litige.md"] not in titles
    widget_text = page.locator("ragqa-chat").inner_text()
    assert MARKERS["finance/budget.md"] not in widget_text
    assert MARKERS["juridique/litige.md"] not in widget_text
    # The context view reads the document's text with the same token.
    card = page.locator(".card").filter(has_text=TITLES["rh/salaires.md"]).first
    card.get_by_role("button", name="Voir dans le contexte").click()
    expect(card.locator(".context-text")).to_contain_text(MARKERS["rh/salaires.md"])
    assert tab.errors == []


def test_an_expired_token_is_replaced_through_the_pages_callback(secured, open_tab):
    ragqa, site = secured
    expired = token(groups=["finance"], exp=int(time.time()) - 3600)
    fresh = token(groups=["finance"])
    script = f"""window.calls = [];
document.querySelector('ragqa-chat').getToken = async ({{ refresh }}) => {{
  window.calls.push(refresh);
  return refresh ? {json.dumps(fresh)} : {json.dumps(expired)};
}};"""
    site.pages["/finance.html"] = page_with(
        ragqa, f'<ragqa-chat endpoint="{ragqa}"></ragqa-chat>', script)
    tab = open_tab()
    page = tab.page
    page.goto(f"{site.url}/finance.html")
    titles = ask_and_read(page)
    assert page.evaluate("window.calls") == [False, True]
    assert TITLES["finance/budget.md"] in titles
    assert TITLES["rh/salaires.md"] not in titles
    # The refused request is the browser's console error (a 401); nothing else is.
    assert all("401" in e for e in tab.errors), tab.errors


def test_without_a_token_the_widget_says_so(secured, open_tab):
    ragqa, site = secured
    site.pages["/anonymous.html"] = page_with(ragqa, f'<ragqa-chat endpoint="{ragqa}">'
                                                     "</ragqa-chat>")
    page = open_tab().page
    page.goto(f"{site.url}/anonymous.html")
    box = page.get_by_role("textbox", name="Votre question")
    box.fill(QUESTION)
    box.press("Enter")
    reply = finished(page)
    expect(reply.locator(".error")).to_be_visible()
    expect(reply.locator(".card")).to_have_count(0)


def _asks(page) -> list:
    """The widget's POST /v1/ask requests, as the browser sent them."""
    sent: list = []
    page.on("request", lambda r: sent.append(r)
            if r.method == "POST" and r.url.endswith("/v1/ask") else None)
    return sent


def test_another_readers_token_forgets_the_conversation(secured, open_tab):
    """A `token` attribute naming another subject: the turns shown, kept and sent as history
    were the last reader's; they go, and a page of the same tab does not bring them back."""
    ragqa, site = secured
    rh, finance = token(groups=["rh"], sub="u-rh"), token(groups=["finance"], sub="u-fin")
    site.pages["/rh-then.html"] = page_with(
        ragqa, f'<ragqa-chat endpoint="{ragqa}" token="{rh}"></ragqa-chat>')
    site.pages["/fin-then.html"] = page_with(
        ragqa, f'<ragqa-chat endpoint="{ragqa}" token="{finance}"></ragqa-chat>')
    page = open_tab().page
    sent = _asks(page)
    page.goto(f"{site.url}/rh-then.html")
    ask_and_read(page)
    turns = page.locator("ragqa-chat .turn")
    expect(turns).to_have_count(1)
    # The same reader's refreshed token keeps the conversation.
    page.evaluate("t => document.querySelector('ragqa-chat').setAttribute('token', t)",
                  token(groups=["rh"], sub="u-rh", jti="refreshed"))
    expect(turns).to_have_count(1)
    page.goto(f"{site.url}/fin-then.html")  # the same tab: the same sessionStorage
    expect(page.locator("ragqa-chat .empty, ragqa-chat .log")).not_to_have_count(0)
    expect(turns).to_have_count(0)
    page.goto(f"{site.url}/rh-then.html")
    expect(turns).to_have_count(1)  # rh's own conversation, under rh's subject
    page.evaluate("t => document.querySelector('ragqa-chat').setAttribute('token', t)", finance)
    expect(turns).to_have_count(0)
    titles = ask_and_read(page)
    assert TITLES["rh/salaires.md"] not in titles
    expect(turns).to_have_count(1)
    assert "history" not in sent[-1].post_data_json  # rh's question is not sent
    keys = page.evaluate("Object.keys(sessionStorage)")
    assert keys and not any(rh in k or finance in k for k in keys)


def test_a_callback_returning_another_readers_token_forgets_the_conversation(
        secured, open_tab):
    ragqa, site = secured
    tokens = {"rh": token(groups=["rh"], sub="u-rh2"),
              "finance": token(groups=["finance"], sub="u-fin2")}
    script = f"""window.tokens = {json.dumps(tokens)}; window.who = 'rh';
document.querySelector('ragqa-chat').getToken = async () => window.tokens[window.who];"""
    site.pages["/switch.html"] = page_with(
        ragqa, f'<ragqa-chat endpoint="{ragqa}"></ragqa-chat>', script)
    page = open_tab().page
    sent = _asks(page)
    page.goto(f"{site.url}/switch.html")
    ask_and_read(page)
    turns = page.locator("ragqa-chat .turn")
    expect(turns).to_have_count(1)
    page.evaluate("window.who = 'finance'")
    titles = ask_and_read(page)
    assert TITLES["finance/budget.md"] in titles
    expect(turns).to_have_count(1)
    assert "history" not in sent[-1].post_data_json
    assert sent[-1].headers["authorization"] == f"Bearer {tokens['finance']}"
    assert "zibeline" not in page.locator("ragqa-chat").inner_text()


def test_a_failing_callback_never_falls_back_to_the_api_key(secured, open_tab):
    ragqa, site = secured
    script = """document.querySelector('ragqa-chat').getToken = async () => {
  throw new Error('signed out'); };"""
    site.pages["/failing.html"] = page_with(
        ragqa, f'<ragqa-chat endpoint="{ragqa}" api-key="cle-du-site"></ragqa-chat>', script)
    page = open_tab().page
    sent = _asks(page)
    page.goto(f"{site.url}/failing.html")
    box = page.get_by_role("textbox", name="Votre question")
    box.fill(QUESTION)
    box.press("Enter")
    reply = finished(page)
    expect(reply.locator(".error")).to_be_visible()
    assert sent and all("authorization" not in r.headers for r in sent)
