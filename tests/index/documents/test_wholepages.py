"""An HTML page read whole (index/documents/wholepages.py): its body in the vocabulary of
trafilatura's extraction, for the walk of index/documents/webpages.py."""

from __future__ import annotations

import trafilatura

from ragqa.index.documents import webpages
from ragqa.index.documents.htmllooks import PageLooks
from ragqa.index.documents.wholepages import page_body

from tests.index.documents.test_webpages import CHAPTER


def read_whole(html: str, chrome=webpages.CHROME_XPATHS) -> str:
    tree = trafilatura.load_html(html.encode("utf-8"))
    body = page_body(tree, chrome)
    assert body is not None
    return webpages._laid_out(body, PageLooks(tree, chrome)).text()


def test_a_page_read_whole_reads_as_its_main_content_does():
    """The chapter has nothing but its chrome around it: read whole, its text is
    trafilatura's main content, headings, lists, table, <pre> and <br> alike."""
    tree = trafilatura.load_html(CHAPTER.encode("utf-8"))
    webpages._keep_preformatted(tree)  # as the loader does before both readings
    body = page_body(tree, webpages.CHROME_XPATHS)
    assert body is not None
    whole = webpages._laid_out(body, PageLooks(tree, webpages.CHROME_XPATHS)).text()
    assert len(whole) > webpages.SHORT_PAGE_CHARS  # the loader reads trafilatura's
    assert whole == webpages.read_html(CHAPTER.encode("utf-8"), "ch09.html").text


def test_chrome_scripts_and_controls_are_left_out():
    page = ("<html><body><nav><a href='/'>Accueil</a></nav><script>var x = 1;</script>"
            "<h2>Inscription</h2><form><label>Nom</label><input name=nom>"
            "<button>Envoyer</button><p>Les inscriptions ferment le 3 juin.</p></form>"
            "<noscript>Activez JavaScript.</noscript><footer>Mentions légales</footer>"
            "</body></html>")
    assert read_whole(page) == "Inscription\n\nLes inscriptions ferment le 3 juin."
    assert "Accueil" in read_whole(page, chrome=())  # chrome is left out only when named


def test_an_unknown_element_is_inline():
    """As a browser shows it: Word's <o:p>, a custom element."""
    page = ("<html><body><p>Bonjour <x-nom>Marie</x-nom>, la réunion est reportée."
            "<o:p></o:p></p></body></html>")
    assert read_whole(page) == "Bonjour Marie, la réunion est reportée."
