"""The demo page at ``/`` in a real Chromium: asking, proof, low relevance, comfort, 360 px."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import expect

from ragqa.service.headings import shown_from

from tests.conftest import LIVE_BLOG, ROOT
from tests.service.browser.conftest import (
    ARTIFACTS, EXPECTED, QUESTION, ask, finished, ragqa_serve)
from tests.service.test_headings import CASES, CONDITIONS, make_docx
from tests.support import free_port, wait_until

# The test servers use the bundled fallback model (MiniLM, English-trained), whose
# low-relevance threshold flags only the questions farthest from the corpus (about half
# the dev off-topic ones, index/search/relevance.py): a question about football is one.
OFF_TOPIC = "Who won the 1998 football World Cup final?"


def test_french_question_shows_the_quote_then_its_context(stack, open_tab):
    tab = open_tab()
    page = tab.page
    held = []
    # Holds the real request (it still reaches the real server) so that the busy state can
    # be seen whatever the speed of the machine.
    page.route("**/v1/ask", lambda route: held.append(route))
    page.goto(f"{stack.ragqa}/")
    expect(page.get_by_role("heading", name="Assistant documentaire")).to_be_visible()
    ask(page, QUESTION)
    expect(page.get_by_role("log")).to_have_attribute("aria-busy", "true")
    expect(page.get_by_role("button", name="Envoyer")).to_be_disabled()
    status = page.get_by_role("status").filter(has_text="Recherche dans les documents")
    expect(status).to_be_visible()
    # Playwright runs the route handler only while it is waited on: pause with its own wait.
    wait_until(lambda: held, what="the page's request to /v1/ask", timeout=30,
               pause=lambda seconds: page.wait_for_timeout(seconds * 1000))
    held[0].continue_()
    page.unroute("**/v1/ask")
    reply = finished(page)

    body = httpx.post(f"{stack.ragqa}/v1/ask", json={"question": QUESTION, "k": 5}).json()
    first = body["passages"][0]
    assert first["doc_id"] == LIVE_BLOG
    text = httpx.get(f"{stack.ragqa}/v1/documents/{LIVE_BLOG}/text").text
    sentence = text[first["highlight"]["start"]:first["highlight"]["end"]]
    assert EXPECTED in sentence

    card = reply.locator(".card").first
    expect(reply.get_by_text("Voici les passages qui répondent le mieux")).to_be_visible()
    expect(reply.locator(".card")).to_have_count(len(body["passages"]))
    expect(card.locator(".doc-title")).to_have_text(first["title"])
    expect(card.locator(".section")).to_have_text(first["section"])
    expect(card.locator("blockquote mark")).to_have_text(sentence)
    expect(reply.locator(".notice")).to_have_count(0)

    card.get_by_role("button", name="Passage complet").click()
    # The passage from its first line the head does not already show (a live-blog entry's
    # dated line is its section: ragqa.service.headings)
    at = shown_from(first["quote"], first["title"], first["section"],
                    keep=first["highlight"]["start"] - first["start"])
    assert card.locator("blockquote").text_content() == first["quote"][at:]

    show = card.get_by_role("button", name="Voir dans le contexte")
    show.click()
    context = card.locator(".context-text")
    expect(context).to_be_visible()
    expect(card.get_by_role("button", name="Masquer le contexte")).to_have_attribute(
        "aria-expanded", "true")
    assert context.locator(".in-quote").text_content() == first["quote"]
    assert context.locator("mark").text_content() == sentence
    before = text[max(0, first["start"] - 60):first["start"]].split()[-3:]
    assert " ".join(before) in " ".join(context.text_content().split())

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "widget-demo.png"), full_page=True)
    if os.environ.get("UPDATE_WIDGET_SCREENSHOT"):  # refresh docs/widget.png for the README
        save_docs_screenshot(page)
    assert tab.errors == []


def save_docs_screenshot(page) -> None:
    from PIL import Image

    card = page.locator(".card").first
    card.get_by_role("button", name="Masquer le contexte").click()
    page.locator(".log").evaluate("log => { log.scrollTop = 0; }")
    target = ROOT / "docs" / "widget.png"
    page.locator("ragqa-chat").screenshot(path=str(target))
    image = Image.open(target).convert("RGB").quantize(colors=128)
    image.save(target, optimize=True)


def test_low_relevance_is_said_once_with_the_closest_passages(stack, open_tab):
    body = httpx.post(f"{stack.ragqa}/v1/ask", json={"question": OFF_TOPIC}).json()
    assert body["low_relevance"] is True  # the real signal, measured for this model
    assert body["reason_code"] == "no_llm" and body["passages"]  # this server has no LLM
    tab = open_tab()
    tab.page.goto(f"{stack.ragqa}/")
    ask(tab.page, OFF_TOPIC)
    reply = finished(tab.page)
    notice = reply.locator(".notice")
    expect(notice).to_have_count(1)  # one message, not two that contradict each other
    expect(notice).to_contain_text("Je n’ai rien trouvé qui réponde clairement")
    expect(reply.locator(".lead")).to_have_text("Passages les plus proches")
    expect(reply.get_by_text("Aucun passage des documents")).to_have_count(0)
    expect(reply.get_by_text("Voici les passages qui répondent le mieux")).to_have_count(0)
    expect(reply.locator(".muted")).to_have_count(0)
    expect(reply.locator(".card")).to_have_count(len(body["passages"]))
    assert tab.errors == []


def test_no_llm_shows_the_passages_without_a_reason_in_prose(stack, open_tab):
    body = httpx.post(f"{stack.ragqa}/v1/ask", json={"question": QUESTION}).json()
    assert body["answer"] is None and body["reason_code"] == "no_llm"
    assert body["low_relevance"] is False
    tab = open_tab()
    tab.page.goto(f"{stack.ragqa}/")
    ask(tab.page, QUESTION)
    reply = finished(tab.page)
    expect(reply.get_by_text("Voici les passages qui répondent le mieux")).to_be_visible()
    expect(reply.locator(".notice, .muted, .text")).to_have_count(0)
    expect(reply.get_by_text(body["reason"])).to_have_count(0)  # English prose never shown
    expect(reply.locator(".card")).to_have_count(len(body["passages"]))
    # A section is shown only when it says more than the title (one-section documents).
    for card in reply.locator(".card").all():
        if card.locator(".section").count():
            assert card.locator(".section").text_content() != card.locator(
                ".doc-title").text_content()
    assert tab.errors == []


def _answer_with(stack, question: str, **fields) -> dict:
    """A real /v1/search body as /v1/ask would return it with the given answer fields."""
    body = httpx.post(f"{stack.ragqa}/v1/search", json={"question": question}).json()
    return {**body, **fields}


def test_an_abstention_by_the_llm_flow_is_one_notice(stack, open_tab):
    # The server's answer when an LLM is configured and relevance is low: its own
    # abstention as `answer`, code low_relevance. The widget must not say it twice.
    body = _answer_with(stack, OFF_TOPIC, reason="low relevance: ...", reason_code="low_relevance",
                        answer={"text": "Les documents disponibles ne permettent pas de répondre "
                                "à cette question. Voici les passages les plus proches.",
                                "citations": [], "model": "ragqa", "grounded": False})
    tab = open_tab()
    tab.page.route("**/v1/ask", lambda route: route.fulfill(json=body))
    tab.page.goto(f"{stack.ragqa}/")
    ask(tab.page, OFF_TOPIC)
    reply = finished(tab.page)
    expect(reply.locator(".notice")).to_have_count(1)
    expect(reply.get_by_text("Les documents disponibles ne permettent pas")).to_have_count(0)
    expect(reply.locator(".lead")).to_have_text("Passages les plus proches")
    expect(reply.locator(".card")).to_have_count(len(body["passages"]))
    assert tab.errors == []


def test_an_llm_failure_is_said_by_code_in_the_readers_language(stack, open_tab):
    body = _answer_with(stack, QUESTION, answer=None, reason="LLM server unreachable (boom)",
                        reason_code="llm_unavailable")
    tab = open_tab()
    tab.page.route("**/v1/ask", lambda route: route.fulfill(json=body))
    tab.page.goto(f"{stack.ragqa}/")
    ask(tab.page, QUESTION)
    reply = finished(tab.page)
    expect(reply.locator(".notice")).to_have_text(
        "La réponse n’a pas pu être rédigée pour le moment. Voici les passages qui "
        "répondent le mieux à votre question :")
    expect(reply.get_by_text("boom")).to_have_count(0)
    expect(reply.locator(".card")).to_have_count(len(body["passages"]))
    assert tab.errors == []


def test_conversation_is_kept_copied_and_reset(stack, open_tab):
    tab = open_tab(permissions=["clipboard-read", "clipboard-write"])
    page = tab.page
    page.goto(f"{stack.ragqa}/")
    box = page.get_by_role("textbox", name="Votre question")
    box.focus()
    page.keyboard.type("Combien de visiteurs")
    page.keyboard.press("Shift+Enter")  # a new line, not a question
    assert box.input_value() == "Combien de visiteurs\n"
    expect(page.locator(".turn")).to_have_count(0)
    page.keyboard.type("sont attendus au Gitex Africa 2025 ?")
    page.keyboard.press("Enter")
    finished(page)
    expect(box).to_have_value("")

    page.get_by_role("button", name="Copier la réponse et ses sources").click()
    expect(page.get_by_text("Copié dans le presse-papiers")).to_be_visible()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "Combien de visiteurs\nsont attendus au Gitex Africa 2025 ?" in copied
    assert EXPECTED in copied and LIVE_BLOG in copied and "[1]" in copied

    page.reload()  # the conversation is kept for the session
    expect(page.locator(".turn")).to_have_count(1)
    expect(page.locator(".ask")).to_contain_text("sont attendus au Gitex Africa 2025 ?")
    expect(page.locator(".card mark").first).to_contain_text(EXPECTED)

    page.keyboard.press("Tab")  # keyboard only: reach "show in context" and open it
    for _ in range(12):
        if page.evaluate("document.activeElement.shadowRoot?.activeElement?.textContent") \
                == "Voir dans le contexte":
            break
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator(".context-text").first).to_be_visible()

    # One press asks first (a stray Enter on the first Tab stop erased the conversation).
    page.get_by_role("button", name="Nouvelle conversation").click()
    expect(page.locator(".turn")).to_have_count(1)
    page.get_by_role("button", name="Effacer la conversation ?").click()
    expect(page.locator(".turn")).to_have_count(0)
    page.reload()
    expect(page.locator(".turn")).to_have_count(0)
    assert tab.errors == []


def test_the_copied_sources_give_the_offsets_of_what_they_quote(stack, open_tab):
    # The copy quoted the highlighted sentence with the whole passage's offsets.
    tab = open_tab(permissions=["clipboard-read", "clipboard-write"])
    page = tab.page
    page.goto(f"{stack.ragqa}/")
    ask(page, QUESTION)
    finished(page)
    page.get_by_role("button", name="Copier la réponse et ses sources").click()
    expect(page.get_by_text("Copié dans le presse-papiers")).to_be_visible()
    copied = page.evaluate("navigator.clipboard.readText()")
    sources = re.findall(r"\(([^,()]+), (\d+)–(\d+)\)\n    «\u00a0(.+)\u00a0»", copied)
    assert sources
    for doc_id, start, end, quote in sources:
        text = httpx.get(f"{stack.ragqa}/v1/documents/{doc_id}/text").text
        assert " ".join(text[int(start):int(end)].split()) == quote
    assert tab.errors == []


def test_keyboard_focus_cancel_and_the_questions_limit(stack, open_tab):
    tab = open_tab()
    page = tab.page
    held = []
    page.route("**/v1/ask", lambda route: held.append(route))  # a server that takes its time
    page.goto(f"{stack.ragqa}/")
    box = page.get_by_role("textbox", name="Votre question")
    box.fill(QUESTION)
    page.get_by_role("button", name="Envoyer").click()  # sent with the button, not Enter
    expect(page.get_by_role("log")).to_have_attribute("aria-busy", "true")
    expect(box).to_be_focused()  # the button's disabling dropped the focus to the page
    expect(page.get_by_text("Échap pour annuler la question en cours")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("alert")).to_contain_text("Question annulée.")
    expect(page.get_by_role("log")).to_have_attribute("aria-busy", "false")
    page.unroute("**/v1/ask")
    page.get_by_role("button", name="Réessayer").click()
    reply = finished(page)
    expect(box).to_be_focused()
    expect(reply.locator(".card mark").first).to_contain_text(EXPECTED)
    # The log is not read aloud as it grows; the reply is announced in short.
    expect(page.get_by_role("log")).to_have_attribute("aria-live", "off")
    expect(page.get_by_role("status").filter(has_text="passages trouvés")).to_have_count(1)

    box.fill("x" * 5000)  # a paste past the API's limit is cut, and says so
    assert len(box.input_value()) == 2000
    expect(page.get_by_text("Une question compte au plus 2000 caractères")).to_be_visible()
    assert tab.errors == []


def test_a_restored_conversation_shows_its_latest_turn(stack, open_tab):
    tab = open_tab(height=700)
    page = tab.page
    page.goto(f"{stack.ragqa}/")
    for question in (QUESTION, "Qui organise le Gitex Africa ?", "Combien d'exposants ?"):
        ask(page, question)
        finished(page)
    page.reload()
    expect(page.locator(".turn")).to_have_count(3)
    log = page.get_by_role("log")
    wait_until(lambda: log.evaluate("l => l.scrollHeight - l.scrollTop - l.clientHeight") < 2,
               what="the log scrolled to its end", timeout=10,
               pause=lambda seconds: page.wait_for_timeout(seconds * 1000))
    assert tab.errors == []


def test_usable_at_360_px(stack, open_tab):
    tab = open_tab(width=360, height=740)
    page = tab.page
    page.goto(f"{stack.ragqa}/")
    ask(page, QUESTION)
    reply = finished(page)
    reply.locator(".card").first.get_by_role("button", name="Voir dans le contexte").click()
    expect(reply.locator(".context-text")).to_be_visible()
    reply.locator(".card").first.get_by_role("button", name="Passage complet").click()
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1] == 360  # no horizontal scrolling
    for name in ("Votre question",):
        box = page.get_by_role("textbox", name=name).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 360
    send = page.get_by_role("button", name="Envoyer").bounding_box()
    assert send["x"] + send["width"] <= 360 and send["width"] >= 40  # a comfortable target
    for card in reply.locator(".card").all():
        bounds = card.bounding_box()
        assert bounds["x"] >= 0 and bounds["x"] + bounds["width"] <= 360
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "widget-360.png"))
    assert tab.errors == []


def test_the_demo_page_works_under_default_src_self(stack, open_tab):
    tab = open_tab()
    page = tab.page

    def strict(route) -> None:
        # The real page, with the strictest policy the widget is meant to live under.
        response = route.fetch()
        headers = {**response.headers, "content-security-policy":
                   "default-src 'self'; require-trusted-types-for 'script'; trusted-types 'none'"}
        route.fulfill(response=response, headers=headers)

    page.route(f"{stack.ragqa}/", strict)
    page.goto(f"{stack.ragqa}/")
    ask(page, QUESTION)
    reply = finished(page)
    reply.locator(".card").first.get_by_role("button", name="Voir dans le contexte").click()
    expect(reply.locator(".context-text mark")).to_be_visible()
    sheets = "document.querySelector('ragqa-chat').shadowRoot.adoptedStyleSheets.length"
    assert page.evaluate(sheets) == 1  # styles need no 'unsafe-inline'
    assert tab.errors == []  # a blocked script, style or fetch would be reported here


def test_a_one_section_document_shows_its_title_once(stack, open_tab):
    body = _answer_with(stack, QUESTION, answer=None, reason="no LLM configured",
                        reason_code="no_llm")
    first = body["passages"][0]
    body["passages"] = [{**first, "section": first["title"]}, body["passages"][1]]
    tab = open_tab()
    tab.page.route("**/v1/ask", lambda route: route.fulfill(json=body))
    tab.page.goto(f"{stack.ragqa}/")
    ask(tab.page, QUESTION)
    reply = finished(tab.page)
    cards = reply.locator(".card")
    expect(cards).to_have_count(2)
    expect(cards.nth(0).locator(".doc-title")).to_have_text(first["title"])
    expect(cards.nth(0).locator(".section")).to_have_count(0)  # not the title again
    expect(cards.nth(1).locator(".section")).to_have_count(1)
    assert tab.errors == []


def test_a_borderline_search_shows_the_llms_answer_and_its_abstention_one_notice(
        stack, open_tab):
    """Low relevance near the threshold goes to the LLM (``borderline``): its cited answer is
    shown as an answer; its own abstention (``llm_abstained``) as the one low-relevance
    notice, its sentence not repeated."""
    answered = _answer_with(stack, QUESTION, low_relevance=True, borderline=True,
                            reason=None, reason_code=None)
    first = answered["passages"][0]
    answered["answer"] = {"text": "Plus de 45.000 visiteurs sont attendus [1].",
                          "citations": [{"n": 1, "doc_id": first["doc_id"],
                                         "start": first["start"], "end": first["end"],
                                         "quote": first["quote"]}],
                          "model": "fake-llm", "grounded": True, "removed_markers": []}
    abstained = _answer_with(stack, QUESTION, low_relevance=True, borderline=True,
                             reason="the LLM found no answer in the passages",
                             reason_code="llm_abstained",
                             answer={"text": "Les passages ne donnent pas ce chiffre.",
                                     "citations": [], "model": "fake-llm", "grounded": False,
                                     "removed_markers": []})
    for body, notices in ((answered, 0), (abstained, 1)):
        tab = open_tab()
        tab.page.route("**/v1/ask", _fulfil_with(body))
        tab.page.goto(f"{stack.ragqa}/")
        ask(tab.page, QUESTION)
        reply = finished(tab.page)
        expect(reply.locator(".notice")).to_have_count(notices)
        if notices:
            expect(reply.locator(".notice")).to_contain_text("Je n’ai rien trouvé")
            expect(reply.get_by_text("Les passages ne donnent pas")).to_have_count(0)
        else:
            expect(reply.locator(".text")).to_contain_text("Plus de 45.000 visiteurs")
        assert tab.errors == []


def _fulfil_with(body: dict):
    return lambda route: route.fulfill(json=body)


def test_the_readers_answer_is_bold_inside_the_marked_sentence(stack, open_tab):
    body = _answer_with(stack, QUESTION, answer=None, reason="no LLM configured",
                        reason_code="no_llm")
    index, passage = next((i, p) for i, p in enumerate(body["passages"])
                          if "45.000 visiteurs" in p["quote"])
    at = passage["start"] + passage["quote"].index("45.000 visiteurs")
    assert passage["highlight"]["start"] <= at < passage["highlight"]["end"]
    passage["answer_span"] = {"start": at, "end": at + len("45.000 visiteurs")}
    tab = open_tab()
    tab.page.route("**/v1/ask", lambda route: route.fulfill(json=body))
    tab.page.goto(f"{stack.ragqa}/")
    ask(tab.page, QUESTION)
    card = finished(tab.page).locator(".card").nth(index)
    expect(card.locator("mark strong.answer")).to_have_text("45.000 visiteurs")
    expect(card.locator("mark")).to_contain_text(EXPECTED)
    assert tab.errors == []


@pytest.fixture(scope="module")
def guide(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``ragqa serve`` over one Word document whose sections' passages open with their
    heading line ("Conditions à remplir", then its text)."""
    work = tmp_path_factory.mktemp("guide")
    corpus = work / "corpus"
    corpus.mkdir()
    make_docx(corpus / "guide.docx")
    with ragqa_serve(corpus, work / "index", work, free_port()) as url:
        yield url


