"""An HTML page read whole (index/documents/wholepages.py): its body in the vocabulary of
trafilatura's extraction, for the walk of index/documents/webpages.py."""

from __future__ import annotations

import trafilatura

from ragqa.index.documents import webpages
from ragqa.index.documents.htmllooks import PageLooks
from ragqa.index.documents.loaders import load_document
from ragqa.index.documents.outline import OutlinedDocument
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


def load(tmp_path, body: str) -> OutlinedDocument:
    path = tmp_path / "page.html"
    path.write_text(f"<!doctype html><html lang='fr'><head><title>Page</title></head>"
                    f"<body>{body}</body></html>", encoding="utf-8")
    doc = load_document(path, "page.html")
    assert isinstance(doc, OutlinedDocument)
    return doc


def test_a_date_a_caption_and_a_label_outside_a_form_keep_their_words(tmp_path):
    """trafilatura's cleaning drops <time>, <figure> and <label>: a short page lost its
    dates ("Publié le" alone)."""
    page = ("<main><h1>Actualités</h1><h2>Coupure réseau</h2><p>Publié le "
            "<time datetime='2025-05-20'>20 mai 2025</time></p>"
            "<figure><img src='plan.png'><figcaption>Plan du bâtiment B</figcaption></figure>"
            "<p><label>Statut :</label> confirmé</p>"
            "<form><label for='q'>Rechercher</label><input id='q'></form></main>")
    assert load(tmp_path, page).text == ("Actualités\n\nCoupure réseau\n\nPublié le 20 mai 2025"
                                         "\n\nPlan du bâtiment B\n\nStatut : confirmé")


def test_each_question_of_a_faq_in_details_heads_its_answer(tmp_path):
    page = ("<main><h1>Foire aux questions</h1>"
            "<details><summary>Comment poser un congé ?</summary>"
            "<p>Depuis le portail RH.</p></details>"
            "<details><summary>Qui contacter pour la paie ?</summary>"
            "<p>Le service paie au poste 4520.</p></details></main>")
    doc = load(tmp_path, page)
    assert [h.path for h in doc.headings] == [
        ("Foire aux questions",), ("Foire aux questions", "Comment poser un congé ?"),
        ("Foire aux questions", "Qui contacter pour la paie ?")]
    assert doc.text == ("Foire aux questions\n\nComment poser un congé ?\n\nDepuis le portail "
                        "RH.\n\nQui contacter pour la paie ?\n\nLe service paie au poste 4520.")
