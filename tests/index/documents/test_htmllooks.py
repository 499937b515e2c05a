"""CSS bold carried to the extracted text, never changing it (the review of session 30):
the text of a page read with its style sheet is the text read without it, byte for byte."""

import re

import pytest

from ragqa.index.documents.webpages import read_html

BODY = ("Les agents publics titulaires et contractuels peuvent en bénéficier dès leur "
        "première année de service, sur demande écrite adressée au service.")


def page(css: str, body: str) -> bytes:
    return ("<!DOCTYPE html><html lang='fr'><head><meta charset='utf-8'><title>Note</title>"
            f"<style>{css}</style></head><body><article><h1>Congés</h1><p>{BODY}</p>{body}"
            f"<p>{BODY}</p><p>{BODY}</p></article></body></html>").encode()


# The reviewer's pages (/tmp/rev30html): a bootstrap card page whose .badge and .fw-bold
# lines stand alone in a <div>/<span>, and a bold paragraph of <br> lines.
BOOTSTRAP = (
    "<!DOCTYPE html><html lang='fr'><head><meta charset='utf-8'><title>Note RH</title><style>\n"
    ".btn { font-weight: 400 } .btn-primary { font-weight: bold } .nav-link { font-weight: 500 }\n"
    ".card-title { font-weight: 500; font-size: 1.25rem } "
    ".fw-bold { font-weight: 700 !important }\n"
    ".badge { font-weight: 700; font-size: .75em } .alert-heading { font-weight: bold }\n"
    "</style></head><body><div class=\"container\"><h1>Télétravail</h1>"
    f"<p>{BODY}</p>\n<div class=\"card\"><div class=\"card-body\">"
    f"<h5 class=\"card-title\">Jours autorisés</h5><p class=\"card-text\">{BODY}</p>\n"
    "<a href=\"#\" class=\"btn btn-primary\">En savoir plus</a></div></div>\n"
    f"<p>{BODY}</p>\n<div class=\"row\"><div class=\"col\"><span class=\"badge\">Nouveau</span>"
    f"</div></div>\n<p>{BODY}</p>\n<div class=\"fw-bold\">Mis à jour le 3 avril 2024</div>\n"
    f"<p>{BODY}</p>\n</div></body></html>").encode()
BOOTSTRAP_LINES = ["Nouveau", "Mis à jour le 3 avril 2024"]
PAGES = {
    "bootstrap": BOOTSTRAP,
    "badges": (
        "<!DOCTYPE html><html lang='fr'><head><title>Note RH</title><style>"
        ".badge{font-weight:700}.fw-bold{font-weight:700}</style></head><body>"
        f"<div class='container'><h1>Télétravail</h1><p>{BODY}</p><div class='card'>"
        f"<div class='card-body'><h5>Jours autorisés</h5><p>{BODY}</p></div></div><p>{BODY}</p>"
        "<div class='row'><div class='col'><span class='badge'>Nouveau</span></div></div>"
        f"<p>{BODY}</p><div class='fw-bold'>Mis à jour le 3 avril 2024</div><p>{BODY}</p>"
        "</div></body></html>").encode(),
    "br": page(".g { font-weight: bold }",
               "<p class=g>Mairie de Villeurbanne<br>Service RH<br>69100 Villeurbanne</p>"),
    "br-sized": page(".gs { font-weight: bold; font-size: 20px }",
                     "<p class=gs>Première ligne<br>Deuxième ligne<br/>Troisième</p>"),
    "loose": page(".g { font-weight: bold }",
                  f"<div class=g>Titre libre<p>{BODY}</p>suite</div>"),
}


def without_css(data: bytes) -> bytes:
    return re.sub(rb"<style>.*?</style>", b"", data, flags=re.S)


@pytest.mark.parametrize("name", sorted(PAGES))
def test_css_never_changes_the_extracted_text(name):
    data = PAGES[name]
    assert read_html(data, "x").text == read_html(without_css(data), "x").text


def test_bootstrap_badges_and_bold_divs_are_kept():
    text = read_html(PAGES["badges"], "x").text
    for line in BOOTSTRAP_LINES:
        assert line in text


def test_a_css_bold_paragraph_of_br_lines_is_lines_not_a_heading():
    doc = read_html(PAGES["br"], "x")
    assert [h.path for h in doc.headings] == [("Congés",)]
    assert "Mairie de Villeurbanne\nService RH\n69100 Villeurbanne" in doc.text


def headings(data: bytes) -> list[tuple[str, ...]]:
    return [h.path for h in read_html(data, "x").headings]


CHROME_CSS = (".date,.meta,.post-date{font-weight:600} .lead,.chapo{font-weight:600;"
              "font-size:1.25rem} .author,.tag,.badge,.entry-meta,.titre,.maj"
              "{font-weight:bold}")


@pytest.mark.parametrize("line", [
    "<p class=date>Publié le 12 mars 2024</p>",
    "<p class=lead>Le congé bonifié permet de rendre visite à sa famille</p>",
    "<p class=chapo>Le congé bonifié permet de rendre visite à sa famille</p>",
    "<div class=tag>Congés Outre-mer Famille</div>",
    "<p><span class=badge>Nouveau</span></p>",
    "<p class=maj>Mis à jour le 3 avril 2024</p>",
    "<p class=maj>12 mars 2024</p>",
])
def test_css_bold_chrome_and_dates_make_no_heading(line):
    """A class naming a role of its own (as a Word style's name does) or a line reading
    as a date: no heading, however bold the theme makes it. (trafilatura already leaves
    out .author and .meta lines.)"""
    assert headings(page(CHROME_CSS, line)) == [("Congés",)]


