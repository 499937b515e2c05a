"""Building and incrementally updating an index directory from a corpus folder.

Every run re-reads the corpus (cheap) and re-chunks it (boilerplate is a corpus-wide
property, so one new document can change another's passages: see
:mod:`ragqa.index.documents.processing`), but embeds only passages whose embedding input is new:
vectors are reused by a hash of that input. A run writes a whole new generation, which
replaces the served one and every segment written after it (the corpus folder is the
truth); a store's own writes append segments instead (:mod:`ragqa.index.files.writes`), so
does a store's sync of the folder when a segment can serve it (:mod:`ragqa.index.files.sync`),
and a background merge folds them into a generation (:mod:`ragqa.index.files.merge`).
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import numpy as np
from ragqa.index import __version__
from ragqa.index.config import IndexConfig
from ragqa.index.documents.chunking import Passage, make_splitter
from ragqa.index.documents.corpus import (
    CorpusScan,
    check_loaded,
    check_strict,
    load_documents,
    read_corpus,
)
from ragqa.index.documents.processing import (
    CorpusContext,
    ProcessedDocument,
    corpus_context,
    process_document,
)
from ragqa.index.documents.reading import Document
from ragqa.index.durable import write_jsonl
from ragqa.index.embedding.embedder import Embedder
from ragqa.index.embedding.identity import VectorIdentity
from ragqa.index.embedding.models import ResolvedModel
from ragqa.index.files.dense import build_dense, describe, save_dense
from ragqa.index.files.folders import clean_stale, new_staging, no_room, publish, write_lock
from ragqa.index.files.generation import (
    BM25_DIR,
    DENSE,
    DOCUMENTS,
    PASSAGES,
    TERMS,
    write_context,
)
from ragqa.index.files.generations import load_index
from ragqa.index.files.lexical import LexicalIndex
from ragqa.index.files.manifest import Manifest, read_manifest, write_manifest
from ragqa.index.files.pointer import Pointer, read_pointer
from ragqa.index.files.rows import document_row, passage_row
from ragqa.index.files.segmented import SegmentedIndex
from ragqa.index.files.segments import changed_manifest, corpus_hash, read_record
from ragqa.index.files.sentences import SentenceLookup, embed_sentences, save_table
from ragqa.index.files.tokens import TokenLookup, TokenTable, embed_tokens
from ragqa.index.tokenrows import wanted as tokens_wanted
from ragqa.index.records import (
    PROGRESS_STEP,
    BuildReport,
    DocumentRecord,
    ModelRecord,
    Progress,
    RefusedFile,
)
from ragqa.index.search.analysis import Analyzer
from ragqa.index.sentencetable import SentenceTable

logger = logging.getLogger(__name__)


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
    context: CorpusContext  # what the passages were cut with (kept for segments)


@dataclass(frozen=True)
class Generation:
    """One generation to write: the plan, its vectors (row i = passage i), its number and
    its sentence vectors (None: not made, ``sentence_vectors`` off)."""

    number: int
    plan: Plan
    matrix: np.ndarray
    sentences: SentenceTable | None = None
    tokens: TokenTable | None = None  # its passages' token vectors (``token_vectors``)


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
    served: SegmentedIndex | None = None,
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
    ``progress`` is told how many passages are embedded as embedding goes. ``served``: the
    index as already loaded by the caller (its vectors are reused without reading them
    again when it is still what the folder serves).

    A corpus that is exactly what the generation and its segments index is up to date
    (the segments stay until a merge); anything else builds a new generation from the whole
    corpus, which retires every segment.
    """
    started = time.perf_counter()
    with write_lock(index_dir):
        clean_stale(index_dir)
        scan = read_corpus(corpus_dir, config.max_document_bytes)
        found = read_pointer(index_dir)
        previous = served_manifest(index_dir, found) if found and not rebuild else None
        report = BuildReport(model=model.name, fallback=model.fallback, rebuilt=rebuild)
        if up_to_date(report, found, previous, scan, identity, config, strict):
            report.seconds = time.perf_counter() - started
            return report

        plan = plan_corpus(corpus_dir, scan, config, identity, strict, previous, report)
        old = None
        if found and not rebuild:
            old = (served if served is not None and served.pointer == found
                   else _reusable_index(index_dir, identity))
        reusable = {} if old is None else _vectors_by_key(old)
        matrix = embed_plan(plan, reusable, model, identity, load_embedder, progress, report)
        sentences = plan_sentences(plan, config, old, int(matrix.shape[1]), identity,
                                   load_embedder, progress, report)
        tokens = plan_tokens(plan, config, old, int(matrix.shape[1]), identity, load_embedder,
                             progress, report, model.name)
        generation = Generation(found.version + 1 if found else 1, plan, matrix, sentences,
                                tokens)
        _write(index_dir, generation, config, model, identity, before_publish)
        report.generation = generation.number
        report.documents = len(plan.documents)
        report.passages = len(plan.passages)
        report.seconds = time.perf_counter() - started
        return report