GUIDE_QUESTION = "Quelles conditions le demandeur doit-il remplir ?"


def _conditions(body: dict) -> tuple[int, dict]:
    return next((i, p) for i, p in enumerate(body["passages"]) if CONDITIONS in p["quote"])


def test_a_card_does_not_repeat_its_section_heading_as_the_quotes_first_line(guide, open_tab):
    body = httpx.post(f"{guide}/v1/ask", json={"question": GUIDE_QUESTION}).json()
    index, passage = _conditions(body)
    assert passage["section"] == "Conditions à remplir"
    assert passage["quote"].startswith("Conditions à remplir\n")  # the API's quote is whole
    text = httpx.get(f"{guide}/v1/documents/guide.docx/text").text
    assert text[passage["start"]:passage["end"]] == passage["quote"]
    sentence = text[passage["highlight"]["start"]:passage["highlight"]["end"]]
    tab = open_tab(permissions=["clipboard-read", "clipboard-write"])
    page = tab.page
    page.goto(f"{guide}/")
    ask(page, GUIDE_QUESTION)
    card = finished(page).locator(".card").nth(index)
    expect(card.locator(".section")).to_have_text("Conditions à remplir")
    expect(card.locator("blockquote")).to_have_text(CONDITIONS)  # the heading shown once
    expect(card.locator("blockquote mark")).to_have_text(sentence)
    expect(card).to_have_attribute("aria-label", f"Passage {index + 1} : {passage['title']}")
    # The context is the document's: the quote in it whole, its heading line included.
    card.get_by_role("button", name="Voir dans le contexte").click()
    expect(card.locator(".context-text .in-quote")).to_have_text(passage["quote"])
    expect(card.locator(".context-text mark")).to_have_text(sentence)
    assert tab.errors == []


