"""A page's chrome told by its class and id names (index/documents/pagechrome.py): left out
of a short page read whole, through the real HTML loader."""

from __future__ import annotations

import pytest

from ragqa.index.documents.loaders import load_document

NOTICE = ("<h1>Note de service n°12</h1><p>Du 1<sup>er</sup> juillet au 31 août, les services "
          "ouvrent de 8h à 16h.</p>")


def read(tmp_path, body: str) -> str:
    path = tmp_path / "note.html"
    path.write_text(f"<!doctype html><html lang='fr'><head><title>Note</title></head>"
                    f"<body>{body}</body></html>", encoding="utf-8")
    return load_document(path, "note.html").text


def test_an_intranet_template_s_banner_menu_and_footer_are_left_out(tmp_path):
    """trafilatura left them out by their names; the page read whole kept them."""
    page = ("<div id='bandeau'><img src='logo.png'> Intranet — Direction des ressources "
            "humaines</div><ul class='menu'><li><a href='/'>Accueil</a></li>"
            "<li><a href='/annuaire'>Annuaire</a></li></ul>"
            "<div class='fil-ariane'><a href='/'>Accueil</a> › <a href='/rh'>RH</a></div>"
            f"<div class='content'>{NOTICE}</div>"
            "<div class='piedDePage'>Mairie de Trifouilly · <a href='/m'>Mentions légales</a>"
            "</div>")
    assert read(tmp_path, page) == (
        "Note de service n°12\n\nDu 1er juillet au 31 août, les services ouvrent de 8h à 16h.")


@pytest.mark.parametrize(("block", "words"), [
    ("<div class='menu-semaine'><p>Lundi : carottes râpées, poisson pané.</p></div>",
     "Lundi : carottes râpées, poisson pané."),
    ("<div class='card'><div class='card-header'>Permanence</div>"
     "<div class='card-body'>Mardi 9h–12h</div></div>", "Permanence"),
    ("<div class='navigation-note'>Les plans sont affichés à l'accueil.</div>",
     "Les plans sont affichés à l'accueil.")])
def test_a_block_named_so_but_holding_the_page_s_words_stays(tmp_path, block, words):
    """A canteen's menu of dishes, a card's title, a block of no links: the page's text."""
    assert words in read(tmp_path, NOTICE + block)


def test_an_article_s_header_and_the_page_s_title_stay(tmp_path):
    page = ("<div class='page-header'><h1>Note de service</h1></div>"
            "<article><div class='header'><h2>Horaires d'été</h2></div>"
            "<p>Les services ouvrent de 8h à 16h.</p></article>")
    assert read(tmp_path, page) == ("Note de service\n\nHoraires d'été\n\n"
                                    "Les services ouvrent de 8h à 16h.")


def test_a_page_wrapped_whole_in_a_chrome_name_is_read(tmp_path):
    page = f"<div id='header-wrapper'>{NOTICE}<p>Affichage obligatoire.</p></div>"
    assert "Affichage obligatoire." in read(tmp_path, page.replace("<h1>", "<h2>"))
