"""The index directory on disk: its layout, and what it serves loaded and checked.

Layout::

    INDEX_DIR/
      CURRENT              the served generation and its segments (replaced atomically;
                           see ragqa.index.files.pointer)
      gen-000007/          one complete, immutable generation
        manifest.json      schema version, model, settings, per-file hashes, counts, versions
        documents.jsonl    one line per document: id, title, hash, sections, canonical text
        passages.jsonl     one line per passage: doc, start, end, section, page, vector key
        dense.faiss        FAISS index, row i = passage i
        bm25/              bm25s index, row i = passage i
        terms.npz          the passages' raw BM25 statistics (scoring with segments)
        context.json       the corpus context the passages were cut with (for segments)
      seg-000008/          one write made after it (ragqa.index.files.segments)
      .staging-*/          a generation or segment being written (removed if a write dies)
      .merging-*/          a generation being merged in the background (the same)

A generation or a segment is written in a staging folder, fsynced, renamed into place, and
only then named in ``CURRENT`` (written to a temporary file and ``os.replace``d). A write
that fails or is killed at any point leaves the previous state served (the writers' side:
:mod:`ragqa.index.files.folders`).
"""

from __future__ import annotations

import logging
from pathlib import Path

from ragqa.index.errors import IndexCorruptError, IndexMissingError
from ragqa.index.files.generation import (
    BM25_DIR,
    CONTEXT,
    DENSE,
    DOCUMENTS,
    PASSAGES,
    TERMS,
    LoadedIndex,
    load_generation,
)
from ragqa.index.files.manifest import MANIFEST
from ragqa.index.files.pointer import CURRENT, Pointer, read_pointer
from ragqa.index.files.segmented import SegmentedIndex
from ragqa.index.files.segments import load_segment

logger = logging.getLogger(__name__)

__all__ = ["BM25_DIR", "CONTEXT", "CURRENT", "DENSE", "DOCUMENTS", "MANIFEST", "PASSAGES",
           "TERMS", "LoadedIndex", "current_generation", "load_generation", "load_index",
           "load_pointer"]


def current_generation(index_dir: Path) -> tuple[int, Path] | None:
    """The served generation's number and folder, or ``None`` when nothing was built."""
    pointer = read_pointer(index_dir)
    if pointer is None:
        return None
    return pointer.base, index_dir / pointer.generation


def load_index(index_dir: Path) -> LoadedIndex | SegmentedIndex:
    """Load and verify what ``index_dir`` serves (its generation, and its segments when any
    were written after it), or raise a clear error naming the bad file."""
    for attempt in range(3):
        served = _served_text(index_dir)
        try:
            pointer = read_pointer(index_dir)
            if pointer is None:
                raise IndexMissingError(
                    f"no index at {index_dir}; run `ragqa index` to build one")
            return load_pointer(index_dir, pointer)
        except IndexCorruptError:
            # A writer may have replaced CURRENT and removed the folders it named meanwhile
            # (even between reading it and finding its folders): read it again.
            if attempt == 2 or _served_text(index_dir) == served:
                raise
    raise AssertionError("unreachable")


def _served_text(index_dir: Path) -> bytes | None:
    """``CURRENT`` as it is now (None when absent or unreadable)."""
    try:
        return (index_dir / CURRENT).read_bytes()
    except OSError:
        return None


def load_pointer(index_dir: Path, pointer: Pointer) -> LoadedIndex | SegmentedIndex:
    """The generation and segments ``pointer`` names, loaded."""
    base = load_generation(index_dir / pointer.generation)
    if not pointer.segments:
        return base
    dimension = base.manifest.model.dimension
    segments = [load_segment(index_dir / name, dimension) for name in pointer.segments]
    return SegmentedIndex.over(base).with_segments(segments)


