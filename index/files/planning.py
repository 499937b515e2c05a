"""The corpus folder planned again after a change, at the cost of what changed.

A rebuild (:func:`~ragqa.index.files.builder.plan_corpus`) loads and cuts every document,
because three properties of a document's passages are corpus-wide
(:class:`~ragqa.index.documents.processing.CorpusContext`). Each is a union or a count over
documents of something one document decides alone: its preamble lines (title chrome: a
line in the preambles of several documents), the lines it repeats in three of its sections
(boilerplate: any document's) and its section titles (generic headings: titles heading
sections in three documents). :class:`PlanMemo` keeps those parts of every document and
its passages, each keyed by what it depends on: the file's hash; its explicit title and the
chrome; the whole context. A sync loads and cuts again only the documents whose key
moved, counts the context again from the kept parts (sets: milliseconds) and so gets what
:func:`plan_corpus` would get, passage for passage (checked in
``tests/index/files/test_sync_segments.py``). When the context itself moves, every
document it touches misses and is cut again: a rebuild's planning, no more.

The memo is a pure cache of those functions' results: it never says what is served, so
nothing has to invalidate it (an upload that cut a document otherwise is found by comparing
with the served index, see :mod:`ragqa.index.files.sync`). A document's passages are kept
as a :class:`Cut`, a digest and a count (what a sync compares with the served document):
the memo is small (4.6 MB of JSON at 25,000 files, most of it hashes) and is saved beside
the index (:mod:`ragqa.index.files.sync_state`), so that a process's first sync plans what
changed too; a document to write is cut again from its file (:meth:`PlanMemo.processed`).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ragqa.index.config import IndexConfig
from ragqa.index.documents.boilerplate import (
    MIN_SECTIONS,
    find_boilerplate,
    find_generic_headings,
)
from ragqa.index.documents.chunking import Passage, make_splitter
from ragqa.index.documents.corpus import CorpusScan, check_loaded, check_strict
from ragqa.index.documents.loaders import load_document
from ragqa.index.documents.outline import document_sections, template_parts
from ragqa.index.documents.processing import (
    CorpusContext,
    ProcessedDocument,
    process_document,
    retitle,
)
from ragqa.index.documents.reading import Document
from ragqa.index.documents.titles import MIN_SHARED_DOCS, shared_preamble_lines
from ragqa.index.errors import DocumentError, RagqaError
from ragqa.index.records import RefusedFile


@dataclass(frozen=True)
class Cut:
    """One document as a rebuild indexes it, by digest: what a sync compares with the
    served one (:func:`cut_digest`), and its passages' count."""

    digest: str
    passages: int

    @classmethod
    def of(cls, done: ProcessedDocument) -> Cut:
        return cls(cut_digest(done.document.title, done.sections, done.document.pages,
                              done.passages, done.keys), len(done.passages))


