"""What is kept beside a document: its explicit title (``report.pdf`` → ``report.pdf.title``)
and the groups that may read it (``report.pdf.groups``).

Given on upload or written by hand, they survive every re-index (the indexer skips the
suffixes; a title's change re-indexes, a groups change re-embeds nothing)."""

from __future__ import annotations

import logging
from pathlib import Path

from ragqa.index.access import UNREADABLE, GroupsError, parse_groups
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
    """The explicit title of the document at ``path``, or None when it has none (or its
    sidecar cannot be read: said in the log)."""
    try:
        return read_title_sidecar_or_fail(path)
    except OSError as exc:
        logger.warning("%s: cannot be read (%s); the title is taken from the text",
                       title_sidecar(path), exc.strerror or exc)
        return None


def read_title_sidecar_or_fail(path: Path) -> str | None:
    """:func:`read_title_sidecar`, but a sidecar that exists and cannot be read raises its
    ``OSError`` (for a caller that must not remember that as "no title")."""
    try:
        with title_sidecar(path).open("rb") as handle:
            data = handle.read(MAX_SIDECAR_BYTES)  # a title, not a document: bounded
    except (FileNotFoundError, NotADirectoryError):
        return None
    return clean_title(data.decode("utf-8", errors="replace"))


def clean_title(title: str) -> str | None:
    """An explicit title, whitespace collapsed and bounded, or None when blank."""
    cleaned = " ".join(title.split())[:MAX_TITLE_CHARS]
    return cleaned or None


# Who may read a document: ``report.pdf`` → ``report.pdf.groups``, group names separated by
# commas or new lines (see ragqa.index.access). Read by both stores' syncs; the files store
# keeps an upload's groups there too. The folder's rules over them (links, near names):
# ragqa.index.documents.group_rules.
GROUPS_SIDECAR_SUFFIX = ".groups"


def groups_sidecar(path: Path) -> Path:
    """Where a document's groups are kept: ``report.pdf`` → ``report.pdf.groups``."""
    return path.with_name(path.name + GROUPS_SIDECAR_SUFFIX)


# What ragqa writes in a ``.groups`` file to keep a document to readers of everything for
# a while (a new version whose groups have none in common with the old one's being
# indexed: :func:`~ragqa.index.access.while_replacing`): read back silently as such, where
# a file naming no group, placed by hand, is a mistake said in the log.
HELD_SIDECAR = "# readers of everything only, while ragqa indexes a version of other groups\n"


def read_groups_sidecar(path: Path) -> frozenset[str] | None:
    """The groups of the document at ``path`` from its sidecar, None without one. A sidecar
    that cannot be read or parsed fails closed: :data:`~ragqa.index.access.UNREADABLE` (only
    readers of everything see the document), said in the log."""
    sidecar = groups_sidecar(path)
    try:
        with sidecar.open("rb") as handle:
            data = handle.read(64 * 1024 + 1)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        logger.warning("%s: cannot be read (%s); the document is hidden from readers until "
                       "it can", sidecar, exc.strerror or exc)
        return UNREADABLE
    try:
        if len(data) > 64 * 1024:
            raise GroupsError("the file is over 64 KB")
        text = data.decode("utf-8-sig")  # a BOM (older Windows tools) is no name
        if text.strip() == HELD_SIDECAR.strip():
            return UNREADABLE  # ragqa's own, while a version of other groups is indexed
        groups = parse_groups(text)
        if not groups:  # placed to restrict, not to open: delete it for that
            raise GroupsError("it names no group (to let every reader read the document, "
                              "delete the file)")
        return groups
    except (UnicodeDecodeError, GroupsError) as exc:
        logger.warning("%s: %s; the document is hidden from readers until it is fixed",
                       sidecar, exc)
        return UNREADABLE
