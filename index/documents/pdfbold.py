"""A PDF's headings set in bold at the body's size: Word's hand headings, saved as PDF.

A Word file whose author made short lines bold instead of styling them as headings (the
most common intranet PDF) has no outline, and its type shows one size: the title, alone,
is set larger. Its bold lines are read as Word's are
(:mod:`~ragqa.index.documents.handheadings`, the same rules and guards), each printed line
a paragraph, with the rules of printed lines (``HandOutline(lines=True)``: the line right
under a heading reads as text, a glossary's terms are no headings) and the type's rules
(``may_head``: no quote, no figures). A line all of whose characters are in a bold font
(:func:`~ragqa.index.documents.pdflines.is_bold_font`) is one paragraph, or a bold line
and the bold lines it is wrapped over (:func:`_bold_wrapped`). Such a heading sits one
level below the type heading open before it (a bold line under the title is level 2), as a
hand heading in Word sits below the styled heading open before it. They are added to the
type's headings, not only taken where the type finds none: the title alone is set larger
in most such exports, and it would hide them all. Bold words inside a line, a bold
lead-in, make no heading; a table's bold header row, a form's bold labels and a glossary's
terms make none either.

A page's running lines (a footer, a page number: the page's ``running`` line numbers) are
no paragraphs. A page break is a line break under a bold line only where the page ends on
that line near its foot (the document's lowest lines, :data:`FOOT_LINES` lines at most
above them) after body text: a heading the layout left at a page's foot heads the next
page. Elsewhere (a cover page, a page that stops short, a page with no body text) the
break ends the run of bold lines (``HandOutline.page_break``): a cover's bold lines head
nothing, and are no heading above the next page's first heading.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from ragqa.index.documents.handheadings import HandOutline, Look, line_reads_as_text
from ragqa.index.documents.pdflines import SIZE_STEP, PageHeading, TypedLine, body_size
from ragqa.index.documents.wrapping import DANGLING_WORDS, goes_on

FOOT_LINES = 4  # lines of its size (1.2 times the size each) a page's foot may stand above
# the document's lowest line
PARAGRAPH_SPACE = 2.0  # points more than the line spacing that set two lines apart as
# paragraphs
WRAP_REACH = 0.6  # a bold line wrapped before a capital is this share of the page's longest
# line at least


def bold_headings(pages: Sequence[Sequence[TypedLine]],
                  by_type: Sequence[Sequence[PageHeading]],
                  running: Sequence[Collection[int]],
                  may_head: Callable[[str], bool]) -> list[list[PageHeading]]:
    """Each page's headings by type (``by_type``) with its headings set in bold at the
    body's size added (see the module's docstring), in line order. ``running`` holds each
    page's running line numbers; ``may_head`` says whether a line may be a heading by the
    type's rules."""
    if not any(line.bold for lines in pages for line in lines):
        return [list(found) for found in by_type]
    layout = _Layout.of(pages, running)
    # (page, first line, last line, text) of each paragraph (a line, or a bold line and
    # the bold lines it is wrapped over), or (page, line, line, None) for a type heading
    steps: list[tuple[int, int, int, str | None]] = []
    breaks: set[int] = set()  # the steps before which a page break ends a run
    for page, (lines, headings, edges) in enumerate(zip(pages, by_type, running)):
        if steps and not layout.runs_on(pages, page - 1, steps[-1], by_type):
            breaks.add(len(steps))
        starts = {h.first: h for h in headings}
        skip = -1  # the last line of the type heading being read
        for index, line in enumerate(lines):
            text = " ".join(line.text.split())
            if index in starts:
                steps.append((page, index, index, None))
                skip = starts[index].last
            elif index > skip and index not in edges and text:
                if steps and _bold_wrapped(pages, layout, steps[-1], page, index):
                    _, first, _, above = steps.pop()
                    steps.append((page, first, index, f"{above} {text}"))
                else:
                    steps.append((page, index, index, text))
    outline = HandOutline(may_head=may_head, lines=True)
    where: list[tuple[int, int, int, str]] = []  # the paragraphs, in the order recorded
    for n, (page, first, last, text) in enumerate(steps):
        if n in breaks:
            outline.page_break()
        if text is None:
            heading = next(h for h in by_type[page] if h.first == first)
            outline.heading(heading.text, heading.level)
        else:
            line = pages[page][first]
            outline.paragraph(text, Look(line.bold, line.size or None))
            where.append((page, first, last, text))
    found = [list(headings) for headings in by_type]
    for n, level in outline.levels().items():
        page, first, last, text = where[n]
        found[page].append(PageHeading(first, last, text, level))
    return [sorted(headings, key=lambda h: h.first) for headings in found]


