"""The cascade of an HTML page's own CSS for weight and size (htmlcss)."""

import lxml.html
import pytest

from ragqa.index.documents.htmlcss import MAX_SELECTORS, FontSize, declared_fonts


def fonts(sheet: str, body: str, media: str = ""):
    root = lxml.html.document_fromstring(
        f"<html><head><style{media}>{sheet}</style></head><body>{body}</body></html>")
    found = declared_fonts(root)
    return {e.get("id"): f for e, f in found.items() if e.get("id")}


def bold(sheet: str, body: str = "<p id=t class=titre>T</p>", media: str = ""):
    font = fonts(sheet, body, media).get("t")
    return None if font is None else font.bold


def test_the_more_specific_selector_wins_whatever_the_order():
    assert bold("p.titre { font-weight: bold } .titre { font-weight: normal }") is True
    assert bold(".titre { font-weight: bold } p { font-weight: normal }") is True
    assert bold(".titre { font-weight: bold } .titre { font-weight: normal }") is False


def test_important_wins_over_specificity_and_style_attributes():
    assert bold(".titre { font-weight: bold !important } #t { font-weight: normal }") is True
    assert bold(".titre { font-weight: bold !important }",
                "<p id=t class=titre style='font-weight: normal'>T</p>") is True
    assert bold("#t { font-weight: bold }",
                "<p id=t class=titre style='font-weight: 400'>T</p>") is False


def test_the_font_shorthand_sets_weight_and_size_and_resets_the_weight():
    font = fonts(".titre { font: bold 14px/1.3 Arial, sans-serif }",
                 "<p id=t class=titre>T</p>")["t"]
    assert font.bold is True and font.size == FontSize(14.0)
    assert bold(".titre { font-weight: bold } .titre { font: 12px Arial }") is False


def test_combinators_are_matched():
    sheet = ".encadre { font-weight: bold } .encadre p.normal { font-weight: normal }"
    found = fonts(sheet, "<div class=encadre id=e><p id=t class=normal>T</p></div>"
                         "<p id=o class=normal>O</p>")
    assert found["t"].bold is False
    assert "o" not in found  # outside .encadre: the rule is not its
    assert bold("div > p.titre { font-weight: bold }",
                "<div><p id=t class=titre>T</p></div>") is True


@pytest.mark.parametrize("keyword, expected", [
    ("initial", False), ("inherit", None), ("unset", None)])
def test_css_wide_keywords_override_an_earlier_bold(keyword, expected):
    """``initial`` is normal; ``inherit`` and ``unset`` (font-weight is inherited) are the
    parent's: None, nothing of the element's own."""
    assert bold(f".titre {{ font-weight: bold }} p.titre {{ font-weight: {keyword} }}") \
        is expected


def test_print_style_sheets_are_left_out():
    assert bold(".titre { font-weight: bold }", media=" media='print'") is None
    assert bold(".titre { font-weight: bold }", media=" media='screen'") is True
    assert bold(".titre { font-weight: bold }", media=" media='all'") is True


def test_a_style_sheet_past_its_cap_is_read_up_to_it():
    many = "\n".join(f".x{i} {{ font-weight: bold }}" for i in range(MAX_SELECTORS))
    assert bold(f"{many}\n.titre {{ font-weight: bold }}") is None


def test_an_svg_style_sheet_is_not_the_page_s():
    """``<svg><style>`` styles the drawing's own elements, not the page's text."""
    assert bold("", "<svg><style>p{font-weight:bold}</style></svg><p id=t>T</p>") is None
    assert bold("p{font-weight:bold}", "<svg></svg><p id=t>T</p>") is True
