"""Writing documents into the PostgreSQL store: a whole corpus folder, or one document.

Both stores cut documents alike (:mod:`ragqa.index.documents.processing`). :func:`index_corpus_into`
(``ragqa index`` with ``RAGQA_STORE=postgres``, a server's ``--watch`` syncs) plans the
folder as the files store's sync does (:class:`~ragqa.index.files.planning.PlanMemo`: the
corpus-wide context over the whole folder, every document cut as a full index cuts it),
stores the context, and brings the database in line with the folder document by document:
added, changed (or cut differently under a new context), deleted and refused documents,
each in its own transaction; unchanged documents are not touched; the folder's ``.groups``
sidecars are written first. With a process's :class:`~ragqa.index.pg.sync_memo.SyncMemo`,
a later sync reads, loads and cuts only the files that changed, and still compares every
document with what the database holds then. :func:`ingest_document` (an upload through the
API) cuts one document with the stored context and writes it alone. Only passages whose
embedding input is new are embedded: the others' vectors are reused by key. With
``sentence_vectors`` on, the sentences of the passages are stored too
(:mod:`ragqa.index.pg.sentences`), and only those the table lacks are embedded: an upload's
in the transaction that writes it, a bulk index's in a pass after its documents
(:mod:`ragqa.index.pg.side_fill`), over every document of the folder the first time (so
that a sync also fills in what a store indexed without them, or a run killed half-way,
lacks), then over the documents written since, by anyone. A bulk index ends by reclaiming
the sentence and token rows no stored passage holds any more (:mod:`ragqa.index.pg.reclaim`);
an upload that relied on a row reclaimed meanwhile is prepared again, holding the side rows'
lock (:func:`~ragqa.index.pg.writes.replace_upload`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import psycopg

from ragqa.index.search.analysis import Analyzer
from ragqa.index.records import PROGRESS_STEP
from ragqa.index.documents.corpus import read_corpus
from ragqa.index.records import BuildReport, Progress
from ragqa.index.documents.chunking import make_splitter
from ragqa.index.config import IndexConfig
from ragqa.index.documents.reading import Document
from ragqa.index.embedding.embedder import Embedder
from ragqa.index.pg import sentences, tokens
from ragqa.index.pg.context import read_context, write_context
from ragqa.index.pg.groups import apply_sidecars, settle_links
from ragqa.index.pg.reclaim import KeptKeys, reclaim
from ragqa.index.pg.schema import CREATE_VECTOR_INDEX, VECTOR_INDEX
from ragqa.index.pg.side_fill import fill_side_rows
from ragqa.index.pg.sync_memo import SyncMemo
from ragqa.index.pg.versions import versions, versions_digest
from ragqa.index.pg.writes import (
    DocumentWrite,
    PassageRow,
    WriteOutcome,
    delete_document,
    refuse_document,
    replace_document,
    replace_upload,
    stored_vectors,
)
from ragqa.index.documents.processing import ProcessedDocument, process_document, retitle
from ragqa.index.files.planning import StaleMemoError
from ragqa.index.sentencetable import SentenceTable

logger = logging.getLogger(__name__)

# Passages to write into an empty store from which its vector graph is built after the
# load instead of during it (see CREATE_VECTOR_INDEX).
DEFER_GRAPH_AT = 1000
# Normalised passage vectors of texts (the embedder's passage side).
EmbedTexts = Callable[[Sequence[str]], np.ndarray]


@dataclass(frozen=True)
class Ingested:
    """What :func:`ingest_document` did: the write's outcome and how many passages (and
    sentences) it embedded (the others' vectors were reused)."""

    outcome: WriteOutcome
    embedded: int
    sentences: int = 0
    tokens: int = 0  # passages whose token vectors it made


def index_corpus_into(
    conn: psycopg.Connection,
    corpus_dir: Path,
    *,
    config: IndexConfig,
    contextual: bool,
    load_embedder: Callable[[], Embedder],
    model_name: str = "",
    fallback: bool = False,
    strict: bool = False,
    progress: Progress | None = None,
    kept: KeptKeys | None = None,
    memo: SyncMemo | None = None,
) -> BuildReport:
    """Bring the database in line with ``corpus_dir``; the report says what changed.
    ``kept``: the side rows' keys an earlier run of this process cut (a server's syncs:
    the reclaim that ends the run then cuts only the documents written since). ``memo``:
    what an earlier sync of this process kept (:class:`~ragqa.index.pg.sync_memo.SyncMemo`,
    updated here: a later sync reads, loads and cuts only the files that changed and
    checks the side rows only of documents written since); None: a full sync.

    The store must be migrated and its identity checked. ``load_embedder`` is called only
    if something must be embedded. With ``strict``, a refused file fails the run before
    anything is written (:class:`~ragqa.index.errors.DocumentError`).
    """
    memo = memo if memo is not None else SyncMemo(saved=False)  # a fresh one: a full sync
    args = (conn, corpus_dir, config, contextual, load_embedder, model_name, fallback, strict,
            progress, kept, memo)
    try:
        return _sync_folder(*args)
    except StaleMemoError as exc:
        # A plan memo saved by other code (another ragqa or library version that its key
        # did not tell apart): forgotten, here and in the database, and the sync made anew.
        logger.warning("%s; the saved sync memo is forgotten and the corpus folder read "
                       "again", exc)
        memo.forget(conn)
        return _sync_folder(*args)


def _sync_folder(conn: psycopg.Connection, corpus_dir: Path, config: IndexConfig,
                 contextual: bool, load_embedder: Callable[[], Embedder], model_name: str,
                 fallback: bool, strict: bool, progress: Progress | None,
                 kept: KeptKeys | None, memo: SyncMemo) -> BuildReport:
    started = time.perf_counter()
    report = BuildReport(model=model_name, fallback=fallback)
    planner = memo.planner(conn, corpus_dir, config, contextual, model_name)
    scan = read_corpus(corpus_dir, config.max_document_bytes, stamps=memo.stamps)
    # The folder as a full index cuts it; only the files whose hash, title or context
    # moved since the memo's last sync are loaded and cut again (strict and empty folders
    # fail here, as a full load does).
    plan = planner.plan(corpus_dir, scan, strict)
    memo.note(plan)
    report.refused = {doc_id: r.reason for doc_id, r in plan.refused.items()}
    # The folder's ``.groups`` sidecars are committed before any of its documents is: a
    # restricted document is never readable by everyone, not even while the run goes on or
    # after it died (the scan's listing: a sidecar placed before its document is in it; the
    # sidecars are read now). The folder's rules (links, near names) are applied with them.
    links = apply_sidecars(conn, corpus_dir, scan.listing)  # the scan's listing: one a sync
    analyzer = Analyzer(config.analysis)
    stored = memo.stored.read(conn)  # as stored now (what moved since read again)
    stored_refused = _stored_refusals(conn)
    write_context(conn, plan.context)

    pending: list[tuple[str, bool]] = []  # (document, force)
    for doc_id in plan.cuts:
        explicit = plan.titles.get(doc_id)
        before = stored.get(doc_id)
        if before is None:
            report.added.append(doc_id)
        elif before[0] != plan.files[doc_id] or before[1] != explicit:
            report.changed.append(doc_id)
        elif not memo.same_layout(plan, doc_id, before):
            pending.append((doc_id, True))  # same bytes, cut otherwise (a new context)
            report.unchanged += 1
            continue
        else:
            report.unchanged += 1
            continue
        pending.append((doc_id, False))

    total = sum(plan.cuts[d].passages for d, _ in pending)
    writer = _Writer(conn, analyzer, load_embedder, progress, total, plan.titles)
    # Into an empty store, build the vector graph once at the end rather than insert into it
    # passage by passage (searches meanwhile scan the vectors exactly).
    deferred = not stored and total >= DEFER_GRAPH_AT
    if deferred:
        conn.execute(f"DROP INDEX IF EXISTS {VECTOR_INDEX}")
    try:
        for doc_id, force in pending:
            writer.add(planner.processed(plan, doc_id), force)
        writer.flush()
    finally:
        if deferred:
            logger.info("building the vector index over %d passages", total)
            conn.execute(CREATE_VECTOR_INDEX)
    report.embedded, report.reused = writer.embedded, writer.reused

    for doc_id, refused in plan.refused.items():
        if stored_refused.get(doc_id) != (refused.reason, refused.sha256):
            refuse_document(conn, doc_id, refused.reason, refused.sha256)
    # The links whose text was just written (repointed, or over an upload under their id)
    # get their target's groups now: until then they had only what both allowed.
    settle_links(conn, links, plan.refused)
    present = set(plan.cuts) | set(plan.refused)
    uploaded = _uploaded(conn) - present  # uploads through the API stay until deleted there
    if uploaded:
        logger.info("kept %d documents uploaded through the API (not in %s)", len(uploaded),
                    corpus_dir)
    for doc_id in sorted((set(stored) | set(stored_refused)) - present - uploaded):
        delete_document(conn, doc_id)
        if doc_id in stored:
            report.removed.append(doc_id)
    # The side rows of the passages that may lack them: those of documents written since
    # the memo last checked (by this run or anyone else), every stored one the first time
    # (what fills in a store indexed without them, or a run killed half-way).
    with_tokens = config.token_vectors is not False and tokens.wanted_for(
        config.token_vectors, _stored_passages(conn), model_name)
    if config.sentence_vectors or with_tokens:
        filled = fill_side_rows(
            conn, memo.filled,
            sentences_of=set(plan.cuts) if config.sentence_vectors else None,
            with_tokens=with_tokens,  # every stored passage's: uploads' too
            encode=lambda texts: writer.loaded().encode_passages(texts),
            encode_tokens=lambda texts: writer.loaded().passage_token_vectors(texts),
            progress=progress)
        report.sentences_embedded, report.tokens_embedded = filled.sentences, filled.tokens
    report.up_to_date = not (pending or report.removed or report.sentences_embedded
                             or report.tokens_embedded) and all(
        stored_refused.get(d) == (r.reason, r.sha256) for d, r in plan.refused.items())
    # Last: the rows of passages this run (or anyone since the last run) deleted or rewrote.
    # Nothing a reader sees changes, so the run stays up to date and no generation is bumped.
    # Skipped when no document was written or deleted since the memo's last complete
    # reclaim (the versions read before it): no passage let go of a row since.
    written = versions_digest(versions(conn))
    if memo.reclaimed == written:
        logger.debug("no document written since the last reclaim: nothing to reclaim")
    elif reclaim(conn, memo=kept).complete:
        memo.reclaimed = written
    memo.save(conn)  # what the next process's first sync starts from
    row = conn.execute("SELECT (SELECT count(*) FROM documents), passages, changes "
                       "FROM corpus_stats").fetchone()
    report.documents, report.passages, report.generation = int(row[0]), int(row[1]), int(row[2])
    report.seconds = time.perf_counter() - started
    return report


def holds_documents(conn: psycopg.Connection) -> bool:
    """Whether any document is stored (a new store is indexed from the corpus folder)."""
    row = conn.execute("SELECT EXISTS (SELECT 1 FROM documents)").fetchone()
    return bool(row and row[0])


def ingest_document(
    conn: psycopg.Connection,
    doc: Document,
    *,
    config: IndexConfig,
    contextual: bool,
    embed: EmbedTexts,
    embed_sentences: EmbedTexts | None = None,
    embed_tokens: tokens.EncodeTokens | None = None,
    model_name: str = "",
    explicit_title: str | None = None,
    keep_title: bool = True,
) -> Ingested:
    """Write one loaded document, cut with the stored corpus context and its own
    boilerplate; documents already stored keep their passages.

    ``explicit_title`` is the document's title given by hand; None with ``keep_title``
    keeps the one stored for it (if any), None without it removes it. An upload of the
    same bytes (and title) writes nothing and embeds nothing. With
    ``config.sentence_vectors``, the sentences of its passages the store lacks are embedded
    with ``embed_sentences`` (``embed`` when None: both are the passage side) and written
    with the document; so are its passages' token vectors the store lacks, made with
    ``embed_tokens`` when the store wants them (``config.token_vectors`` for the store's
    size and ``model_name``: :func:`ragqa.index.pg.tokens.wanted_for`).
    """
    row = conn.execute("SELECT content_hash, explicit_title, passages FROM documents "
                       "WHERE doc_id = %s", (doc.doc_id,)).fetchone()
    if explicit_title is None and keep_title and row is not None:
        explicit_title = row[1]
    if row is not None and row[0] == doc.content_hash and row[1] == explicit_title:
        return Ingested(WriteOutcome(doc.doc_id, changed=False, passages=int(row[2]),
                                     removed=0), embedded=0)
    context = read_context(conn)
    titled = retitle(doc, context.chrome, explicit_title)
    processed = process_document(titled, context, make_splitter(config.chunking),
                                 contextual=contextual, own_boilerplate=True)
    reusable = stored_vectors(conn, doc.doc_id)
    missing = [i for i, key in enumerate(processed.keys) if key not in reusable]
    vectors = dict(reusable)
    if missing:
        fresh = embed([processed.inputs[i] for i in missing])
        vectors.update(zip((processed.keys[i] for i in missing), fresh))
    analyzer = Analyzer(config.analysis)
    stored_before = int(row[2]) if row is not None else 0
    made = {"sentences": 0, "tokens": 0}  # over every try (a reclaim may take what one found)

    def prepare() -> DocumentWrite:
        side = _upload_side_rows(conn, processed, config, embed_sentences or embed,
                                 embed_tokens, model_name, stored_before)
        made["sentences"] += len(side.sentences) if side.sentences is not None else 0
        made["tokens"] += len(side.tokens[0]) if side.tokens is not None else 0
        return document_write(processed, analyzer, vectors, explicit_title, source="api",
                              sentences=side.sentences, tokens=side.tokens,
                              needs_sentences=config.sentence_vectors,
                              needs_tokens=side.needs_tokens)

    outcome = replace_upload(conn, prepare)
    return Ingested(outcome, embedded=len(missing), sentences=made["sentences"],
                    tokens=made["tokens"])


@dataclass(frozen=True)
class _SideRows:
    """An upload's sentence and token rows the store lacked when it looked, and whether its
    passages want token rows at all."""

    sentences: SentenceTable | None
    tokens: tuple[list[int], list[bytes]] | None
    needs_tokens: bool


def _upload_side_rows(conn: psycopg.Connection, processed: ProcessedDocument,
                      config: IndexConfig, embed_sentences: EmbedTexts,
                      embed_tokens: tokens.EncodeTokens | None, model_name: str,
                      stored_before: int) -> _SideRows:
    """The rows ``processed``'s passages lack: its sentences' (with ``sentence_vectors``)
    and its quotes' tokens (when the store, once it is written, wants them: it holds
    ``stored_before`` passages of the document's previous version)."""
    text = processed.document.text
    quotes = [text[p.start:p.end] for p in processed.passages]
    table = None
    if config.sentence_vectors:
        new = sentences.new_sentences(conn, quotes)
        table = sentences.embed_table(new, embed_sentences) if new else None
    if embed_tokens is None or config.token_vectors is False:
        return _SideRows(table, None, needs_tokens=False)
    after = _stored_passages(conn) - stored_before + len(quotes)  # once it is written
    if not tokens.wanted_for(config.token_vectors, after, model_name):
        return _SideRows(table, None, needs_tokens=False)
    lacking = tokens.new_quotes(conn, quotes)
    return _SideRows(table, tokens.rows_of(lacking, embed_tokens) if lacking else None,
                     needs_tokens=True)


def document_write(processed: ProcessedDocument, analyzer: Analyzer,
                   vectors: dict[str, np.ndarray], explicit_title: str | None,
                   source: str = "folder", sentences: SentenceTable | None = None,
                   tokens: tuple[list[int], list[bytes]] | None = None, *,
                   needs_sentences: bool = False, needs_tokens: bool = False) -> DocumentWrite:
    """The rows to store for ``processed``, its passages' vectors taken by key;
    ``source`` says where it came from (``folder`` or ``api``); ``sentences``, sentence
    vectors to store with it, ``tokens`` token vectors (:func:`ragqa.index.pg.tokens.rows_of`);
    ``needs_*``: its passages' rows must all be stored when it commits
    (:class:`~ragqa.index.pg.writes.DocumentWrite`)."""
    doc = processed.document
    rows = tuple(
        PassageRow(start=p.start, end=p.end, section=p.section, page=p.page,
                   terms=tuple(analyzer(text)), vector=vectors[key], embed_key=key)
        for p, text, key in zip(processed.passages, processed.bm25_texts, processed.keys)
    )
    return DocumentWrite(doc_id=doc.doc_id, title=doc.title, text=doc.text,
                         content_hash=doc.content_hash, passages=rows, pages=doc.pages,
                         sections=processed.sections, explicit_title=explicit_title,
                         source=source, sentences=sentences, tokens=tokens,
                         needs_sentences=needs_sentences, needs_tokens=needs_tokens)


class _Writer:
    """Embeds the passages of pending documents in batches, then writes each document."""

    def __init__(self, conn: psycopg.Connection, analyzer: Analyzer,
                 load_embedder: Callable[[], Embedder], progress: Progress | None,
                 total: int, titles: dict[str, str]) -> None:
        self.conn, self.analyzer, self.titles = conn, analyzer, titles
        self.load_embedder, self.progress, self.total = load_embedder, progress, total
        self.embedder: Embedder | None = None
        self.batch: list[tuple[ProcessedDocument, bool, dict[str, np.ndarray]]] = []
        self.inputs: dict[str, str] = {}  # key -> text still to embed
        self.embedded = self.reused = self.done = 0

    def add(self, processed: ProcessedDocument, force: bool) -> None:
        reusable = stored_vectors(self.conn, processed.document.doc_id)
        for key, text in zip(processed.keys, processed.inputs):
            if key in reusable:
                self.reused += 1
            else:
                self.inputs[key] = text
        self.batch.append((processed, force, reusable))
        if len(self.inputs) >= PROGRESS_STEP:
            self.flush()

    def loaded(self) -> Embedder:
        """The embedder, loaded at the first call."""
        if self.embedder is None:
            self.embedder = self.load_embedder()
        return self.embedder

    def flush(self) -> None:
        fresh: dict[str, np.ndarray] = {}
        if self.inputs:
            if self.embedder is None:
                self.embedder = self.load_embedder()
                if self.progress is not None:
                    self.progress(0, self.total)
            keys = list(self.inputs)
            fresh = dict(zip(keys, self.embedder.encode_passages([self.inputs[k] for k in keys])))
            self.embedded += len(keys)
        for processed, force, reusable in self.batch:
            vectors = {**reusable, **fresh}
            write = document_write(processed, self.analyzer, vectors,
                                   self.titles.get(processed.document.doc_id))
            replace_document(self.conn, write, force=force)
            self.done += len(processed.passages)
        if self.progress is not None and self.embedder is not None:
            self.progress(min(self.done, self.total), self.total)
        self.batch, self.inputs = [], {}


def _stored_passages(conn: psycopg.Connection) -> int:
    return int(conn.execute("SELECT passages FROM corpus_stats").fetchone()[0])


def _uploaded(conn: psycopg.Connection) -> set[str]:
    """The stored documents that came through the API."""
    return {r[0] for r in conn.execute("SELECT doc_id FROM documents WHERE source = 'api'")}


def _stored_refusals(conn: psycopg.Connection) -> dict[str, tuple[str, str | None]]:
    rows = conn.execute("SELECT doc_id, reason, content_hash FROM refused").fetchall()
    return {r[0]: (r[1], r[2]) for r in rows}
