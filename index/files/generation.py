"""One generation folder, loaded and checked: the files store's index when no segment is
written after it.

A generation is complete and immutable once written (``ragqa index``, a merge): its
``manifest.json`` (:mod:`ragqa.index.files.manifest`), ``documents.jsonl`` and
``passages.jsonl`` (:mod:`ragqa.index.files.rows`), ``dense.faiss``, ``bm25/``, and what
segments need to be written after it: ``terms.npz`` (the passages' raw BM25 statistics) and
``context.json`` (the corpus context its passages were cut with). What an index directory
serves (a generation and its segments): :mod:`ragqa.index.files.generations`.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import faiss
import numpy as np
from ragqa.index.documents.chunking import Passage
from ragqa.index.documents.processing import CorpusContext, bm25_text
from ragqa.index.embedding.identity import VectorIdentity
from ragqa.index.errors import IndexCorruptError
from ragqa.index.files.dense import all_vectors, load_dense, search_dense
from ragqa.index.files.lexical import LexicalIndex, passage_terms
from ragqa.index.files.manifest import MANIFEST, REBUILD_HINT, Manifest, read_manifest
from ragqa.index.files.pointer import is_served_name, number_of
from ragqa.index.files.postings import Part, Postings
from ragqa.index.files.rows import read_rows
from ragqa.index.files.scoped import Scope, Scopes
from ragqa.index.files.sentences import SentenceLookup, load_table
from ragqa.index.files.tokens import TokenLookup, TokenTable, load_tokens
from ragqa.index.records import (
    DocumentRecord,
    ModelRecord,
    PassageRecord,
    RefusedFile,
    line_context,
)
from ragqa.index.search.analysis import Analyzer
from ragqa.index.sentencetable import SentenceTable

DOCUMENTS = "documents.jsonl"
PASSAGES = "passages.jsonl"
DENSE = "dense.faiss"
BM25_DIR = "bm25"
TERMS = "terms.npz"
CONTEXT = "context.json"


@dataclass
class LoadedIndex:
    """A generation loaded in memory, ready to search: the files store's
    :class:`~ragqa.index.search.view.IndexView` when no segment is written after it (rows
    are positions in the generation)."""

    path: Path
    generation: int
    manifest: Manifest
    documents: dict[str, DocumentRecord]
    passages: list[Passage]
    vector_keys: list[str]
    dense: faiss.Index
    lexical: LexicalIndex
    # Each document's passage rows, ascending (a search filter is a union of these).
    doc_rows: dict[str, np.ndarray] = field(default_factory=dict)
    # What its passages were cut with (None: written before segments existed).
    context: CorpusContext | None = None
    # Its passages' sentence vectors (None: made without, or before they existed).
    sentences: SentenceTable | None = None
    # Its passages' token vectors (None: made without, or before they existed).
    tokens: TokenTable | None = None

    store = "files"

    @cached_property
    def token_lookup(self) -> TokenLookup:
        return TokenLookup([self.tokens])

    def stored_token_vectors(self, quote: str) -> np.ndarray | None:
        return self.token_lookup.find(quote)

    def stored_token_vectors_each(self, quotes: Sequence[str]) -> list[np.ndarray | None]:
        return [self.token_lookup.find(quote) for quote in quotes]

    @cached_property
    def sentence_lookup(self) -> SentenceLookup:
        return SentenceLookup([self.sentences])

    def stored_sentence_vectors(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        return self.sentence_lookup.find(texts, self.manifest.model.dimension)

    def quote(self, row: int) -> str:
        p = self.passages[row]
        return self.documents[p.doc_id].text[p.start : p.end]

    @property
    def size(self) -> int:
        return len(self.passages)

    def live_rows(self) -> Iterator[int]:
        """Every row (a generation retires none; see SegmentedIndex)."""
        return iter(range(len(self.passages)))

    @property
    def postings(self) -> Postings | None:
        return self.lexical.postings

    @cached_property
    def scoring_postings(self) -> Postings:
        """The passages' raw BM25 statistics: ``terms.npz``, or for a generation written
        before it existed, made from the passages on first use (an allowlisted search)."""
        if self.postings is not None:
            return self.postings
        texts = [bm25_text(self.documents[p.doc_id].title, p.section, self.quote(row))
                 for row, p in enumerate(self.passages)]
        return Postings.build(passage_terms(texts, self.analyzer))

    @cached_property
    def scopes(self) -> Scopes:
        """BM25 over an allowlist's passages (:mod:`ragqa.index.files.scoped`), per allowlist."""
        params = self.manifest.config.bm25

        def make(doc_ids: frozenset[str]) -> Scope:
            rows = self.rows_of(doc_ids)
            assert rows is not None
            return Scope([Part(self.scoring_postings, 0)], rows, params.k1, params.b)

        return Scopes(make)

    @property
    def writable(self) -> bool:
        """Whether segments can be written after it (else a write builds a generation)."""
        return self.context is not None and self.lexical.postings is not None

    @cached_property
    def doc_order(self) -> list[str]:
        """The ids of the documents with passages, sorted: their rows follow this order."""
        return sorted(self.doc_rows)

    @cached_property
    def doc_first_rows(self) -> np.ndarray:
        """The first row of each document of :attr:`doc_order`."""
        return np.asarray([self.doc_rows[d][0] for d in self.doc_order], dtype=np.int64)

    @cached_property
    def key_rows(self) -> dict[str, int]:
        """A row holding each vector key (made on first use: a sync's lookups)."""
        return {key: row for row, key in enumerate(self.vector_keys)}

    def all_vectors(self) -> np.ndarray:
        """Every vector, row i = passage i."""
        return all_vectors(self.dense)

    # -- the IndexView protocol (index/search/view.py) --------------------------------------------

    @property
    def analyzer(self) -> Analyzer:
        return self.lexical.analyzer

    @property
    def model(self) -> ModelRecord:
        return self.manifest.model

    def check_vectors(self, identity: VectorIdentity, model_name: str) -> None:
        self.manifest.check_vectors(identity, model_name)

    def idf(self, terms: Sequence[str], scope: Collection[str] | None = None) -> list[float]:
        if scope is not None:
            return self.scopes.get(frozenset(scope)).idf(terms)
        return self.lexical.idf(terms)

    def lexical_top(self, question: str, k: int, doc_ids: Collection[str] | None = None,
                    scope: Collection[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
        if scope is None:  # bm25s's own scores, the whole generation's statistics
            return self.lexical.search(question, k, self.rows_of(doc_ids))
        found, scores = self.scopes.get(frozenset(scope)).candidates(
            self.analyzer(question), k, self.rows_of(doc_ids))
        return found[:k], scores[:k]

    def dense_top(self, vector: np.ndarray, k: int,
                  doc_ids: Collection[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
        ids, scores = search_dense(self.dense, vector, k, self.rows_of(doc_ids))
        order = np.lexsort((ids, -scores))  # equal scores in row order (FAISS: any order)
        return ids[order], scores[order]

    def tie_order(self, rows: np.ndarray) -> np.ndarray:
        return rows  # a generation's rows are documents by id, passages in order

    def rows_of(self, doc_ids: Collection[str] | None) -> np.ndarray | None:
        """The passage rows of ``doc_ids``, ascending, as the rankers take them (None: all)."""
        if doc_ids is None:
            return None
        parts = [self.doc_rows[d] for d in doc_ids if d in self.doc_rows]
        return np.sort(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)

    def unknown_documents(self, doc_ids: Collection[str]) -> list[str]:
        return sorted(d for d in doc_ids if d not in self.documents)

    def passages_of(self, rows: Iterable[int]) -> dict[int, PassageRecord]:
        out = {}
        for row in rows:
            p = self.passages[row]
            doc = self.documents[p.doc_id]
            out[row] = PassageRecord(row, p.doc_id, p.start, p.end, p.section, p.page,
                                     doc.title, doc.text[p.start : p.end],
                                     *line_context(doc.text, p.start, p.end))
        return out

    def vector(self, row: int) -> np.ndarray:
        return self.dense.reconstruct(int(row))

    def vectors(self, rows: Sequence[int]) -> np.ndarray:
        return np.stack([self.vector(row) for row in rows]) if len(rows) else np.zeros(
            (0, self.manifest.model.dimension), dtype=np.float32)

    def document(self, doc_id: str) -> DocumentRecord | None:
        return self.documents.get(doc_id)

    def documents_by_id(self, doc_ids: Iterable[str] | None = None) -> dict[str, DocumentRecord]:
        ids = sorted(self.documents) if doc_ids is None else sorted(set(doc_ids))
        return {d: self.documents[d] for d in ids if d in self.documents}

    def refused(self) -> dict[str, RefusedFile]:
        return dict(sorted(self.manifest.refused.items()))

    def counts(self) -> tuple[int, int]:
        return len(self.documents), len(self.passages)

    def session(self) -> contextlib.nullcontext[None]:
        """Nothing to share: a generation is in memory."""
        return contextlib.nullcontext()

    def close(self) -> None:
        """Nothing to release: a generation is memory (and mapped files) only."""



def load_generation(gen_dir: Path) -> LoadedIndex:
    """Load and verify one generation folder."""
    manifest = read_manifest(gen_dir)
    docs, passages, keys = read_rows(gen_dir, DOCUMENTS, PASSAGES)
    _expect(manifest.documents == len(docs), gen_dir / DOCUMENTS, "document count")
    _expect(manifest.passages == len(passages), gen_dir / PASSAGES, "passage count")
    documents = {d.doc_id: d for d in docs}
    for p in passages:
        doc = documents.get(p.doc_id)
        _expect(doc is not None and 0 <= p.start < p.end <= len(doc.text), gen_dir / PASSAGES,
                "passage offsets")
    try:
        dense = load_dense(gen_dir / DENSE)
    except Exception as exc:  # noqa: BLE001 - FAISS raises RuntimeError for bad files
        raise IndexCorruptError(
            f"{gen_dir / DENSE} is unreadable ({str(exc).splitlines()[0][:200]}); {REBUILD_HINT}"
        ) from None
    _expect(dense.ntotal == len(passages), gen_dir / DENSE, "vector count")
    _expect(dense.d == manifest.model.dimension, gen_dir / DENSE, "dimension")
    try:
        analyzer = Analyzer(manifest.config.analysis)
    except (KeyError, TypeError, ValueError) as exc:
        raise IndexCorruptError(
            f"{gen_dir / MANIFEST}: bad analysis settings ({exc}); {REBUILD_HINT}"
        ) from None
    postings = _postings(gen_dir / TERMS, len(passages))
    try:
        lexical = LexicalIndex.load(gen_dir / BM25_DIR, analyzer, len(passages), postings)
    except Exception as exc:  # noqa: BLE001 - bm25s raises whatever numpy/json raise
        raise IndexCorruptError(
            f"{gen_dir / BM25_DIR} is unreadable ({str(exc).splitlines()[0][:200]}); "
            + REBUILD_HINT
        ) from None
    rows_of: dict[str, list[int]] = {}
    for row, p in enumerate(passages):
        rows_of.setdefault(p.doc_id, []).append(row)
    doc_rows = {d: np.asarray(rows, dtype=np.int64) for d, rows in rows_of.items()}
    number = number_of(gen_dir.name) if is_served_name(gen_dir.name) else manifest.generation
    return LoadedIndex(gen_dir, number, manifest, documents, passages, keys, dense, lexical,
                       doc_rows, _context(gen_dir / CONTEXT),
                       load_table(gen_dir, manifest.model.dimension),
                       load_tokens(gen_dir, manifest.model.dimension))


def _postings(path: Path, size: int) -> Postings | None:
    if not path.exists():
        return None  # a generation written before segments existed
    try:
        postings = Postings.load(path)
    except Exception as exc:  # noqa: BLE001 - numpy and zipfile raise many kinds
        raise IndexCorruptError(f"{path} is unreadable ({exc}); {REBUILD_HINT}") from None
    _expect(postings.size == size, path, "passage count")
    return postings


def _context(path: Path) -> CorpusContext | None:
    if not path.exists():
        return None
    try:
        return CorpusContext.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError, AttributeError) as exc:
        raise IndexCorruptError(f"{path} is unreadable ({exc}); {REBUILD_HINT}") from None


def write_context(folder: Path, context: CorpusContext) -> None:
    """Record the corpus context a generation's passages were cut with (staging folder)."""
    (folder / CONTEXT).write_text(json.dumps(context.to_json(), ensure_ascii=False), "utf-8")


def _expect(ok: bool, path: Path, what: str) -> None:
    if not ok:
        raise IndexCorruptError(f"{path}: {what} does not match the manifest; {REBUILD_HINT}")
