"""The corpus folder's rules of groups, in one place for both stores and every path that
gives a document groups (a sync, an upload, ``PUT /v1/documents/{id}/groups``).

Beyond its own ``<document>.groups`` file (:mod:`ragqa.index.documents.sidecars`), a
document of the folder gets groups from two rules, both failing closed:

* a ``.groups`` file whose name matches a document's only in case or Unicode form
  (``Paie-2026.pdf`` beside ``paie-2026.pdf.groups``; an accent composed in one name and
  not in the other) was meant for it: the document is hidden
  (:data:`~ragqa.index.access.UNREADABLE`) until the name is fixed;
* a link of the folder to a document of the folder, without a ``.groups`` file of its
  own, holds that document's text, so it gets that document's groups (a hard link too: a
  second name of a file that has a ``.groups`` file gets its groups); a link whose target
  cannot be told (it points at nothing any more, a loop, a file the indexer skips in a
  hidden folder) is hidden.

:func:`read_folder_groups` reads what the rules need from one listing of the folder (a
sync passes the one it made); :meth:`FolderGroups.ruled` decides, given each store's own
groups of the links' targets (the files store's ``.groups`` files, PostgreSQL's table).
"""

from __future__ import annotations

import logging
import os
import unicodedata
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from ragqa.index.access import UNREADABLE
from ragqa.index.documents.folder import Listed, Stamp, StampCache, list_folder, now_ns, suffix_of
from ragqa.index.documents.loaders import SUPPORTED_SUFFIXES
from ragqa.index.documents.sidecars import (
    GROUPS_SIDECAR_SUFFIX,
    groups_sidecar,
    read_groups_sidecar,
)

logger = logging.getLogger(__name__)

# A store's own groups of a document (None: not known here, a link to it is left as it is).
OwnGroups = Callable[[str], "frozenset[str] | None"]


@dataclass(frozen=True)
class FolderGroups:
    """What the corpus folder says of groups, from one listing."""

    # Every ``.groups`` file's groups by the id of the document beside it (UNREADABLE for
    # one that cannot be read as one), a file beside no document included: it may arrive.
    sidecars: dict[str, frozenset[str]]
    # Documents a ``.groups`` file names only in case or Unicode form.
    near: frozenset[str]
    # Each link of the folder without a ``.groups`` file of its own, to the id of the
    # document of the folder it points at (None: that cannot be told). Links out of the
    # folder are not here: no groups of the folder's are theirs to follow.
    links: dict[str, str | None]
    # The ``.groups`` files beside no document, by their names' key (case and Unicode form
    # set aside): what a document's name is checked against.
    lonely: dict[str, list[str]]
    # Each symbolic link of the folder that has a ``.groups`` file of its own, to the
    # document it points at as in :attr:`links`: the files store reads only that file, but
    # PostgreSQL must know that it is a link (a ``PUT []`` there makes it follow its
    # target, as removing the file does on the files store).
    own_links: dict[str, str | None] = field(default_factory=dict)

    def with_own_links(self) -> FolderGroups:
        """These rules with :attr:`own_links` among :attr:`links` (PostgreSQL's view: a
        link's own groups are a row marked given there, which the link rule leaves)."""
        if not self.own_links:
            return self
        return replace(self, links={**self.own_links, **self.links}, own_links={})

    def nearly_named(self, doc_ids: Iterable[str]) -> set[str]:
        """Of ``doc_ids`` (the folder's, or documents it does not list: PostgreSQL's
        uploads), those a ``.groups`` file beside no document names only in case or
        Unicode form."""
        if not self.lonely:
            return set()
        return {d for d in doc_ids
                if any(name != d for name in self.lonely.get(_name_key(d), ()))}

    def affected(self, doc_ids: Iterable[str]) -> set[str]:
        """``doc_ids`` and the links to them: what a change of their groups reaches."""
        wanted = set(doc_ids)
        return wanted | {link for link, target in self.links.items() if target in wanted}

    def targets(self, among: Collection[str] | None = None) -> set[str]:
        """The documents the links (of ``among`` only, when given) point at."""
        return {t for link, t in self.links.items()
                if t is not None and (among is None or link in among)}

    def ruled(self, own: OwnGroups, among: Collection[str] | None = None,
              unlisted: Iterable[str] = (),
              explicit: Collection[str] = ()) -> dict[str, frozenset[str]]:
        """The groups the rules give documents (of ``among`` only, when given), over their
        own: UNREADABLE for one a ``.groups`` file names only in case or Unicode form
        (``unlisted`` too: documents the store holds that the folder does not list), and
        for a link whose target cannot be told or is itself so named; for another link,
        its target's groups as the store holds them (``own(target)``; None leaves the link
        as it is). The other documents keep their own groups (absent here), and so do the
        links of ``explicit``: documents given groups by a writer (a ``PUT``, an upload under
        the link's id), their own as a ``.groups`` file of the link's name is on the files
        store (whose links with one are not :attr:`links` at all)."""
        found = {doc_id: UNREADABLE for doc_id in self.near
                 if among is None or doc_id in among}
        for doc_id in self.nearly_named(unlisted):
            if among is None or doc_id in among:
                found[doc_id] = UNREADABLE
        for link, target in self.links.items():
            if link in found or link in explicit or (among is not None and link not in among):
                continue
            if target is None or target in self.near:
                found[link] = UNREADABLE
                continue
            groups = own(target)
            if groups is not None:
                found[link] = groups
        return found


