"""How the text of an HTML page looks by its own CSS: bold or not, and how large against
the page's body text.

:mod:`~ragqa.index.documents.webpages` tells headings set by hand in trafilatura's
extraction, which keeps ``<b>``/``<strong>`` (as ``hi rend="#b"``) but drops ``class`` and
``style`` attributes and every ``<span>``. So the page is read before the extraction:

* a line (the text between two block boundaries) that the page's CSS
  (:mod:`~ragqa.index.documents.htmlcss`) makes wholly bold is wrapped in one ``<b>``
  (:meth:`PageLooks.embolden`), as an author writing ``<p><b>...</b></p>`` would have: the
  walker then reads it as bold markup, and a page all in bold by its style sheet meets the
  same mostly-bold guard as one all in ``<b>``. So that the extraction sees the least
  change, a line only partly bold is left as it is (it is no heading either way), and so
  is a line of loose text beside blocks (``<div>Titre<p>...</p></div>``): trafilatura
  lays out such a ``<div>`` otherwise once it holds a ``<b>``, words glued together;
* a size cannot go through the extraction that way, so the page's bold lines are listed
  with their size first, and the walker's bold paragraphs are matched with them by their
  text, in order (:meth:`PageLooks.sizes`: difflib's alignment, as the extraction leaves
  lines out but never reorders them). A size counts only above the page's body text size
  (the size most of its characters have), as a larger bold line in Word is a higher
  heading than a bold line at body size.

The browser's own defaults are not modelled (headings' sizes, ``<small>``), nor the
legacy ``<font size>``: a page without CSS reads as it did without this module.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import TYPE_CHECKING

from ragqa.index.documents.htmlcss import PX_PER_PT, declared_fonts
from ragqa.index.documents.layout import one_line

if TYPE_CHECKING:
    from lxml.etree import _Element

DEFAULT_PX = 16.0  # a browser's "medium", the root's size when the page sets none
LARGER_BY_PX = 0.5  # less than this above the body size is the body size (rounding)
_BOLD_MARKUP = frozenset({"b", "strong"})
_HTML5_BLOCKS = frozenset({"article", "aside", "details", "dialog", "figcaption", "figure",
                           "footer", "header", "hgroup", "main", "nav", "section", "summary"})
_UNREAD = frozenset({"head", "script", "style", "template", "noscript", "title"})
# Text left as it is: bold there is no paragraph's look (a heading, code, a table's head).
_NO_WRAP = _UNREAD | _BOLD_MARKUP | {"h1", "h2", "h3", "h4", "h5", "h6", "pre", "code",
                                     "th", "textarea", "select", "option", "button"}


@dataclass(frozen=True)
class _State:
    bold: bool = False
    px: float = DEFAULT_PX
    markup: bool = False  # inside <b>/<strong>
    unread: bool = False  # inside <head>, a script...: no text of the page
    wrap: bool = True  # a bold line here may be wrapped in a <b>


@dataclass
class _Line:
    """The text of ``container`` after ``after`` (one of its block children; None: from
    its start) up to its next block child: ``children``, its inline elements."""

    container: _Element
    after: _Element | None
    children: list[_Element] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    alone: bool = True  # the container holds no block: this line is all of its text
    bold: bool = True  # every piece with words is bold
    by_css: bool = False  # some of it is bold by CSS alone (no <b>/<strong>)
    px: float = 0.0  # its largest size


class PageLooks:
    """The looks of one page's text, read from the page as loaded (before extraction)."""

    def __init__(self, root: _Element) -> None:
        from lxml.html import defs

        # Blocks cut lines; any other element is inline, as a browser shows an element it
        # does not know (Word's <o:p>, a custom element).
        self._blocks = (defs.block_tags | defs.list_tags | defs.table_tags
                        | defs.top_level_tags | defs.head_tags | _HTML5_BLOCKS) - {"del", "ins"}
        self._fonts = declared_fonts(root)
        self._states: dict[_Element, _State] = {}
        self._lines: list[_Line] = []  # the page's lines with words, in order
        self._chars: Counter[float] = Counter()  # characters per size (px)
        if self._fonts:  # else nothing to read: no CSS bold, every size the default
            self._read(root)
        self.body_px = self._chars.most_common(1)[0][0] if self._chars else DEFAULT_PX

    def embolden(self) -> None:
        """Wrap each line the page's CSS makes wholly bold in a ``<b>`` (the page changes)."""
        for line in self._lines:
            if not (line.bold and line.by_css and line.alone
                    and self._states[line.container].wrap):
                continue
            bold = line.container.makeelement("b", {})
            if line.after is None:
                bold.text, line.container.text = line.container.text, None
                line.container.insert(0, bold)
            else:
                bold.text, line.after.tail = line.after.tail, None
                line.after.addnext(bold)
            bold.extend(line.children)  # moved, their tails with them

    def sizes(self, texts: Sequence[str]) -> list[float | None]:
        """The size in points of each of ``texts`` (the bold one-line paragraphs of the
        extraction, in order) when the page shows it larger than its body text, else None
        (body size, or not found among the page's bold lines)."""
        if not self._lines:  # a page without CSS fonts
            return [None] * len(texts)
        wanted = [one_line(t) for t in texts]
        known = set(wanted)  # the page's other bold lines (its menus...) are no match
        lines, keys = [], []
        for line in self._lines:
            key = one_line("".join(line.texts))
            if line.bold and key in known:
                lines.append(line)
                keys.append(key)
        found: list[float | None] = [None] * len(texts)
        if keys == wanted:  # the usual case, and a quick one: nothing to align
            matched = [(0, 0, len(keys))]
        else:
            matched = SequenceMatcher(None, keys, wanted, autojunk=False).get_matching_blocks()
        for start, at, length in matched:
            for k in range(length):
                px = lines[start + k].px
                if px >= self.body_px + LARGER_BY_PX:
                    found[at + k] = round(px / PX_PER_PT, 2)
        return found

    def _read(self, root: _Element) -> None:
        """Every element's state, then the lines of every block, in order."""
        from lxml import etree

        root_px = DEFAULT_PX
        for elem in root.iter(etree.Element):
            parent = elem.getparent()
            state = self._state(elem, self._states.get(parent, _State()), root_px)
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
            bold = bold if font.bold is None else font.bold
            px = px if font.size is None else font.size.px(parent.px, root_px)
        return _State(bold=bold, px=px, markup=markup, unread=parent.unread or tag in _UNREAD,
                      wrap=parent.wrap and tag not in _NO_WRAP)

    def _is_inline(self, elem: _Element) -> bool:
        """An inline element holding no block (one that does is a block of its own)."""
        from lxml import etree

        return elem.tag not in self._blocks and all(
            d.tag not in self._blocks for d in elem.iterdescendants(etree.Element))

    def _read_block(self, block: _Element) -> None:
        """The lines of ``block``'s own text: its text, inline children and their tails,
        cut by its block children (read as blocks of their own)."""
        lines = [_Line(block, None)]
        line = lines[0]
        self._take(line, block.text, self._states[block])
        for child in block:
            if not isinstance(child.tag, str) or self._is_inline(child):
                if isinstance(child.tag, str):
                    self._take_inline(line, child)
                line.children.append(child)
            else:
                line = _Line(block, child)
                lines.append(line)
            self._take(line, child.tail, self._states[block])
        for line in lines:
            line.alone = len(lines) == 1
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
            line.by_css = line.by_css or (state.bold and not state.markup)
            line.px = max(line.px, state.px)
