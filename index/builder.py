"""Building and incrementally updating an index directory from a corpus folder.

Every run re-reads the corpus (cheap) and re-chunks it (boilerplate is a corpus-wide
property, so one new document can change another's passages: see
:mod:`ragqa.index.processing`), but embeds only passages whose embedding input is new:
vectors are reused by a hash of that input.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import numpy as np

from ragqa.index import __version__
from ragqa.index.analysis import Analyzer
from ragqa.index.chunking import Passage, make_splitter
from ragqa.index.config import IndexConfig
from ragqa.index.dense import all_vectors, build_dense, describe, save_dense
from ragqa.index.documents import Document, doc_id_for, scan_corpus, sha256_bytes
from ragqa.index.embedding import Embedder
from ragqa.index.errors import DocumentError, EmptyCorpusError, IndexWriteError
from ragqa.index.identity import VectorIdentity
from ragqa.index.lexical import LexicalIndex
from ragqa.index.loaders import SUPPORTED_SUFFIXES, load_document
from ragqa.index.manifest import Manifest, ModelRecord, RefusedFile, read_manifest, write_manifest
from ragqa.index.models import ResolvedModel
from ragqa.index.processing import (
    ProcessedDocument,
    corpus_context,
    process_document,
)
from ragqa.index.titles import read_title_sidecar
from ragqa.index.store import (
    BM25_DIR,
    DENSE,
    DOCUMENTS,
    PASSAGES,
    LoadedIndex,
    clean_stale,
    current_generation,
    load_index,
    new_staging,
    publish,
    write_jsonl,
    write_lock,
)

logger = logging.getLogger(__name__)

# Told ``(passages embedded, passages to embed)`` as embedding goes (see ragqa/progress.py).
Progress = Callable[[int, int], None]
# Passages per encode call between two progress reports: large enough for the model's
# length-sorted batching, small enough for a report every few seconds on a CPU.
PROGRESS_STEP = 512

# Disk full, quota exceeded, file size limit: the write failed for want of room.
_NO_SPACE = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


@dataclass
class BuildReport:
    """What an indexing run did."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    documents: int = 0
    passages: int = 0
    embedded: int = 0
    reused: int = 0
    seconds: float = 0.0
    model: str = ""
    fallback: bool = False
    generation: int = 0
    up_to_date: bool = False
    rebuilt: bool = False
    # Corpus files left out of the index, by id, with the reason (unreadable, too large,
    # binary, empty, a broken PDF...). One bad file must not stop a corpus from being served.
    refused: dict[str, str] = field(default_factory=dict)


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


def _unchanged_since(manifest: Manifest, scan: CorpusScan) -> bool:
    """Whether the corpus is exactly what ``manifest`` indexed or refused, file for file."""
    files, refused = manifest.files, manifest.refused
    if set(files) | set(refused) != set(scan.hashes) | set(scan.unreadable):
        return False
    if manifest.titles != scan.titles:  # a title set or changed by hand
        return False
    # A file unreadable now was unreadable then too (refused without a hash).
    if any(d in files or refused[d].sha256 is not None for d in scan.unreadable):
        return False
    return all(
        files.get(d) == h or (d in refused and refused[d].sha256 == h)
        for d, h in scan.hashes.items()
    )


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


@dataclass(frozen=True)
class Plan:
    """What a run will index: the documents that load, their passages and the text each
    passage's vector is made from (keyed by its hash), and what changed since ``previous``."""

    documents: list[Document]
    sections: dict[str, list[str]]
    passages: list[Passage]
    inputs: list[str]
    keys: list[str]
    files: dict[str, str]  # indexed document id -> sha256
    refused: dict[str, RefusedFile]
    titles: dict[str, str]  # explicit titles (``.title`` sidecars) by document id
    bm25_texts: list[str]  # what BM25 analyses for each passage


@dataclass(frozen=True)
class Generation:
    """One generation to write: the plan, its vectors (row i = passage i) and its number."""

    number: int
    plan: Plan
    matrix: np.ndarray


