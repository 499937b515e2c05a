"""PowerPoint (``.pptx``, python-pptx) and OpenDocument (``.odp``, odfdo) presentations.

A slide is a page (its number is the page passages cite, as a PDF's) and a section titled
with the slide's title ("Diapositive N" for an untitled one; the label is not written in
the text). A slide reads as its title line, then each shape's text in the file's order
(a text box's paragraphs of prose as blocks, its short ones, bullets, as lines; tables as
``header : value`` lines; groups opened), then its speaker notes. Footer, date and
slide-number placeholders are left out: they repeat on every slide. The title is the
file's metadata title, else the headline found in the text (the first slide's title,
usually).

A slide titled as the slide before it, or so with a mark that it goes on ("Résultats",
then "Résultats (suite)", "Résultats (2/3)", "Résultats (cont.)", "Résultats…"), carries on
that slide's section, as a reader reads it: a section-header slide and the content slides
under its title, or a text too long for one slide, are one section (:func:`continues`).
Its title is not repeated in the text (as a PDF's running header, it only carries the
reader over the page break) and passages may run across its start, cited by the slide
holding most of them; the slide stays a page. Cut at every slide, a section became passages of a
slide each, and the slide that ends a section (a last line or two, a page footer) a
passage of a few words that outranked real ones. A paragraph of prose is a block of its
own, as in a document: read as lines of one block, a slide of three paragraphs was one
piece to the chunker, never cut between its paragraphs nor overlapped by its neighbours'
passages. Measured: eval/results/formats-retrieval.md (session 28).

python-pptx (MIT, lxml, Pillow, XlsxWriter) is the maintained reader of ``.pptx``: 3.1 MB
installed (XlsxWriter 2 MB more; Pillow is already there). A generated 100-slide deck
loads in 59 ms, about 1,700 slides/s.
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ragqa.index.documents.closing import closes
from ragqa.index.documents.formats import read_bytes
from ragqa.index.documents.layout import (
    TextBuilder,
    clean_lines,
    one_line,
    table_lines,
    unwrap,
)
from ragqa.index.documents.opendocument import (
    ODP_MIMETYPE,
    PARSE_ERRORS,
    inline_text,
    marks_header,
    paragraphs_text,
    read_odf,
    table_rows,
)
from ragqa.index.documents.outline import OutlinedDocument
from ragqa.index.documents.packages import check_ooxml, open_package, unreadable
from ragqa.index.documents.titles import metadata_title
from ragqa.index.errors import DocumentError

if TYPE_CHECKING:
    from odfdo import Element

PPTX_SUFFIXES = frozenset({".pptx"})
ODP_SUFFIXES = frozenset({".odp"})
PPTX_KIND = "PowerPoint presentation"
ODP_KIND = "OpenDocument presentation"
UNTITLED_SLIDE = "Diapositive {number}"
# Placeholders that repeat on every slide: chrome, not content.
_ODP_CHROME = frozenset({"footer", "date-time", "page-number", "header"})
# A slide's paragraph this long runs over more than a line: prose, read as a paragraph.
PROSE_CHARS = 100
# What says that a slide goes on with the slide before, at the end of its title: "(suite)",
# "(suite et fin)", "(fin)", "(cont.)", "(continued)", "(2/3)", "(2)", "(II)", or without
# brackets after a dash or a colon ("– suite"), a count "2/3", an ellipsis.
_GOES_ON = r"suite (?:\s+et\s+fin)? | cont(?:inued|['’]d|\.)"
_CONTINUATION_MARK = re.compile(
    rf"""(?:
        [(\[] \s* (?: {_GOES_ON} | suite\s+\d{{1,2}} | cont | continuation | fin
                     | \d{{1,2}} \s* / \s* \d{{1,2}} | \d{{1,2}} | [ivx]{{1,4}} ) \s* [)\]]
      | (?: \s[–—-] | [,:;] ) \s* (?: {_GOES_ON} | fin ) \.?
      | (?<=\s) \d{{1,2}} \s* / \s* \d{{1,2}}
      | … | \.{{3}}
    ) \s* $""",
    re.IGNORECASE | re.VERBOSE,
)
_TRAILING = re.compile(r"[\s,:;.–—-]+$")
# A title that is only such a mark: "Suite", "(suite)", "Suite…", "…".
_ONLY_MARK = re.compile(
    rf"[(\[]? \s* (?: {_GOES_ON} | cont ) \s* [)\]]? \s* (?: … | \.{{3}} )? | … | \.{{3}}",
    re.IGNORECASE | re.VERBOSE)


def continues(title: str, previous: str) -> bool:
    """Whether a slide titled ``title`` carries on the section of the slide before it,
    titled ``previous``: the same title, marks of continuation, case and spacing aside, or
    a title that is only such a mark ("(suite)", "Suite…")."""
    before = _base_title(previous)
    if _ONLY_MARK.fullmatch(one_line(title)):
        return bool(before)
    if one_line(title).casefold() == one_line(previous).casefold():
        return bool(before)
    return (bool(before) and _base_title(title) == before
            and _a_count(title) and _a_count(previous))


# A count at a title's end, "2/3" or "(2/3)"; one that is no count of slides ("12/03",
# "19/03": dates) keeps two titles apart.
_COUNT = re.compile(r"(\d{1,2})\s*/\s*(\d{1,2})\W*$")


def _a_count(title: str) -> bool:
    """Whether ``title`` ends with no "n/m", or with one that counts slides: n at most m,
    neither written with a leading zero ("12/03" and "02/03" are days of March)."""
    match = _COUNT.search(one_line(title))
    if match is None:
        return True
    n, m = match.groups()
    return n[0] != "0" and m[0] != "0" and int(n) <= int(m)


def _base_title(title: str) -> str:
    line, last = one_line(title), None
    while line != last:
        last = line
        line = _TRAILING.sub("", _CONTINUATION_MARK.sub("", line))
    return line.casefold()


def section_headers(titles: Sequence[str], bare: Sequence[bool]) -> list[bool]:
    """Which slides, titled ``titles``, are section-header slides, heading the slides
    after them: a slide ``bare`` (its title and at most a subtitle, :func:`_pptx_bare`)
    followed by a slide that is not, and that does not carry on its title (the eval's
    writer's "Chantiers" then "Chantiers": one section, :func:`continues`). The first
    slide names the deck; a bare slide followed by another, or last, or one that closes
    or pauses (:func:`divider`), is a divider: a section of its own."""
    return [n > 0 and bare[n] and bool(one_line(title)) and n + 1 < len(titles)
            and not bare[n + 1] and not continues(titles[n + 1], title)
            and not divider(title)
            for n, title in enumerate(titles)]


def divider(title: str) -> bool:
    """Whether a bare slide titled ``title`` closes or pauses rather than heads the slides
    after it (:func:`~ragqa.index.documents.closing.closes`: "Questions ?", "Merci de votre
    attention", "Bonne route !")."""
    return closes(one_line(title))


class _SlideSections:
    """Each slide's page and section start, slide after slide: a slide's title heads a
    section of its own; a slide titled as the one before carries on its section; a
    section-header slide (:func:`section_headers`) heads the sections of the slides after
    it, up to the next one or to a bare slide (a divider), and heads no section of its
    own: its line opens the next slide's section, whose page is read across (a passage of
    its title alone answered nothing and outranked real ones)."""

    def __init__(self, builder: TextBuilder, titles: Sequence[str],
                 bare: Sequence[bool]) -> None:
        self._builder, self._titles, self._bare = builder, titles, bare
        self._headers = section_headers(titles, bare)
        self._previous = ""  # the title the last slide's section runs under
        self._under = False  # a section-header slide heads the slides now

    def start(self, index: int) -> None:
        """The page and section start of slide ``index`` (0-based)."""
        title, builder = self._titles[index], self._builder
        if self._headers[index]:
            builder.page()
            builder.heading(title, 1, over_next=True)
            self._previous, self._under = title, True
            return
        if continues(title, self._previous):
            builder.page(continues=True)
            return
        builder.page(continues=index > 0 and self._headers[index - 1])
        self._under = self._under and not self._bare[index]
        builder.heading(title, 2 if self._under else 1,
                        label=UNTITLED_SLIDE.format(number=index + 1))
        self._previous = title


def load_pptx_document(path: Path, doc_id: str) -> OutlinedDocument:
    """Read a ``.pptx`` file into an :class:`OutlinedDocument`, one page per slide."""
    import pptx
    from pptx.exc import PythonPptxError

    data = read_bytes(path, doc_id)
    check_ooxml(open_package(data, doc_id, PPTX_KIND), doc_id, PPTX_KIND, ".pptx")
    try:
        presentation = pptx.Presentation(io.BytesIO(data))
        builder, slides = TextBuilder(), list(presentation.slides)
        sections = _SlideSections(builder, [_pptx_title(slide) for slide in slides],
                                  [_pptx_bare(slide) for slide in slides])
        for index, slide in enumerate(slides):
            sections.start(index)
            _pptx_slide(slide, builder)
        title = metadata_title(presentation.core_properties.title)
    except DocumentError:
        raise
    except (*PARSE_ERRORS, PythonPptxError) as exc:
        raise unreadable(doc_id, PPTX_KIND, exc) from None
    return builder.document(doc_id, data, title)


def _pptx_title(slide) -> str:
    title_shape = slide.shapes.title
    return title_shape.text_frame.text if title_shape is not None else ""


def _pptx_slide(slide, builder: TextBuilder) -> None:
    """A slide's shapes but its title, then its notes, written into ``builder``."""
    title_shape = slide.shapes.title
    for shape in slide.shapes:
        if title_shape is None or shape.shape_id != title_shape.shape_id:
            _pptx_shape(shape, builder)
    if slide.has_notes_slide and slide.notes_slide.notes_text_frame is not None:
        _pptx_text(slide.notes_slide.notes_text_frame, builder)


def _pptx_bare(slide) -> bool:
    """Whether a slide holds its title and at most a subtitle: no other text (chrome
    aside), no content shape (:func:`_pptx_content`), no notes. A subtitle is one short
    paragraph (:data:`PROSE_CHARS`) in a subtitle placeholder, or in a placeholder of a
    layout named a section header's ("Section Header", "En-tête de section"): a content
    slide's one bullet is content."""
    title_shape = slide.shapes.title
    if title_shape is None or not one_line(title_shape.text_frame.text):
        return False
    if slide.has_notes_slide and slide.notes_slide.notes_text_frame is not None and (
            one_line(slide.notes_slide.notes_text_frame.text)):
        return False
    texts = []
    for shape in _pptx_flat(slide.shapes):
        if shape.shape_id == title_shape.shape_id or _pptx_chrome(shape):
            continue
        if _pptx_content(shape):
            return False
        if shape.has_text_frame:
            paragraphs = [p.text for p in shape.text_frame.paragraphs if one_line(p.text)]
            if paragraphs:
                texts.append((shape, paragraphs))
    if not texts:
        return True
    lone = _lone_short(texts)
    return lone is not None and _pptx_subtitle(slide, lone)


def _lone_short(texts: list[tuple[object, list[str]]]):
    """The shape of ``texts`` (``(shape, its paragraphs)`` of a slide but its title) when
    it is one shape of one short paragraph (under :data:`PROSE_CHARS`), a subtitle's
    size, else None."""
    if len(texts) > 1 or len(texts[0][1]) > 1 or len(texts[0][1][0]) >= PROSE_CHARS:
        return None
    return texts[0][0]


def _pptx_flat(shapes):
    from pptx.shapes.group import GroupShape

    for shape in shapes:
        if isinstance(shape, GroupShape):
            yield from _pptx_flat(shape.shapes)
        else:
            yield shape


def _pptx_chrome(shape) -> bool:
    from pptx.enum.shapes import PP_PLACEHOLDER

    return shape.is_placeholder and shape.placeholder_format.type in (
        PP_PLACEHOLDER.FOOTER, PP_PLACEHOLDER.DATE, PP_PLACEHOLDER.SLIDE_NUMBER)


def _pptx_content(shape) -> bool:
    """Whether a shape is a slide's content whatever its text: a picture, a video or a
    sound, a table, a chart, a diagram, an OLE object or control (python-pptx's
    ``MSO_SHAPE_TYPE``; a SmartArt diagram's frame it types None). A drawn shape, a line
    or a text box is content by its text only (a decorative rectangle is none)."""
    from pptx.shapes.graphfrm import GraphicFrame

    try:
        kind = shape.shape_type
    except NotImplementedError:  # an element python-pptx does not model (ink)
        return False
    if kind is None:
        return isinstance(shape, GraphicFrame)
    return kind in _content_types()


@functools.cache
def _content_types() -> frozenset:
    from pptx.enum.shapes import MSO_SHAPE_TYPE as T

    return frozenset({T.PICTURE, T.LINKED_PICTURE, T.MEDIA, T.WEB_VIDEO, T.TABLE, T.CHART,
                      T.DIAGRAM, T.CANVAS, T.IGX_GRAPHIC, T.EMBEDDED_OLE_OBJECT,
                      T.LINKED_OLE_OBJECT, T.OLE_CONTROL_OBJECT})


_SECTION_LAYOUT = re.compile(r"section", re.IGNORECASE)  # "Section Header", "En-tête de section"


def _pptx_subtitle(slide, shape) -> bool:
    from pptx.enum.shapes import PP_PLACEHOLDER

    if not shape.is_placeholder:
        return False
    return (shape.placeholder_format.type == PP_PLACEHOLDER.SUBTITLE
            or bool(_SECTION_LAYOUT.search(slide.slide_layout.name or "")))


def _pptx_shape(shape, builder: TextBuilder) -> None:
    from pptx.shapes.group import GroupShape

    if isinstance(shape, GroupShape):
        for inner in shape.shapes:
            _pptx_shape(inner, builder)
    elif _pptx_chrome(shape):
        return
    elif shape.has_text_frame:
        _pptx_text(shape.text_frame, builder)
    elif getattr(shape, "has_table", False) and shape.has_table:
        table = shape.table
        rows = [[cell.text for cell in row.cells] for row in table.rows]
        builder.block(table_lines(rows, True if table.first_row else None))


def _pptx_text(frame, builder: TextBuilder) -> None:
    """A text frame's paragraphs as blocks (:func:`_box_blocks`), soft line breaks ("\\v")
    unwrapped."""
    _box_blocks([unwrap(clean_lines(paragraph.text)) for paragraph in frame.paragraphs],
                builder)


def _box_blocks(paragraphs: list[list[str]], builder: TextBuilder) -> None:
    """A text box's paragraphs (each as its lines) as blocks: a paragraph of prose, longer
    than a line of a slide (:data:`PROSE_CHARS`), is a block of its own, as a document's
    paragraph; the short ones between (bullets, labels) are lines of one block, as a list."""
    short: list[str] = []
    for lines in paragraphs:
        if sum(len(line) for line in lines) < PROSE_CHARS:
            short.extend(lines)
            continue
        builder.block(short)
        builder.block(lines)
        short = []
    builder.block(short)


def load_odp_document(path: Path, doc_id: str) -> OutlinedDocument:
    """Read an ``.odp`` file into an :class:`OutlinedDocument`, one page per slide."""
    data = read_bytes(path, doc_id)
    builder, title = read_odf(data, doc_id, ODP_KIND, ODP_MIMETYPE, _walk_odp)
    return builder.document(doc_id, data, title)


def _walk_odp(document) -> TextBuilder:
    builder = TextBuilder()
    # (odfdo makes new wrappers at each call of ``children``: a page's are read once.)
    pages = [page.children for page in document.body.children if page.tag == "draw:page"]
    title_shapes = [_odp_title_shape(shapes) for shapes in pages]
    titles = [paragraphs_text(shape) if shape is not None else "" for shape in title_shapes]
    sections = _SlideSections(builder, titles, [
        _odp_bare(shapes, shape, title)
        for shapes, shape, title in zip(pages, title_shapes, titles)])
    for index, (shapes, title_shape) in enumerate(zip(pages, title_shapes)):
        sections.start(index)
        for shape in shapes:
            if shape is not title_shape:
                _odp_shape(shape, builder)
    return builder


def _odp_title_shape(shapes: list[Element]) -> Element | None:
    return next((s for s in shapes if s.tag == "draw:frame"
                 and s.get_attribute("presentation:class") == "title"), None)


# A slide's content whatever its text: a picture, a chart or OLE object, a table, a video
# or a sound (a plugin).
_ODP_CONTENT = ("draw:image", "draw:object", "draw:object-ole", "table:table", "draw:plugin")


def _odp_bare(shapes: list[Element], title_shape: Element | None, title: str) -> bool:
    """:func:`_pptx_bare` for an ODP slide: a subtitle is the text of a frame of class
    "subtitle"."""
    if title_shape is None or not one_line(title):
        return False
    texts: list[tuple[Element, list[str]]] = []
    for shape in shapes:
        if shape is title_shape or shape.get_attribute("presentation:class") in _ODP_CHROME:
            continue
        if any(shape.get_elements(f"descendant-or-self::{tag}") for tag in _ODP_CONTENT):
            return False
        boxes = [shape] if shape.tag != "draw:frame" else shape.children
        paragraphs = [" ".join(lines) for box in boxes for lines in _odf_box_paragraphs(box)
                      if one_line(" ".join(lines))]
        if paragraphs:
            texts.append((shape, paragraphs))
    if not texts:
        return True
    lone = _lone_short(texts)
    return lone is not None and lone.get_attribute("presentation:class") == "subtitle"


def _odp_shape(shape: Element, builder: TextBuilder) -> None:
    if shape.get_attribute("presentation:class") in _ODP_CHROME:
        return
    if shape.tag in ("draw:g", "presentation:notes", "draw:frame"):
        for inner in shape.children:  # a group's shapes, the notes' frame, a frame's box
            _odp_shape(inner, builder)
    elif shape.tag == "table:table":
        builder.block(table_lines(table_rows(shape), marks_header(shape)))
    elif shape.tag in ("draw:page-thumbnail", "draw:image", "draw:object", "office:forms"):
        return
    else:  # a text box, or a drawn shape (rectangle, custom shape) holding text
        _box_blocks(_odf_box_paragraphs(shape), builder)


def _odf_box_paragraphs(element: Element) -> list[list[str]]:
    """The paragraphs of a box (list items included), each as its lines."""
    paragraphs: list[list[str]] = []
    for child in element.children:
        if child.tag in ("text:p", "text:h"):
            paragraphs.append(unwrap(clean_lines(inline_text(child))))
        elif child.tag in ("text:list", "text:list-item", "text:list-header"):
            paragraphs.extend(_odf_box_paragraphs(child))
    return paragraphs
