"""How a Word paragraph looks: wholly bold or not, and its font size, as Word resolves them.

A run's bold and size are its own (``w:rPr``), else its character style's (and the styles
that style is based on), else the paragraph style's (and its base styles), else the
document's defaults. python-docx reads each level (``Font.bold``, ``Font.size``) but does
not resolve them: that chain is walked here, for
:mod:`~ragqa.index.documents.handheadings` to tell a heading set by hand.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ragqa.index.documents import wordml
from ragqa.index.documents.handheadings import Look

if TYPE_CHECKING:
    from docx.oxml.text.paragraph import CT_P

_MAX_STYLE_DEPTH = 10  # a style's base styles looked at, at most


class WordLooks:
    """The looks of one document's paragraphs, style chains resolved once per style."""

    def __init__(self, document) -> None:
        self._document = document
        self._chains: dict[tuple[str | None, object], tuple[bool | None, float | None]] = {}
        self._default_size = _default_size(document)

    def look(self, paragraph: CT_P) -> Look:
        """Wholly bold (every run with words bold), and the largest size of those runs."""
        from docx.enum.style import WD_STYLE_TYPE
        from docx.text.font import Font

        p_bold, p_size = self._chain(paragraph.style, WD_STYLE_TYPE.PARAGRAPH)
        bold, sizes = True, []
        for run in wordml.runs(paragraph):
            if not run.text.strip():
                continue
            font = Font(run)
            c_bold, c_size = self._chain(run.style, WD_STYLE_TYPE.CHARACTER)
            run_bold = next((b for b in (font.bold, c_bold, p_bold) if b is not None), False)
            size = font.size.pt if font.size is not None else (c_size or p_size)
            bold = bold and run_bold
            sizes.append(size or self._default_size)
        if not sizes:
            return Look()
        known = [s for s in sizes if s is not None]
        return Look(bold=bold, size=max(known) if known else None)

    def _chain(self, style_id: str | None, kind) -> tuple[bool | None, float | None]:
        """A style's bold and size, from it or the first base style that sets them."""
        key = (style_id, kind)
        if key not in self._chains:
            from docx.enum.style import WD_STYLE_TYPE

            if style_id is None and kind == WD_STYLE_TYPE.CHARACTER:
                self._chains[key] = (None, None)
                return self._chains[key]
            bold: bool | None = None
            size: float | None = None
            style = self._document.part.get_style(style_id, kind)
            for _ in range(_MAX_STYLE_DEPTH):
                if style is None:
                    break
                if bold is None:
                    bold = style.font.bold
                if size is None and style.font.size is not None:
                    size = style.font.size.pt
                style = style.base_style
            self._chains[key] = (bold, size)
        return self._chains[key]


def _default_size(document) -> float | None:
    """The document's default font size (``w:docDefaults``), in points."""
    found = document.styles.element.xpath(
        "./w:docDefaults/w:rPrDefault/w:rPr/w:sz/@w:val")
    try:
        return int(found[0]) / 2 if found else None
    except ValueError:
        return None