def read_folder_groups(corpus_dir: Path, listing: list[Listed] | None = None,
                       stamps: StampCache | None = None) -> FolderGroups:
    """The folder's ``.groups`` files, near names and links, from ``listing`` (one
    :func:`~ragqa.index.documents.folder.list_folder` of ``corpus_dir`` a caller already
    made) or a listing made here. With ``stamps``, a ``.groups`` file whose stat has not
    moved since it was read is not read again (``stamps`` is updated).

    Fails closed: an entry whose name ends with the suffix in any case (``x.md.GROUPS``)
    that is not a readable regular file named exactly ``<document>.groups`` (a dangling
    link, a folder, another case), or that names no group, makes its document
    :data:`~ragqa.index.access.UNREADABLE`: whoever placed it meant to restrict it."""
    if listing is None:
        listing = list_folder(corpus_dir) if corpus_dir.is_dir() else []
    suffix = GROUPS_SIDECAR_SUFFIX
    started = now_ns()
    consulted: list[str] = []
    sidecars: dict[str, frozenset[str]] = {}
    documents: dict[str, Listed] = {}  # what else is listed: the names sidecars are for
    for listed in listing:
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
        if groups and sidecars.get(doc_id) != UNREADABLE:
            sidecars[doc_id] = groups
    if stamps is not None:
        stamps.keep_only(consulted)
    lonely: dict[str, list[str]] = {}
    for doc_id in sidecars:
        if doc_id not in documents:
            lonely.setdefault(_name_key(doc_id), []).append(doc_id)
    links, own_links = _links(corpus_dir, sidecars, documents)
    folder = FolderGroups(sidecars, frozenset(), links, lonely, own_links)
    near = folder.nearly_named(documents)
    for rel in sorted(near):
        logger.warning("%s is named like a .groups file beside no document, but only in case "
                       "or Unicode form (%s): it is hidden from readers until the file's name "
                       "is fixed", rel, ", ".join(n + GROUPS_SIDECAR_SUFFIX for n in
                                                  lonely[_name_key(rel)]))
    return replace(folder, near=frozenset(near))


