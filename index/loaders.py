"""Reading any supported file into a :class:`~index.documents.Document`, by suffix."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from index.documents import TEXT_SUFFIXES, Document, load_text_document
from index.errors import DocumentError

SUPPORTED_SUFFIXES = TEXT_SUFFIXES


def load_document(path: Path, doc_id: str) -> Document:
    """Load ``path`` (whose id is ``doc_id``) or raise :class:`DocumentError`."""
    suffix = PurePosixPath(doc_id).suffix.lower()
    if suffix in TEXT_SUFFIXES:
        return load_text_document(path, doc_id)
    raise DocumentError(
        f"{doc_id}: unsupported file type {suffix or '(none)'}; "
        f"supported: {', '.join(sorted(SUPPORTED_SUFFIXES))}"
    )
