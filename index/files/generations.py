"""The index directory on disk: generations, manifest, atomic writes and checked loading.

Layout::

    INDEX_DIR/
      CURRENT              name of the generation being served (replaced atomically)
      gen-000007/          one complete, immutable generation
        manifest.json      schema version, model, settings, per-file hashes, counts, versions
        documents.jsonl    one line per document: id, title, hash, sections, canonical text
        passages.jsonl     one line per passage: doc, start, end, section, page, vector key
        dense.faiss        FAISS index, row i = passage i
        bm25/              bm25s index, row i = passage i
      .staging-*/          a generation being written (removed if a build dies)

A generation is written in a staging folder, fsynced, renamed into place, and only then
named in ``CURRENT`` (written to a temporary file and ``os.replace``d). A build that fails
or is killed at any point leaves the previous generation served.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import re
import shutil
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import faiss
import numpy as np

from ragqa.index.records import DocumentRecord, PassageRecord, line_context
from ragqa.index.search.analysis import Analyzer
from ragqa.index.documents.chunking import Passage
from ragqa.index.files.dense import load_dense, search_dense
from ragqa.index.embedding.identity import VectorIdentity
from ragqa.index.durable import fsync_dir, fsync_tree, write_atomic
from ragqa.index.errors import (
    IndexBusyError,
    IndexCorruptError,
    IndexMissingError,
    IndexWriteError,
)
from ragqa.index.files.lexical import LexicalIndex
from ragqa.index.files.manifest import MANIFEST, REBUILD_HINT, Manifest, read_manifest
from ragqa.index.records import ModelRecord, RefusedFile

logger = logging.getLogger(__name__)

CURRENT = "CURRENT"
DOCUMENTS = "documents.jsonl"
PASSAGES = "passages.jsonl"
DENSE = "dense.faiss"
BM25_DIR = "bm25"
_GEN = re.compile(r"^gen-(\d{6,})$")


@dataclass
class LoadedIndex:
    """A generation loaded in memory, ready to search: the files store's
    :class:`~ragqa.index.search.view.IndexView` (rows are positions in the generation)."""

    path: Path
    generation: int
    manifest: Manifest
    documents: dict[str, DocumentRecord]
    passages: list[Passage]
    vector_keys: list[str]
    dense: faiss.Index
    lexical: LexicalIndex
    # Each document's passage rows, ascending (a search filter is a union of these).
    doc_rows: dict[str, np.ndarray] = field(default_factory=dict)

    store = "files"

    def quote(self, row: int) -> str:
        p = self.passages[row]
        return self.documents[p.doc_id].text[p.start : p.end]

    # -- the IndexView protocol (index/search/view.py) --------------------------------------------

    @property
    def analyzer(self) -> Analyzer:
        return self.lexical.analyzer

    @property
    def model(self) -> ModelRecord:
        return self.manifest.model

    def check_vectors(self, identity: VectorIdentity, model_name: str) -> None:
        self.manifest.check_vectors(identity, model_name)

    def idf(self, terms: Sequence[str]) -> list[float]:
        return self.lexical.idf(terms)

    def lexical_top(self, question: str, k: int,
                    doc_ids: Collection[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
        return self.lexical.search(question, k, self.rows_of(doc_ids))

    def dense_top(self, vector: np.ndarray, k: int,
                  doc_ids: Collection[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
        return search_dense(self.dense, vector, k, self.rows_of(doc_ids))

    def rows_of(self, doc_ids: Collection[str] | None) -> np.ndarray | None:
        """The passage rows of ``doc_ids``, ascending, as the rankers take them (None: all)."""
        if doc_ids is None:
            return None
        parts = [self.doc_rows[d] for d in doc_ids if d in self.doc_rows]
        return np.sort(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)

    def unknown_documents(self, doc_ids: Collection[str]) -> list[str]:
        return sorted(d for d in doc_ids if d not in self.documents)

    def passages_of(self, rows: Iterable[int]) -> dict[int, PassageRecord]:
        out = {}
        for row in rows:
            p = self.passages[row]
            doc = self.documents[p.doc_id]
            out[row] = PassageRecord(row, p.doc_id, p.start, p.end, p.section, p.page,
                                     doc.title, doc.text[p.start : p.end],
                                     *line_context(doc.text, p.start, p.end))
        return out

    def vector(self, row: int) -> np.ndarray:
        return self.dense.reconstruct(int(row))

    def document(self, doc_id: str) -> DocumentRecord | None:
        return self.documents.get(doc_id)

    def documents_by_id(self, doc_ids: Iterable[str] | None = None) -> dict[str, DocumentRecord]:
        ids = sorted(self.documents) if doc_ids is None else sorted(set(doc_ids))
        return {d: self.documents[d] for d in ids if d in self.documents}

    def refused(self) -> dict[str, RefusedFile]:
        return dict(sorted(self.manifest.refused.items()))

    def counts(self) -> tuple[int, int]:
        return len(self.documents), len(self.passages)

    def session(self) -> contextlib.nullcontext[None]:
        """Nothing to share: a generation is in memory."""
        return contextlib.nullcontext()

    def close(self) -> None:
        """Nothing to release: a generation is memory (and mapped files) only."""


# -- writing -----------------------------------------------------------------------------


def new_staging(index_dir: Path) -> Path:
    index_dir.mkdir(parents=True, exist_ok=True)
    staging = index_dir / f".staging-{os.getpid()}"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir()
    return staging


def publish(index_dir: Path, staging: Path, generation: int, keep: int = 2) -> Path:
    """Move a complete staging folder into place and make it the served generation."""
    fsync_tree(staging)
    final = index_dir / f"gen-{generation:06d}"
    if final.exists():  # leftover of a build killed after rename, before CURRENT
        shutil.rmtree(final)
    os.replace(staging, final)
    fsync_dir(index_dir)
    write_atomic(index_dir / CURRENT, (final.name + "\n").encode("utf-8"))
    _remove_old(index_dir, generation, keep)
    return final


def _remove_old(index_dir: Path, current: int, keep: int) -> None:
    for path in index_dir.iterdir():
        match = _GEN.match(path.name)
        if match and int(match.group(1)) <= current - keep:
            shutil.rmtree(path, ignore_errors=True)


def clean_stale(index_dir: Path) -> None:
    """Remove staging folders and temporary files left by killed builds (lock held)."""
    if not index_dir.is_dir():
        return
    for path in index_dir.iterdir():
        if path.name.startswith(".staging-"):
            shutil.rmtree(path, ignore_errors=True)
        elif path.name.startswith((f".{CURRENT}.tmp-", ".tmp-")):
            path.unlink(missing_ok=True)


@contextlib.contextmanager
def write_lock(index_dir: Path, wait: bool = True) -> Iterator[None]:
    """Serialise writers across threads and processes (an advisory ``flock``)."""
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        handle = open(index_dir / ".lock", "a+")  # noqa: SIM115 - closed by the with below
    except OSError as exc:  # a file in the way, a read-only place: our error, not a crash
        raise IndexWriteError(f"cannot create the index folder {index_dir}: "
                              f"{exc.strerror or exc}") from exc
    with handle:
        flags = fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB
        try:
            fcntl.flock(handle.fileno(), flags)
        except BlockingIOError:
            raise IndexBusyError(f"another process is writing the index at {index_dir}") from None
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


# -- reading -----------------------------------------------------------------------------


def current_generation(index_dir: Path) -> tuple[int, Path] | None:
    """The served generation's number and folder, or ``None`` when nothing was built."""
    pointer = index_dir / CURRENT
    if not pointer.is_file():
        return None
    name = pointer.read_text(encoding="utf-8").strip()
    match = _GEN.match(name)
    if not match or not (index_dir / name).is_dir():
        raise IndexCorruptError(
            f"{pointer} names {name!r}, which is not a generation folder; {REBUILD_HINT}"
        )
    return int(match.group(1)), index_dir / name


