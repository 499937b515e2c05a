"""The corpus folder as found on disk: every supported file by document id, hashed, its
explicit title read, and the documents that load (both stores index from this).

With a :class:`~ragqa.index.documents.folder.StampCache` (a sync's), a file whose stat has
not moved since it was hashed is not read again, nor a title sidecar whose stat has not.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ragqa.index.documents.folder import (
    Listed,
    Stamp,
    StampCache,
    list_folder,
    now_ns,
    suffix_of,
)
from ragqa.index.documents.ids import InvalidDocumentIdError, validate_doc_id
from ragqa.index.documents.loaders import SUPPORTED_SUFFIXES, load_document
from ragqa.index.documents.reading import Document, sha256_bytes
from ragqa.index.documents.sidecars import (
    GROUPS_SIDECAR_SUFFIX,
    TITLE_SIDECAR_SUFFIX,
    read_title_sidecar,
    read_title_sidecar_or_fail,
)
from ragqa.index.errors import DocumentError, EmptyCorpusError


class FolderPaths(Mapping[str, Path]):
    """Files by document id, each made a :class:`~pathlib.Path` when asked for (25,000
    ``Path`` objects cost a sync a quarter of a second)."""

    def __init__(self) -> None:
        self._paths: dict[str, str] = {}

    def add(self, doc_id: str, path: str) -> None:
        self._paths[doc_id] = path

    def __getitem__(self, doc_id: str) -> Path:
        return Path(self._paths[doc_id])

    def __iter__(self) -> Iterator[str]:
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._paths


@dataclass
class CorpusScan:
    """The corpus as found on disk: readable files with their hashes, and refused ones."""

    paths: FolderPaths = field(default_factory=FolderPaths)
    hashes: dict[str, str] = field(default_factory=dict)
    # Files that could not even be read (permissions, over the size limit): no hash.
    unreadable: dict[str, str] = field(default_factory=dict)
    # Explicit titles from ``.title`` sidecar files, by document id.
    titles: dict[str, str] = field(default_factory=dict)
    hashed: int = 0  # files read and hashed (the others' hashes came from the stamps)
    # The folder as listed for this scan: what else reads the folder in the same sync (its
    # ``.groups`` files: ragqa.index.documents.group_rules) takes it rather than list again.
    listing: list[Listed] = field(default_factory=list)


# A name with a document's suffix that is no file to read: said, not skipped in silence.
NOT_A_FILE = "not a regular file (a link to nothing, a FIFO or a socket)"


def read_corpus(corpus_dir: Path, max_bytes: int | None = None,
                stamps: StampCache | None = None) -> CorpusScan:
    """Every supported file of the corpus by document id, hashed unless it cannot be read
    (or, with ``stamps``, unless its stat is the one it had when it was hashed; ``stamps``
    is updated)."""
    if not corpus_dir.is_dir():
        raise EmptyCorpusError(f"corpus folder {corpus_dir} does not exist or is not a folder")
    scan = CorpusScan()
    started = now_ns()
    listed = scan.listing = list_folder(corpus_dir)
    names = {item.rel for item in listed}
    consulted: set[str] = set()  # what ``stamps`` keeps: the rest is gone from the folder
    suffixes = SUPPORTED_SUFFIXES
    for doc_id, entry in listed:
        if suffix_of(entry.name).lower() not in suffixes:
            continue
        try:  # a name no request could address (control characters, a backslash...)
            validate_doc_id(doc_id)
        except InvalidDocumentIdError as exc:
            scan.unreadable[doc_id] = f"{exc}; rename the file"
            continue
        try:
            if not entry.is_file():
                if not entry.is_dir():  # (a folder's files are listed on their own)
                    scan.unreadable[doc_id] = NOT_A_FILE
                continue
        except OSError as exc:  # a loop of links
            scan.unreadable[doc_id] = f"cannot be read ({exc.strerror or exc})"
            continue
        path = entry.path
        try:
            stamp = Stamp.of(entry.stat())
            if max_bytes is not None and stamp.size > max_bytes:
                scan.unreadable[doc_id] = (
                    f"{stamp.size / 2**20:.1f} MB is over the {max_bytes / 2**20:g} MB limit "
                    "for one document (RAGQA_MAX_DOCUMENT_MB); split it or raise the limit"
                )
                continue
            sha = stamps.get(doc_id, stamp) if stamps is not None else None
            if sha is None:
                with open(path, "rb") as handle:
                    sha = sha256_bytes(handle.read())
                scan.hashed += 1
                if stamps is not None:
                    stamps.put(doc_id, stamp, sha, started)
        except OSError as exc:
            scan.unreadable[doc_id] = f"cannot be read ({exc.strerror or exc})"
            continue
        scan.paths.add(doc_id, path)
        scan.hashes[doc_id] = sha
        sidecar = doc_id + TITLE_SIDECAR_SUFFIX
        consulted.update((doc_id, sidecar))
        title = _title(path, sidecar, stamps, started) if sidecar in names else None
        if title is not None:
            scan.titles[doc_id] = title
    if stamps is not None:
        stamps.keep_only(consulted)
    if not scan.paths and not scan.unreadable:
        raise EmptyCorpusError(
            f"no documents to index in {corpus_dir} "
            f"(supported: {', '.join(sorted(SUPPORTED_SUFFIXES))})"
        )
    return scan


_NO_TITLE = ""  # kept for a sidecar that holds none (a title is never empty)


def other_files(corpus_dir: Path) -> list[str]:
    """The files of ``corpus_dir`` the indexer does not read (a ``.doc``, a ``.zip``, a
    picture), by id in listing order: their types are no documents, so they are neither
    indexed nor refused, but a user who put them there may expect them to be. Sidecars
    (``.title``, ``.groups``) are the documents' own."""
    sidecars = (TITLE_SIDECAR_SUFFIX, GROUPS_SIDECAR_SUFFIX)
    found = []
    for doc_id, entry in list_folder(corpus_dir):
        if (suffix_of(entry.name).lower() in SUPPORTED_SUFFIXES
                or entry.name.endswith(sidecars)):
            continue
        try:
            if entry.is_file():
                found.append(doc_id)
        except OSError:
            continue
    return found


