"""A segment: one write (an upload or a delete) as a small immutable folder beside the
generation it applies to.

Layout::

    seg-000012/
      segment.json      the documents it changes: each one's new hash and explicit title,
                        or none (deleted, or refused now: why); every earlier passage of
                        those documents is retired
      documents.jsonl   the changed documents as they are now (none for a delete)
      passages.jsonl    their passages, with vector keys
      dense.faiss       their vectors (exact FAISS index), row i = passage i
      terms.npz         their BM25 statistics (:class:`~ragqa.index.files.postings.Postings`)
      sentence-*.npy    their sentences' vectors (:mod:`ragqa.index.files.sentences`), when
                        the index makes them
      token-*.npy       their token vectors (:mod:`ragqa.index.files.tokens`), likewise

A segment is written in a staging folder, fsynced, renamed into place and only then named
in ``CURRENT`` (:mod:`ragqa.index.files.pointer`), like a generation. The view over a
generation and its segments: :mod:`ragqa.index.files.segmented`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from ragqa.index.documents.chunking import Passage
from ragqa.index.durable import write_jsonl
from ragqa.index.errors import IndexCorruptError
from ragqa.index.files.dense import all_vectors, build_dense, load_dense, save_dense
from ragqa.index.files.manifest import REBUILD_HINT, Manifest
from ragqa.index.files.pointer import number_of
from ragqa.index.files.postings import Postings
from ragqa.index.files.sentences import load_table, save_table
from ragqa.index.files.tokens import TokenTable, load_tokens
from ragqa.index.files.rows import document_row, passage_row, read_rows
from ragqa.index.records import DocumentRecord, RefusedFile
from ragqa.index.sentencetable import SentenceTable

SEGMENT = "segment.json"
DOCUMENTS = "documents.jsonl"
PASSAGES = "passages.jsonl"
DENSE = "dense.faiss"
TERMS = "terms.npz"
SEGMENT_SCHEMA = 1


@dataclass(frozen=True)
class Change:
    """What a segment says of one document: its file's hash and explicit title now, or
    ``sha256`` None when it was deleted or is refused now (``refused``: why, as a
    manifest records it; a sync writes it so that the index says what the folder holds)."""

    sha256: str | None
    title: str | None = None
    refused: RefusedFile | None = None

    def to_json(self) -> dict:
        out: dict = {"sha256": self.sha256, "title": self.title}
        if self.refused is not None:
            out["refused"] = {"reason": self.refused.reason, "sha256": self.refused.sha256}
        return out

    @classmethod
    def from_json(cls, data: dict) -> Change:
        refused = data.get("refused")
        return cls(data["sha256"], data.get("title"),
                   None if refused is None else RefusedFile(str(refused["reason"]),
                                                            refused.get("sha256")))


@dataclass(frozen=True)
class Segment:
    """One write, loaded: the documents it changes and the passages it adds."""

    name: str
    created_at: str
    changes: dict[str, Change]
    documents: dict[str, DocumentRecord]
    passages: list[Passage]
    keys: list[str]
    vectors: np.ndarray  # float32, row i = passage i (stored as an exact FAISS index)
    postings: Postings
    sentences: SentenceTable | None = None  # its passages' sentence vectors, when made
    tokens: TokenTable | None = None  # its passages' token vectors, when made

    @property
    def number(self) -> int:
        return number_of(self.name)

    @property
    def size(self) -> int:
        return len(self.passages)

    @classmethod
    def make(cls, name: str, created_at: str, changes: dict[str, Change],
             documents: list[DocumentRecord], passages: list[Passage], keys: list[str],
             vectors: np.ndarray, terms: list[list[str]],
             sentences: SentenceTable | None = None,
             tokens: TokenTable | None = None) -> Segment:
        return cls(name, created_at, changes, {d.doc_id: d for d in documents}, passages, keys,
                   np.ascontiguousarray(vectors, dtype=np.float32), Postings.build(terms),
                   sentences, tokens)


def write_segment(folder: Path, segment: Segment, totals: tuple[int, int]) -> None:
    """Write ``segment``'s files into the (staging) ``folder``; fsync it after. ``totals``:
    the served index's ``(documents, passages)`` once it is applied."""
    record = {
        "schema_version": SEGMENT_SCHEMA,
        "number": segment.number,
        "created_at": segment.created_at,
        "changes": {doc_id: c.to_json() for doc_id, c in sorted(segment.changes.items())},
        "counts": {"documents": len(segment.documents), "passages": segment.size},
        "totals": {"documents": totals[0], "passages": totals[1]},
    }
    (folder / SEGMENT).write_text(json.dumps(record, ensure_ascii=False, indent=2), "utf-8")
    write_jsonl(folder / DOCUMENTS, (document_row(d) for d in segment.documents.values()))
    write_jsonl(folder / PASSAGES,
                (passage_row(p, key) for p, key in zip(segment.passages, segment.keys)))
    save_dense(build_dense(segment.vectors), folder / DENSE)
    segment.postings.save(folder / TERMS)
    if segment.sentences is not None:
        save_table(segment.sentences, folder)
    if segment.tokens is not None:
        segment.tokens.save(folder)


