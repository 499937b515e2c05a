"""Canonical text of HTML pages (trafilatura) and PDF files (pypdf).

HTML: the page's main text, as markdown so headings still cut sections, without
navigation, footers and other chrome. PDF: the pages' text joined by a blank line, with the
start offset of every page kept in :attr:`Document.pages` so passages know their page. An
encrypted PDF that opens without a password (an owner password only restricts printing or
copying) is read; one that needs a password is refused.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path, PurePosixPath

from ragqa.index.documents.reading import Document, extract_title, sha256_bytes
from ragqa.index.documents.titles import metadata_title
from ragqa.index.errors import DocumentError

logger = logging.getLogger(__name__)

HTML_SUFFIXES = frozenset({".html", ".htm"})
PDF_SUFFIXES = frozenset({".pdf"})
PAGE_SEPARATOR = "\n\n"
# Page chrome that HTML5 marks as such: pruned before extraction, because on short pages
# trafilatura falls back to a baseline extraction that would keep it.
CHROME_XPATHS = ["//nav", "//header", "//footer", "//aside", "//*[@role='navigation']"]


def read_bytes(path: Path, doc_id: str) -> bytes:
    """The bytes of the file at ``path``, or :class:`DocumentError` if unreadable or empty."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentError(f"{doc_id}: cannot be read ({exc.strerror or exc})") from None
    if not data.strip():
        raise DocumentError(f"{doc_id}: the file is empty")
    return data


def _canonical(text: str) -> str:
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def load_html_document(path: Path, doc_id: str) -> Document:
    """Read an HTML page's main text into a :class:`Document`."""
    import trafilatura  # heavy (lxml, dateparser): loaded only when an HTML file is read

    data = read_bytes(path, doc_id)
    if b"\x00" in data[:8192]:
        raise DocumentError(f"{doc_id}: looks like a binary file (NUL bytes), not HTML")
    text = trafilatura.extract(data, output_format="markdown", include_comments=False,
                               include_tables=True, favor_recall=True,
                               prune_xpath=CHROME_XPATHS)
    if not text or not text.strip():
        # Pages too short for trafilatura's main-content heuristics: all visible text.
        text = trafilatura.html2txt(data)
    text = _canonical(text or "").strip()
    if not text:
        raise DocumentError(f"{doc_id}: the HTML page holds no text")
    metadata = trafilatura.extract_metadata(data)
    fallback = PurePosixPath(doc_id).stem
    # trafilatura reads og:title, then <title> without the site name, then the first <h1>.
    title = metadata_title(metadata.title if metadata else None)
    return Document(doc_id=doc_id, text=text, title=title or extract_title(text, fallback),
                    content_hash=sha256_bytes(data),
                    title_source="metadata" if title else "text")


def load_pdf_document(path: Path, doc_id: str) -> Document:
    """Read a PDF's text into a :class:`Document` whose ``pages`` hold page start offsets."""
    from pypdf import PdfReader
    from pypdf.errors import LimitReachedError, PdfReadError, PyPdfError

    data = read_bytes(path, doc_id)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not _opens_without_password(reader):
            raise DocumentError(f"{doc_id}: the PDF is encrypted; upload an unencrypted copy")
        page_texts = [_canonical(page.extract_text() or "").strip() for page in reader.pages]
        info_title = (reader.metadata.title if reader.metadata else None) or ""
    except DocumentError:
        raise
    except LimitReachedError:
        # pypdf stops inflating a stream at 75 MB: a "zip bomb" is refused, not expanded.
        raise DocumentError(f"{doc_id}: a PDF stream inflates past pypdf's safety limit "
                            "(a compression bomb?); not indexed") from None
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        raise DocumentError(f"{doc_id}: not a readable PDF ({exc})") from None
    pages: list[int] = []
    parts: list[str] = []
    offset = 0
    for page_text in page_texts:
        pages.append(offset)
        parts.append(page_text)
        offset += len(page_text) + len(PAGE_SEPARATOR)
    text = PAGE_SEPARATOR.join(parts)
    if not text.strip():
        raise DocumentError(
            f"{doc_id}: the PDF holds no extractable text (a scan needs OCR first)"
        )
    title = metadata_title(info_title)
    return Document(doc_id=doc_id, text=text,
                    title=title or extract_title(text, PurePosixPath(doc_id).stem),
                    content_hash=sha256_bytes(data), pages=tuple(pages),
                    title_source="metadata" if title else "text")


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
