"""A document's explicit title, kept beside it: ``report.pdf`` → ``report.pdf.title``.

Given on upload or written by hand, it survives every re-index (the indexer skips the
suffix and notices a change)."""

from __future__ import annotations

import logging
from pathlib import Path

from ragqa.index.documents.titles import MAX_TITLE_CHARS

logger = logging.getLogger(__name__)


TITLE_SIDECAR_SUFFIX = ".title"


MAX_SIDECAR_BYTES = 4096


def title_sidecar(path: Path) -> Path:
    """Where a document's explicit title is kept: ``report.pdf`` → ``report.pdf.title``.

    A plain UTF-8 file beside the document (the indexer skips its suffix), so an explicit
    title given on upload survives every re-index and can be written or edited by hand.
    """
    return path.with_name(path.name + TITLE_SIDECAR_SUFFIX)


def read_title_sidecar(path: Path) -> str | None:
    """The explicit title of the document at ``path``, or None when it has none."""
    try:
        with title_sidecar(path).open("rb") as handle:
            data = handle.read(MAX_SIDECAR_BYTES)  # a title, not a document: bounded
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        logger.warning("%s: cannot be read (%s); the title is taken from the text",
                       title_sidecar(path), exc.strerror or exc)
        return None
    return clean_title(data.decode("utf-8", errors="replace"))


def clean_title(title: str) -> str | None:
    """An explicit title, whitespace collapsed and bounded, or None when blank."""
    cleaned = " ".join(title.split())[:MAX_TITLE_CHARS]
    return cleaned or None
