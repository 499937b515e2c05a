"""How the text of an HTML page looks by its own CSS: bold or not, and how large against
the page's body text.

:mod:`~ragqa.index.documents.webpages` tells headings set by hand in trafilatura's
extraction, which keeps ``<b>``/``<strong>`` (as ``hi rend="#b"``) but drops ``class`` and
``style`` attributes and every ``<span>``. So the page is read before the extraction, and
never changed, so that its text is, by construction, the text read without this module
(wrapping CSS-bold lines in ``<b>`` made trafilatura drop lone ``<div>`` lines). Its lines
(the text between two block boundaries) are read with their looks first, and the walker's
paragraphs are matched with them by their text, in order (:meth:`PageLooks.looks`), as
the extraction leaves lines out but never reorders them:

* a paragraph whose line the page's CSS (:mod:`~ragqa.index.documents.htmlcss`) makes
  wholly bold reads as bold, as ``<p><b>...</b></p>`` would: a page all in bold by its
  style sheet meets the same mostly-bold guard as one all in ``<b>``. A line holding a
  ``<br>`` is several lines for the walker, never one heading. Not a line whose classes
  name a role (a date, a lead paragraph, a tag...: :data:`_ROLE_CLASS`), nor one that
  reads as a date, nor bold set on ``<body>`` (the page's default weight);
* a bold line has its size, as Word's lines do: a larger bold line is a higher heading
  than one at the page's body text size (the size most of its characters have), a
  smaller one a lower heading.

Matching goes per distinct text, in order: a block (every block of the extraction, a
heading or a list item as well as a paragraph) takes the first line of its text after the
line the block before it took, and the lines of the page's chrome (``nav``, ``header``,
``footer``, ``aside`` and the loader's pruned XPaths) are no candidates, so a menu's line
lends its look to nothing and takes no article line's. This costs a binary search per
block where an alignment of the two sequences (difflib) was quadratic on pages of many
identical lines.

The browser's own defaults are not modelled (headings' sizes, ``<small>``), nor the
legacy ``<font size>``: a page without CSS reads as it did without this module.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from ragqa.index.documents.handheadings import Look
from ragqa.index.documents.htmlcss import PX_PER_PT, declared_fonts
from ragqa.index.documents.layout import one_line
from ragqa.index.documents.recurrence import MONTHS

if TYPE_CHECKING:
    from lxml.etree import _Element

DEFAULT_PX = 16.0  # a browser's "medium", the root's size when the page sets none
LARGER_BY_PX = 0.5  # less than this above the body size is the body size (rounding)
_BOLD_MARKUP = frozenset({"b", "strong"})
_HTML5_BLOCKS = frozenset({"article", "aside", "details", "dialog", "figcaption", "figure",
                           "footer", "header", "hgroup", "main", "nav", "section", "summary"})
# The page's chrome: its lines are no candidates for the article's (a menu's "Inscriptions"
# lends its look to no paragraph of the same words), whatever the extraction keeps.
_CHROME = frozenset({"nav", "header", "footer", "aside"})
_UNREAD = frozenset({"head", "script", "style", "template", "noscript", "title"})
# Text whose CSS bold is no paragraph's look (a heading, code, a table's head).
_NO_LOOK = _UNREAD | _BOLD_MARKUP | {"h1", "h2", "h3", "h4", "h5", "h6", "pre", "code",
                                     "th", "textarea", "select", "option", "button"}
# The page's default weight: bold set on <body> is no line's look (a theme's body { 600 }
# with p { 400 } would make every line outside a <p> a heading).
_PAGE = frozenset({"html", "body"})
# Class names naming a role of their own, as a Word style's name does
# (:func:`~ragqa.index.documents.handheadings.style_role`): a theme's bold there is the
# CMS's chrome inside the article (a date, a lead paragraph, tags, a badge, a button), no
# heading. The words of a class ("post-date", "entry_meta") are read, singular or plural;
# the list is short on purpose: a class the theme names otherwise ("fw-bold", "titre") is
# read as bold, and so is one that also names a title ("summary-title", "form-label-titre":
# :data:`_TITLE_CLASS`). "header" and "note" are no role: "section-header" and "note" name
# titles and callouts as often as chrome.
_ROLE_CLASS = re.compile(
    r"(?:^|[\s_-])(?:date|time|meta|byline|author|lead|intro|chapo|chapeau|excerpt|summary"
    r"|badge|tag|label|btn|button|caption|legend|breadcrumb|nav|menu|footer)"
    r"s?(?:$|[\s_-])", re.IGNORECASE)
_TITLE_CLASS = re.compile(r"title|titre|heading|headline", re.IGNORECASE)
# A line reading as a date, maybe after a publication's words: "Publié le 12 mars 2024",
# "Mis à jour le 03/04/2024 à 10h", "12 mars 2024" (a date heading a section names more:
# "Conseil municipal du 12 mars 2024").
_DATE = (rf"(?:\d{{1,2}}(?:er)?\s+(?:{'|'.join(MONTHS)})\s+\d{{4}}"
         r"|\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{4}-\d{2}-\d{2})")
_DATE_LINE = re.compile(
    r"^(?:(?:dernière\s+)?(?:publié|publiée|mis|mise|modifié|modifiée|posté|postée|créé"
    r"|créée|actualisé|actualisée|date)\b[^\d]{0,25}?)?(?:le\s+)?"
    r"(?:(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)\s+)?"
    rf"{_DATE}(?:\s*(?:à|-|,)?\s*\d{{1,2}}\s*[h:]\s*\d{{0,2}})?\W*$", re.IGNORECASE)


@dataclass(frozen=True)
class _State:
    bold: bool = False
    px: float = DEFAULT_PX
    markup: bool = False  # inside <b>/<strong>
    unread: bool = False  # inside <head>, a script...: no text of the page
    look: bool = True  # CSS bold here is a paragraph's look (no heading's, no role's)
    chrome: bool = False  # inside a menu, a header, a footer...: no article's line


@dataclass
class _Line:
    """A run of a block's own text between two of its block children (or its start or
    end): ``texts``, its pieces."""

    texts: list[str] = field(default_factory=list)
    bold: bool = True  # every piece with words is bold
    look: bool = True  # every piece with words is where CSS bold is a paragraph's look
    by_css: bool = False  # some of it is bold by CSS alone (no <b>/<strong>)
    unbolded: bool = False  # some of it is in a <b>/<strong> that CSS makes normal
    px: float = 0.0  # its largest size


class PageLooks:
    """The looks of one page's text, read from the page as loaded (before extraction)."""

    def __init__(self, root: _Element, chrome_xpaths: Iterable[str] = ()) -> None:
        """``chrome_xpaths`` name the elements the extraction leaves out (besides
        ``nav``, ``header``, ``footer`` and ``aside``): their lines are no candidates."""
        from lxml.html import defs

        # Blocks cut lines; any other element is inline, as a browser shows an element it
        # does not know (Word's <o:p>, a custom element).
        self._blocks = (defs.block_tags | defs.list_tags | defs.table_tags
                        | defs.top_level_tags | defs.head_tags | _HTML5_BLOCKS) - {"del", "ins"}
        self._fonts = declared_fonts(root)
        self._chrome_xpaths = tuple(chrome_xpaths)
        self._states: dict[_Element, _State] = {}
        self._lines: list[_Line] = []  # the page's lines with words, in order
        self._chars: Counter[float] = Counter()  # characters per size (px)
        if self._fonts:  # else nothing to read: no CSS bold, every size the default
            self._read(root)
        self.body_px = self._chars.most_common(1)[0][0] if self._chars else DEFAULT_PX

    def looks(self, texts: Sequence[str]) -> list[Look | None]:
        """The look the page's CSS gives each of ``texts`` (the extraction's blocks, every
        one in order so that a heading or a list moves past the lines before it, ``<br>``
        read as a space): bold when CSS makes its line wholly bold, with its
        size in points when a bold line is larger than the body text; None where CSS adds
        nothing (or the line is not found)."""
        if not self._lines:  # a page without CSS fonts
            return [None] * len(texts)
        by_text: dict[str, list[int]] = {}
        for at, line in enumerate(self._lines):
            by_text.setdefault(one_line("".join(line.texts)), []).append(at)
        found: list[Look | None] = []
        last = -1  # the page's line matched last: the next match comes after it
        for text in texts:
            places = by_text.get(one_line(text), [])
            k = bisect_right(places, last)
            if k < len(places):
                last = places[k]
                found.append(self._look(self._lines[last]))
            else:
                found.append(None)
        return found

    def _look(self, line: _Line) -> Look | None:
        """What CSS changes in a line's look: bold (not where the line's classes name a
        role of its own, nor on a date line), a size larger than the body text's, or a
        ``<b>`` made normal."""
        if not line.bold:  # a <b class=nobold> is not bold, whatever the extraction says
            return Look(bold=False) if line.unbolded else None
        if not 1 < line.px < math.inf:  # hidden text (font-size: 0), or a size none shows
            return None
        if line.by_css and not (line.look
                                and not _DATE_LINE.match(one_line("".join(line.texts)))):
            return None  # the theme's bold on its chrome: neither bold nor larger counts
        # Every bold line gets a size, as Word's do (its body size within rounding): a
        # smaller bold line then ranks below one at body size.
        px = line.px if abs(line.px - self.body_px) >= LARGER_BY_PX else self.body_px
        return Look(bold=True, size=round(px / PX_PER_PT, 2))

    def _read(self, root: _Element) -> None:
        """Every element's state, then the lines of every block, in order."""
        from lxml import etree

        chrome = set()
        for xpath in self._chrome_xpaths:
            chrome.update(e for e in root.xpath(xpath) if isinstance(e, etree._Element))
        root_px = DEFAULT_PX
        for elem in root.iter(etree.Element):
            parent = elem.getparent()
            state = self._state(elem, self._states.get(parent, _State()), root_px)
            if elem in chrome and not state.chrome:
                state = replace(state, chrome=True)
            if parent is None:
                root_px = state.px
            self._states[elem] = state
        for elem in root.iter(etree.Element):
            if not self._states[elem].unread and not self._is_inline(elem):
                self._read_block(elem)

    def _state(self, elem: _Element, parent: _State, root_px: float) -> _State:
        tag, font = elem.tag, self._fonts.get(elem)
        markup = parent.markup or tag in _BOLD_MARKUP
        bold = True if tag in _BOLD_MARKUP else parent.bold
        px = parent.px
        if font is not None:
            bold = bold if font.bold is None or tag in _PAGE else font.bold
            px = px if font.size is None else font.size.px(parent.px, root_px)
        return _State(bold=bold, px=px, markup=markup, unread=parent.unread or tag in _UNREAD,
                      look=parent.look and tag not in _NO_LOOK
                      and not _has_role(elem.get("class") or ""),
                      chrome=parent.chrome or tag in _CHROME)

    def _is_inline(self, elem: _Element) -> bool:
        """An inline element holding no block (one that does is a block of its own)."""
        from lxml import etree

        return elem.tag not in self._blocks and all(
            d.tag not in self._blocks for d in elem.iterdescendants(etree.Element))

    def _read_block(self, block: _Element) -> None:
        """The lines of ``block``'s own text: its text, inline children and their tails,
        cut by its block children (read as blocks of their own)."""
        if self._states[block].chrome:
            return
        lines = [_Line()]
        line = lines[0]
        self._take(line, block.text, self._states[block])
        for child in block:
            if not isinstance(child.tag, str) or self._is_inline(child):
                if isinstance(child.tag, str):
                    self._take_inline(line, child)
            else:
                line = _Line()
                lines.append(line)
            self._take(line, child.tail, self._states[block])
        for line in lines:
            if any(text.strip() for text in line.texts):
                self._lines.append(line)

    def _take_inline(self, line: _Line, elem: _Element) -> None:
        state = self._states[elem]
        if state.unread:
            return
        self._take(line, " " if elem.tag == "br" else elem.text, state)
        for child in elem:
            if isinstance(child.tag, str):
                self._take_inline(line, child)
            self._take(line, child.tail, state)

    def _take(self, line: _Line, text: str | None, state: _State) -> None:
        if not text:
            return
        line.texts.append(text)
        chars = len("".join(text.split()))
        if chars:
            self._chars[round(state.px, 2)] += chars
            line.bold = line.bold and state.bold
            line.look = line.look and state.look
            line.by_css = line.by_css or (state.bold and not state.markup)
            line.unbolded = line.unbolded or (state.markup and not state.bold)
            line.px = max(line.px, state.px)


def _has_role(classes: str) -> bool:
    """Whether ``classes`` name a role of their own and no title (:data:`_ROLE_CLASS`):
    "form-label titre" is a title set as a form's label is."""
    return bool(_ROLE_CLASS.search(classes)) and not _TITLE_CLASS.search(classes)