def test_the_copy_gives_the_offsets_of_the_quote_as_shown(guide, open_tab):
    # Without a marked sentence the whole passage is copied: from its first line shown.
    body = httpx.post(f"{guide}/v1/ask", json={"question": GUIDE_QUESTION}).json()
    for p in body["passages"]:
        p["highlight"] = None
    text = httpx.get(f"{guide}/v1/documents/guide.docx/text").text
    tab = open_tab(permissions=["clipboard-read", "clipboard-write"])
    page = tab.page
    page.route("**/v1/ask", lambda route: route.fulfill(json=body))
    page.goto(f"{guide}/")
    ask(page, GUIDE_QUESTION)
    index, _ = _conditions(body)
    card = finished(page).locator(".card").nth(index)
    expect(card.locator("blockquote")).to_have_text(CONDITIONS)
    page.get_by_role("button", name="Copier la réponse et ses sources").click()
    expect(page.get_by_text("Copié dans le presse-papiers")).to_be_visible()
    copied = page.evaluate("navigator.clipboard.readText()")
    sources = re.findall(r"\(guide\.docx, (\d+)–(\d+)\)\n    «\u00a0(.+)\u00a0»", copied)
    assert len(sources) == len(body["passages"])
    assert "— Conditions à remplir (guide.docx" in copied
    assert f"«\u00a0{CONDITIONS}\u00a0»" in copied
    for start, end, quote in sources:
        assert " ".join(text[int(start):int(end)].split()) == quote
    assert tab.errors == []


