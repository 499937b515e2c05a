"""A write that costs one document: an upload or a delete appended as a segment.

The document is cut with the corpus context recorded in the served generation (and its own
boilerplate), as the PostgreSQL store cuts an upload: documents already indexed keep their
passages, and only the document's new passages are embedded. The segment is written in a
staging folder, fsynced, renamed into place, and ``CURRENT`` is replaced to name it
(:mod:`ragqa.index.files.pointer`); the new view is the old one with the segment applied
(:meth:`~ragqa.index.files.segmented.SegmentedIndex.with_segments`), made without reading
the index again. A write that changes a document an earlier segment holds compacts the
segments in the same swap (:mod:`ragqa.index.files.erasure`): the old text leaves the disk
before the write is acknowledged. The index's lock is held throughout, so writes of other
processes (``ragqa index``) come before or after, never between.
"""

from __future__ import annotations

import itertools
import logging
import shutil
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from ragqa.index.config import IndexConfig
from ragqa.index.documents.chunking import make_splitter
from ragqa.index.documents.processing import process_document, retitle
from ragqa.index.documents.reading import Document
from ragqa.index.embedding.embedder import Embedder
from ragqa.index.embedding.identity import VectorIdentity
from ragqa.index.files.builder import checked_embedder
from ragqa.index.files.erasure import compacted
from ragqa.index.files.folders import clean_stale, new_staging, no_room, place, write_lock
from ragqa.index.files.generations import load_pointer
from ragqa.index.files.lexical import passage_terms
from ragqa.index.files.pointer import read_pointer, segment_name, write_pointer
from ragqa.index.files.segmented import SegmentedIndex
from ragqa.index.files.segments import Change, Segment, write_segment
from ragqa.index.files.sentences import embed_sentences
from ragqa.index.files.tokens import TokenTable, embed_tokens
from ragqa.index.records import PROGRESS_STEP, DocumentRecord, Progress
from ragqa.index.sentencetable import SentenceTable

logger = logging.getLogger(__name__)


def as_view(loaded) -> SegmentedIndex:
    """What :func:`~ragqa.index.files.generations.load_index` returned, as a segmented view."""
    return loaded if isinstance(loaded, SegmentedIndex) else SegmentedIndex.over(loaded)


def append_upload(index_dir: Path, view: SegmentedIndex, document: Document,
                  explicit_title: str | None, *, config: IndexConfig, identity: VectorIdentity,
                  load_embedder: Callable[[], Embedder],
                  progress: Progress | None = None) -> SegmentedIndex | None:
    """Index ``document`` (already durable in the corpus folder) as a new segment; the view
    that serves it, or None when the served generation cannot take segments (written by an
    older ragqa: the caller builds a generation instead)."""

    def make(current: SegmentedIndex, name: str, now: str) -> Segment:
        context = current.context
        assert context is not None
        titled = retitle(document, context.chrome, explicit_title)
        processed = process_document(titled, context, make_splitter(config.chunking),
                                     contextual=identity.embed_context, own_boilerplate=True)
        vectors = embed_missing(processed.keys, processed.inputs,
                           current.vectors_by_key(document.doc_id), current.model.dimension,
                           identity, load_embedder, progress)
        record = DocumentRecord(
            doc_id=titled.doc_id, title=titled.title, content_hash=titled.content_hash,
            text=titled.text, sections=processed.sections, passages=len(processed.passages),
            indexed_at=now, pages=tuple(titled.pages))
        change = Change(document.content_hash, explicit_title)
        sentences, _ = segment_sentences(current, [record], processed.passages, identity,
                                         load_embedder, progress)
        tokens, _ = segment_tokens(current, [record], processed.passages, identity,
                                   load_embedder, progress)
        return Segment.make(name, now, {document.doc_id: change}, [record],
                            list(processed.passages), list(processed.keys), vectors,
                            passage_terms(processed.bm25_texts, current.analyzer), sentences,
                            tokens)

    return append_segment(index_dir, view, make)


def append_delete(index_dir: Path, view: SegmentedIndex, doc_id: str) -> SegmentedIndex | None:
    """Retire document ``doc_id`` (already removed from the corpus folder) with a new
    segment; the view without it, or None as for :func:`append_upload`."""

    def make(current: SegmentedIndex, name: str, now: str) -> Segment:
        nothing = np.zeros((0, current.model.dimension), dtype=np.float32)
        return Segment.make(name, now, {doc_id: Change(None)}, [], [], [], nothing, [])

    return append_segment(index_dir, view, make)


class NotASegment(Exception):
    """Raised by a ``make`` of :func:`append_segment`: this write is to build a generation
    instead (nothing is written)."""


