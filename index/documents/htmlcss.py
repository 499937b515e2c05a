"""The font an HTML page's own CSS declares for its elements: weight and size.

Intranet pages written by WYSIWYG editors, Word's "save as web page" or wiki exports set
their headings by hand with CSS rather than ``<b>`` or ``<h2>``: a ``<p class="titre">``
made bold and larger by the page's ``<style>`` sheet, a ``<span style="font-weight:
bold">`` around a line. trafilatura drops those attributes, so they are read here, on the
page as loaded, for :mod:`~ragqa.index.documents.htmllooks`.

Only the two properties that tell a heading set by hand are cascaded: ``font-weight`` and
``font-size``, the ``font`` shorthand included (which sets both: a weight it does not name
is normal). The cascade is a browser's for author styles: ``!important`` first, then a
``style`` attribute over the style sheets, then the selector's specificity, then the later
rule. Style sheets are parsed by tinycss2, selectors matched by cssselect (its XPath run by
lxml).

Supported: the ``<style>`` elements of the page for the screen (no ``media``, or one
naming ``all`` or ``screen``: a print sheet does not count) and ``style`` attributes;
selectors as cssselect translates them to XPath (tags, classes, ids, attribute tests,
combinators, the structural pseudo-classes; ``:hover`` and the like match nothing) and
selector lists, each evaluated once over the whole page; the CSS-wide keywords
(``initial`` is normal or medium, ``inherit`` and ``unset`` the parent's, both properties
being inherited). Not supported, their rules left out (the text keeps its weight and
size): pseudo-elements (``::first-line``), at-rules (``@media``, ``@import``,
``@supports``: print styles must not count, and the screen's are rare for text weight),
external style sheets (``<link rel="stylesheet">``: nothing is fetched), the browser's own
defaults (``<b>`` and ``<h1>`` are read from the markup elsewhere), and the selectors of a
page past its first :data:`MAX_SELECTORS` declaring a font, fewer on a large page (at
most :data:`MAX_VISITS` element visits in all: each selector costs a walk of the page, and
a framework's sheet holds thousands).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ragqa.index.documents.handheadings import is_bold

if TYPE_CHECKING:
    from lxml.etree import _Element

logger = logging.getLogger(__name__)

PX_PER_PT = 4 / 3
# Absolute lengths in CSS pixels, and the size keywords (CSS Fonts 4, medium = 16px).
_ABSOLUTE = {"px": 1.0, "pt": PX_PER_PT, "pc": 16.0, "in": 96.0, "cm": 96 / 2.54,
             "mm": 9.6 / 2.54, "q": 2.4 / 2.54}
_KEYWORDS = {"xx-small": 9.0, "x-small": 10.0, "small": 13.0, "medium": 16.0,
             "large": 18.0, "x-large": 24.0, "xx-large": 32.0, "xxx-large": 48.0}
_RELATIVE = {"em": 1.0, "ex": 0.5, "ch": 0.5, "%": 0.01}  # times the parent's size
_SCALE = 1.2  # "larger", "smaller": one step of the keyword scale
_WEIGHTS = frozenset({"normal", "bold", "bolder", "lighter"})
MAX_SELECTORS = 2_000  # selectors declaring a font read per page; those past it are left out
# Each selector is one walk of the page (libxml2's XPath: ~0.15 s per walk of a 4 MB page of
# 112,000 elements): a large page reads fewer selectors, at most this many element visits.
MAX_VISITS = 10_000_000
_SCREEN = frozenset({"all", "screen"})
_PARENTS = ("inherit", "unset")  # the parent's value: both properties are inherited


@dataclass(frozen=True)
class FontSize:
    """A declared ``font-size``: ``value`` CSS pixels, or a factor of the parent's size
    (``em``, ``%``, ``larger``) or of the root's (``rem``) when ``of`` names it."""

    value: float
    of: str | None = None  # None (absolute), "parent" or "root"

    def px(self, parent: float, root: float) -> float:
        """The size in pixels, under a parent of ``parent`` px in a page of ``root`` px."""
        if self.of == "parent":
            return self.value * parent
        return self.value * root if self.of == "root" else self.value


