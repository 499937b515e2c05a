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


# Who may read a document: ``report.pdf`` → ``report.pdf.groups``, group names separated by
# commas or new lines (see ragqa.index.access). Read by both stores' syncs; the files store
# keeps an upload's groups there too.
GROUPS_SIDECAR_SUFFIX = ".groups"


def groups_sidecar(path: Path) -> Path:
    """Where a document's groups are kept: ``report.pdf`` → ``report.pdf.groups``."""
    return path.with_name(path.name + GROUPS_SIDECAR_SUFFIX)


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
        return parse_groups(data.decode("utf-8"))
    except (UnicodeDecodeError, GroupsError) as exc:
        logger.warning("%s: %s; the document is hidden from readers until it is fixed",
                       sidecar, exc)
        return UNREADABLE


def read_corpus_groups(corpus_dir: Path) -> dict[str, frozenset[str]]:
    """Every ``.groups`` sidecar of the corpus folder, by the id of the document beside it
    (hidden folders skipped, as the indexer does; a sidecar beside no document counts too:
    its document may arrive).

    Fails closed: an entry whose name ends with the suffix in any case (``x.md.GROUPS``)
    that is not a readable regular file named exactly ``<document>.groups`` (a dangling
    link, a folder, another case) makes its document
    :data:`~ragqa.index.access.UNREADABLE`: whoever placed it meant to restrict it."""
    found: dict[str, frozenset[str]] = {}
    if not corpus_dir.is_dir():
        return found
    suffix = GROUPS_SIDECAR_SUFFIX
    for entry in sorted(corpus_dir.rglob("*")):
        if not entry.name.lower().endswith(suffix) or len(entry.name) == len(suffix):
            continue
        rel = entry.relative_to(corpus_dir)
        if any(part.startswith(".") for part in rel.parts):
            continue
        document = entry.with_name(entry.name[:-len(suffix)])
        doc_id = rel.with_name(document.name).as_posix()
        if entry.name.endswith(suffix) and entry.is_file():
            groups = read_groups_sidecar(document)
        else:
            logger.warning("%s: not a readable %s file; the document is hidden from readers "
                           "until it is fixed", entry, suffix)
            groups = UNREADABLE
        if groups and found.get(doc_id) != UNREADABLE:
            found[doc_id] = groups
    return found