def up_to_date(report: BuildReport, found: Pointer | None, previous: Manifest | None,
               scan: CorpusScan, identity: VectorIdentity, config: IndexConfig,
               strict: bool) -> bool:
    """Whether what ``found`` serves (``previous``: its manifest) indexes exactly the folder
    ``scan`` found, with these vectors and settings; if so ``report`` says so."""
    if not (found and previous and previous.vectors == identity and previous.config == config
            and _unchanged_since(previous, scan)):
        return False
    report.refused = {d: r.reason for d, r in previous.refused.items()}
    check_strict(strict, report.refused)
    report.up_to_date = True
    report.generation = found.version
    report.documents = previous.documents
    report.passages = previous.passages
    return True


def note_changes(report: BuildReport, indexed: dict[str, str], previous: Manifest | None
                 ) -> None:
    """Which documents ``report``'s run added, changed and removed: ``indexed`` (id ->
    hash) against what ``previous`` indexed."""
    old_files = previous.files if previous else {}
    report.added = sorted(set(indexed) - set(old_files))
    report.removed = sorted(set(old_files) - set(indexed))
    report.changed = sorted(d for d in indexed if d in old_files and old_files[d] != indexed[d])
    report.unchanged = len(indexed) - len(report.added) - len(report.changed)


def served_manifest(index_dir: Path, pointer: Pointer) -> Manifest:
    """What ``pointer`` indexes: its generation's manifest with its segments' changes
    (read from their ``segment.json`` only)."""
    base = read_manifest(index_dir / pointer.generation)
    if not pointer.segments:
        return base
    records = [read_record(index_dir / name) for name in pointer.segments]
    return changed_manifest(base, (r.changes for r in records), generation=pointer.version,
                            documents=records[-1].totals["documents"],
                            passages=records[-1].totals["passages"])


def plan_corpus(corpus_dir: Path, scan: CorpusScan, config: IndexConfig,
                identity: VectorIdentity, strict: bool, previous: Manifest | None,
                report: BuildReport) -> Plan:
    """Load the documents, chunk them and note in ``report`` what changed."""
    documents, report.refused = load_documents(scan)
    check_strict(strict, report.refused)
    check_loaded(corpus_dir, documents, report.refused)
    indexed = {doc.doc_id: scan.hashes[doc.doc_id] for doc in documents}
    note_changes(report, indexed, previous)
    refused = {d: RefusedFile(reason, scan.hashes.get(d)) for d, reason in report.refused.items()}
    processed, context = _passages(documents, scan.titles, config, identity.embed_context)
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
        context=context,
    )


def embed_plan(plan: Plan, reusable: dict[str, np.ndarray], model: ResolvedModel,
           identity: VectorIdentity, load_embedder: Callable[[], Embedder],
           progress: Progress | None,
           report: BuildReport) -> np.ndarray:
    """The plan's vectors, row i = passage i: reused by key, the missing ones embedded."""
    keys = plan.keys
    missing = sorted({i for i, key in enumerate(keys) if key not in reusable})
    vectors: dict[str, np.ndarray] = {}
    embedder: Embedder | None = None
    if missing or not reusable:
        embedder = checked_embedder(load_embedder, identity)
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


def plan_sentences(plan: Plan, config: IndexConfig, old, dimension: int,
                   identity: VectorIdentity, load_embedder: Callable[[], Embedder],
                   progress: Progress | None, report: BuildReport) -> SentenceTable | None:
    """The sentence vectors of the plan's passages (None when ``config`` wants none):
    those the served index ``old`` holds copied, the others embedded."""
    if not config.sentence_vectors:
        return None
    texts = {doc.doc_id: doc.text for doc in plan.documents}
    known = old.sentence_lookup if old is not None else SentenceLookup(())
    table, report.sentences_embedded = embed_sentences(
        (texts[p.doc_id][p.start:p.end] for p in plan.passages), known, dimension,
        lambda batch: checked_embedder(load_embedder, identity).encode_passages(batch),
        progress)
    return table