def cut_digest(title: str, sections: Sequence[str], pages: Sequence[int],
               passages: Sequence[Passage], keys: Sequence[str]) -> str:
    """A digest of a document's title, sections, pages, passages and their vector keys
    (the rest of what is served of it follows from its file's hash)."""
    text = json.dumps([title, list(sections), list(pages),
                       [[p.doc_id, p.start, p.end, p.section, p.page] for p in passages],
                       list(keys)], ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


@dataclass
class _Entry:
    """What the memo holds of one file (of hash ``sha256``)."""

    sha256: str
    refused: str | None  # why it does not load (nothing else is kept then)
    preamble: frozenset[str] | None  # its preamble lines when its title comes from its text
    shaped_by: tuple[str | None, str] | None = None  # (explicit title, chrome) of the next two
    boilerplate: frozenset[str] = frozenset()
    headings: frozenset[str] = frozenset()
    cut_by: tuple[str | None, str] | None = None  # (explicit title, context) of ``cut``
    cut: Cut | None = None

    def to_json(self) -> list:
        return [self.sha256, self.refused,
                None if self.preamble is None else sorted(self.preamble),
                None if self.shaped_by is None else list(self.shaped_by),
                sorted(self.boilerplate), sorted(self.headings),
                None if self.cut_by is None else list(self.cut_by),
                None if self.cut is None else [self.cut.digest, self.cut.passages]]

    @classmethod
    def from_json(cls, row: list) -> _Entry:
        """Raises ``TypeError`` or ``ValueError`` on a malformed row."""
        sha, refused, preamble, shaped_by, boilerplate, headings, cut_by, cut = row
        if not isinstance(sha, str) or not isinstance(refused, str | None):
            raise ValueError("a malformed memo entry")
        return cls(sha, refused, None if preamble is None else _strings(preamble),
                   None if shaped_by is None else _key(shaped_by),
                   _strings(boilerplate), _strings(headings),
                   None if cut_by is None else _key(cut_by),
                   None if cut is None else Cut(str(cut[0]), int(cut[1])))


def _strings(items: list) -> frozenset[str]:
    if not all(isinstance(item, str) for item in items):
        raise ValueError("a malformed memo entry")
    return frozenset(items)


def _key(pair: list) -> tuple[str | None, str]:
    explicit, fingerprint = pair
    if not isinstance(explicit, str | None) or not isinstance(fingerprint, str):
        raise ValueError("a malformed memo entry")
    return (explicit, fingerprint)


@dataclass(frozen=True)
class FolderPlan:
    """The folder as a rebuild would index it: every loaded document's :class:`Cut` (by
    id, sorted), the files' hashes, refused files, explicit titles and the context; the
    documents cut by this plan, ready to write (:meth:`PlanMemo.processed` cuts the
    others on demand)."""

    cuts: dict[str, Cut]
    files: dict[str, str]
    refused: dict[str, RefusedFile]
    titles: dict[str, str]
    context: CorpusContext
    processed: dict[str, ProcessedDocument]
    paths: Mapping[str, Path]
    loaded: int  # how many files were read and loaded again (the rest came from the memo)


class StaleMemoError(RagqaError):
    """The memo holds a cut that the code does not make from the same file: it was filled
    by other code (a saved sync state); the store forgets it and builds instead."""


class PlanMemo:
    """Per document, the parts of a plan that depend on it alone (see the module); one per
    store, used under its write lock."""

    def __init__(self, config: IndexConfig, contextual: bool) -> None:
        self._config = config
        self._contextual = contextual
        self._splitter = make_splitter(config.chunking)
        self._entries: dict[str, _Entry] = {}
        self._encoded: dict[str, tuple[_Entry, tuple, str]] = {}  # see encoded()
        self.changed = False  # since it was loaded or saved: worth saving

    def cuts(self) -> dict[str, Cut]:
        """The cut of every document it holds that loads."""
        return {d: e.cut for d, e in self._entries.items()
                if e.refused is None and e.cut is not None}

    def forget(self, doc_id: str) -> bool:
        """Drop what it holds of ``doc_id`` (its preamble, boilerplate and heading lines are
        the document's text: a deleted or replaced document's must not stay saved);
        whether it held any."""
        if self._entries.pop(doc_id, None) is None:
            return False
        self._encoded.pop(doc_id, None)
        self.changed = True
        return True

    def to_json(self) -> dict:
        """What it holds, for :mod:`ragqa.index.files.sync_state`."""
        return {doc_id: entry.to_json() for doc_id, entry in self._entries.items()}

    def encoded(self) -> str:
        """:meth:`to_json` as JSON text, each entry encoded again only when it moved (the
        memo is saved after syncs that change a file or two of thousands)."""
        cache, parts = self._encoded, []
        for doc_id, entry in self._entries.items():
            moved = (entry.shaped_by, entry.cut_by, entry.cut)
            kept = cache.get(doc_id)
            if kept is None or kept[0] is not entry or kept[1] != moved:
                kept = cache[doc_id] = (entry, moved, json.dumps(doc_id, ensure_ascii=False)
                                        + ":" + json.dumps(entry.to_json(), ensure_ascii=False,
                                                           separators=(",", ":")))
            parts.append(kept[2])
        for doc_id in [d for d in cache if d not in self._entries]:
            del cache[doc_id]
        return "{" + ",".join(parts) + "}"

    def load_json(self, data: dict) -> None:
        """Hold what :meth:`to_json` gave (a process's saved memo); raises ``TypeError``,
        ``ValueError`` or ``KeyError`` on a malformed record, holding nothing then."""
        self._entries = {}
        entries = {str(doc_id): _Entry.from_json(row) for doc_id, row in data.items()}
        self._entries = entries
        self.changed = False

    def plan(self, corpus_dir: Path, scan: CorpusScan, strict: bool = False) -> FolderPlan:
        """The folder ``scan`` found, planned (:class:`DocumentError` with ``strict`` when
        a file is refused, :class:`EmptyCorpusError` when none loads, as a rebuild)."""
        entries: dict[str, _Entry] = {}
        docs: dict[str, Document] = {}
        for doc_id in sorted(scan.paths):
            sha = scan.hashes[doc_id]
            entry = self._entries.get(doc_id)
            if entry is None or entry.sha256 != sha:
                entry = self._load(doc_id, scan.paths[doc_id], sha, docs)
            entries[doc_id] = entry
        self._entries = entries  # files gone from the folder are forgotten
        reasons = dict(scan.unreadable)
        reasons.update((d, e.refused) for d, e in entries.items() if e.refused is not None)
        reasons = dict(sorted(reasons.items()))
        check_strict(strict, reasons)
        loaded = {d: e for d, e in entries.items() if e.refused is None}
        if not loaded:
            check_loaded(corpus_dir, [], reasons)
        # Copies of one file (the same bytes under several names) count once: three copies
        # of a report do not make its title line site chrome.
        distinct: dict[str, _Entry] = {}
        for entry in loaded.values():
            distinct.setdefault(entry.sha256, entry)
        chrome = _counted((e.preamble for e in distinct.values() if e.preamble is not None),
                          MIN_SHARED_DOCS)
        chrome_key = _fingerprint(sorted(chrome))
        for doc_id, entry in loaded.items():
            explicit = scan.titles.get(doc_id)
            if entry.shaped_by != (explicit, chrome_key):
                titled = retitle(self._document(doc_id, scan, docs), chrome, explicit)
                sections = document_sections(titled)
                entry.boilerplate = find_boilerplate(
                    [(titled.text, template_parts(titled, sections))])
                entry.headings = find_generic_headings([[s.title for s in sections]], 1)
                entry.shaped_by = (explicit, chrome_key)
        context = CorpusContext(
            boilerplate=frozenset().union(*(e.boilerplate for e in loaded.values())),
            generic_headings=_counted((e.headings for e in distinct.values()), MIN_SECTIONS),
            chrome=chrome)
        context_key = _fingerprint(context.to_json())
        processed: dict[str, ProcessedDocument] = {}
        for doc_id, entry in loaded.items():
            explicit = scan.titles.get(doc_id)
            if entry.cut_by != (explicit, context_key) or entry.cut is None:
                done = self._process(self._document(doc_id, scan, docs), chrome, explicit,
                                     context)
                processed[doc_id] = done
                entry.cut = Cut.of(done)
                entry.cut_by = (explicit, context_key)
        self.changed = True
        return FolderPlan(
            cuts={d: e.cut for d, e in loaded.items() if e.cut is not None},
            files={d: e.sha256 for d, e in loaded.items()},
            refused={d: RefusedFile(r, scan.hashes.get(d)) for d, r in reasons.items()},
            titles=dict(sorted(scan.titles.items())),
            context=context, processed=processed, paths=scan.paths, loaded=len(docs))

    def processed(self, plan: FolderPlan, doc_id: str) -> ProcessedDocument:
        """``doc_id`` cut as ``plan`` cuts it (loaded and cut again unless the plan did)."""
        found = plan.processed.get(doc_id)
        if found is not None:
            return found
        doc = load_document(plan.paths[doc_id], doc_id)
        done = self._process(doc, plan.context.chrome, plan.titles.get(doc_id), plan.context)
        if doc.content_hash != plan.files[doc_id]:  # the file changed since the plan read it
            raise DocumentError(f"{doc_id}: the file changed while it was indexed; sync again")
        if Cut.of(done) != plan.cuts[doc_id]:
            # The same bytes cut otherwise than the memo says: a memo saved by other code
            # (another ragqa or library version that the state's key did not tell apart).
            raise StaleMemoError(f"{doc_id}: cut otherwise than the saved sync state says")
        return done

    def _process(self, doc: Document, chrome: frozenset[str], explicit: str | None,
                 context: CorpusContext) -> ProcessedDocument:
        return process_document(retitle(doc, chrome, explicit), context, self._splitter,
                                contextual=self._contextual)

    def _load(self, doc_id: str, path: Path, sha: str, docs: dict[str, Document]) -> _Entry:
        try:
            doc = load_document(path, doc_id)
        except DocumentError as exc:  # as load_documents words it
            return _Entry(sha, str(exc).removeprefix(f"{doc_id}: "), None)
        if doc.content_hash != sha:  # the file changed between the scan and now
            raise DocumentError(f"{doc_id}: the file changed while it was indexed; sync again")
        docs[doc_id] = doc
        preamble = (shared_preamble_lines([doc.text], 1)
                    if doc.title_source in ("text", "layout") else None)
        return _Entry(sha, None, preamble)

    def _document(self, doc_id: str, scan: CorpusScan, docs: dict[str, Document]) -> Document:
        doc = docs.get(doc_id)
        if doc is None:
            doc = docs[doc_id] = load_document(scan.paths[doc_id], doc_id)
            if doc.content_hash != scan.hashes[doc_id]:
                raise DocumentError(f"{doc_id}: the file changed while it was indexed; "
                                    "sync again")
        return doc


def _counted(sets, minimum: int) -> frozenset[str]:
    """The items found in at least ``minimum`` of ``sets``."""
    seen: Counter[str] = Counter()
    for items in sets:
        seen.update(items)
    return frozenset(item for item, n in seen.items() if n >= minimum)


def _fingerprint(value) -> str:
    return hashlib.sha256(json.dumps(value, ensure_ascii=False).encode("utf-8")).hexdigest()