@dataclass(frozen=True)
class Font:
    """What the cascade declares for one element (None: nothing, the parent's holds)."""

    bold: bool | None = None
    size: FontSize | None = None


# A declaration's rank in the cascade: !important, a style attribute, the selector's
# specificity, the order of the rules.
_Rank = tuple[bool, bool, tuple[int, int, int], int]


class _Inherited:
    """A declared ``inherit``/``unset``: the parent's value, over any lower declaration."""


INHERITED = _Inherited()


# An <svg>'s or a <math>'s own <style> styles its drawing, not the page's text.
_FOREIGN = frozenset({"svg", "math"})


def declared_fonts(root: _Element) -> dict[_Element, Font]:
    """The weight and size the page's own CSS declares for each element that gets one."""
    import tinycss2
    from lxml.etree import XPathError

    found: dict[_Element, dict[str, tuple[_Rank, object]]] = {}
    order, selectors, budget = 0, 0, None
    for style in root.iter("style"):
        if not _for_screen(style.get("media")) or any(
                a.tag in _FOREIGN for a in style.iterancestors()):
            continue
        for rule in tinycss2.parse_stylesheet(style.text or "", skip_comments=True,
                                              skip_whitespace=True):
            if rule.type != "qualified-rule":  # at-rules and parse errors
                continue
            declared = _font_declarations(rule.content)
            if not declared:
                continue
            order += 1
            if budget is None:  # counted once a rule declares a font
                elements = sum(1 for _ in root.iter())
                budget = min(MAX_SELECTORS, MAX_VISITS // max(elements, 1))
            for specificity, xpath in _selectors(tinycss2.serialize(rule.prelude)):
                selectors += 1
                if selectors > budget:
                    if selectors == budget + 1:
                        logger.info("style sheet read up to its first %d selectors", budget)
                    break
                try:
                    matched = root.xpath(xpath)
                except XPathError:
                    continue
                for elem in matched:
                    for name, value, important in declared:
                        rank = (important, False, specificity, order)
                        _cascade(found.setdefault(elem, {}), name, value, rank)
    for elem in root.xpath("//*[@style]"):
        order += 1
        for name, value, important in _font_declarations(elem.get("style", "")):
            _cascade(found.setdefault(elem, {}), name, value, (important, True, (0, 0, 0),
                                                                 order))
    fonts: dict[_Element, Font] = {}
    for elem, values in found.items():
        bold = values["bold"][1] if "bold" in values else None
        size = values["size"][1] if "size" in values else None
        fonts[elem] = Font(bold=None if bold is INHERITED else bold,  # type: ignore[arg-type]
                           size=None if size is INHERITED else size)  # type: ignore[arg-type]
    return fonts


def _for_screen(media: str | None) -> bool:
    """Whether a ``<style media>`` applies on a screen: no media, or a query of ``all`` or
    ``screen`` (``only screen and (...)`` too; its features are not tested)."""
    if not media or not media.strip():
        return True
    for query in media.lower().split(","):
        words = query.split()
        if words and words[0] == "only":
            words = words[1:]
        if not words or words[0] in _SCREEN or words[0].startswith("("):
            return True
    return False


def _cascade(values: dict[str, tuple[_Rank, object]], name: str, value: object,
             rank: _Rank) -> None:
    if name not in values or values[name][0] <= rank:
        values[name] = (rank, value)


def _selectors(text: str) -> list[tuple[tuple[int, int, int], str]]:
    """Each selector of a rule's selector list with its specificity and cssselect's XPath
    for it over the whole page; an unparsable list gives none, as a browser drops the
    rule, and a selector with a pseudo-element or one cssselect cannot translate is left
    out."""
    from cssselect import HTMLTranslator, SelectorError, parse

    try:
        parsed = parse(text)
    except SelectorError:
        return []
    kept = []
    translator = HTMLTranslator()
    for selector in parsed:
        if selector.pseudo_element is not None:
            continue
        try:
            kept.append((selector.specificity(), translator.selector_to_xpath(selector)))
        except SelectorError:  # an unknown pseudo-class, a namespace...
            continue
    return kept


def _font_declarations(tokens) -> list[tuple[str, object, bool]]:
    """``("bold", bool, important)`` and ``("size", FontSize, important)`` for the
    ``font-weight``, ``font-size`` and ``font`` declarations among ``tokens`` (a rule's
    block, or a ``style`` attribute's text) that are valid."""
    import tinycss2

    found: list[tuple[str, object, bool]] = []
    for declaration in tinycss2.parse_blocks_contents(tokens, skip_comments=True,
                                                      skip_whitespace=True):
        if declaration.type != "declaration":
            continue
        values = [t for t in declaration.value if t.type not in ("whitespace", "comment")]
        name, important = declaration.lower_name, declaration.important
        if name == "font-weight" and len(values) == 1:
            bold = _weight(values[0])
            if bold is not None:
                found.append(("bold", bold, important))
        elif name == "font-size" and len(values) == 1:
            size = _size(values[0])
            if size is not None:
                found.append(("size", size, important))
        elif name == "font":
            shorthand = _shorthand(values)
            if shorthand is not None:
                found.append(("bold", shorthand[0], important))
                found.append(("size", shorthand[1], important))
    return found


def _weight(token) -> bool | _Inherited | None:
    """A ``font-weight`` value read as bold or not (:data:`INHERITED`: the parent's); None
    when it is no weight."""
    if token.type == "ident" and token.lower_value in _PARENTS:
        return INHERITED
    if token.type == "ident" and token.lower_value == "initial":
        return False
    if token.type == "ident" and token.lower_value in _WEIGHTS:
        return bool(is_bold(token.lower_value))
    if token.type == "number" and token.is_integer and 1 <= token.int_value <= 1000:
        return bool(is_bold(str(token.int_value)))
    return None


def _size(token) -> FontSize | _Inherited | None:
    """A ``font-size`` value (:data:`INHERITED`: the parent's); None when it is none."""
    if token.type == "dimension":
        unit = token.lower_unit
        if unit in _ABSOLUTE:
            return FontSize(token.value * _ABSOLUTE[unit])
        if unit == "rem":
            return FontSize(token.value, "root")
        if unit in _RELATIVE:
            return FontSize(token.value * _RELATIVE[unit], "parent")
    elif token.type == "percentage":
        return FontSize(token.value * _RELATIVE["%"], "parent")
    elif token.type == "ident":
        if token.lower_value in _PARENTS:
            return INHERITED
        if token.lower_value == "initial":
            return FontSize(_KEYWORDS["medium"])
        if token.lower_value in _KEYWORDS:
            return FontSize(_KEYWORDS[token.lower_value])
        if token.lower_value in ("larger", "smaller"):
            return FontSize(_SCALE if token.lower_value == "larger" else 1 / _SCALE,
                            "parent")
    elif token.type == "number" and token.value == 0:
        return FontSize(0.0)
    return None


def _shorthand(values: list) -> tuple[object, object] | None:
    """The weight and size the ``font`` shorthand sets (``bold 14px/1.3 Arial``): its
    style, variant and weight come first, then the size (required); a weight it does not
    name is reset to normal; a CSS-wide keyword alone sets both. None when it is no valid
    shorthand (``font: caption``)."""
    wide = [t.lower_value for t in values if t.type == "ident"
            and t.lower_value in (*_PARENTS, "initial")]
    if wide:
        return (_weight(values[0]), _size(values[0])) if len(values) == 1 else None
    bold: object = False
    for token in values:
        size = _size(token)
        if size is not None and token.type != "number":
            return bold, size
        weight = _weight(token)
        if weight is not None:
            bold = weight
        elif token.type != "ident":  # neither a style nor a variant keyword
            return None
    return None
