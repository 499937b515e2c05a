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
from dataclasses import asdict, dataclass, field
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


def read_corpus(
    corpus_dir: Path, max_bytes: int | None = None
) -> tuple[dict[str, Path], dict[str, str]]:
    """``(paths, hashes)`` by document id for every supported file of the corpus."""
    paths: dict[str, Path] = {}
    hashes: dict[str, str] = {}
    for path in scan_corpus(corpus_dir, frozenset(SUPPORTED_SUFFIXES)):
        doc_id = doc_id_for(path, corpus_dir)
        try:
            size = path.stat().st_size
            if max_bytes is not None and size > max_bytes:
                raise DocumentError(
                    f"{doc_id}: {size / 2**20:.1f} MB is over the {max_bytes / 2**20:g} MB "
                    "limit for one document (RAGQA_MAX_DOCUMENT_MB); split it or raise the limit"
                )
            data = path.read_bytes()
        except OSError as exc:
            raise DocumentError(f"{doc_id}: cannot be read ({exc.strerror or exc})") from None
        paths[doc_id] = path
        hashes[doc_id] = sha256_bytes(data)
    if not paths:
        raise EmptyCorpusError(
            f"no documents to index in {corpus_dir} "
            f"(supported: {', '.join(sorted(SUPPORTED_SUFFIXES))})"
        )
    return paths, hashes


def update_index(
    corpus_dir: Path,
    index_dir: Path,
    model: ResolvedModel,
    load_embedder: Callable[[ResolvedModel], Embedder],
    config: IndexConfig,
    *,
    rebuild: bool = False,
    progress: bool = False,
    before_publish: Callable[[Path], None] | None = None,
) -> BuildReport:
    """Bring ``index_dir`` up to date with ``corpus_dir``; atomic, serialised with writers.

    ``load_embedder`` is called only when something must be embedded, so a run that finds
    nothing to do never loads the model. ``before_publish`` (for tests) runs on the
    complete staging folder just before it is made current.
    """
    started = time.perf_counter()
    weights = model.weights_sha256()
    with write_lock(index_dir):
        clean_stale(index_dir)
        paths, hashes = read_corpus(corpus_dir, config.max_document_bytes)
        found = current_generation(index_dir)
        manifest = read_manifest(found[1]) if found and not rebuild else None
        report = BuildReport(model=model.name, fallback=model.fallback, rebuilt=rebuild)
        same_setup = bool(
            manifest
            and manifest.get("model", {}).get("weights_sha256") == weights
            and manifest.get("config") == config.to_manifest()
        )
        old_files = manifest.get("files", {}) if manifest else {}
        report.added = sorted(set(hashes) - set(old_files))
        report.removed = sorted(set(old_files) - set(hashes))
        report.changed = sorted(d for d in hashes if d in old_files and old_files[d] != hashes[d])
        report.unchanged = len(hashes) - len(report.added) - len(report.changed)
        if same_setup and found and not (report.added or report.removed or report.changed):
            report.up_to_date = True
            report.generation = found[0]
            report.documents = manifest["counts"]["documents"]
            report.passages = manifest["counts"]["passages"]
            report.seconds = time.perf_counter() - started
            return report

        documents = [load_document(paths[d], d) for d in sorted(paths)]
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
                hashes, generation,
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
    generation: int,
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
