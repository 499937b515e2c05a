"""The widget embedded in other origins' pages: safety, CORS, a server that is down."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.service.browser.conftest import ask, finished

HOSTILE_QUESTION = "Quel est le code du wifi Zorglub ?"


def test_a_document_with_markup_shows_as_text_and_runs_nothing(stack, open_tab):
    tab = open_tab()
    page = tab.page
    page.goto(f"{stack.ragqa}/")
    ask(page, HOSTILE_QUESTION)
    reply = finished(page)
    card = reply.locator(".card").filter(has_text="Zorglub").first
    expect(card.locator(".doc-title")).to_have_text(
        "Consignes Zorglub <script>window.ragqaPwned = true</script>")
    expect(card.locator("blockquote")).to_contain_text(
        '<img src=x onerror="window.ragqaPwned = true; alert(1)">')
    card.get_by_role("button", name="Voir dans le contexte").click()
    context = card.locator(".context-text")
    expect(context).to_contain_text('<svg onload="window.ragqaPwned = true"></svg>')
    expect(context).to_contain_text("<b>ce texte</b>")

    elements = page.evaluate("""() => {
        const root = document.querySelector('ragqa-chat').shadowRoot;
        const found = 'script, img, b, [onerror], [onload], svg:not([aria-hidden])';
        return [...root.querySelectorAll(found)]
            .map(e => e.outerHTML);
    }""")
    assert elements == []
    assert page.evaluate("window.ragqaPwned") is None
    assert tab.dialogs == []
    assert tab.errors == []


def test_an_allowed_origin_embeds_the_widget_under_a_strict_policy(stack, open_tab):
    tab = open_tab()
    page = tab.page
    page.goto(f"{stack.allowed.url}/embed.html")  # CSP: script-src/connect-src ragqa only
    expect(page.get_by_role("heading", name="Ask HR")).to_be_visible()
    box = page.get_by_role("textbox", name="Your question")  # English from the page's lang
    expect(box).to_have_attribute("placeholder", "Ask a question…")
    ask(page, "How many visitors are expected at Gitex Africa 2025?", "Your question")
    reply = finished(page)
    expect(reply.locator(".card").first.locator("mark")).to_be_visible()
    reply.locator(".card").first.get_by_role("button", name="Show in context").click()
    expect(reply.locator(".context-text mark").first).to_be_visible()
    assert tab.errors == []  # no CSP or Trusted Types violation, no CORS failure


def test_an_origin_not_allowed_gets_a_kind_error(stack, open_tab):
    tab = open_tab()
    page = tab.page
    page.goto(f"{stack.refused.url}/embed.html")
    ask(page, "How many visitors are expected at Gitex Africa 2025?", "Your question")
    reply = finished(page)
    expect(reply.get_by_role("alert")).to_contain_text("can’t be reached right now")
    expect(reply.locator(".card")).to_have_count(0)
    # The browser itself refused the answer: the server never allowed this origin.
    assert any("CORS" in error for error in tab.errors), tab.errors


def test_a_server_that_is_down_gets_a_kind_error_and_a_retry(stack, open_tab):
    tab = open_tab()
    page = tab.page
    page.goto(f"{stack.allowed.url}/down.html")  # the widget's endpoint: nothing listens
    ask(page, "Anyone there?", "Your question")
    reply = finished(page)
    alert = reply.get_by_role("alert")
    expect(alert).to_contain_text("The answer service can’t be reached right now. Check your "
                                  "connection, then try again in a moment.")
    alert.get_by_role("button", name="Try again").click()
    reply = finished(page)
    expect(reply.get_by_role("alert")).to_be_visible()
    expect(page.locator(".turn")).to_have_count(1)  # retried in place
    assert all("ERR_CONNECTION_REFUSED" in error for error in tab.errors), tab.errors
