"""What is kept beside a document: its explicit title (``report.pdf`` → ``report.pdf.title``)
and the groups that may read it (``report.pdf.groups``).

Given on upload or written by hand, they survive every re-index (the indexer skips the
suffixes; a title's change re-indexes, a groups change re-embeds nothing)."""

from __future__ import annotations

import logging
import os
import unicodedata
from pathlib import Path

from ragqa.index.access import UNREADABLE, GroupsError, parse_groups
from ragqa.index.documents.folder import Listed, Stamp, StampCache, list_folder, now_ns
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
        groups = parse_groups(data.decode("utf-8-sig"))  # a BOM (older Windows tools) is no name
        if not groups:  # placed to restrict, not to open: delete it for that
            raise GroupsError("it names no group (to let every reader read the document, "
                              "delete the file)")
        return groups
    except (UnicodeDecodeError, GroupsError) as exc:
        logger.warning("%s: %s; the document is hidden from readers until it is fixed",
                       sidecar, exc)
        return UNREADABLE


def read_corpus_groups(corpus_dir: Path, stamps: StampCache | None = None
                       ) -> dict[str, frozenset[str]]:
    """Every ``.groups`` sidecar of the corpus folder, by the id of the document beside it
    (hidden folders skipped, as the indexer does; a sidecar beside no document counts too:
    its document may arrive). With ``stamps``, a sidecar whose stat has not moved since it
    was read is not read again (``stamps`` is updated).

    Fails closed: an entry whose name ends with the suffix in any case (``x.md.GROUPS``)
    that is not a readable regular file named exactly ``<document>.groups`` (a dangling
    link, a folder, another case), or that names no group, makes its document
    :data:`~ragqa.index.access.UNREADABLE`: whoever placed it meant to restrict it. So does
    a sidecar whose name matches a document's only in case or Unicode form (``Bonus.txt``
    and ``bonus.txt.groups``; a name in NFD beside one in NFC). A link to a restricted file
    of the folder, with no sidecar of its own, gets that file's groups (groups follow the
    text, not only the name)."""
    found: dict[str, frozenset[str]] = {}
    if not corpus_dir.is_dir():
        return found
    suffix = GROUPS_SIDECAR_SUFFIX
    started = now_ns()
    consulted: list[str] = []
    documents: dict[str, Listed] = {}  # what else is listed: the names sidecars are for
    for listed in list_folder(corpus_dir):
        rel, entry = listed
        if not entry.name.lower().endswith(suffix) or len(entry.name) == len(suffix):
            documents[rel] = listed
            continue
        doc_id = rel[:-len(suffix)]
        try:
            regular = entry.name.endswith(suffix) and entry.is_file()
        except OSError:
            regular = False
        if regular:
            groups = _groups(Path(entry.path[:-len(suffix)]), rel, stamps, started)
            consulted.append(rel)
        else:
            logger.warning("%s: not a readable %s file; the document is hidden from readers "
                           "until it is fixed", entry.path, suffix)
            groups = UNREADABLE
        if groups and found.get(doc_id) != UNREADABLE:
            found[doc_id] = groups
    if stamps is not None:
        stamps.keep_only(consulted)
    if found:
        _near_names(found, documents)
        _links(corpus_dir, found, documents)
    return found


def _name_key(rel: str) -> str:
    return unicodedata.normalize("NFC", rel).casefold()


def _near_names(found: dict[str, frozenset[str]], documents: dict[str, Listed]) -> None:
    """Hide (UNREADABLE) a document whose name a sidecar spells otherwise only in case or
    Unicode form: the sidecar was meant for it."""
    lonely = [doc_id for doc_id in found if doc_id not in documents]
    if not lonely:
        return
    by_key: dict[str, list[str]] = {}
    for rel in documents:
        by_key.setdefault(_name_key(rel), []).append(rel)
    for doc_id in lonely:
        for rel in by_key.get(_name_key(doc_id), ()):
            logger.warning("%s%s names no document, but %s only in case or Unicode form: %s "
                           "is hidden from readers until the sidecar's name is fixed", doc_id,
                           GROUPS_SIDECAR_SUFFIX, rel, rel)
            found[rel] = UNREADABLE


def _links(corpus_dir: Path, found: dict[str, frozenset[str]],
           documents: dict[str, Listed]) -> None:
    """A link to a restricted file of the folder, without a sidecar of its own, gets that
    file's groups."""
    root = os.path.realpath(corpus_dir)
    for rel, listed in documents.items():
        if rel in found:
            continue
        try:
            if not listed.entry.is_symlink():
                continue
            target = os.path.relpath(os.path.realpath(listed.entry.path), root)
        except (OSError, ValueError):
            continue
        groups = found.get(target.replace(os.sep, "/"))
        if groups:
            found[rel] = groups


def _groups(document: Path, rel: str, stamps: StampCache | None, started: int
            ) -> frozenset[str] | None:
    """:func:`read_groups_sidecar`, read again only when the sidecar's stat moved (a
    sidecar that cannot be read is read again at every sync, and said in the log)."""
    if stamps is None:
        return read_groups_sidecar(document)
    try:
        stamp = Stamp.of(os.stat(groups_sidecar(document)))
    except OSError:
        return read_groups_sidecar(document)
    kept = stamps.get(rel, stamp)
    if kept is not None:
        return kept or None
    groups = read_groups_sidecar(document)
    if groups != UNREADABLE:
        stamps.put(rel, stamp, groups or frozenset(), started)
    return groups