def plan_tokens(plan: Plan, config: IndexConfig, old, dimension: int,
                identity: VectorIdentity, load_embedder: Callable[[], Embedder],
                progress: Progress | None, report: BuildReport,
                model_name: str) -> TokenTable | None:
    """The token vectors of the plan's passages (None when ``config`` wants none for this
    many passages of ``model_name``'s): those the served index ``old`` holds copied, the
    others made."""
    if not tokens_wanted(config.token_vectors, len(plan.passages), model_name):
        return None
    texts = {doc.doc_id: doc.text for doc in plan.documents}
    known = old.token_lookup if old is not None else TokenLookup(())
    table, report.tokens_embedded = embed_tokens(
        (texts[p.doc_id][p.start:p.end] for p in plan.passages), known, dimension,
        lambda batch: checked_embedder(load_embedder, identity).passage_token_vectors(batch),
        progress)
    return table


def checked_embedder(load_embedder: Callable[[], Embedder], identity: VectorIdentity
                     ) -> Embedder:
    """The embedder ``load_embedder`` gives, which must make ``identity``'s vectors."""
    embedder = load_embedder()
    if embedder.identity != identity:
        raise ValueError("the embedder makes other vectors than the index's identity: "
                         + ", ".join(embedder.identity.differences(identity)))
    return embedder


def _write(index_dir: Path, generation: Generation, config: IndexConfig, model: ResolvedModel,
           identity: VectorIdentity, before_publish: Callable[[Path], None] | None) -> None:
    """Write ``generation`` into a staging folder, then publish it (or leave nothing)."""
    staging = new_staging(index_dir)
    try:
        write_generation(staging, generation, config, model, identity)
        if before_publish is not None:
            before_publish(staging)
        publish(index_dir, staging, generation.number)
    except BaseException as exc:
        shutil.rmtree(staging, ignore_errors=True)
        error = no_room(index_dir, exc)
        if error is not None:
            raise error from exc
        raise


def _passages(
    documents: list[Document], explicit: dict[str, str], config: IndexConfig, contextual: bool
) -> tuple[list[ProcessedDocument], CorpusContext]:
    """Every document titled and cut with the context of the whole corpus, and that context."""
    titled, context = corpus_context(documents, explicit)
    splitter = make_splitter(config.chunking)
    return ([process_document(doc, context, splitter, contextual=contextual) for doc in titled],
            context)


def _reusable_index(index_dir: Path, identity: VectorIdentity):
    """The served index, if its vectors were made with ``identity`` (None: nothing to
    reuse)."""
    try:
        old = load_index(index_dir)
    except Exception as exc:  # noqa: BLE001 - a broken old index only costs re-embedding
        logger.warning("previous index not reusable (%s); embedding everything", exc)
        return None
    return old if old.manifest.vectors == identity else None


def _vectors_by_key(old) -> dict[str, np.ndarray]:
    """Vectors of a loaded generation or segmented view by key."""
    if isinstance(old, SegmentedIndex):
        return old.vectors_by_key()
    return dict(zip(old.vector_keys, old.all_vectors()))


def write_generation(folder: Path, generation: Generation, config: IndexConfig,
                     model: ResolvedModel, identity: VectorIdentity) -> Manifest:
    """Write ``generation``'s files into the (staging) ``folder``; its manifest."""
    plan, matrix = generation.plan, generation.matrix
    now = datetime.now(UTC).isoformat(timespec="seconds")
    counts: dict[str, int] = {}
    for p in plan.passages:
        counts[p.doc_id] = counts.get(p.doc_id, 0) + 1
    write_jsonl(folder / DOCUMENTS, (
        document_row(DocumentRecord(
            doc_id=doc.doc_id, title=doc.title, content_hash=doc.content_hash,
            text=doc.text, sections=tuple(plan.sections[doc.doc_id]),
            passages=counts.get(doc.doc_id, 0), indexed_at=now, pages=tuple(doc.pages)))
        for doc in plan.documents
    ))
    write_jsonl(folder / PASSAGES,
                (passage_row(p, key) for p, key in zip(plan.passages, plan.keys)))
    dense = build_dense(matrix, config.exact_limit)
    save_dense(dense, folder / DENSE)
    analyzer = Analyzer(config.analysis)
    LexicalIndex.build(plan.bm25_texts, analyzer, config.bm25).save(folder / BM25_DIR,
                                                                    folder / TERMS)
    write_context(folder, plan.context)
    if generation.sentences is not None:
        save_table(generation.sentences, folder)
    if generation.tokens is not None:
        generation.tokens.save(folder)
    manifest = Manifest(
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
        corpus_sha256=corpus_hash(plan.files),
        documents=len(plan.documents),
        passages=len(plan.passages),
        versions=_versions(),
    )
    write_manifest(folder, manifest)
    return manifest


def _versions() -> dict[str, str]:
    versions = {"ragqa": __version__}
    for package in ("faiss-cpu", "bm25s", "sentence-transformers", "torch", "langchain-text-splitters"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            pass
    return versions