def update_index(
    corpus_dir: Path,
    index_dir: Path,
    *,
    model: ResolvedModel,
    identity: VectorIdentity,
    load_embedder: Callable[[], Embedder],
    config: IndexConfig,
    rebuild: bool = False,
    strict: bool = False,
    progress: Progress | None = None,
    before_publish: Callable[[Path], None] | None = None,
) -> BuildReport:
    """Bring ``index_dir`` up to date with ``corpus_dir``; atomic, serialised with writers.

    Plan (read, load, chunk) → embed (only passages whose input is new, or whose vectors
    were made with another ``identity``) → write (a staging folder published atomically).
    A file that cannot be indexed (unreadable, too large, not text, a broken PDF) is left
    out and named in :attr:`BuildReport.refused` and in the manifest; with ``strict`` it
    fails the run instead (:class:`DocumentError`, nothing published). ``load_embedder``
    (which must make ``identity``'s vectors) is called only when something must be
    embedded, so a run that finds nothing to do never loads the model. ``before_publish``
    (for tests) runs on the complete staging folder just before it is made current;
    ``progress`` is told how many passages are embedded as embedding goes.
    """
    started = time.perf_counter()
    with write_lock(index_dir):
        clean_stale(index_dir)
        scan = read_corpus(corpus_dir, config.max_document_bytes)
        found = current_generation(index_dir)
        previous = read_manifest(found[1]) if found and not rebuild else None
        report = BuildReport(model=model.name, fallback=model.fallback, rebuilt=rebuild)
        if (found and previous and previous.vectors == identity and previous.config == config
                and _unchanged_since(previous, scan)):
            report.refused = {d: r.reason for d, r in previous.refused.items()}
            check_strict(strict, report.refused)
            report.up_to_date = True
            report.generation = found[0]
            report.documents = previous.documents
            report.passages = previous.passages
            report.seconds = time.perf_counter() - started
            return report

        plan = _plan(corpus_dir, scan, config, identity, strict, previous, report)
        reusable = _reusable_vectors(index_dir, identity) if found and not rebuild else {}
        matrix = _embed(plan, reusable, model, identity, load_embedder, progress, report)
        generation = Generation((found[0] + 1) if found else 1, plan, matrix)
        _write(index_dir, generation, config, model, identity, before_publish)
        report.generation = generation.number
        report.documents = len(plan.documents)
        report.passages = len(plan.passages)
        report.seconds = time.perf_counter() - started
        return report


def _plan(corpus_dir: Path, scan: CorpusScan, config: IndexConfig, identity: VectorIdentity,
          strict: bool, previous: Manifest | None, report: BuildReport) -> Plan:
    """Load the documents, chunk them and note in ``report`` what changed."""
    documents, report.refused = load_documents(scan)
    check_strict(strict, report.refused)
    check_loaded(corpus_dir, documents, report.refused)
    indexed = {doc.doc_id: scan.hashes[doc.doc_id] for doc in documents}
    old_files = previous.files if previous else {}
    report.added = sorted(set(indexed) - set(old_files))
    report.removed = sorted(set(old_files) - set(indexed))
    report.changed = sorted(d for d in indexed if d in old_files and old_files[d] != indexed[d])
    report.unchanged = len(indexed) - len(report.added) - len(report.changed)
    refused = {d: RefusedFile(reason, scan.hashes.get(d)) for d, reason in report.refused.items()}
    processed = _passages(documents, scan.titles, config, identity.embed_context)
    return Plan(
        documents=[p.document for p in processed],
        sections={p.document.doc_id: list(p.sections) for p in processed},
        passages=[passage for p in processed for passage in p.passages],
        inputs=[text for p in processed for text in p.inputs],
        keys=[key for p in processed for key in p.keys],
        files=indexed,
        refused=refused,
        titles=dict(sorted(scan.titles.items())),
        bm25_texts=[text for p in processed for text in p.bm25_texts],
    )


def _embed(plan: Plan, reusable: dict[str, np.ndarray], model: ResolvedModel,
           identity: VectorIdentity, load_embedder: Callable[[], Embedder],
           progress: Progress | None,
           report: BuildReport) -> np.ndarray:
    """The plan's vectors, row i = passage i: reused by key, the missing ones embedded."""
    keys = plan.keys
    missing = sorted({i for i, key in enumerate(keys) if key not in reusable})
    vectors: dict[str, np.ndarray] = {}
    embedder: Embedder | None = None
    if missing or not reusable:
        embedder = load_embedder()
        if embedder.identity != identity:
            raise ValueError("the embedder makes other vectors than the index's identity: "
                             + ", ".join(embedder.identity.differences(identity)))
    if missing:
        assert embedder is not None
        logger.info("embedding %d new passages with %s", len(missing), model.name)
        if progress is not None:
            progress(0, len(missing))
        for begin in range(0, len(missing), PROGRESS_STEP):
            rows = missing[begin : begin + PROGRESS_STEP]
            fresh = embedder.encode_passages([plan.inputs[i] for i in rows])
            vectors.update(zip((keys[i] for i in rows), fresh))
            if progress is not None:
                progress(begin + len(rows), len(missing))
    dimension = embedder.dimension if embedder else next(iter(reusable.values())).shape[0]
    matrix = np.zeros((len(plan.passages), dimension), dtype=np.float32)
    for row, key in enumerate(keys):
        matrix[row] = vectors[key] if key in vectors else reusable[key]
    report.embedded = len({keys[i] for i in missing})
    report.reused = len(plan.passages) - len(missing)
    return matrix