def _title(path: str, sidecar: str, stamps: StampCache | None, started: int) -> str | None:
    """The explicit title of the document at ``path`` from its sidecar (named ``sidecar``
    in the folder), read again only when its stat moved."""
    if stamps is None:
        return read_title_sidecar(Path(path))
    try:
        stamp = Stamp.of(os.stat(path + TITLE_SIDECAR_SUFFIX))
    except OSError:
        return read_title_sidecar(Path(path))  # gone, a dangling link: as without stamps
    kept = stamps.get(sidecar, stamp)
    if kept is not None:
        return kept or None
    try:
        title = read_title_sidecar_or_fail(Path(path))
    except OSError:  # not remembered: read (and said in the log) again next time
        return read_title_sidecar(Path(path))
    stamps.put(sidecar, stamp, title or _NO_TITLE, started)
    return title


def load_documents(scan: CorpusScan) -> tuple[list[Document], dict[str, str]]:
    """The documents that load, and the reason each other file was refused."""
    documents: list[Document] = []
    refused = dict(scan.unreadable)
    for doc_id in sorted(scan.paths):
        try:
            documents.append(load_document(scan.paths[doc_id], doc_id))
        except DocumentError as exc:
            # Messages name the document first ("a.pdf: the PDF is encrypted..."); the
            # report keys by id already.
            refused[doc_id] = str(exc).removeprefix(f"{doc_id}: ")
    return documents, dict(sorted(refused.items()))


def check_loaded(corpus_dir: Path, documents: list[Document], refused: dict[str, str]) -> None:
    """:class:`EmptyCorpusError` when no document of the corpus could be loaded."""
    if not documents:
        raise EmptyCorpusError(
            f"no document of {corpus_dir} could be indexed: "
            + "; ".join(f"{d}: {r}" for d, r in list(refused.items())[:3])
            + (f" (and {len(refused) - 3} more)" if len(refused) > 3 else "")
        )


def check_strict(strict: bool, refused: dict[str, str]) -> None:
    if strict and refused:
        doc_id, reason = next(iter(refused.items()))
        more = f" (and {len(refused) - 1} more refused files)" if len(refused) > 1 else ""
        raise DocumentError(f"{doc_id}: {reason}{more}")
