"""How the text of an HTML page looks by its own CSS: bold or not, and how large against
the page's body text.

:mod:`~ragqa.index.documents.webpages` tells headings set by hand in trafilatura's
extraction, which keeps ``<b>``/``<strong>`` (as ``hi rend="#b"``) but drops ``class`` and
``style`` attributes and every ``<span>``. So the page is read before the extraction:

* text that the page's CSS (:mod:`~ragqa.index.documents.htmlcss`) makes bold, outside
  ``<b>``/``<strong>``, is wrapped in a ``<b>`` (:meth:`PageLooks.embolden`): the walker
  then tells a wholly bold paragraph from one bold word as it does for markup, and a page
  all in bold by its style sheet meets the same mostly-bold guard as one all in ``<b>``;
* a size cannot go through the extraction that way, so the page's bold lines (text
  between two block boundaries) are listed with their size first, and the walker's bold
  paragraphs are matched with them by their text, in order (:meth:`PageLooks.sizes`:
  difflib's alignment, as the extraction leaves lines out but never reorders them). A
  size counts only above the page's body text size (the size most of its characters have),
  as a larger bold line in Word is a higher heading than a bold line at body size.

The browser's own defaults are not modelled (headings' sizes, ``<small>``), nor the
legacy ``<font size>``: a page without CSS reads as it did without this module.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import TYPE_CHECKING

from ragqa.index.documents.htmlcss import PX_PER_PT, declared_fonts
from ragqa.index.documents.layout import one_line

if TYPE_CHECKING:
    from lxml.etree import _Element

DEFAULT_PX = 16.0  # a browser's "medium", the root's size when the page sets none
LARGER_BY_PX = 0.5  # less than this above the body size is the body size (rounding)
_BOLD_MARKUP = frozenset({"b", "strong"})
_UNREAD = frozenset({"head", "script", "style", "template", "noscript", "title"})
# Text left as it is: bold there is no paragraph's look (a heading, code, a table's head).
_NO_WRAP = _UNREAD | _BOLD_MARKUP | {"h1", "h2", "h3", "h4", "h5", "h6", "pre", "code",
                                     "th", "textarea", "select", "option", "button"}


@dataclass(frozen=True)
class _State:
    bold: bool = False
    px: float = DEFAULT_PX
    unread: bool = False  # inside <head>, a script...: no text of the page
    wrap: bool = True  # CSS-bold text here is wrapped in a <b>


class PageLooks:
    """The looks of one page's text, read from the page as loaded (before extraction)."""

    def __init__(self, root: _Element) -> None:
        from lxml.html import defs

        self._inline = (defs.special_inline_tags | defs.phrase_tags | defs.font_style_tags
                        | {"mark", "time", "wbr", "label"}) - {"br"}
        self._root = root
        self._fonts = declared_fonts(root)
        self._to_wrap: list[tuple[_Element, bool]] = []  # (element, its tail?) made bold
        self._lines: list[tuple[str, float]] = []  # bold lines: text, largest px
        self._chars: Counter[float] = Counter()  # characters per size (px)
        self._line: list[str] = []
        self._line_bold, self._line_px = True, 0.0
        if self._fonts:  # else nothing to read: no CSS bold, every size the default
            self._walk()
        self.body_px = self._chars.most_common(1)[0][0] if self._chars else DEFAULT_PX

    def embolden(self) -> None:
        """Wrap the text the page's CSS makes bold in ``<b>`` elements (the page changes)."""
        for elem, tail in self._to_wrap:
            bold = elem.makeelement("b", {})
            if tail:
                bold.text, elem.tail = elem.tail, None
                elem.addnext(bold)
            else:
                bold.text, elem.text = elem.text, None
                elem.insert(0, bold)
        self._to_wrap = []

    def sizes(self, texts: Sequence[str]) -> list[float | None]:
        """The size in points of each of ``texts`` (the bold one-line paragraphs of the
        extraction, in order) when the page shows it larger than its body text, else None
        (body size, or not found among the page's bold lines)."""
        keys = [key for key, _ in self._lines]
        found: list[float | None] = [None] * len(texts)
        matcher = SequenceMatcher(None, keys, [one_line(t) for t in texts], autojunk=False)
        for start, at, length in matcher.get_matching_blocks():
            for k in range(length):
                px = self._lines[start + k][1]
                if px >= self.body_px + LARGER_BY_PX:
                    found[at + k] = round(px / PX_PER_PT, 2)
        return found

    def _walk(self) -> None:
        from lxml import etree

        states = [_State()]
        root_px = DEFAULT_PX
        events = ("start", "end", "comment", "pi")
        for event, elem in etree.iterwalk(self._root, events=events):
            if event in ("comment", "pi"):  # no text of the page; its tail is
                self._text(elem, True, states[-1])
            elif event == "start":
                state = self._state(elem, states[-1], root_px)
                if len(states) == 1:
                    root_px = state.px
                states.append(state)
                if elem.tag not in self._inline:
                    self._end_line()
                self._text(elem, False, state)
            else:
                states.pop()
                if elem.tag not in self._inline:
                    self._end_line()
                self._text(elem, True, states[-1])
        self._end_line()

    def _state(self, elem: _Element, parent: _State, root_px: float) -> _State:
        tag, font = elem.tag, self._fonts.get(elem)
        bold = True if tag in _BOLD_MARKUP else parent.bold
        px = parent.px
        if font is not None:
            bold = bold if font.bold is None else font.bold
            px = px if font.size is None else font.size.px(parent.px, root_px)
        return _State(bold=bold, px=px, unread=parent.unread or tag in _UNREAD,
                      wrap=parent.wrap and tag not in _NO_WRAP)

    def _text(self, elem: _Element, tail: bool, state: _State) -> None:
        """Take the text (or the tail) of ``elem``, which ``state`` describes."""
        text = elem.tail if tail else elem.text
        if not text or state.unread:
            return
        self._line.append(text)
        chars = len("".join(text.split()))
        if not chars:
            return
        self._chars[round(state.px, 2)] += chars
        self._line_bold = self._line_bold and state.bold
        self._line_px = max(self._line_px, state.px)
        if state.bold and state.wrap:
            self._to_wrap.append((elem, tail))

    def _end_line(self) -> None:
        """A block boundary: the line read so far is done."""
        key = one_line("".join(self._line))
        if key and self._line_bold:
            self._lines.append((key, self._line_px))
        self._line, self._line_bold, self._line_px = [], True, 0.0