def _read_jsonl(path: Path) -> list[dict]:
    try:
        with open(path, encoding="utf-8") as handle:
            return [json.loads(line) for line in handle if line.strip()]
    except FileNotFoundError:
        raise IndexCorruptError(f"{path} is missing; {REBUILD_HINT}") from None
    except (OSError, ValueError) as exc:
        raise IndexCorruptError(f"{path} is unreadable ({exc}); {REBUILD_HINT}") from None


def load_index(index_dir: Path) -> LoadedIndex:
    """Load and verify the served generation, or raise a clear error naming the bad file."""
    found = current_generation(index_dir)
    if found is None:
        raise IndexMissingError(f"no index at {index_dir}; run `ragqa index` to build one")
    generation, gen_dir = found
    manifest = read_manifest(gen_dir)
    try:
        docs = [_document_record(row) for row in _read_jsonl(gen_dir / DOCUMENTS)]
        rows = _read_jsonl(gen_dir / PASSAGES)
        passages = [
            Passage(r["doc_id"], r["start"], r["end"], r["section"], r.get("page")) for r in rows
        ]
        keys = [r["key"] for r in rows]
    except (KeyError, TypeError) as exc:
        raise IndexCorruptError(
            f"{gen_dir}: a record lacks field {exc}; {REBUILD_HINT}"
        ) from None
    _expect(manifest.documents == len(docs), gen_dir / DOCUMENTS, "document count")
    _expect(manifest.passages == len(passages), gen_dir / PASSAGES, "passage count")
    documents = {d.doc_id: d for d in docs}
    for p in passages:
        doc = documents.get(p.doc_id)
        _expect(doc is not None and 0 <= p.start < p.end <= len(doc.text), gen_dir / PASSAGES,
                "passage offsets")
    try:
        dense = load_dense(gen_dir / DENSE)
    except Exception as exc:  # noqa: BLE001 - FAISS raises RuntimeError for bad files
        raise IndexCorruptError(
            f"{gen_dir / DENSE} is unreadable ({str(exc).splitlines()[0][:200]}); {REBUILD_HINT}"
        ) from None
    _expect(dense.ntotal == len(passages), gen_dir / DENSE, "vector count")
    _expect(dense.d == manifest.model.dimension, gen_dir / DENSE, "dimension")
    try:
        analyzer = Analyzer(manifest.config.analysis)
    except (KeyError, TypeError, ValueError) as exc:
        raise IndexCorruptError(
            f"{gen_dir / MANIFEST}: bad analysis settings ({exc}); {REBUILD_HINT}"
        ) from None
    try:
        lexical = LexicalIndex.load(gen_dir / BM25_DIR, analyzer, len(passages))
    except Exception as exc:  # noqa: BLE001 - bm25s raises whatever numpy/json raise
        raise IndexCorruptError(
            f"{gen_dir / BM25_DIR} is unreadable ({str(exc).splitlines()[0][:200]}); "
            + REBUILD_HINT
        ) from None
    rows_of: dict[str, list[int]] = {}
    for row, p in enumerate(passages):
        rows_of.setdefault(p.doc_id, []).append(row)
    doc_rows = {d: np.asarray(rows, dtype=np.int64) for d, rows in rows_of.items()}
    return LoadedIndex(
        gen_dir, generation, manifest, documents, passages, keys, dense, lexical, doc_rows
    )


def _expect(ok: bool, path: Path, what: str) -> None:
    if not ok:
        raise IndexCorruptError(f"{path}: {what} does not match the manifest; {REBUILD_HINT}")


def _document_record(row: dict) -> DocumentRecord:
    return DocumentRecord(
        doc_id=row["doc_id"],
        title=row["title"],
        content_hash=row["content_hash"],
        text=row["text"],
        sections=tuple(row["sections"]),
        passages=row["passages"],
        indexed_at=row["indexed_at"],
        pages=tuple(row.get("pages", ())),
    )