def read_corpus_groups(corpus_dir: Path, stamps: StampCache | None = None
                       ) -> dict[str, frozenset[str]]:
    """The groups of every document of the folder that has some, where the ``.groups``
    files are the truth (the files store): each one's own, then the rules over them."""
    folder = read_folder_groups(corpus_dir, stamps=stamps)
    found = dict(folder.sidecars)
    found.update(folder.ruled(lambda target: folder.sidecars.get(target, frozenset())))
    return {doc_id: groups for doc_id, groups in found.items() if groups}


def _name_key(rel: str) -> str:
    return unicodedata.normalize("NFC", rel).casefold()


def _links(corpus_dir: Path, sidecars: dict[str, frozenset[str]],
           documents: dict[str, Listed]
           ) -> tuple[dict[str, str | None], dict[str, str | None]]:
    """Each link of the folder named as a document, without a ``.groups`` file of its own,
    to the document of the folder it points at (None when it points into the folder at
    nothing listed, or cannot be resolved); links out of the folder are left out. Then the
    symbolic links with a ``.groups`` file of their own, the same way."""
    every: dict[str, str | None] = {}
    root = os.path.realpath(corpus_dir)
    for rel, listed in documents.items():
        entry = listed.entry
        if suffix_of(entry.name).lower() not in SUPPORTED_SUFFIXES:
            continue
        try:
            if not entry.is_symlink():
                continue
            target = os.path.relpath(os.path.realpath(entry.path, strict=True), root)
        except (OSError, ValueError):  # to nothing, a loop: what it holds cannot be told
            every[rel] = None  # (the sync says so: it refuses the file)
            continue
        target = target.replace(os.sep, "/")
        if target == ".." or target.startswith("../"):
            continue  # out of the folder
        every[rel] = target if target in documents else None
    found = {rel: target for rel, target in every.items() if rel not in sidecars}
    own = {rel: target for rel, target in every.items() if rel in sidecars}
    twins, own_twins = _hard_links(sidecars, documents)
    found.update(twins)
    own.update(own_twins)
    return found, own


def _hard_links(sidecars: dict[str, frozenset[str]], documents: dict[str, Listed]
                ) -> tuple[dict[str, str | None], dict[str, str | None]]:
    """Each document that is a second name of a file of the folder (a hard link: the same
    file, so the same text), without a ``.groups`` file of its own, to the name of it that
    has one (None when its names' ``.groups`` files disagree: hidden). Names are grouped by
    inode, which listing gives for free, and checked by device only where they collide.
    Then those with a ``.groups`` file of their own, to another name that has one, the
    same way (what they would follow without theirs)."""
    by_inode: dict[int, list[str]] = {}
    for rel, listed in documents.items():
        entry = listed.entry
        try:
            if entry.is_symlink() or not entry.is_file(follow_symlinks=False):
                continue
            by_inode.setdefault(entry.inode(), []).append(rel)
        except OSError:
            continue
    found: dict[str, str | None] = {}
    own: dict[str, str | None] = {}
    for names in by_inode.values():
        if len(names) < 2:
            continue
        by_file: dict[tuple[int, int], list[str]] = {}
        for rel in names:
            try:
                status = documents[rel].entry.stat(follow_symlinks=False)
            except OSError:
                continue
            by_file.setdefault((status.st_dev, status.st_ino), []).append(rel)
        for twins in by_file.values():
            restricted = sorted(rel for rel in twins if rel in sidecars)
            if not restricted:
                continue
            agreed = len({sidecars[rel] for rel in restricted}) == 1
            for rel in twins:
                if rel not in sidecars:
                    found[rel] = restricted[0] if agreed else None
                    continue
                others = [other for other in restricted if other != rel]
                if others:
                    alike = len({sidecars[other] for other in others}) == 1
                    own[rel] = others[0] if alike else None
    return found, own


def _groups(document: Path, rel: str, stamps: StampCache | None, started: int
            ) -> frozenset[str] | None:
    """:func:`~ragqa.index.documents.sidecars.read_groups_sidecar`, read again only when
    the sidecar's stat moved (a sidecar that cannot be read is read again at every sync,
    and said in the log)."""
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
