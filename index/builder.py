"""Building and incrementally updating an index directory from a corpus folder.

Every run re-reads the corpus (cheap) and re-chunks it (boilerplate is a corpus-wide
property, so one new document can change another's passages), but embeds only passages
whose embedding input is new: vectors are reused by a hash of that input.
"""

from __future__ import annotations

import errno
import hashlib
import json
import shutil
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import numpy as np

from index import __version__
from index.analysis import Analyzer, AnalyzerConfig
from index.boilerplate import find_boilerplate
from index.chunking import ChunkingParams, Passage, chunk_document, make_splitter
from index.dense import EXACT_LIMIT, all_vectors, build_dense, describe, save_dense
from index.documents import Document, doc_id_for, scan_corpus, sha256_bytes
from index.embedding import Embedder
from index.errors import DocumentError, EmptyCorpusError, IndexWriteError
from index.lexical import BM25Params, LexicalIndex
from index.loaders import SUPPORTED_SUFFIXES, load_document
from index.models import ResolvedModel
from index.sections import split_sections
from index.titles import TITLE_RULES, headline, read_title_sidecar, shared_preamble_lines
from index.store import (
    BM25_DIR,
    DENSE,
    DOCUMENTS,
    MANIFEST,
    PASSAGES,
    SCHEMA_VERSION,
    LoadedIndex,
    clean_stale,
    current_generation,
    load_index,
    new_staging,
    publish,
    read_manifest,
    write_jsonl,
    write_lock,
)

logger = logging.getLogger(__name__)

# Disk full, quota exceeded, file size limit: the write failed for want of room.
_NO_SPACE = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


@dataclass(frozen=True)
class IndexConfig:
    """Everything that shapes an index besides the corpus and the model."""

    chunking: ChunkingParams = field(default_factory=ChunkingParams)
    analysis: AnalyzerConfig = field(default_factory=AnalyzerConfig)
    bm25: BM25Params = field(default_factory=BM25Params)
    # Embed "title / section / passage" rather than the bare passage: a passage deep in an
    # entry often never names the entry's subject.
    embed_context: bool = True
    exact_limit: int = EXACT_LIMIT
    # Larger files are refused before being read: one huge file must not exhaust memory
    # (its text, passages and vectors are all held while building). Not in the manifest:
    # it decides what may be indexed, not how.
    max_document_bytes: int | None = None

    def to_manifest(self) -> dict:
        return {
            "chunking": asdict(self.chunking),
            "analysis": asdict(self.analysis),
            "bm25": asdict(self.bm25),
            "embed_context": self.embed_context,
            "exact_limit": self.exact_limit,
            # Titles go into every embedding input: new title rules mean a new index.
            "title_rules": TITLE_RULES,
        }


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


def embed_input(title: str, section: str, quote: str, contextual: bool) -> str:
    """The text the model sees for a passage (the quote itself stays verbatim)."""
    if not contextual:
        return quote
    head = [title]
    if section != title and not quote.startswith(section[:40]):
        head.append(section)
    return "\n".join(head) + "\n\n" + quote


def vector_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


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


def _unchanged_since(manifest: dict, scan: CorpusScan) -> bool:
    """Whether the corpus is exactly what ``manifest`` indexed or refused, file for file."""
    files: dict[str, str] = manifest.get("files", {})
    refused: dict[str, dict] = manifest.get("refused", {})
    if set(files) | set(refused) != set(scan.hashes) | set(scan.unreadable):
        return False
    if manifest.get("titles", {}) != scan.titles:  # a title set or changed by hand
        return False
    # A file unreadable now was unreadable then too (refused without a hash).
    if any(d in files or refused[d].get("sha256") is not None for d in scan.unreadable):
        return False
    return all(
        files.get(d) == h or (d in refused and refused[d].get("sha256") == h)
        for d, h in scan.hashes.items()
    )


def _load_documents(scan: CorpusScan) -> tuple[list[Document], dict[str, str]]:
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
    return _retitled(documents, scan.titles), dict(sorted(refused.items()))


def _retitled(documents: list[Document], explicit: dict[str, str]) -> list[Document]:
    """Documents with their final titles: the explicit one, else the headline found with
    the corpus's own chrome (lines in the preamble of several documents) left out."""
    chrome = shared_preamble_lines(doc.text for doc in documents if doc.title_source == "text")
    titled = []
    for doc in documents:
        if doc.doc_id in explicit:
            doc = replace(doc, title=explicit[doc.doc_id], title_source="explicit")
        elif chrome and doc.title_source == "text":
            doc = replace(doc, title=headline(doc.text, doc.title, chrome))
        titled.append(doc)
    return titled


