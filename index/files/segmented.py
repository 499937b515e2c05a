"""A generation and the segments written after it, searched as one index.

:class:`SegmentedIndex` is the files store's :class:`~ragqa.index.search.view.IndexView`:
the retriever never learns that segments exist. Rows are stable for one view: the
generation's passages keep their rows, the segments' follow in the order they were
written (:class:`~ragqa.index.files.delta.Delta`), and a passage retired by a later write
(its document replaced or deleted: a *tombstone*) keeps its row but is never returned
again. A write makes a new view (:meth:`SegmentedIndex.with_segments`) without touching
the old one, so a request that holds a view reads one state from start to end.

Both rankers answer as a merged index of the live passages answers, to the bit where the
generation's index is exact (up to 100,000 passages): dense scores come from FAISS's exact
kernel in both parts; BM25 scores from raw term frequencies (:mod:`ragqa.index.files.
postings`) with the idf and average length of every live passage, as bm25s computes them;
equal scores are ordered as a merged index orders them (documents by id, passages in order).
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Iterable, Iterator, Sequence
from functools import cached_property
from pathlib import Path

import numpy as np
from ragqa.index.documents.chunking import Passage
from ragqa.index.documents.processing import CorpusContext
from ragqa.index.embedding.identity import VectorIdentity
from ragqa.index.files.delta import Delta
from ragqa.index.files.dense import search_dense
from ragqa.index.files.generation import LoadedIndex
from ragqa.index.files.manifest import Manifest
from ragqa.index.files.pointer import Pointer
from ragqa.index.files.postings import (
    Part,
    Statistics,
    best_rows,
    bm25_scores,
    document_frequencies,
    idf,
    length_norms,
)
from ragqa.index.files.scoped import Scope, Scopes
from ragqa.index.files.segments import Segment, changed_manifest
from ragqa.index.files.sentences import SentenceLookup
from ragqa.index.files.tokens import TokenLookup
from ragqa.index.records import (
    DocumentRecord,
    ModelRecord,
    PassageRecord,
    RefusedFile,
    line_context,
)
from ragqa.index.search.analysis import Analyzer

_NO_ROWS = np.zeros(0, dtype=np.int64)
_NO_SCORES = np.zeros(0, dtype=np.float32)


class SegmentedIndex:
    """A generation plus zero or more segments, read as one index (build it with
    :meth:`over`, then :meth:`with_segments`; never changed afterwards)."""

    store = "files"

    def __init__(self, base: LoadedIndex, segments: tuple[Segment, ...], delta: Delta,
                 changed: dict[str, tuple[int, np.ndarray] | None], dead: np.ndarray,
                 dead_length: float) -> None:
        self.base = base
        self.segments = segments
        self.delta = delta
        # Documents written by a segment: (that segment's index, their rows), or None once
        # deleted. Rows of the others are the generation's.
        self._changed = changed
        self._dead = dead  # retired rows, ascending
        self._dead_length = dead_length  # their BM25 length, together
        self.size = base.size + delta.size
        live = np.ones(self.size, dtype=bool)
        live[dead] = False
        self._live = live
        split = int(np.searchsorted(dead, base.size))
        self._dead_base, self._dead_delta = split, len(dead) - split
        self._parts = [
            Part(base.postings, 0, live[: base.size] if self._dead_base else None),
            Part(delta.postings, base.size, live[base.size :] if self._dead_delta else None)]
        self._version = self.pointer.version if segments else base.generation

    @classmethod
    def over(cls, base: LoadedIndex) -> SegmentedIndex:
        """``base`` alone: searched exactly as the generation itself."""
        return cls(base, (), Delta.empty(base.manifest.model.dimension), {}, _NO_ROWS, 0.0)

    def with_segments(self, segments: Sequence[Segment]) -> SegmentedIndex:
        """This view with ``segments`` applied after its own, in order."""
        if not segments:
            return self
        base = self.base
        delta = self.delta.extended(segments, base.doc_order, base.doc_first_rows, base.size)
        changed = dict(self._changed)
        dead = [self._dead]
        offset = self.size
        for number, segment in enumerate(segments, start=len(self.segments)):
            rows_of: dict[str, list[int]] = {}
            for row, p in enumerate(segment.passages):
                rows_of.setdefault(p.doc_id, []).append(offset + row)
            for doc_id in segment.changes:
                dead.append(self._rows_in(doc_id, changed))
                changed[doc_id] = ((number, np.asarray(rows_of.get(doc_id, []), dtype=np.int64))
                                   if doc_id in segment.documents else None)
            offset += segment.size
        retired = np.concatenate(dead[1:])
        lengths = np.concatenate([base.postings.lengths, delta.postings.lengths])[retired]
        return SegmentedIndex(base, (*self.segments, *segments), delta, changed,
                              np.sort(np.concatenate(dead)).astype(np.int64),
                              self._dead_length + float(lengths.sum(dtype=np.float64)))

    @cached_property
    def sentence_lookup(self) -> SentenceLookup:
        """The sentence vectors of the generation and its segments (the newest first)."""
        return SentenceLookup([*(s.sentences for s in reversed(self.segments)),
                               self.base.sentences])

    def stored_sentence_vectors(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        return self.sentence_lookup.find(texts, self.base.manifest.model.dimension)

    @cached_property
    def token_lookup(self) -> TokenLookup:
        """The token vectors of the generation and its segments (the newest first)."""
        return TokenLookup([*(s.tokens for s in reversed(self.segments)), self.base.tokens])

    def stored_token_vectors(self, quote: str) -> np.ndarray | None:
        return self.token_lookup.find(quote)

    def stored_token_vectors_each(self, quotes: Sequence[str]) -> list[np.ndarray | None]:
        return [self.token_lookup.find(quote) for quote in quotes]

    def _rows_in(self, doc_id: str, changed: dict) -> np.ndarray:
        if doc_id in changed:
            entry = changed[doc_id]
            return _NO_ROWS if entry is None else entry[1]
        return self.base.doc_rows.get(doc_id, _NO_ROWS)

    def _passage(self, row: int):
        base = self.base
        return base.passages[row] if row < base.size else self.delta.passages[row - base.size]

    # -- what the store needs --------------------------------------------------------------

    @property
    def pointer(self) -> Pointer:
        return Pointer(self.base.path.name, tuple(s.name for s in self.segments))

    @property
    def generation(self) -> int:
        """The served state's number: grows with every write (see ragqa.index.files.pointer)."""
        return self._version

    @property
    def path(self) -> Path:
        return self.base.path

    @property
    def context(self) -> CorpusContext | None:
        return self.base.context

    @property
    def writable(self) -> bool:
        """Whether a write can be a segment (else it builds a generation)."""
        return self.base.writable and self.base.manifest.config.bm25.method == "lucene"

    @property
    def dead(self) -> int:
        """How many rows are retired."""
        return len(self._dead)

    @cached_property
    def stats(self) -> Statistics:
        """The live passages' BM25 statistics."""
        total = float(self.base.postings.lengths.sum(dtype=np.float64)) + float(
            self.delta.postings.lengths.sum(dtype=np.float64))
        return Statistics(self.size - len(self._dead), total - self._dead_length)

    @cached_property
    def _norms(self) -> np.ndarray:
        params = self.base.manifest.config.bm25
        return length_norms(self._parts, self.stats, params.k1, params.b)

    @cached_property
    def _scopes(self) -> Scopes:
        """BM25 over an allowlist's live passages (:mod:`ragqa.index.files.scoped`)."""
        params = self.base.manifest.config.bm25

        def make(doc_ids: frozenset[str]) -> Scope:
            rows = self.rows_of(doc_ids)
            assert rows is not None
            return Scope(self._parts, rows, params.k1, params.b)

        return Scopes(make)

    def live_rows(self) -> Iterator[int]:
        return (int(row) for row in np.flatnonzero(self._live))

    def vectors_by_key(self, doc_id: str | None = None) -> dict[str, np.ndarray]:
        """Stored vectors by key: of ``doc_id``'s live passages, or of every row."""
        base, delta = self.base, self.delta
        if doc_id is None:
            out = dict(zip(base.vector_keys, base.all_vectors()))
            out.update(zip(delta.keys, delta.vectors))
            return out
        return {(base.vector_keys[r] if r < base.size else delta.keys[r - base.size]):
                self.vector(r) for r in self._rows_in(doc_id, self._changed).tolist()}

    def indexed(self, doc_id: str) -> tuple[list[Passage], list[str]]:
        """``doc_id``'s live passages in order and their vector keys (a sync compares them
        with the folder's)."""
        base, delta = self.base, self.delta
        rows = self._rows_in(doc_id, self._changed).tolist()
        return ([self._passage(r) for r in rows],
                [base.vector_keys[r] if r < base.size else delta.keys[r - base.size]
                 for r in rows])

    def vectors_for(self, keys: Iterable[str]) -> dict[str, np.ndarray]:
        """The stored vectors of those of ``keys`` any row holds (live or retired: a vector
        is the one its key's input makes), without reading every vector."""
        base, delta = self.base, self.delta
        in_delta = {key: row for row, key in enumerate(delta.keys)}
        out = {}
        for key in keys:
            if key in in_delta:
                out[key] = delta.vectors[in_delta[key]].copy()
            elif key in base.key_rows:
                out[key] = base.dense.reconstruct(base.key_rows[key])
        return out

    def quote(self, row: int) -> str:
        p = self._passage(row)
        return self._record_of(p.doc_id, row).text[p.start : p.end]

    def _record_of(self, doc_id: str, row: int) -> DocumentRecord:
        """The record of ``doc_id`` as row ``row`` (live or not) has it."""
        if row < self.base.size:
            return self.base.documents[doc_id]
        segment = self.segments[self._segment_of(row)]
        return segment.documents[doc_id]

    def _segment_of(self, row: int) -> int:
        return int(np.searchsorted(self._segment_starts, row, side="right")) - 1

    @cached_property
    def _segment_starts(self) -> np.ndarray:
        sizes = [s.size for s in self.segments]
        return self.base.size + np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)

    @cached_property
    def documents(self) -> dict[str, DocumentRecord]:
        """Every live document by id (built on first use)."""
        out = {d: r for d, r in self.base.documents.items() if d not in self._changed}
        for doc_id, entry in self._changed.items():
            if entry is not None:
                out[doc_id] = self.segments[entry[0]].documents[doc_id]
        return out

    @cached_property
    def manifest(self) -> Manifest:
        """The generation's manifest with the segments' changes: what this view indexes."""
        documents, passages = self.counts()
        return changed_manifest(self.base.manifest, (s.changes for s in self.segments),
                                generation=self.generation, documents=documents,
                                passages=passages)

    # -- the IndexView protocol (index/search/view.py) -------------------------------------

    @property
    def analyzer(self) -> Analyzer:
        return self.base.analyzer

    @property
    def model(self) -> ModelRecord:
        return self.base.model

    def check_vectors(self, identity: VectorIdentity, model_name: str) -> None:
        self.base.check_vectors(identity, model_name)

    def idf(self, terms: Sequence[str], scope: Collection[str] | None = None) -> list[float]:
        if not self.segments:
            return self.base.idf(terms, scope)
        if scope is not None:
            return self._scopes.get(frozenset(scope)).idf(terms)
        n = self.stats.passages
        return [idf(df, n) for df in document_frequencies(self._parts, terms)]

    def lexical_top(self, question: str, k: int, doc_ids: Collection[str] | None = None,
                    scope: Collection[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
        if not self.segments:
            return self.base.lexical_top(question, k, doc_ids, scope)
        terms = self.analyzer(question)
        if scope is not None:  # the statistics of the allowlist's live passages only
            found, scores = self._scopes.get(frozenset(scope)).candidates(
                terms, k, self.rows_of(doc_ids))
            return self._best(found, scores, k)
        if not terms or not self.stats.passages:
            return _NO_ROWS, _NO_SCORES
        params = self.base.manifest.config.bm25
        scores = bm25_scores(self._parts, terms, self.size, self.stats, params.k1, params.b,
                             self._norms, self._dead)
        rows = self.rows_of(doc_ids)
        if rows is not None:
            kept = np.zeros_like(scores)
            kept[rows] = scores[rows]
            scores = kept
        found = best_rows(scores, k)
        return self._best(found, scores[found], k)

    def dense_top(self, vector: np.ndarray, k: int,
                  doc_ids: Collection[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
        if not self.segments:
            return self.base.dense_top(vector, k, doc_ids)
        base = self.base
        rows = self.rows_of(doc_ids)
        if rows is None:  # the retired rows are asked for too, and dropped
            # The segments first: a few vectors, scored while the caches still hold what
            # numpy needs (the generation's search evicts it).
            more, more_scores = self.delta.search(vector, k + self._dead_delta)
            ids, scores = search_dense(base.dense, vector, k + self._dead_base)
        else:
            split = int(np.searchsorted(rows, base.size))
            ids, scores = (search_dense(base.dense, vector, k, rows[:split]) if split
                           else (_NO_ROWS, _NO_SCORES))
            more, more_scores = self.delta.search(vector, k, rows[split:] - base.size)
        ids = np.concatenate([ids.astype(np.int64, copy=False), more + base.size])
        scores = np.concatenate([scores, more_scores]).astype(np.float32, copy=False)
        if rows is None and len(self._dead):
            keep = self._live[ids]
            ids, scores = ids[keep], scores[keep]
        return self._best(ids, scores, k)

    def _best(self, rows: np.ndarray, scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` best ``rows``, equal scores in the order a merged index holds them
        (documents by id, passages in order), so that ties fall as they would there."""
        order = np.lexsort((self._positions.take(rows), -scores))[:k]
        return rows[order], scores[order]

    def tie_order(self, rows: np.ndarray) -> np.ndarray:
        """Each row's place in a merged index of this view (see :func:`merged_positions`)."""
        return self._positions.take(rows) if self.segments else rows

    @cached_property
    def _positions(self) -> np.ndarray:
        """Each row's place in a merged index of this view's rows: made at the view's first
        search (8 bytes a row, 0.8 MB at 100,000 passages; a lookup per ranked row then)."""
        return merged_positions(self.base.size, self.delta.insertion, self._delta_rank)

    @cached_property
    def _delta_rank(self) -> np.ndarray:
        """Each segment row's place among all segment rows in a merged index's order
        (documents by id, then passages in order; made once per view)."""
        passages = self.delta.passages
        if not passages:
            return _NO_ROWS
        _, documents = np.unique(np.asarray([p.doc_id for p in passages]), return_inverse=True)
        starts = np.fromiter((p.start for p in passages), dtype=np.int64, count=len(passages))
        rank = np.empty(len(passages), dtype=np.int64)
        rank[np.lexsort((starts, documents))] = np.arange(len(passages), dtype=np.int64)
        return rank

    def rows_of(self, doc_ids: Collection[str] | None) -> np.ndarray | None:
        """The live passage rows of ``doc_ids``, ascending (None: all)."""
        if doc_ids is None:
            return None
        parts = [self._rows_in(d, self._changed) for d in doc_ids]
        parts = [p for p in parts if len(p)]
        return np.sort(np.concatenate(parts)) if parts else _NO_ROWS

    def unknown_documents(self, doc_ids: Collection[str]) -> list[str]:
        return sorted(d for d in doc_ids if self.document(d) is None)

    def passages_of(self, rows: Iterable[int]) -> dict[int, PassageRecord]:
        base = self.base
        retired, size, base_size = self._retired, self.size, base.size
        out = {}
        for row in rows:
            row = int(row)
            if row in retired or not 0 <= row < size:
                continue  # retired by a later write
            if row < base_size:  # a live row of the generation: its document is unchanged
                p = base.passages[row]
                doc = base.documents[p.doc_id]
            else:  # a live row of a segment: its document as the latest write left it
                p = self.delta.passages[row - base_size]
                doc = self.document(p.doc_id)
                assert doc is not None
            out[row] = PassageRecord(row, p.doc_id, p.start, p.end, p.section, p.page,
                                     doc.title, doc.text[p.start : p.end],
                                     *line_context(doc.text, p.start, p.end))
        return out

    @cached_property
    def _retired(self) -> frozenset[int]:
        return frozenset(self._dead.tolist())

    def vectors(self, rows: Sequence[int]) -> np.ndarray:
        return np.stack([self.vector(row) for row in rows]) if len(rows) else np.zeros(
            (0, self.base.manifest.model.dimension), dtype=np.float32)

    def vector(self, row: int) -> np.ndarray:
        row = int(row)
        if row < self.base.size:
            return self.base.dense.reconstruct(row)
        return self.delta.vectors[row - self.base.size].copy()

    def document(self, doc_id: str) -> DocumentRecord | None:
        if doc_id in self._changed:
            entry = self._changed[doc_id]
            return None if entry is None else self.segments[entry[0]].documents[doc_id]
        return self.base.documents.get(doc_id)

    def documents_by_id(self, doc_ids: Iterable[str] | None = None) -> dict[str, DocumentRecord]:
        if doc_ids is None:
            return dict(sorted(self.documents.items()))
        found = ((d, self.document(d)) for d in sorted(set(doc_ids)))
        return {d: record for d, record in found if record is not None}

    def refused(self) -> dict[str, RefusedFile]:
        if not self.segments:
            return self.base.refused()
        return dict(sorted(self.manifest.refused.items()))

    def counts(self) -> tuple[int, int]:
        return self._documents_count, self.size - len(self._dead)

    @cached_property
    def _documents_count(self) -> int:
        gone = sum(1 for d in self._changed if d in self.base.documents)
        added = sum(1 for entry in self._changed.values() if entry is not None)
        return len(self.base.documents) - gone + added

    def session(self) -> contextlib.nullcontext[None]:
        """Nothing to share: the index is in memory."""
        return contextlib.nullcontext()

    def close(self) -> None:
        """Nothing to release: the index is memory only."""


def merged_positions(base_size: int, insertion: np.ndarray, delta_rank: np.ndarray) -> np.ndarray:
    """Each row's place in a merged index of a generation of ``base_size`` rows and segment
    rows with those :attr:`Delta.insertion` rows and ranks among themselves (``delta_rank``:
    a merged index's order, documents by id then passages in order). Retired rows count too:
    they are never compared, and counting them keeps the others' order. A generation row
    keeps its order, after the segment rows whose documents precede it; a segment row sits
    before the generation row its document would precede, after the segment rows a merged
    index puts before it. Sorting by it orders rows as a merged index holds them, in one
    key (where a sort by generation row, then part, then rank among the segments took three)."""
    rows = np.arange(base_size, dtype=np.int64)
    rows += np.searchsorted(np.sort(insertion), rows, side="right")
    return np.concatenate([rows, insertion + delta_rank])