def append_segment(index_dir: Path, view: SegmentedIndex,
                   make: Callable[[SegmentedIndex, str, str], Segment | None]
                   ) -> SegmentedIndex | None:
    """Write the segment ``make`` makes from the served view (the index's lock held) and
    serve it; the new view; the served view itself when ``make`` returns None (nothing to
    write); None when a segment cannot serve (a generation of an older ragqa, no index, or
    ``make`` raised :class:`NotASegment`)."""
    with write_lock(index_dir):
        clean_stale(index_dir)
        pointer = read_pointer(index_dir)
        if pointer is None:
            return None
        if pointer != view.pointer:  # another process wrote meanwhile: start from its state
            view = as_view(load_pointer(index_dir, pointer))
        if not view.writable:
            return None
        name = segment_name(pointer.version + 1)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        try:
            segment = make(view, name, now)
        except NotASegment:
            return None
        if segment is None:
            return view
        numbers = itertools.count(pointer.version + 2)
        served = [*view.segments, segment]
        kept = compacted(served, lambda: segment_name(next(numbers)))
        if len(kept) == len(served) and all(a is b for a, b in zip(kept, served)):
            # nothing a segment holds is retired: the view grows by one
            fresh, written = view.with_segments([segment]), [(segment, None)]
        else:  # the segments applied again, some dropped or rewritten (ragqa.index.files.erasure)
            old = {s.name for s in view.segments}
            fresh, written = SegmentedIndex.over(view.base), []
            for part in kept:
                fresh = fresh.with_segments([part])
                if part.name not in old:
                    written.append((part, fresh.counts()))
        for part, totals in written:
            _write(index_dir, part, totals or fresh.counts())
        write_pointer(index_dir, fresh.pointer)
        return fresh


def _write(index_dir: Path, segment: Segment, totals: tuple[int, int]) -> None:
    """Write ``segment`` durably in its folder (not yet served)."""
    staging = new_staging(index_dir)
    try:
        write_segment(staging, segment, totals)
        place(index_dir, staging, segment.name)
    except BaseException as exc:
        shutil.rmtree(staging, ignore_errors=True)
        error = no_room(index_dir, exc)
        if error is not None:
            raise error from exc
        raise


def segment_sentences(current: SegmentedIndex, records: Sequence[DocumentRecord],
                      passages: Sequence, identity: VectorIdentity,
                      load_embedder: Callable[[], Embedder],
                      progress: Progress | None) -> tuple[SentenceTable | None, int]:
    """The sentence vectors of a segment's ``passages`` (of the documents ``records``), the
    sentences the served index holds reused (None when it makes none: its configuration),
    and how many were embedded."""
    if not current.manifest.config.sentence_vectors:
        return None, 0
    texts = {r.doc_id: r.text for r in records}
    return embed_sentences((texts[p.doc_id][p.start:p.end] for p in passages),
                           current.sentence_lookup, current.model.dimension,
                           lambda batch: checked_embedder(load_embedder, identity).encode_passages(batch),
                           progress)


def segment_tokens(current: SegmentedIndex, records: Sequence[DocumentRecord],
                   passages: Sequence, identity: VectorIdentity,
                   load_embedder: Callable[[], Embedder],
                   progress: Progress | None) -> tuple[TokenTable | None, int]:
    """The token vectors of a segment's ``passages`` as :func:`segment_sentences` makes
    their sentences' (None when the served generation has none: its configuration, or
    ``auto`` over a large corpus), and how many passages were read."""
    if current.base.tokens is None:
        return None, 0
    texts = {r.doc_id: r.text for r in records}
    return embed_tokens((texts[p.doc_id][p.start:p.end] for p in passages),
                        current.token_lookup, current.model.dimension,
                        lambda batch: checked_embedder(load_embedder, identity)
                        .passage_token_vectors(batch), progress)



def embed_missing(keys: Sequence[str], inputs: Sequence[str],
                  reusable: dict[str, np.ndarray], dimension: int, identity: VectorIdentity,
                  load_embedder: Callable[[], Embedder],
                  progress: Progress | None) -> np.ndarray:
    """The passages' vectors, row i = passage i: reused by key, the others embedded."""
    missing = sorted({key: i for i, key in enumerate(keys) if key not in reusable}.values())
    vectors = dict(reusable)
    if missing:
        embedder = load_embedder()
        if embedder.identity != identity:
            raise ValueError("the embedder makes other vectors than the index's identity: "
                             + ", ".join(embedder.identity.differences(identity)))
        if progress is not None:
            progress(0, len(missing))
        for begin in range(0, len(missing), PROGRESS_STEP):
            rows = missing[begin : begin + PROGRESS_STEP]
            fresh = embedder.encode_passages([inputs[i] for i in rows])
            vectors.update(zip((keys[i] for i in rows), fresh))
            if progress is not None:
                progress(begin + len(rows), len(missing))
    matrix = np.zeros((len(keys), dimension), dtype=np.float32)
    for row, key in enumerate(keys):
        matrix[row] = vectors[key]
    return matrix