def update_index(
    corpus_dir: Path,
    index_dir: Path,
    model: ResolvedModel,
    load_embedder: Callable[[ResolvedModel], Embedder],
    config: IndexConfig,
    *,
    rebuild: bool = False,
    strict: bool = False,
    progress: bool = False,
    before_publish: Callable[[Path], None] | None = None,
) -> BuildReport:
    """Bring ``index_dir`` up to date with ``corpus_dir``; atomic, serialised with writers.

    A file that cannot be indexed (unreadable, too large, not text, a broken PDF) is left
    out and named in :attr:`BuildReport.refused` and in the manifest; with ``strict`` it
    fails the run instead (:class:`DocumentError`, nothing published). ``load_embedder`` is
    called only when something must be embedded, so a run that finds nothing to do never
    loads the model. ``before_publish`` (for tests) runs on the complete staging folder
    just before it is made current.
    """
    started = time.perf_counter()
    weights = model.weights_sha256()
    with write_lock(index_dir):
        clean_stale(index_dir)
        scan = read_corpus(corpus_dir, config.max_document_bytes)
        found = current_generation(index_dir)
        manifest = read_manifest(found[1]) if found and not rebuild else None
        report = BuildReport(model=model.name, fallback=model.fallback, rebuilt=rebuild)
        same_setup = bool(
            manifest
            and manifest.get("model", {}).get("weights_sha256") == weights
            and manifest.get("config") == config.to_manifest()
        )
        if same_setup and found and _unchanged_since(manifest, scan):
            report.refused = {d: r["reason"] for d, r in manifest.get("refused", {}).items()}
            _check_strict(strict, report.refused)
            report.up_to_date = True
            report.generation = found[0]
            report.documents = manifest["counts"]["documents"]
            report.passages = manifest["counts"]["passages"]
            report.seconds = time.perf_counter() - started
            return report

        documents, report.refused = _load_documents(scan)
        _check_strict(strict, report.refused)
        if not documents:
            raise EmptyCorpusError(
                f"no document of {corpus_dir} could be indexed: "
                + "; ".join(f"{d}: {r}" for d, r in list(report.refused.items())[:3])
                + (f" (and {len(report.refused) - 3} more)" if len(report.refused) > 3 else "")
            )
        indexed = {doc.doc_id: scan.hashes[doc.doc_id] for doc in documents}
        old_files = manifest.get("files", {}) if manifest else {}
        report.added = sorted(set(indexed) - set(old_files))
        report.removed = sorted(set(old_files) - set(indexed))
        report.changed = sorted(d for d in indexed if d in old_files and old_files[d] != indexed[d])
        report.unchanged = len(indexed) - len(report.added) - len(report.changed)
        refused = {
            d: {"reason": reason, "sha256": scan.hashes.get(d)}
            for d, reason in report.refused.items()
        }

        previous = _reusable_vectors(index_dir, weights) if found and not rebuild else {}
        passages, sections, inputs = _passages(documents, config)
        keys = [vector_key(text) for text in inputs]
        missing = sorted({i for i, key in enumerate(keys) if key not in previous})
        vectors: dict[str, np.ndarray] = {}
        embedder: Embedder | None = None
        if missing or not previous:
            embedder = load_embedder(model)
        if missing:
            assert embedder is not None
            logger.info("embedding %d new passages with %s", len(missing), model.name)
            fresh = embedder.encode_passages([inputs[i] for i in missing], progress=progress)
            vectors.update(zip((keys[i] for i in missing), fresh))
        dimension = embedder.dimension if embedder else next(iter(previous.values())).shape[0]
        matrix = np.zeros((len(passages), dimension), dtype=np.float32)
        for row, key in enumerate(keys):
            matrix[row] = vectors[key] if key in vectors else previous[key]
        report.embedded = len({keys[i] for i in missing})
        report.reused = len(passages) - len(missing)

        generation = (found[0] + 1) if found else 1
        staging = new_staging(index_dir)
        try:
            _write_generation(
                staging, documents, sections, passages, keys, matrix, config, model, weights,
                indexed, refused, generation, scan.titles,
            )
            if before_publish is not None:
                before_publish(staging)
            publish(index_dir, staging, generation)
        except BaseException as exc:
            shutil.rmtree(staging, ignore_errors=True)
            if isinstance(exc, OSError) and exc.errno in _NO_SPACE:
                raise IndexWriteError(
                    f"cannot write the index at {index_dir}: {exc.strerror}; free some space "
                    "and run again (the served index is unchanged)"
                ) from exc
            raise
        report.generation = generation
        report.documents = len(documents)
        report.passages = len(passages)
        report.seconds = time.perf_counter() - started
        return report


