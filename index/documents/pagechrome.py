"""A page's chrome told by the names its markup gives it (``class``, ``id``).

HTML5 marks a page's chrome as such (``<nav>``, ``<header>``, ``<footer>``, ``<aside>``);
an older page or an intranet's template names it instead: ``<div id="bandeau">``,
``<ul class="menu">``, ``<div class="pied">``, ``<div class="breadcrumb">``. trafilatura's
extraction leaves such blocks out by these names (its own lists, private to it, of
``nav``, ``menu``, ``footer``, ``banner``, ``breadcrumb``...), but a page read whole
(:mod:`~ragqa.index.documents.wholepages`) is no extraction: :func:`named_chrome` finds
them, in English and in French, of three kinds:

* navigation (``nav``, ``menu``, ``navigation``, ``breadcrumb``, ``fil-ariane``,
  ``sidebar``, skip links ``skip``/``evitement``): chrome when links hold its words (a
  canteen's ``<div class="menu">`` of dishes is the page's text);
* a banner (``header``, ``entete``/``en-tete``, ``bandeau``, ``banner``): chrome outside
  an ``<article>``, ``<section>`` or ``<main>`` (an article's header holds its title);
* a footer (``footer``, ``pied``).

A banner or a footer named as a part of a component (``card-header``, ``panel-footer``,
``entry-header``: a card's title, an article's) is no chrome.

A name is matched as a word of the attribute (``main-menu``, ``piedDePage``, ``nav_top``;
not ``unavailable``), the unambiguous long ones anywhere in it too (``mainmenu``). A block
holding an ``<h1>`` (the page's title), a ``<main>`` or an ``<article>`` is never chrome,
and none is when all of them together would leave less than a seventh of the page's words
(a page wrapped whole in a ``<div id="header-wrapper">``), as trafilatura guards its own.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lxml.etree import _Element

# The share of the page's words that must stay once its named chrome is left out.
KEPT_SHARE = 1 / 7

_NAVIGATION = frozenset({"nav", "navbar", "navigation", "menu", "menus", "breadcrumb",
                         "breadcrumbs", "ariane", "sidebar", "skip", "skiplink", "skiplinks",
                         "evitement", "subnav", "submenu", "sousmenu"})
_BANNER = frozenset({"header", "entete", "bandeau", "banner", "masthead"})
_FOOTER = frozenset({"footer", "pied", "piedpage", "footnav"})
# A banner's or a footer's name with one of these is a component's part, not the page's.
_COMPONENTS = frozenset({"card", "panel", "modal", "box", "table", "article", "post", "entry",
                         "content", "section", "widget", "block", "accordion", "item", "list",
                         "tab", "tabs", "column", "col", "dialog", "collapse", "group"})
# Matched anywhere in a name: long enough never to be part of another word.
_ANYWHERE = ("menu", "navigation", "navbar", "breadcrumb", "sidebar", "skiplink", "bandeau",
             "footer", "banner")
# Never chrome, whatever their names: the page's content by its own markup.
_CONTENT = ("h1", "main", "article")
_CONTENT_AROUND = frozenset({"article", "section", "main"})
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_WORD = re.compile(r"[^a-z0-9]+")


def named_chrome(body: _Element) -> list[_Element]:
    """The outermost blocks under ``body`` whose ``class`` or ``id`` names them chrome (see
    the module's docstring), in the page's order; none when leaving them out would leave
    less than :data:`KEPT_SHARE` of the page's words."""
    from lxml import etree

    found: list[_Element] = []
    for elem in body.iter(etree.Element):
        if elem is body:
            continue
        kind = _kind(elem)
        if kind is None or _holds_content(elem) or not _is_chrome(elem, kind):
            continue
        found.append(elem)
    chrome = set(found)
    outermost = [e for e in found if not any(a in chrome for a in e.iterancestors())]
    total = _chars(body)
    left = total - sum(_chars(e) for e in outermost)
    return outermost if total and left > KEPT_SHARE * total else []


def _kind(elem: _Element) -> str | None:
    """What the element's names call it: ``"navigation"``, ``"banner"``, ``"footer"``."""
    words: set[str] = set()
    joined = []
    for attribute in ("id", "class"):
        value = elem.get(attribute)
        if not value:
            continue
        lowered = _CAMEL.sub("-", value).lower()
        parts = [p for p in _WORD.split(lowered) if p]
        words.update(parts)
        words.update(a + b for a, b in zip(parts, parts[1:]))  # en-tete, pied-page, skip-link
        joined.append(value.lower())
    if not words:
        return None
    text = " ".join(joined)
    named = words | {token for token in _ANYWHERE if token in text}
    if named & _NAVIGATION:
        return "navigation"
    if words & _COMPONENTS:
        return None
    if named & _BANNER:
        return "banner"
    if named & _FOOTER:
        return "footer"
    return None


def _holds_content(elem: _Element) -> bool:
    return elem.tag in _CONTENT or next(elem.iterdescendants(*_CONTENT), None) is not None


def _is_chrome(elem: _Element, kind: str) -> bool:
    if kind == "navigation":  # links hold its words (at least half of them)
        linked = sum(_chars(link) for link in elem.iter("a"))
        return linked > 0 and 2 * linked >= _chars(elem)
    if kind == "banner":
        return not any(a.tag in _CONTENT_AROUND for a in elem.iterancestors())
    return True


def _chars(elem: _Element) -> int:
    from ragqa.index.documents.layout import one_line

    return len(one_line(" ".join(elem.itertext())))