def test_a_marked_sentence_that_holds_the_heading_keeps_it_shown(guide, open_tab):
    # The heading is left out only above what is marked: a mark over the whole passage
    # (its heading line included) shows the passage whole.
    body = httpx.post(f"{guide}/v1/ask", json={"question": GUIDE_QUESTION}).json()
    index, passage = _conditions(body)
    passage["highlight"] = {"start": passage["start"], "end": passage["end"]}
    tab = open_tab()
    tab.page.route("**/v1/ask", lambda route: route.fulfill(json=body))
    tab.page.goto(f"{guide}/")
    ask(tab.page, GUIDE_QUESTION)
    card = finished(tab.page).locator(".card").nth(index)
    assert card.locator("blockquote").text_content() == passage["quote"]
    assert card.locator("blockquote mark").text_content() == passage["quote"]
    assert tab.errors == []


ASTRAL = ("\U0001f3db Mairie\nTexte du guichet.", "\U0001f3db Mairie", "\U0001f3db Mairie",
          "Texte du guichet.")  # offsets count code points, JavaScript's strings UTF-16 units


def test_the_widget_leaves_out_the_lines_the_service_leaves_out(guide, open_tab):
    # headingEnd (widget.js) and shown_from (service/headings.py) over one table of cases:
    # each card shows the quote from where the service's listing prints it, and the copy
    # gives that offset (in code points, as the API's are).
    cases = [*CASES, ASTRAL]
    body = httpx.post(f"{guide}/v1/ask", json={"question": GUIDE_QUESTION}).json()
    model = body["passages"][0]
    body["passages"] = [
        {**model, "doc_id": "guide.docx", "title": title, "section": section, "quote": quote,
         "start": 0, "end": len(quote), "page": None, "highlight": None, "answer_span": None,
         "rank": n + 1}
        for n, (quote, title, section, _) in enumerate(cases)]
    tab = open_tab(permissions=["clipboard-read", "clipboard-write"])
    page = tab.page
    page.route("**/v1/ask", lambda route: route.fulfill(json=body))
    page.goto(f"{guide}/")
    ask(page, GUIDE_QUESTION)
    cards = finished(page).locator(".card")
    expect(cards).to_have_count(len(cases))
    shown = cards.locator("blockquote").evaluate_all("quotes => quotes.map(q => q.textContent)")
    for (quote, title, section, expected), text in zip(cases, shown):
        assert quote[shown_from(quote, title, section):] == expected
        assert text == expected, (quote, title, section)  # (a short quote, shown whole)
    page.get_by_role("button", name="Copier la réponse et ses sources").click()
    expect(page.get_by_text("Copié dans le presse-papiers")).to_be_visible()
    copied = page.evaluate("navigator.clipboard.readText()")
    starts = [int(start) for start in re.findall(r"\(guide\.docx, (\d+)–\d+\)", copied)]
    assert starts == [len(quote) - len(expected) for quote, _, _, expected in cases]
    assert tab.errors == []


def test_the_marked_sentence_stays_in_place_after_an_emoji(guide, open_tab):
    # The API's offsets count code points, JavaScript's string indices UTF-16 units: an
    # emoji before the highlighted sentence must not shift the mark by one.
    body = httpx.post(f"{guide}/v1/ask", json={"question": GUIDE_QUESTION}).json()
    quote = "\U0001f4de Accueil : 01 23 45 67 89. Le guichet ouvre à 9 h 30 le lundi."
    sentence = "Le guichet ouvre à 9 h 30 le lundi."
    at = quote.index(sentence)  # Python counts code points, as the API does
    body["passages"] = [{**body["passages"][0], "quote": quote, "start": 100,
                         "end": 100 + len(quote), "section": "Accueil", "title": "Guide",
                         "highlight": {"start": 100 + at, "end": 100 + at + len(sentence)},
                         "answer_span": None, "rank": 1}]
    tab = open_tab()
    tab.page.route("**/v1/ask", lambda route: route.fulfill(json=body))
    tab.page.goto(f"{guide}/")
    ask(tab.page, GUIDE_QUESTION)
    expect(finished(tab.page).locator(".card mark").first).to_have_text(sentence)
    assert tab.errors == []
