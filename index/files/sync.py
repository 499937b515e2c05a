"""A folder sync that costs what changed: the corpus folder's changes as one segment.

``ragqa index`` and ``ragqa serve --watch`` (a sync job, :mod:`ragqa.index.jobs`) bring the
index in line with the corpus folder. The folder is planned again with the store's
:class:`~ragqa.index.files.planning.PlanMemo` (only the files that changed are loaded and
cut), compared document by document with the served view, and what differs is written as
one segment, as an upload is (:func:`~ragqa.index.files.writes.append_segment`: a staging
folder, fsynced, renamed, ``CURRENT`` replaced): files added, changed, removed or refused
now, titles changed, and any other document whose passages a moved corpus context changes
(or that an upload cut otherwise). The view then holds what a rebuild of the folder holds:
the same documents, passages, offsets and vector keys, so the same scores
(:mod:`ragqa.index.files.segmented`); only the new passages are embedded.

A segment cannot serve, and the caller builds a whole generation, when nothing is built
yet, when the generation was written by an older ragqa (no term statistics or context) or
with another BM25 method, when the vectors' identity or the index settings changed
(everything is embedded or cut again), and when the change is so large that the merge
policy would be due with it applied (:meth:`~ragqa.index.files.merge.MergePolicy.due_after`:
by default a tenth of the generation's passages added or retired, or 32 segments). A due
merge is a whole build: building it at once costs that one build, where a segment followed
by the merge costs both; and ``ragqa index`` never piles segments up.

A segment that retires text the generation holds (a file removed or replaced by hand) makes
a merge due at once, as a delete's does (:meth:`~ragqa.index.files.merge.MergePolicy.due`):
the store asks for it when it serves the segment, as after any write, and ``ragqa index``
waits for it (:meth:`~ragqa.index.files.store.FilesStore.settle`), so the old text leaves
the index folder (:mod:`~ragqa.index.files.erasure`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ragqa.index.embedding.embedder import Embedder
from ragqa.index.embedding.identity import VectorIdentity
from ragqa.index.files.lexical import passage_terms
from ragqa.index.files.merge import MergePolicy
from ragqa.index.files.planning import Cut, FolderPlan, PlanMemo, cut_digest
from ragqa.index.files.pointer import Pointer
from ragqa.index.files.segmented import SegmentedIndex
from ragqa.index.files.segments import Change, Segment
from ragqa.index.files.writes import (
    NotASegment,
    append_segment,
    embed_missing,
    segment_sentences,
    segment_tokens,
)
from ragqa.index.records import BuildReport, DocumentRecord, Progress


@dataclass(frozen=True)
class Synced:
    """What a sync left served: the pointer, and the cuts it found served as they are
    (saved with the memo, :mod:`ragqa.index.files.sync_state`)."""

    pointer: Pointer
    cuts: Mapping[str, Cut]


def changes(view: SegmentedIndex, plan: FolderPlan,
            synced: Synced | None = None) -> dict[str, Change]:
    """What a segment must say for ``view`` to index what ``plan`` found, by document
    (sorted); empty when the view holds it already. ``synced``: what the last sync left;
    while ``view`` is still that state (or that state with segments appended, uploads or
    deletes, that do not change the document), a document whose cut is the one it served
    then (the same digest) is not compared again."""
    manifest = view.manifest
    known = _still_served(view, synced)
    out: dict[str, Change] = {}
    for doc_id, cut in plan.cuts.items():
        sha, title = plan.files[doc_id], plan.titles.get(doc_id)
        if not (manifest.files.get(doc_id) == sha and manifest.titles.get(doc_id) == title
                and (known.get(doc_id) == cut or _served_as(view, doc_id, sha, cut))):
            out[doc_id] = Change(sha, title)
    for doc_id, refused in plan.refused.items():
        title = plan.titles.get(doc_id)
        if (manifest.refused.get(doc_id) != refused or manifest.titles.get(doc_id) != title
                or doc_id in manifest.files or view.document(doc_id) is not None):
            out[doc_id] = Change(None, title, refused)
    known = set(manifest.files) | set(manifest.refused) | set(view.documents)
    for doc_id in known - set(plan.cuts) - set(plan.refused):
        out[doc_id] = Change(None)
    return dict(sorted(out.items()))


def _still_served(view: SegmentedIndex, synced: Synced | None) -> Mapping[str, Cut]:
    """The cuts of ``synced`` that ``view`` still serves as they were."""
    if synced is None:
        return {}
    then, now = synced.pointer, view.pointer
    if then == now:
        return synced.cuts
    if then.generation != now.generation or now.segments[:len(then.segments)] != then.segments:
        return {}  # a merge or a build since: compared again
    touched = {d for s in view.segments[len(then.segments):] for d in s.changes}
    return {d: cut for d, cut in synced.cuts.items() if d not in touched}


def _served_as(view: SegmentedIndex, doc_id: str, sha: str, cut: Cut) -> bool:
    record = view.document(doc_id)
    if record is None or record.content_hash != sha or record.passages != cut.passages:
        return False
    passages, keys = view.indexed(doc_id)
    return cut_digest(record.title, record.sections, record.pages, passages, keys) == cut.digest


def append_sync(index_dir: Path, view: SegmentedIndex, plan: FolderPlan, memo: PlanMemo, *,
                identity: VectorIdentity, load_embedder: Callable[[], Embedder],
                policy: MergePolicy, report: BuildReport, synced: Synced | None = None,
                progress: Progress | None = None) -> SegmentedIndex | None:
    """Serve what ``plan`` found as one segment after the served view (``view`` when it is
    already that); the view that serves it, or None when a segment cannot serve (see the
    module; nothing written). ``report`` is told what was embedded and reused."""

    def make(current: SegmentedIndex, name: str, now: str) -> Segment | None:
        found = changes(current, plan, synced)
        if not found:
            return None
        written = [d for d, change in found.items() if change.sha256 is not None]
        added = sum(plan.cuts[d].passages for d in written)
        retired = sum(len(r) for r in (current.rows_of([d]) for d in found) if r is not None)
        if policy.due_after(current, added, retired):
            raise NotASegment
        processed = [memo.processed(plan, d) for d in written]
        keys = [k for p in processed for k in p.keys]
        inputs = [t for p in processed for t in p.inputs]
        reusable = current.vectors_for(set(keys))
        report.embedded = len({k for k in keys if k not in reusable})
        report.reused = len(keys) - sum(1 for k in keys if k not in reusable)
        vectors = embed_missing(keys, inputs, reusable, current.model.dimension, identity,
                                load_embedder, progress)
        records = [DocumentRecord(
            doc_id=p.document.doc_id, title=p.document.title,
            content_hash=p.document.content_hash, text=p.document.text, sections=p.sections,
            passages=len(p.passages), indexed_at=now, pages=tuple(p.document.pages))
            for p in processed]
        passages = [x for p in processed for x in p.passages]
        sentences, report.sentences_embedded = segment_sentences(
            current, records, passages, identity, load_embedder, progress)
        tokens, report.tokens_embedded = segment_tokens(
            current, records, passages, identity, load_embedder, progress)
        return Segment.make(name, now, found, records, passages, keys, vectors,
                            passage_terms([t for p in processed for t in p.bm25_texts],
                                          current.analyzer), sentences, tokens)

    if not view.writable:
        return None
    return append_segment(index_dir, view, make)
