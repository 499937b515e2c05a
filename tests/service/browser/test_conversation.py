"""The widget in a conversation (issue 30, item 4), in a real Chromium against a real
``ragqa serve`` without an LLM: each question goes with the turns before it, a follow-up's
reply says what was searched ("Recherche : …", as does a question whose typo was read), and
"Nouvelle conversation" starts afresh."""

from __future__ import annotations

import json

from playwright.sync_api import expect

from tests.service.browser.conftest import ARTIFACTS, QUESTION, ask, finished

NOKIA_DOC = "002_3fd3ba12ca1ab0c9.txt"
NOKIA = "Quel accord Nokia a-t-il conclu avec le Maroc ?"
FOLLOW_UP = "Et lors de quel événement ?"
WHERE = "ont signé un protocole d’accord lors du GITEX Africa 2025 au Maroc"


def _sent(page) -> list[dict]:
    """The bodies the widget posts to /v1/ask, as they go out."""
    bodies: list[dict] = []
    page.on("request", lambda r: bodies.append(json.loads(r.post_data))
            if r.url.endswith("/v1/ask") and r.method == "POST" else None)
    return bodies


def test_a_follow_up_is_sent_with_its_conversation_and_says_what_was_searched(stack, open_tab):
    tab = open_tab()
    page = tab.page
    sent = _sent(page)
    page.goto(f"{stack.ragqa}/")
    ask(page, NOKIA)
    first = finished(page)
    expect(first.locator(".searched")).to_have_count(0)  # a first question is itself
    assert "history" not in sent[0]

    ask(page, FOLLOW_UP)
    reply = finished(page)
    history = sent[1]["history"]
    assert [turn["question"] for turn in history] == [NOKIA]
    assert history[0]["doc_ids"][0] == NOKIA_DOC and "answer" not in history[0]  # no LLM
    searched = reply.locator(".searched")
    expect(searched).to_have_text(f"Recherche\u00a0: {FOLLOW_UP} (accord Nokia conclu Maroc)")
    expect(reply.locator(".card").first).to_contain_text("Nokia")
    expect(reply.locator(".card").filter(has_text=WHERE)).not_to_have_count(0)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "widget-follow-up.png"))

    ask(page, QUESTION)  # a question that stands alone: searched as it is
    third = finished(page)
    assert [turn["question"] for turn in sent[2]["history"]] == [NOKIA, FOLLOW_UP]
    expect(third.locator(".searched")).to_have_count(0)

    page.reload()  # kept for the session, the searched line with it
    expect(page.locator(".turn")).to_have_count(3)
    expect(page.locator(".searched")).to_have_count(1)

    page.get_by_role("button", name="Nouvelle conversation").click()
    page.get_by_role("button", name="Effacer la conversation ?").click()  # asked first
    expect(page.locator(".turn")).to_have_count(0)
    ask(page, FOLLOW_UP)
    alone = finished(page)
    assert "history" not in sent[-1]
    expect(alone.locator(".searched")).to_have_count(0)
    # a question whose typo the server read says so too
    ask(page, "Combien de startups sont inscrites au programme SPARK de Huwaei ?")
    read = finished(page)
    expect(read.locator(".searched")).to_have_text(
        "Recherche\u00a0: Combien de startups sont inscrites au programme SPARK de Huawei ?")
    assert tab.errors == []


def test_an_older_server_that_refuses_history_is_asked_without_it(stack, open_tab):
    tab = open_tab()
    page = tab.page
    sent = _sent(page)

    def older(route) -> None:
        body = json.loads(route.request.post_data)
        if "history" in body:
            route.fulfill(status=422, json={"error": {
                "code": "unknown_field", "message": "unknown field 'history'; remove it"}})
        else:
            route.continue_()

    page.route("**/v1/ask", older)
    page.goto(f"{stack.ragqa}/")
    ask(page, NOKIA)
    finished(page)
    ask(page, FOLLOW_UP)
    reply = finished(page)
    expect(reply.locator(".card").first).to_be_visible()
    assert "history" in sent[1] and "history" not in sent[2]
    ask(page, "Qui l'a signé ?")  # from now on without it
    finished(page)
    assert "history" not in sent[3]
    assert [e for e in tab.errors if "422" not in e] == []