@dataclass(frozen=True)
class SegmentRecord:
    """A segment's ``segment.json``: when it was written, what it changes, how many
    documents and passages it holds (``counts``) and the served index holds with it
    (``totals``)."""

    created_at: str
    changes: dict[str, Change]
    counts: dict[str, int]
    totals: dict[str, int]


def read_record(folder: Path) -> SegmentRecord:
    """A segment's ``segment.json``, checked."""
    path = folder / SEGMENT
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data["schema_version"] != SEGMENT_SCHEMA or data["number"] != number_of(folder.name):
            raise ValueError(f"schema {data['schema_version']}, number {data['number']}")
        changes = {str(d): Change.from_json(c) for d, c in data["changes"].items()}
        return SegmentRecord(str(data["created_at"]), changes,
                             {k: int(v) for k, v in data["counts"].items()},
                             {k: int(v) for k, v in data["totals"].items()})
    except FileNotFoundError:
        raise IndexCorruptError(f"{path} is missing; {REBUILD_HINT}") from None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise IndexCorruptError(f"{path} is unreadable ({exc}); {REBUILD_HINT}") from None


def load_segment(folder: Path, dimension: int) -> Segment:
    """The segment in ``folder``, checked (:class:`IndexCorruptError` names the bad file)."""
    record = read_record(folder)
    created_at, changes, counts = record.created_at, record.changes, record.counts
    documents, passages, keys = read_rows(folder, DOCUMENTS, PASSAGES)
    by_id = {d.doc_id: d for d in documents}
    _expect(counts.get("documents") == len(documents) and set(by_id) <= set(changes),
            folder / DOCUMENTS, "documents")
    _expect(counts.get("passages") == len(passages), folder / PASSAGES, "passage count")
    for p in passages:
        doc = by_id.get(p.doc_id)
        _expect(doc is not None and 0 <= p.start < p.end <= len(doc.text), folder / PASSAGES,
                "passage offsets")
    try:
        dense = load_dense(folder / DENSE)
    except Exception as exc:  # noqa: BLE001 - FAISS raises RuntimeError for bad files
        raise IndexCorruptError(f"{folder / DENSE} is unreadable "
                                f"({str(exc).splitlines()[0][:200]}); {REBUILD_HINT}") from None
    _expect(dense.ntotal == len(passages) and dense.d == dimension, folder / DENSE, "vectors")
    vectors = all_vectors(dense)
    try:
        postings = Postings.load(folder / TERMS)
    except Exception as exc:  # noqa: BLE001 - numpy and zipfile raise many kinds
        raise IndexCorruptError(f"{folder / TERMS} is unreadable ({exc}); {REBUILD_HINT}") from None
    _expect(postings.size == len(passages), folder / TERMS, "passage count")
    return Segment(folder.name, created_at, changes, by_id, passages, keys, vectors, postings,
                   load_table(folder, dimension), load_tokens(folder, dimension))


def _expect(ok: bool, path: Path, what: str) -> None:
    if not ok:
        raise IndexCorruptError(f"{path}: {what} do not match {SEGMENT}; {REBUILD_HINT}")


def changed_manifest(base: Manifest, changes: Iterable[dict[str, Change]], *, generation: int,
                     documents: int, passages: int) -> Manifest:
    """``base`` (a generation's manifest) with segments' ``changes`` applied in order: what
    the generation and those segments index together."""
    files, titles, refused = dict(base.files), dict(base.titles), dict(base.refused)
    for changed in changes:
        for doc_id, change in changed.items():
            files.pop(doc_id, None)
            titles.pop(doc_id, None)
            refused.pop(doc_id, None)  # an upload is a file that loads; a delete removes it
            if change.sha256 is not None:
                files[doc_id] = change.sha256
            if change.refused is not None:
                refused[doc_id] = change.refused
            if change.title is not None and (change.sha256 or change.refused):
                titles[doc_id] = change.title
    return replace(base, generation=generation, files=files, refused=refused,
                   titles=dict(sorted(titles.items())), documents=documents, passages=passages,
                   corpus_sha256=corpus_hash(files))


def corpus_hash(files: dict[str, str]) -> str:
    """One hash of every indexed file's id and hash (the manifest's ``corpus_sha256``)."""
    return hashlib.sha256(
        "".join(f"{k}\0{v}\n" for k, v in sorted(files.items())).encode()).hexdigest()
