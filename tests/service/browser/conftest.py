"""A real Chromium (Debian's ``chromium``) driven by Playwright against a real ``ragqa serve``.

The server runs on loopback over a copy of the corpus plus one hostile document whose text
holds ``<script>`` and ``<img onerror>``. Two more loopback HTTP servers serve embedding
pages from other origins: one listed in ``RAGQA_CORS_ORIGINS``, one not. Those pages send a
strict Content-Security-Policy, with Trusted Types required, so the widget is checked under
the policy an intranet page would set.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from tests.conftest import CORPUS, ROOT
from index.models import FALLBACK_MODEL_NAME

CHROMIUM = "/usr/bin/chromium"
RAGQA = Path(sys.executable).with_name("ragqa")
ARTIFACTS = ROOT / ".ragqa" / "artifacts"
QUESTION = "Combien de visiteurs sont attendus au Gitex Africa 2025 ?"
EXPECTED = "Avec plus de 45.000 visiteurs et 1.500 exposants attendus"
HOSTILE_ID = "zz_hostile.md"
HOSTILE = """# Consignes Zorglub <script>window.ragqaPwned = true</script>

Le code du wifi Zorglub est affiché à l'accueil
<img src=x onerror="window.ragqaPwned = true; alert(1)"> du bâtiment B.

Ne collez jamais <b>ce texte</b> dans une page : <svg onload="window.ragqaPwned = true"></svg>
"""


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def embed_page(script_origin: str, endpoint: str, lang: str = "en") -> str:
    """An intranet page of another origin that embeds the widget with one tag."""
    return f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>Intranet</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<script src="{script_origin}/widget.js"></script></head>
<body><h1>Intranet</h1>
<ragqa-chat endpoint="{endpoint}" title="Ask HR"></ragqa-chat></body></html>"""


def csp_for(ragqa: str) -> str:
    """The policy an embedding page needs: the widget's origin for scripts and fetches."""
    return (f"default-src 'self'; script-src {ragqa}; connect-src {ragqa}; "
            "require-trusted-types-for 'script'; trusted-types 'none'")


@dataclass
class Site:
    """A loopback HTTP server of static pages: ``pages`` maps a path to HTML."""

    url: str
    pages: dict[str, str] = field(default_factory=dict)


def start_site(csp: dict[str, str]) -> tuple[Site, ThreadingHTTPServer]:
    port = free_port()
    site = Site(f"http://127.0.0.1:{port}")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # quiet
            pass

        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            if self.path == "/favicon.ico":  # the browser asks; a 404 would be a console error
                self.send_response(204)
                self.end_headers()
                return
            page = site.pages.get(self.path)
            body = (page or "not found").encode()
            self.send_response(200 if page else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            if page and self.path in csp:
                self.send_header("Content-Security-Policy", csp[self.path])
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return site, server


@dataclass
class Stack:
    ragqa: str      # the ragqa server's origin
    allowed: Site   # an origin listed in RAGQA_CORS_ORIGINS
    refused: Site   # an origin that is not
    dead: str       # an origin where nothing listens


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, corpus_index: Path) -> Iterator[Stack]:
    """``ragqa serve`` over the corpus plus the hostile document, and two embedding sites."""
    work = tmp_path_factory.mktemp("browser")
    corpus, index = work / "corpus", work / "index"
    shutil.copytree(CORPUS, corpus)
    shutil.copytree(corpus_index, index)
    (corpus / HOSTILE_ID).write_text(HOSTILE, encoding="utf-8")

    port, csp = free_port(), {}
    ragqa = f"http://127.0.0.1:{port}"
    allowed, allowed_server = start_site(csp)
    refused, refused_server = start_site(csp)
    dead = f"http://127.0.0.1:{free_port()}"
    for site in (allowed, refused):
        site.pages["/embed.html"] = embed_page(ragqa, ragqa)
        site.pages["/down.html"] = embed_page(ragqa, dead)
    csp.update({"/embed.html": csp_for(ragqa), "/down.html": csp_for(f"{ragqa} {dead}")})

    try:
        with ragqa_serve(corpus, index, work, port, RAGQA_CORS_ORIGINS=allowed.url):
            yield Stack(ragqa, allowed, refused, dead)
    finally:
        allowed_server.shutdown()
        refused_server.shutdown()


@contextmanager
def ragqa_serve(corpus: Path, index: Path, work: Path, port: int, **env: str) -> Iterator[str]:
    """A real ``ragqa serve`` on loopback ``port`` with the given RAGQA_* settings."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("RAGQA_")}
    full_env.update(HF_HUB_OFFLINE="1", RAGQA_OFFLINE="1", RAGQA_EMBED_MODEL=FALLBACK_MODEL_NAME,
                    RAGQA_PORT=str(port), **env)
    proc = subprocess.Popen([str(RAGQA), "serve", "--corpus", str(corpus), "--index", str(index)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=full_env, cwd=work)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            assert proc.poll() is None, proc.stdout.read()
            try:
                httpx.get(f"{base}/health", timeout=2).raise_for_status()
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "ragqa serve did not start"
                time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=30)
    assert "Traceback" not in output, output


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        yield chromium
        chromium.close()


@dataclass
class Tab:
    """A page and what it reported: console errors, uncaught exceptions and dialogs."""

    page: object
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


@pytest.fixture
def open_tab(browser) -> Iterator:
    """``open_tab(viewport=..., **context_options)``: a fresh browser context and page."""
    contexts = []

    def open_(width: int = 1000, height: int = 860, **options) -> Tab:
        context = browser.new_context(viewport={"width": width, "height": height}, **options)
        contexts.append(context)
        page = context.new_page()
        tab = Tab(page)
        page.on("console", lambda m: tab.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: tab.errors.append(f"uncaught: {e}"))

        def on_dialog(dialog) -> None:
            tab.dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)
        return tab

    yield open_
    for context in contexts:
        context.close()


def ask(page, question: str, label: str = "Votre question") -> None:
    box = page.get_by_role("textbox", name=label)
    box.fill(question)
    box.press("Enter")


def finished(page):
    """The last reply once it has its copy button (answered) or an error."""
    reply = page.locator(".turn").last.locator(".reply")
    expect(reply.locator(".actions, .error").first).to_be_visible()
    expect(page.get_by_role("log")).to_have_attribute("aria-busy", "false")
    return reply