def _check_strict(strict: bool, refused: dict[str, str]) -> None:
    if strict and refused:
        doc_id, reason = next(iter(refused.items()))
        more = f" (and {len(refused) - 1} more refused files)" if len(refused) > 1 else ""
        raise DocumentError(f"{doc_id}: {reason}{more}")


def _passages(
    documents: list[Document], config: IndexConfig
) -> tuple[list[Passage], dict[str, list[str]], list[str]]:
    splitter = make_splitter(config.chunking)
    split = [split_sections(doc.text, doc.title) for doc in documents]
    boilerplate = find_boilerplate((doc.text, secs) for doc, secs in zip(documents, split))
    passages: list[Passage] = []
    inputs: list[str] = []
    section_titles: dict[str, list[str]] = {}
    for doc, secs in zip(documents, split):
        section_titles[doc.doc_id] = [s.title for s in secs]
        for p in chunk_document(doc, secs, boilerplate, splitter):
            passages.append(p)
            quote = doc.text[p.start : p.end]
            inputs.append(embed_input(doc.title, p.section, quote, config.embed_context))
    return passages, section_titles, inputs


def bm25_text(title: str, section: str, quote: str) -> str:
    """What BM25 indexes for a passage: the quote plus the section it belongs to."""
    return quote if quote.startswith(section[:40]) else f"{section}\n{quote}"


def _reusable_vectors(index_dir: Path, weights: str) -> dict[str, np.ndarray]:
    """Vectors of the served generation by key, if it was built with the same model."""
    try:
        old: LoadedIndex = load_index(index_dir)
    except Exception as exc:  # noqa: BLE001 - a broken old index only costs re-embedding
        logger.warning("previous index not reusable (%s); embedding everything", exc)
        return {}
    if old.manifest.get("model", {}).get("weights_sha256") != weights:
        return {}
    matrix = all_vectors(old.dense)
    return {key: matrix[row] for row, key in enumerate(old.vector_keys)}


def _write_generation(
    folder: Path,
    documents: list[Document],
    sections: dict[str, list[str]],
    passages: list[Passage],
    keys: list[str],
    matrix: np.ndarray,
    config: IndexConfig,
    model: ResolvedModel,
    weights: str,
    hashes: dict[str, str],
    refused: dict[str, dict],
    generation: int,
    titles: dict[str, str],
) -> None:
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    by_id = {doc.doc_id: doc for doc in documents}
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
    texts = [
        bm25_text(by_id[p.doc_id].title, p.section, by_id[p.doc_id].text[p.start : p.end])
        for p in passages
    ]
    LexicalIndex.build(texts, analyzer, config.bm25).save(folder / BM25_DIR)
    manifest = {
        "schema_version": SCHEMA_VERSION,
        "generation": generation,
        "created_at": now,
        "model": {
            "requested": model.requested,
            "name": model.name,
            "weights_sha256": weights,
            "dimension": int(matrix.shape[1]),
            "fallback": model.fallback,
        },
        "config": config.to_manifest(),
        "analysis": asdict(config.analysis),
        "dense": describe(dense),
        "files": dict(sorted(hashes.items())),
        "refused": refused,
        # Explicit titles (from ``.title`` sidecars) by file: a change re-indexes.
        "titles": dict(sorted(titles.items())),
        "corpus_sha256": hashlib.sha256(
            "".join(f"{k}\0{v}\n" for k, v in sorted(hashes.items())).encode()
        ).hexdigest(),
        "counts": {"documents": len(documents), "passages": len(passages)},
        "versions": _versions(),
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), "utf-8")


def _versions() -> dict[str, str]:
    versions = {"ragqa": __version__}
    for package in ("faiss-cpu", "bm25s", "sentence-transformers", "torch", "langchain-text-splitters"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            pass
    return versions
