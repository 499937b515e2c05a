"""Reading any supported file into a :class:`~ragqa.index.documents.reading.Document`, by suffix.

Text and markdown (:mod:`~ragqa.index.documents.reading`), HTML and PDF
(:mod:`~ragqa.index.documents.formats`), Word and OpenDocument text
(:mod:`~ragqa.index.documents.wordprocessing`), PowerPoint and OpenDocument presentations
(:mod:`~ragqa.index.documents.presentations`), Excel and OpenDocument workbooks and CSV
files (:mod:`~ragqa.index.documents.spreadsheets`) and e-mail (:mod:`~ragqa.index.documents.mail`).
Structured formats give an :class:`~ragqa.index.documents.outline.OutlinedDocument`, whose
sections :func:`~ragqa.index.documents.outline.document_sections` gives.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from ragqa.index.documents.formats import (
    HTML_SUFFIXES,
    PDF_SUFFIXES,
    load_html_document,
    load_pdf_document,
)
from ragqa.index.documents.mail import EMAIL_SUFFIXES, load_email_document
from ragqa.index.documents.plaintext import PLAIN_TEXT_SUFFIXES, load_plain_text_document
from ragqa.index.documents.presentations import (
    ODP_SUFFIXES,
    PPTX_SUFFIXES,
    load_odp_document,
    load_pptx_document,
)
from ragqa.index.documents.reading import TEXT_SUFFIXES, Document, load_text_document
from ragqa.index.documents.spreadsheets import (
    CSV_SUFFIXES,
    ODS_SUFFIXES,
    XLSX_SUFFIXES,
    load_csv_document,
    load_ods_document,
    load_xlsx_document,
)
from ragqa.index.documents.wordprocessing import (
    ODT_SUFFIXES,
    WORD_SUFFIXES,
    load_docx_document,
    load_odt_document,
)
from ragqa.index.errors import DocumentError

logger = logging.getLogger(__name__)

_LOADERS: dict[frozenset[str], Callable[[Path, str], Document]] = {
    TEXT_SUFFIXES: load_text_document,
    PLAIN_TEXT_SUFFIXES: load_plain_text_document,  # (after TEXT_SUFFIXES: it replaces .txt's)
    HTML_SUFFIXES: load_html_document,
    PDF_SUFFIXES: load_pdf_document,
    WORD_SUFFIXES: load_docx_document,
    ODT_SUFFIXES: load_odt_document,
    PPTX_SUFFIXES: load_pptx_document,
    ODP_SUFFIXES: load_odp_document,
    XLSX_SUFFIXES: load_xlsx_document,
    ODS_SUFFIXES: load_ods_document,
    CSV_SUFFIXES: load_csv_document,
    EMAIL_SUFFIXES: load_email_document,
}
LOADERS: dict[str, Callable[[Path, str], Document]] = {
    suffix: loader for suffixes, loader in _LOADERS.items() for suffix in suffixes
}
SUPPORTED_SUFFIXES = frozenset(LOADERS)
# Refused types that have an accepted twin: the refusal says what to save them as.
MACRO_SUFFIXES = {".docm": ".docx", ".dotm": ".docx", ".xlsm": ".xlsx", ".xltm": ".xlsx",
                  ".xlsb": ".xlsx", ".pptm": ".pptx", ".potm": ".pptx", ".ppsm": ".pptx"}
LEGACY_SUFFIXES = {".doc": ".docx", ".xls": ".xlsx", ".ppt": ".pptx", ".msg": ".eml",
                   ".rtf": ".docx"}


def load_document(path: Path, doc_id: str) -> Document:
    """Load ``path`` (whose id is ``doc_id``) or raise :class:`DocumentError`.

    Each loader refuses what it knows to be wrong with a :class:`DocumentError`; a damaged
    file can still make a parsing library fail in ways no loader foresees (a zip member
    whose data does not inflate, a PDF filter pypdf does not implement, a malformed object
    it trips on). That is one file refused as damaged, never a failed run: one bad file in
    a folder of thousands must not stop the others from being indexed (or an upload answer
    500)."""
    suffix = PurePosixPath(doc_id).suffix.lower()
    loader = LOADERS.get(suffix)
    if loader is None:
        raise DocumentError(unsupported(doc_id))
    try:
        return loader(path, doc_id)
    except (DocumentError, MemoryError, OSError):
        # a refusal already, or a failure of the moment (memory, a read error): the run
        # fails and the index stays as it is, rather than a refusal kept by the file's hash
        # (a sync does not read an unchanged file again) removing the document
        raise
    except Exception as exc:  # noqa: BLE001 - see above
        logger.debug("%s: the loader failed", doc_id, exc_info=True)
        detail = " ".join(f"{type(exc).__name__}: {exc}".split())[:200]
        raise DocumentError(f"{doc_id}: the file could not be read; it may be damaged "
                            f"({detail})") from exc


def unsupported(doc_id: str, listed: bool = True) -> str:
    """Why ``doc_id``'s file type is refused, and what to save it as where we know (with the
    supported types unless ``listed`` is false)."""
    suffix = PurePosixPath(doc_id).suffix.lower()
    if suffix in MACRO_SUFFIXES:
        return (f"{doc_id}: macro-enabled Office files ({suffix}) are not accepted; save it "
                f"as {MACRO_SUFFIXES[suffix]} without macros")
    hint = (f"; save it as {LEGACY_SUFFIXES[suffix]}" if suffix in LEGACY_SUFFIXES else "")
    supported = f"; supported: {', '.join(sorted(SUPPORTED_SUFFIXES))}" if listed else ""
    return f"{doc_id}: unsupported file type {suffix or '(none)'}{hint}{supported}"
