"""Writing small text PDFs by hand: no library that writes text PDFs is a dependency.

:func:`make_pdf` shows given lines (the tests' PDFs); :func:`laid_out_pdf` lays out a
document's :class:`~ragqa.eval.blocks.Block` records as a word processor's export does:
a larger title and headings, paragraphs wrapped at the margin, pages of fixed height and a
footer on each page (the document's title and the page number). Text is Helvetica in the
Windows-1252 encoding: :func:`printable` says what a character outside it becomes.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from ragqa.eval.blocks import Block

# Ligature glyphs, as TeX or InDesign output writes them: a byte code that cp1252 leaves
# unused, named by the font's /Differences (pypdf reads it back as the ligature character).
_LIGATURES = {"\ufb00": 0x8F, "\ufb01": 0x81, "\ufb02": 0x8D}
_GLYPHS = {0x8F: b"/ff", 0x81: b"/fi", 0x8D: b"/fl"}
# Letter-size page, 50 pt margins; 11 pt body text wraps at about 90 Helvetica characters.
_TOP, _BOTTOM, _LEFT, _FOOTER = 750, 70, 50, 40
_BODY, _WRAP = 11, 90
# Two columns: 245 pt wide each, 22 pt apart, out of the 512 pt between the margins.
_TEXT_WIDTH, _COLUMN_WIDTH, _COLUMN_STEP = 512, 245, 267
_HEADING_SIZES = {1: 18, 2: 14, 3: 12}


def printable(text: str) -> str:
    """``text`` as :func:`laid_out_pdf` prints it: a character Windows-1252 lacks (and that
    is no ligature) becomes ``?``, one for one, so offsets in ``text`` still hold."""
    return "".join(c if c in _LIGATURES or _encodable(c) else "?" for c in text)


def _encodable(char: str) -> bool:
    try:
        char.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def _escape(line: str) -> bytes:
    raw = b"".join(bytes([_LIGATURES[c]]) if c in _LIGATURES else c.encode("cp1252")
                   for c in line)
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


Parts = str | Sequence[tuple[str, bool]]
Line = str | tuple[float, Parts] | tuple[float, Parts, bool]


def make_pdf(pages: list[list[Line]], title: str | None = None) -> bytes:
    """A valid PDF whose page ``i`` shows the lines ``pages[i]`` (cp1252 characters and
    the ligatures ﬀ, ﬁ, ﬂ only), 12 pt, or ``(size, line)`` in that size, or
    ``(size, line, True)`` in bold, one line under the other at 1.2 times the size. A line
    may also be ``(text, bold)`` parts: "Attention" in bold, the rest of the line not."""
    streams = []
    for lines in pages:
        ops = [b"BT /F1 12 Tf 14 TL 50 750 Td"]
        size = 12.0
        for line in lines:
            parts: Parts = line
            bold = False
            if isinstance(line, tuple):
                wanted, parts, *rest = line
                bold = bool(rest and rest[0])
                if wanted != size:
                    size = wanted
                    ops.append(b"%g TL" % round(size * 1.2, 1))
            if isinstance(parts, str):
                parts = [(parts, bold)]
            for text, in_bold in parts:
                ops.append(b"/F%d %g Tf (" % (2 if in_bold else 1, size) + _escape(text)
                           + b") Tj")
            ops.append(b"T*")
        ops.append(b"ET")
        streams.append(b"\n".join(ops))
    return _pdf(streams, title)


def laid_out_pdf(title: str, blocks: Sequence[Block], bold_headings: bool = False,
                 columns: int = 1) -> bytes:
    """A PDF of ``title`` (the first line, larger) and ``blocks``, laid out on pages with a
    footer; every character goes through :func:`printable`. Headings are set larger, or
    with ``bold_headings`` in bold at the body's size. With ``columns=2`` the text runs in
    two columns (a newsletter's or a brochure's page: paragraphs wrapped at about 43
    characters, headings wrapped too, the left column filled before the right one)."""
    wrap = _WRAP if columns == 1 else _WRAP * _COLUMN_WIDTH // _TEXT_WIDTH
    lines: list[tuple[int, str, int]] = [(_HEADING_SIZES[1], printable(title), 10)]
    headings: set[int] = set()
    for block in blocks:
        text = printable(block.text)
        if block.kind == "heading":
            size = _BODY if bold_headings else _HEADING_SIZES.get(block.level, _BODY + 1)
            parts = [text] if columns == 1 else textwrap.wrap(
                text, wrap * _BODY // size, break_long_words=False, break_on_hyphens=False)
            for i, part in enumerate(parts or [text]):
                if bold_headings:
                    headings.add(len(lines))
                lines.append((size, part, 8 if i == 0 else 0))
            continue
        wrapped = [w for part in text.split("\n")
                   for w in textwrap.wrap(part, wrap - (2 if block.kind == "item" else 0),
                                          break_long_words=False, break_on_hyphens=False)]
        if block.kind == "item":
            wrapped = [("\u2022 " if i == 0 else "  ") + w for i, w in enumerate(wrapped)]
        gap = 2 if block.kind == "item" else 6
        lines += [(_BODY, w, gap if i == 0 else 0) for i, w in enumerate(wrapped)]
    pages: list[list[bytes]] = [[]]
    y, column, top_of_column = _TOP, 0, True
    for number, (size, text, gap) in enumerate(lines):
        step = size + 3 + gap
        if y - step < _BOTTOM and not top_of_column:
            column = (column + 1) % columns
            if column == 0:
                pages.append([])
            y, top_of_column = _TOP, True
        y -= size if top_of_column else step
        top_of_column = False
        pages[-1].append(b"BT /F%d %d Tf %d %d Td (%s) Tj ET" % (
            2 if number in headings else 1, size, _LEFT + column * _COLUMN_STEP, y,
            _escape(text)))
    footer = _escape(printable(title))
    streams = [b"\n".join([*ops, b"BT /F1 9 Tf %d %d Td (%s - page %d / %d) Tj ET"
                           % (_LEFT, _FOOTER, footer, number, len(pages))])
               for number, ops in enumerate(pages, 1)]
    return _pdf(streams, None)


def _pdf(streams: list[bytes], title: str | None) -> bytes:
    """A PDF of one page per content stream, drawn with Helvetica (``/F1``) and
    Helvetica-Bold (``/F2``)."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")  # filled in once the page tree's number is known
    encoding = (b"/Encoding << /Type /Encoding /BaseEncoding /WinAnsiEncoding /Differences ["
                + b" ".join(b"%d %s" % item for item in sorted(_GLYPHS.items())) + b"] >> >>")
    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica " + encoding)
    bold = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold " + encoding)
    page_tree = len(objects) + 1 + 2 * len(streams)
    kids = []
    for stream in streams:
        content = add(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        kids.append(add(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] "
                        b"/Resources << /Font << /F1 %d 0 R /F2 %d 0 R >> >> /Contents %d 0 R >>"
                        % (page_tree, font, bold, content)))
    assert add(b"<< /Type /Pages /Kids [%s] /Count %d >>"
               % (b" ".join(b"%d 0 R" % k for k in kids), len(kids))) == page_tree
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % page_tree
    info = add(b"<< /Title (" + _escape(title) + b") >>") if title else None
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    trailer = b"<< /Size %d /Root %d 0 R" % (len(objects) + 1, catalog)
    if info:
        trailer += b" /Info %d 0 R" % info
    out += b"trailer\n" + trailer + b" >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)
