"""Erasure: a write leaves no segment holding a document a later write replaced or deleted.

A segment *retires* the earlier passages of the documents it changes (tombstones), but the
segment that held them still holds their text (``documents.jsonl``), passages, vectors and
terms. A user who deletes a document expects its text gone from disk, so every write
compacts the served segments before it is published (:func:`compacted`): a document that a
later segment changes leaves every earlier one. A segment left with no change of its own
is dropped (its changes all superseded, it says nothing the later ones do not); a segment
left with some is rewritten without the others, under a new name (the version grows with
every write, and an immutable folder is never changed in place), at its place in the
order. The view over the compacted segments is the same index: the same live passages,
the same changes applied in the same order, so both rankers answer exactly as before.

Text held by the generation itself (a corpus-folder document deleted or replaced) is
erased by a merge, which rebuilds the generation from the corpus folder: the store asks
for one at once when the served view retires any of the generation's passages
(:meth:`~ragqa.index.files.merge.MergePolicy.due`): after a delete or an upload through the
store, and after a folder sync that found the file removed or replaced by hand, which
``ragqa index`` waits for (:meth:`~ragqa.index.files.store.FilesStore.settle`). Removing
the folders ``CURRENT`` no longer names happens as it is replaced
(:func:`~ragqa.index.files.pointer.write_pointer`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np
from ragqa.index.files.segments import Segment


def superseded(segments: Sequence[Segment]) -> list[frozenset[str]]:
    """For each segment, the documents it changes that a later one changes again."""
    later: set[str] = set()
    out: list[frozenset[str]] = []
    for segment in reversed(segments):
        out.append(frozenset(later.intersection(segment.changes)))
        later.update(segment.changes)
    return out[::-1]


def compacted(segments: Sequence[Segment], name: Callable[[], str]) -> list[Segment]:
    """``segments`` (in order) with every document a later one changes left out of the
    earlier ones: a segment with no change left is dropped, one with some left is rewritten
    under the name ``name()`` gives; the others are returned as they are."""
    out = []
    for segment, gone in zip(segments, superseded(segments)):
        if not gone:
            out.append(segment)
        elif set(segment.changes) - gone:
            out.append(without(segment, gone, name()))
    return out


def without(segment: Segment, gone: frozenset[str], name: str) -> Segment:
    """``segment`` without the documents ``gone`` (their changes, texts, passages, vectors
    and terms), named ``name``."""
    keep = np.asarray([row for row, p in enumerate(segment.passages) if p.doc_id not in gone],
                      dtype=np.int64)
    documents = {d: r for d, r in segment.documents.items() if d not in gone}
    passages = [segment.passages[row] for row in keep.tolist()]
    # The sentence and token tables are kept whole: they hold digests and vectors, no text,
    # and cutting them to the kept passages' sentences would need every one of them there
    # (a segment written before a change of the sentence rules holds others: a write would
    # fail on it). Those of the documents gone leave with the segment or the next merge.
    return replace(segment, name=name,
                   changes={d: c for d, c in segment.changes.items() if d not in gone},
                   documents=documents, passages=passages,
                   keys=[segment.keys[row] for row in keep.tolist()],
                   vectors=np.ascontiguousarray(segment.vectors[keep]),
                   postings=segment.postings.select(keep))