def test_css_bold_title_class_still_makes_a_heading():
    assert headings(page(CHROME_CSS, "<p class=titre>Qui est concerné ?</p>")) == [
        ("Congés",), ("Congés", "Qui est concerné ?")]


def test_a_bold_body_with_normal_paragraphs_makes_no_heading_of_its_divs():
    """``body { font-weight: 600 } p { font-weight: 400 }``: the page's default weight is
    bold, its lines outside a <p> are not headings for that."""
    data = page("body { font-weight: 600 } p { font-weight: 400 } h1 { font-weight: 700 }",
                f"<div>Voir aussi</div><p>{BODY}</p><div>Documents à télécharger</div>")
    assert headings(data) == [("Congés",)]


def test_a_b_made_normal_by_the_style_sheet_makes_no_heading():
    data = page("b.nobold { font-weight: normal }",
                "<p><b class=nobold>Qui est concerné ?</b></p>")
    assert headings(data) == [("Congés",)]
    assert headings(without_css(data)) == [("Congés",), ("Congés", "Qui est concerné ?")]


def test_a_bold_line_smaller_than_the_body_ranks_below_one_at_body_size():
    """As in Word (sizes ranked, largest first): 18px > 13px (the body's) > 11px."""
    css = ("body { font-size: 13px } .t1 { font-weight: bold; font-size: 18px }"
           " .petit { font-weight: bold; font-size: 11px }")
    data = page(css, f"<p class=t1>Qui est concerné ?</p><p>{BODY}</p>"
                     f"<p><b>Cas général</b></p><p>{BODY}</p>"
                     f"<p class=petit>Agents détachés</p><p>{BODY}</p>")
    top, who = ("Congés",), "Qui est concerné ?"
    assert headings(data) == [top, (*top, who), (*top, who, "Cas général"),
                              (*top, who, "Cas général", "Agents détachés")]


# The second review's pages (/tmp/rev30html2/p): a menu's link, bold or not, with the
# words of an article's line.
MENU = ("<nav id=menu><ul><li><a href=/a>Inscriptions</a></li>"
        "<li><a href=/b>Horaires</a></li></ul></nav>")
INSCRIPTIONS = ("Les inscriptions pour la rentrée sont ouvertes du premier au trente juin, en "
                "ligne sur le portail famille ou à l'accueil du conservatoire.")
HORAIRES = ("Le conservatoire est ouvert du lundi au samedi de neuf heures à dix-neuf heures, "
            "sauf pendant les vacances scolaires de la zone.")


def conservatoire(css: str, heading_class: str, menu: str = MENU) -> bytes:
    return (f"<html><head><style>{css}</style></head><body>{menu}<div id=content>"
            f"<h1>Conservatoire municipal</h1><p{heading_class}>Inscriptions</p>"
            f"<p>{INSCRIPTIONS}</p><p{heading_class}>Horaires</p><p>{HORAIRES}</p>"
            "</div></body></html>").encode()


def test_a_bold_menu_link_lends_its_look_to_no_article_paragraph():
    data = conservatoire("#menu a{font-weight:bold}", "")
    assert headings(data) == [("Conservatoire municipal",)]
    assert read_html(data, "x").text == read_html(without_css(data), "x").text


def test_a_plain_menu_link_takes_no_css_heading_of_the_article():
    data = conservatoire("p.t{font-weight:bold}", " class=t")
    top = ("Conservatoire municipal",)
    assert headings(data) == [top, (*top, "Inscriptions"), (*top, "Horaires")]
    assert read_html(data, "x").text == read_html(without_css(data), "x").text


@pytest.mark.parametrize("chrome", [
    "<aside><p class=t>Inscriptions</p></aside>",
    "<header><div>Inscriptions</div></header>",
    "<div role=navigation><span>Inscriptions</span></div>",
])
def test_a_chrome_line_with_an_article_line_s_words_lends_it_nothing(chrome):
    """The chrome's line (left out by the extraction) is no candidate: the article's plain
    line of the same words stays plain, the bold one stays a heading."""
    css = "p.t, header div, [role] span{font-weight:bold}"
    assert headings(conservatoire(css, "", menu=chrome)) == [("Conservatoire municipal",)]
    top = ("Conservatoire municipal",)
    data = conservatoire(css, " class=t", menu=chrome)
    assert headings(data) == [top, (*top, "Inscriptions"), (*top, "Horaires")]


@pytest.mark.parametrize("cls", ["section-header", "note-title", "summary-title",
                                 "form-label titre"])
def test_a_class_naming_a_title_besides_a_role_word_is_a_heading(cls):
    data = page(f".{cls.split()[0]}{{font-weight:bold;font-size:13pt}}",
                f"<p class='{cls}'>Contacts utiles</p>")
    assert headings(data) == [("Congés",), ("Congés", "Contacts utiles")]


def test_a_bold_line_at_font_size_zero_is_no_heading():
    data = page(".z{font-size:0} .z p{font-weight:bold}",
                "<div class=z><p>Texte caché</p></div>")
    assert headings(data) == [("Congés",)]


def test_inline_code_in_a_paragraph_moves_no_match_past_a_later_heading():
    """A ``<code>`` inside a paragraph is no block of its own: its words, found on a later
    line of the page, must not move the match past the heading between them."""
    data = page("p.t{font-weight:bold}",
                f"<p>Une adresse s'écrit <code>host</code> puis le port, comme indiqué ici "
                f"dans la suite du texte.</p><p class=t>Qui est concerné ?</p><p>{BODY}</p>"
                "<table><tr><td>host</td><td>le nom de la machine</td></tr></table>")
    assert headings(data) == [("Congés",), ("Congés", "Qui est concerné ?")]
