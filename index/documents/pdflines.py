"""A PDF page's lines with their type: the size, the baseline and the boldness of each.

pypdf's text extraction calls a visitor with each text run it reads; :func:`typed_page`
takes from it each run's font size (the ``Tf`` size times the text and current matrices'
vertical scale), its baseline and its font (bold or not, read once per font dictionary and
page: :func:`is_bold_font`), so the page is extracted once and its type costs about a
tenth of the extraction's time (eval/results/formats-retrieval.md, "PDF: headings and
sections"). The headings are read from these lines
(:mod:`~ragqa.index.documents.pdfheadings`, :mod:`~ragqa.index.documents.pdfbold`).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

SIZE_STEP = 0.5  # points: sizes closer than this are one size

# A bold font by its name: the weight spelt out ("Arial-BoldMT", "ABCDEF+Calibri-Bold",
# "Arial,Bold", "Montserrat-SemiBold", "Lato-Black", "Avenir-Heavy", "Garamond-Demi"), or
# abbreviated after the family's name as type foundries do ("HelveticaNeueLTStd-Bd",
# "-BdIt", "HelveticaNeue-Hv", "SourceSansPro-Blk", URW's "NimbusRomNo9L-Medi", their
# Times Bold; "Roboto-Medium" is no bold), or TeX's bold extended ("CMBX12", "SFBX1200").
_BOLD_NAME = re.compile(
    r"(?i:bold|black|heavy|demi)|[-,_](?:Bd|Hv|Blk|Medi)(?![a-z])|^(?:CM|EC|SF)[A-Z]*BX")
_BOLD_WEIGHT = 600  # a FontDescriptor's /FontWeight from which the font is bold
_FORCE_BOLD = 1 << 18  # a FontDescriptor's /Flags bit 19: glyphs painted bold


@dataclass(frozen=True)
class TypedLine:
    """A line of a page's extracted text: its text, the size most of its characters are
    set in (points; 0 where unknown), its baseline's height on the page (None where
    unknown) and whether all its characters are in a bold font."""

    text: str
    size: float = 0.0
    y: float | None = None
    bold: bool = False


@dataclass(frozen=True)
class PageHeading:
    """A heading found on a page: lines ``first`` to ``last`` of its extracted text (one
    heading wrapped over them), its text on one line and its level (1 is the top)."""

    first: int
    last: int
    text: str
    level: int


def typed_page(page) -> tuple[str, list[TypedLine]]:
    """A pypdf page's extracted text (what ``page.extract_text()`` gives) and its lines with
    their type. Where the visitor's runs do not make up the text, the lines carry no type."""
    runs: list[tuple[str, float, float | None, bool]] = []
    fonts: dict[int, bool] = {}  # id of a font dictionary -> bold, read once per page

    def visit(text, cm, tm, font, font_size) -> None:
        if text:
            if id(font) not in fonts:
                fonts[id(font)] = is_bold_font(font)
            runs.append((text, _size(font_size, cm, tm), _baseline(cm, tm), fonts[id(font)]))

    text = page.extract_text(visitor_text=visit) or ""
    if "".join(run[0] for run in runs) != text:
        return text, [TypedLine(line) for line in text.split("\n")]
    lines: list[TypedLine] = []
    sizes: Counter[float] = Counter()
    current: list[str] = []
    y: float | None = None
    light = 0  # printed characters of the line not in a bold font
    for run, size, baseline, bold in runs:
        pieces = run.split("\n")
        for index, piece in enumerate(pieces):
            if index:  # a line ends
                lines.append(_typed(current, sizes, y, light))
                current, sizes, y, light = [], Counter(), None, 0
            if piece:
                current.append(piece)
                printed = len(piece) - piece.count(" ")
                if printed:
                    sizes[size] += printed
                    light += 0 if bold else printed
                    if y is None:
                        y = baseline
    lines.append(_typed(current, sizes, y, light))
    return text, lines


def _typed(pieces: list[str], sizes: Counter[float], y: float | None,
           light: int) -> TypedLine:
    size = sizes.most_common(1)[0][0] if sizes else 0.0
    return TypedLine("".join(pieces), size, y, bool(sizes) and not light)


def is_bold_font(font) -> bool:
    """Whether a pypdf font dictionary is a bold font: its name says so
    (:data:`_BOLD_NAME`), or its descriptor (a composite font's, of its descendant) gives
    a weight of 600 or more or the ForceBold flag."""
    try:
        if font is None:
            return False
        if _bold_name(font.get("/BaseFont", "")):
            return True
        descriptor = font.get("/FontDescriptor")
        if descriptor is None and font.get("/DescendantFonts"):
            descendant = font["/DescendantFonts"][0].get_object()
            if _bold_name(descendant.get("/BaseFont", "")):
                return True
            descriptor = descendant.get("/FontDescriptor")
        if descriptor is None:
            return False
        descriptor = descriptor.get_object()
        weight = float(descriptor.get("/FontWeight", 0) or 0)
        flags = int(descriptor.get("/Flags", 0) or 0)
        return weight >= _BOLD_WEIGHT or bool(flags & _FORCE_BOLD)
    except Exception:  # noqa: BLE001 - a damaged font dictionary: read as not bold
        return False


def _bold_name(name) -> bool:
    """Whether a font's ``/BaseFont`` name says it is bold (:data:`_BOLD_NAME`); a subset's
    tag ("ABCDEF+") is left out."""
    return bool(_BOLD_NAME.search(str(name).lstrip("/").rsplit("+", 1)[-1]))


def _size(font_size, cm, tm) -> float:
    """A run's size on the page: the ``Tf`` size scaled by the text matrix and the current
    transformation matrix (a writer may set ``1 Tf`` and scale the matrix), rounded to
    :data:`SIZE_STEP`."""
    try:
        scale = math.hypot(tm[2], tm[3]) * math.hypot(cm[2], cm[3])
        size = abs(float(font_size)) * scale
    except (TypeError, ValueError, IndexError):
        return 0.0
    return round(size / SIZE_STEP) * SIZE_STEP if math.isfinite(size) else 0.0


def _baseline(cm, tm) -> float | None:
    try:
        y = float(tm[4]) * cm[1] + float(tm[5]) * cm[3] + cm[5]
    except (TypeError, ValueError, IndexError):
        return None
    return y if math.isfinite(y) else None


def body_size(pages: Sequence[Sequence[TypedLine]]) -> float:
    """The size most of the document's characters are set in (0 where no size is known)."""
    chars: Counter[float] = Counter()
    for lines in pages:
        for line in lines:
            if line.size:
                chars[line.size] += len(line.text) - line.text.count(" ")
    return chars.most_common(1)[0][0] if chars else 0.0