def _write(index_dir: Path, generation: Generation, config: IndexConfig, model: ResolvedModel,
           identity: VectorIdentity, before_publish: Callable[[Path], None] | None) -> None:
    """Write ``generation`` into a staging folder, then publish it (or leave nothing)."""
    staging = new_staging(index_dir)
    try:
        _write_generation(staging, generation, config, model, identity)
        if before_publish is not None:
            before_publish(staging)
        publish(index_dir, staging, generation.number)
    except BaseException as exc:
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(exc, OSError) and exc.errno in _NO_SPACE:
            raise IndexWriteError(
                f"cannot write the index at {index_dir}: {exc.strerror}; free some space "
                "and run again (the served index is unchanged)"
            ) from exc
        raise


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


def _passages(
    documents: list[Document], explicit: dict[str, str], config: IndexConfig, contextual: bool
) -> list[ProcessedDocument]:
    """Every document titled and cut with the context of the whole corpus."""
    titled, context = corpus_context(documents, explicit)
    splitter = make_splitter(config.chunking)
    return [process_document(doc, context, splitter, contextual=contextual) for doc in titled]


def _reusable_vectors(index_dir: Path, identity: VectorIdentity) -> dict[str, np.ndarray]:
    """Vectors of the served generation by key, if they were made with ``identity``."""
    try:
        old: LoadedIndex = load_index(index_dir)
    except Exception as exc:  # noqa: BLE001 - a broken old index only costs re-embedding
        logger.warning("previous index not reusable (%s); embedding everything", exc)
        return {}
    if old.manifest.vectors != identity:
        return {}
    matrix = all_vectors(old.dense)
    return {key: matrix[row] for row, key in enumerate(old.vector_keys)}


def _write_generation(folder: Path, generation: Generation, config: IndexConfig,
                      model: ResolvedModel, identity: VectorIdentity) -> None:
    plan, matrix = generation.plan, generation.matrix
    documents, sections, passages, keys = plan.documents, plan.sections, plan.passages, plan.keys
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    counts: dict[str, int] = {}
    for p in passages:
        counts[p.doc_id] = counts.get(p.doc_id, 0) + 1
    write_jsonl(
        folder / DOCUMENTS,
        (
            {
                "doc_id": doc.doc_id,
                "title": doc.title,
                "content_hash": doc.content_hash,
                "sections": sections[doc.doc_id],
                "passages": counts.get(doc.doc_id, 0),
                "indexed_at": now,
                "pages": list(doc.pages),
                "text": doc.text,
            }
            for doc in documents
        ),
    )
    write_jsonl(
        folder / PASSAGES,
        (
            {"doc_id": p.doc_id, "start": p.start, "end": p.end, "section": p.section,
             "page": p.page, "key": key}
            for p, key in zip(passages, keys)
        ),
    )
    dense = build_dense(matrix, config.exact_limit)
    save_dense(dense, folder / DENSE)
    analyzer = Analyzer(config.analysis)
    LexicalIndex.build(plan.bm25_texts, analyzer, config.bm25).save(folder / BM25_DIR)
    write_manifest(folder, Manifest(
        generation=generation.number,
        created_at=now,
        model=ModelRecord(requested=model.requested, name=model.name,
                          weights_sha256=identity.weights_sha256,
                          dimension=int(matrix.shape[1]), fallback=model.fallback),
        vectors=identity,
        config=config,
        dense=describe(dense),
        files=plan.files,
        refused=plan.refused,
        titles=plan.titles,
        corpus_sha256=hashlib.sha256(
            "".join(f"{k}\0{v}\n" for k, v in sorted(plan.files.items())).encode()
        ).hexdigest(),
        documents=len(documents),
        passages=len(passages),
        versions=_versions(),
    ))


def _versions() -> dict[str, str]:
    versions = {"ragqa": __version__}
    for package in ("faiss-cpu", "bm25s", "sentence-transformers", "torch", "langchain-text-splitters"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            pass
    return versions
