"""Reading any supported file into a :class:`~ragqa.index.documents.reading.Document`, by suffix."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from ragqa.index.documents.reading import TEXT_SUFFIXES, Document, load_text_document
from ragqa.index.errors import DocumentError
from ragqa.index.documents.formats import HTML_SUFFIXES, PDF_SUFFIXES, load_html_document, load_pdf_document

SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | PDF_SUFFIXES


def load_document(path: Path, doc_id: str) -> Document:
    """Load ``path`` (whose id is ``doc_id``) or raise :class:`DocumentError`."""
    suffix = PurePosixPath(doc_id).suffix.lower()
    if suffix in TEXT_SUFFIXES:
        return load_text_document(path, doc_id)
    elif suffix in HTML_SUFFIXES:
        return load_html_document(path, doc_id)
    elif suffix in PDF_SUFFIXES:
        return load_pdf_document(path, doc_id)
    raise DocumentError(
        f"{doc_id}: unsupported file type {suffix or '(none)'}; "
        f"supported: {', '.join(sorted(SUPPORTED_SUFFIXES))}"
    )
