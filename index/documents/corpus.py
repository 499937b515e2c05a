"""The corpus folder as found on disk: every supported file by document id, hashed, its
explicit title read, and the documents that load (both stores index from this)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ragqa.index.documents.loaders import SUPPORTED_SUFFIXES, load_document
from ragqa.index.documents.reading import Document, doc_id_for, scan_corpus, sha256_bytes
from ragqa.index.documents.sidecars import read_title_sidecar
from ragqa.index.errors import DocumentError, EmptyCorpusError


@dataclass
class CorpusScan:
    """The corpus as found on disk: readable files with their hashes, and refused ones."""

    paths: dict[str, Path] = field(default_factory=dict)
    hashes: dict[str, str] = field(default_factory=dict)
    # Files that could not even be read (permissions, over the size limit): no hash.
    unreadable: dict[str, str] = field(default_factory=dict)
    # Explicit titles from ``.title`` sidecar files, by document id.
    titles: dict[str, str] = field(default_factory=dict)


def read_corpus(corpus_dir: Path, max_bytes: int | None = None) -> CorpusScan:
    """Every supported file of the corpus by document id, hashed unless it cannot be read."""
    scan = CorpusScan()
    for path in scan_corpus(corpus_dir, frozenset(SUPPORTED_SUFFIXES)):
        doc_id = doc_id_for(path, corpus_dir)
        try:
            size = path.stat().st_size
            if max_bytes is not None and size > max_bytes:
                scan.unreadable[doc_id] = (
                    f"{size / 2**20:.1f} MB is over the {max_bytes / 2**20:g} MB limit for one "
                    "document (RAGQA_MAX_DOCUMENT_MB); split it or raise the limit"
                )
                continue
            data = path.read_bytes()
        except OSError as exc:
            scan.unreadable[doc_id] = f"cannot be read ({exc.strerror or exc})"
            continue
        scan.paths[doc_id] = path
        scan.hashes[doc_id] = sha256_bytes(data)
        title = read_title_sidecar(path)
        if title is not None:
            scan.titles[doc_id] = title
    if not scan.paths and not scan.unreadable:
        raise EmptyCorpusError(
            f"no documents to index in {corpus_dir} "
            f"(supported: {', '.join(sorted(SUPPORTED_SUFFIXES))})"
        )
    return scan


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
