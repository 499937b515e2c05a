"""Reading HTML pages and PDF files.

HTML: the page's main text, without navigation, footers and other chrome, laid out as a
person reads it, its headings kept as structure (:mod:`ragqa.index.documents.webpages`).
PDF: the pages' text read as a person reads it (words hyphenated at line ends joined,
ligature glyphs as letters, hard-wrapped lines as paragraphs:
:mod:`ragqa.index.documents.pdftext`), joined by a blank line, with the start offset of
every page kept in :attr:`Document.pages` so passages know their page, and its headings
(from its outline, else its type: :mod:`ragqa.index.documents.pdfheadings`) as section
starts; without a metadata title, the largest heading of the first page names it. An encrypted PDF
that opens without a password (an owner password only restricts printing or copying) is
read; one that needs a password is refused.
"""

from __future__ import annotations

import codecs
import dataclasses
import io
import logging
import re
from pathlib import Path, PurePosixPath

from ragqa.index.documents.charsets import Reading, legacy_reading, utf16_without_bom
from ragqa.index.documents.outline import OutlinedDocument
from ragqa.index.documents.pdfheadings import headed_pages, heading_records
from ragqa.index.documents.pdftext import pdf_text
from ragqa.index.documents.reading import extract_title, sha256_bytes
from ragqa.index.documents.titles import metadata_title, normalise
from ragqa.index.documents.webpages import HTML_SUFFIXES, read_html
from ragqa.index.errors import DocumentError

logger = logging.getLogger(__name__)

__all__ = ["HTML_SUFFIXES", "PDF_SUFFIXES", "load_html_document", "load_pdf_document",
           "read_bytes"]

PDF_SUFFIXES = frozenset({".pdf"})
# A charset declared by the page: <meta charset>, <meta http-equiv ... content="...;
# charset=...">, or an XML declaration's encoding, within its first bytes (HTML5 says 1,024;
# comments and scripts before the head push it further).
_DECLARED_CHARSET = re.compile(rb"(?i)<meta[^>]*charset\s*=|<\?xml[^>]*encoding\s*=")
_CHARSET_SCAN = 8192
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def read_bytes(path: Path, doc_id: str) -> bytes:
    """The bytes of the file at ``path``, or :class:`DocumentError` if unreadable or empty."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentError(f"{doc_id}: cannot be read ({exc.strerror or exc})") from None
    if not data.strip():
        raise DocumentError(f"{doc_id}: the file is empty")
    return data


def load_html_document(path: Path, doc_id: str) -> OutlinedDocument:
    """Read an HTML page's main text into an :class:`OutlinedDocument`."""
    data = read_bytes(path, doc_id)
    # UTF-16 is half NUL bytes, and is what Windows PowerShell 5.1 saves a page in
    # (ConvertTo-Html | Out-File): with its BOM it is text, decoded by trafilatura. Plainly
    # UTF-16 without one, it is given the BOM its byte order has (the document keeps the
    # file's own hash).
    if b"\x00" in data[:8192] and not data.startswith(UTF16_BOMS):
        codec = utf16_without_bom(data)
        if codec is None:
            raise DocumentError(f"{doc_id}: looks like a binary file (NUL bytes), not HTML")
        bom = codecs.BOM_UTF16_LE if codec == "utf_16_le" else codecs.BOM_UTF16_BE
        document = read_html(bom + data, doc_id)
        return dataclasses.replace(document, content_hash=sha256_bytes(data))
    legacy = _undeclared_legacy(data)
    if legacy is not None:
        document = read_html(legacy.text.encode("utf-8"), doc_id)
        logger.warning("%s: not UTF-8 and no charset declared, decoded as %s", doc_id,
                       legacy.encoding)
        return dataclasses.replace(document, content_hash=sha256_bytes(data))
    return read_html(data, doc_id)


def _undeclared_legacy(data: bytes) -> Reading | None:
    """The legacy reading of a page that is not UTF-8 and declares no charset (a page saved
    by an old editor in Windows-1252), else None: such a page is read as text files are
    (:func:`~ragqa.index.documents.charsets.legacy_reading`); left to trafilatura, its "à"
    read as cp1250's "ŕ". A page that declares its charset is read as it says."""
    if _DECLARED_CHARSET.search(data[:_CHARSET_SCAN]):
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return legacy_reading(data)
    return None


def load_pdf_document(path: Path, doc_id: str) -> OutlinedDocument:
    """Read a PDF's text into an :class:`OutlinedDocument` whose ``pages`` hold page start
    offsets and whose headings are those its outline or its type says
    (:mod:`~ragqa.index.documents.pdfheadings`)."""
    from pypdf import PdfReader
    from pypdf.errors import LimitReachedError, PdfReadError, PyPdfError

    data = read_bytes(path, doc_id)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not _opens_without_password(reader):
            raise DocumentError(f"{doc_id}: the PDF is encrypted; upload an unencrypted copy")
        pages = headed_pages(reader)
        info_title = (reader.metadata.title if reader.metadata else None) or ""
    except DocumentError:
        raise
    except LimitReachedError:
        # pypdf stops inflating a stream at 75 MB: a "zip bomb" is refused, not expanded.
        raise DocumentError(f"{doc_id}: a PDF stream inflates past pypdf's safety limit "
                            "(a compression bomb?); not indexed") from None
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        raise DocumentError(f"{doc_id}: not a readable PDF ({exc})") from None
    shaped = pdf_text(pages.texts, [[h.text for h in page] for page in pages.headings])
    text = shaped.text
    if not text.strip():
        raise DocumentError(
            f"{doc_id}: the PDF holds no extractable text (a scan needs OCR first)"
        )
    # The file's own title (its metadata) is the author's word. The first page's largest
    # type usually is the title too ("layout"), but it may be a letterhead every notice of
    # a ministry opens with: the corpus's chrome then gives the headline after it.
    given = metadata_title(info_title)
    title = given or metadata_title(pages.title)
    # Every page carries on the section of the page before (a heading starts a new one
    # wherever it falls): the paper ended there, not the text. Passages read across the
    # break, as over a deck's continued slides, cited by the page holding most of them.
    return OutlinedDocument(
        doc_id=doc_id, text=text, title=title or extract_title(text, PurePosixPath(doc_id).stem),
        content_hash=sha256_bytes(data), pages=shaped.pages,
        title_source="metadata" if given else "layout" if title else "text",
        headings=heading_records(pages.headings, shaped.headings),
        continued_pages=tuple(shaped.pages[1:]), page_chrome_removed=True,
        page_chrome_kept=frozenset(normalise(line) for line in shaped.first_page_running),
        page_chrome_stacked=frozenset(normalise(line) for line in shaped.first_page_stacked))


def _opens_without_password(reader) -> bool:
    """Whether an encrypted PDF opens with the empty user password: one that only restricts
    printing or copying (an owner password) is read like any other. AES needs the
    ``cryptography`` package, which is not installed: such a PDF stays refused."""
    from pypdf import PasswordType
    from pypdf.errors import DependencyError

    try:
        return reader.decrypt("") != PasswordType.NOT_DECRYPTED
    except (DependencyError, NotImplementedError):
        return False