@dataclass(frozen=True)
class _Layout:
    """What the document's layout says of its lines: its lowest baseline (the foot of its
    pages), its line spacing and whether it sets paragraphs further apart, and each page's
    longest line (characters)."""

    foot: float | None
    spacing: float | None
    spaced: bool
    widths: list[int]

    @classmethod
    def of(cls, pages: Sequence[Sequence[TypedLine]],
           running: Sequence[Collection[int]]) -> _Layout:
        # the body's lines alone: footnotes in smaller type printed lower on one page do
        # not move every page's foot
        body = body_size(pages)
        ys = [line.y for lines, edges in zip(pages, running)
              for n, line in enumerate(lines)
              if n not in edges and line.y is not None and line.text.strip()
              and (line.size or body) >= body]
        gaps: Counter[float] = Counter()
        for lines in pages:
            printed = [line for line in lines if line.text.strip()]
            for above, line in zip(printed, printed[1:]):
                if (above.y is not None and line.y is not None and above.size == line.size
                        and above.y > line.y):
                    gaps[round((above.y - line.y) / SIZE_STEP) * SIZE_STEP] += 1
        # the line spacing: the closest two lines of one size are, on two pairs at least
        # (the most common gap is the paragraphs' where paragraphs are short)
        repeated = sorted(gap for gap, count in gaps.items() if count >= 2)
        spacing = repeated[0] if repeated else None
        spaced = spacing is not None and any(
            spacing + PARAGRAPH_SPACE <= gap <= 3 * spacing for gap in repeated)
        widths = [max((len(line.text.strip()) for line in lines), default=0) for lines in pages]
        return cls(min(ys) if ys else None, spacing, spaced, widths)

    def runs_on(self, pages: Sequence[Sequence[TypedLine]], page: int,
                last: tuple[int, int, int, str | None],
                by_type: Sequence[Sequence[PageHeading]]) -> bool:
        """Whether the run of bold lines ending ``page`` (its ``last`` step) goes on over
        the page break: the page ends on a bold line near the document's foot, after body
        text."""
        last_page, first, end, text = last
        if text is None or last_page != page:
            return False
        line = pages[page][end]
        if not line.bold or line.y is None or self.foot is None:
            return False
        if line.y - self.foot > FOOT_LINES * 1.2 * (line.size or 1):
            return False
        headed = {n for h in by_type[page] for n in range(h.first, h.last + 1)}
        return any(not above.bold and n not in headed and line_reads_as_text(above.text)
                   for n, above in enumerate(pages[page][:first]))


def _bold_wrapped(pages: Sequence[Sequence[TypedLine]], layout: _Layout,
                  above: tuple[int, int, int, str | None], page: int, index: int) -> bool:
    """Whether line ``index`` of ``page``, bold, goes on the bold line recorded ``above``
    (its page, first and last lines, text): the next line, in the same size, carrying on
    its words (a lower-case start, or a line ending on "de", "la", "des"...), or, where the
    document sets its paragraphs apart, at the line spacing below a line that reaches near
    the page's width (:data:`WRAP_REACH`): a heading wrapped before a capital."""
    above_page, first, last, text = above
    if text is None or above_page != page or last != index - 1:
        return False
    previous, line = pages[page][last], pages[page][index]
    if not (previous.bold and line.bold and previous.size == line.size and line.text.strip()):
        return False
    words = previous.text.split()
    if goes_on(previous.text, line.text) or bool(
            words and words[-1].casefold() in DANGLING_WORDS):
        return True
    return (layout.spaced and first == last and previous.y is not None and line.y is not None
            and layout.spacing is not None
            and abs(previous.y - line.y - layout.spacing) <= SIZE_STEP
            and len(previous.text.strip()) >= WRAP_REACH * layout.widths[page])
