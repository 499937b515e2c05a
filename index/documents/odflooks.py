"""How an OpenDocument paragraph looks: wholly bold or not, and its font size.

Writer puts the bold of a whole line in the paragraph's automatic style (``P1``, whose
parent is "Standard") and the bold of selected words in a text style on a ``text:span``
(``T1``); either may come from a named style and its parents. A piece of text is bold by
the nearest span's style that sets ``fo:font-weight``, else by its paragraph's style chain.
Read here for :mod:`~ragqa.index.documents.handheadings` to tell a heading set by hand.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ragqa.index.documents.handheadings import Look, is_bold, style_role

if TYPE_CHECKING:
    from odfdo import Document, Element

_MAX_STYLE_DEPTH = 10
_POINTS = re.compile(r"^\s*([\d.]+)\s*pt\s*$")
# Not the paragraph's own words (as in opendocument.inline_text): notes, comments, frames.
_NOT_INLINE = frozenset({"text:note", "office:annotation", "office:annotation-end",
                         "text:tracked-changes", "draw:frame", "draw:a", "text:deletion"})


class OdfLooks:
    """The looks of one document's paragraphs, style chains resolved once per style."""

    def __init__(self, document: Document) -> None:
        self._document = document
        self._chains: dict[tuple[str, str], tuple[bool | None, float | None]] = {}

    def look(self, paragraph: Element) -> Look:
        """Wholly bold (every piece of text with words bold), and the largest size."""
        bold, size = self._chain("paragraph", paragraph.get_attribute_string("text:style-name"))
        pieces: list[tuple[bool, float | None]] = []
        self._pieces(paragraph, bold, size, pieces)
        if not pieces:
            return Look()
        sizes = [s for _, s in pieces if s is not None]
        return Look(bold=all(b for b, _ in pieces), size=max(sizes) if sizes else None)

    def body_text(self, paragraph: Element) -> bool:
        """Whether a paragraph is in a body-text style ("Standard", "Text body"... or a style
        whose names say nothing, as Writer's automatic ``P1``), not a caption, a quotation,
        a header: the first name of its style chain that tells decides (:func:`style_role`).
        """
        name = paragraph.get_attribute_string("text:style-name")
        for _ in range(_MAX_STYLE_DEPTH):
            if not name:
                break
            if (role := style_role(name)) is not None:
                return role
            style = self._document.get_style("paragraph", name)
            name = style.parent_style if style is not None else None
        return True

    def _pieces(self, element: Element, bold: bool | None, size: float | None,
                out: list[tuple[bool, float | None]]) -> None:
        if element.text and element.text.strip():
            out.append((bool(bold), size))
        for child in element.children:
            if child.tag not in _NOT_INLINE:
                c_bold, c_size = bold, size
                if child.tag == "text:span":
                    s_bold, s_size = self._chain(
                        "text", child.get_attribute_string("text:style-name"))
                    c_bold = s_bold if s_bold is not None else bold
                    c_size = s_size if s_size is not None else size
                self._pieces(child, c_bold, c_size, out)
            if child.tail and child.tail.strip():
                out.append((bool(bold), size))

    def _chain(self, family: str, name: str | None) -> tuple[bool | None, float | None]:
        if not name:
            return None, None
        key = (family, name)
        if key not in self._chains:
            bold: bool | None = None
            size: float | None = None
            style = self._document.get_style(family, name)
            for _ in range(_MAX_STYLE_DEPTH):
                if style is None:
                    break
                properties = style.get_properties(area="text") or {}
                if bold is None:
                    bold = is_bold(properties.get("fo:font-weight"))
                if size is None and (points := _POINTS.match(
                        properties.get("fo:font-size") or "")):
                    size = float(points.group(1))
                parent = style.parent_style
                style = self._document.get_style(family, parent) if parent else None
            self._chains[key] = (bold, size)
        return self._chains[key]
