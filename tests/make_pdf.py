"""A tiny PDF writer for tests: one Helvetica text line per input line, one page per item."""

from __future__ import annotations

# Ligature glyphs, as TeX or InDesign output writes them: a byte code that cp1252 leaves
# unused, named by the font's /Differences (pypdf reads it back as the ligature character).
_LIGATURES = {"\ufb00": 0x8F, "\ufb01": 0x81, "\ufb02": 0x8D}
_GLYPHS = {0x8F: b"/ff", 0x81: b"/fi", 0x8D: b"/fl"}


def _escape(line: str) -> bytes:
    raw = b"".join(bytes([_LIGATURES[c]]) if c in _LIGATURES else c.encode("cp1252")
                   for c in line)
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def make_pdf(pages: list[list[str]], title: str | None = None) -> bytes:
    """A valid PDF whose page ``i`` shows the lines ``pages[i]`` (cp1252 characters and
    the ligatures ﬀ, ﬁ, ﬂ only)."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")  # filled in once the page tree's number is known
    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica "
               b"/Encoding << /Type /Encoding /BaseEncoding /WinAnsiEncoding /Differences ["
               + b" ".join(b"%d %s" % item for item in sorted(_GLYPHS.items())) + b"] >> >>")
    page_tree = len(objects) + 1 + 2 * len(pages)
    kids = []
    for lines in pages:
        ops = [b"BT /F1 12 Tf 14 TL 50 750 Td"]
        ops += [b"(" + _escape(line) + b") Tj T*" for line in lines]
        ops.append(b"ET")
        stream = b"\n".join(ops)
        content = add(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        kids.append(add(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] "
                        b"/Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>"
                        % (page_tree, font, content)))
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
