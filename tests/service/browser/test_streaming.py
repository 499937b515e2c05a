"""With an LLM configured, the answer streams in and each [n] marker opens its proof.

The LLM is the boundary a test cannot reach for real with a fixed answer: it is the
OpenAI-compatible fake process of tests/service/llm/fake_llm.py; everything between it and
the browser (``ragqa serve``, the SSE stream, the widget) is real.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from tests.conftest import CORPUS, LIVE_BLOG
from tests.service.browser.conftest import (
    EXPECTED,
    QUESTION,
    ask,
    finished,
    ragqa_serve,
)
from tests.support import free_port

FAKE_LLM = Path(__file__).resolve().parent.parent / "llm" / "fake_llm.py"
ANSWER = ("D’après le live-blog, plus de 45.000 visiteurs sont attendus [1], "
          "avec des exposants [1; 2].")


@pytest.fixture(scope="module")
def with_llm(tmp_path_factory: pytest.TempPathFactory, corpus_index: Path) -> Iterator[str]:
    work = tmp_path_factory.mktemp("browser-llm")
    shutil.copytree(CORPUS, work / "corpus")
    shutil.copytree(corpus_index, work / "index")
    llm = subprocess.Popen([sys.executable, str(FAKE_LLM), "fixed", str(work), ANSWER],
                           stdout=subprocess.PIPE, text=True)
    try:
        llm_url = f"http://127.0.0.1:{int(llm.stdout.readline())}/v1"
        with ragqa_serve(work / "corpus", work / "index", work, free_port(), RAGQA_LLM_URL=llm_url,
                         RAGQA_LOW_RELEVANCE_THRESHOLD="0") as base:
            yield base
    finally:
        llm.kill()
        llm.wait(timeout=30)


def test_the_answer_streams_in_with_its_proofs(with_llm, open_tab):
    tab = open_tab(permissions=["clipboard-read", "clipboard-write"])
    page = tab.page
    streamed = []
    page.on("response", lambda r: streamed.append(r.headers.get("content-type", ""))
            if r.url.endswith("/v1/ask") else None)
    page.goto(f"{with_llm}/")
    ask(page, QUESTION)
    reply = finished(page)
    assert streamed and streamed[0].startswith("text/event-stream")

    body = httpx.post(f"{with_llm}/v1/ask", json={"question": QUESTION, "k": 5}).json()
    assert [c["n"] for c in body["answer"]["citations"]] == [1, 2]
    first = body["passages"][0]
    assert first["doc_id"] == LIVE_BLOG

    text = reply.locator(".text")
    expect(text).to_have_text("D’après le live-blog, plus de 45.000 visiteurs sont attendus 1, "
                              "avec des exposants 12.")
    markers = text.get_by_role("button")
    expect(markers).to_have_count(3)
    expect(markers.first).to_have_accessible_name(f"Source 1 : {first['title']}")
    expect(reply.get_by_text("Sources", exact=True)).to_be_visible()

    markers.first.click()
    proof = reply.locator(".proof .card")
    expect(proof).to_have_count(1)
    expect(markers.first).to_have_attribute("aria-expanded", "true")
    expect(proof.locator(".section")).to_have_text(first["section"])
    expect(proof.locator("blockquote mark")).to_contain_text(EXPECTED)
    proof.get_by_role("button", name="Voir dans le contexte").click()
    assert proof.locator(".in-quote").text_content() == first["quote"]
    markers.nth(2).click()  # [2]
    expect(proof).to_have_count(2)
    markers.first.click()  # closes [1]
    expect(proof).to_have_count(1)
    expect(markers.first).to_have_attribute("aria-expanded", "false")

    page.get_by_role("button", name="Copier la réponse et ses sources").click()
    expect(page.get_by_text("Copié dans le presse-papiers")).to_be_visible()
    copied = page.evaluate("navigator.clipboard.readText()")
    expected = f"Question\u00a0: {QUESTION}\n\n{body['answer']['text']}\n\nSources\u00a0:\n[1] "
    assert copied.startswith(expected), copied[:400]
    assert tab.errors == []
