"""BM25 over a reader's allowlist (issue 29): every statistic is the allowed passages' own,
so the scores are bm25s's on an index holding only those documents, to the bit; a search
without an allowlist keeps the whole store's statistics and bm25s's own scores."""

import shutil
from pathlib import Path

import numpy as np
import pytest
from ragqa.index.config import IndexConfig
from ragqa.index.documents.processing import bm25_text
from ragqa.index.files.generations import TERMS, load_index
from ragqa.index.files.lexical import BM25Params, LexicalIndex
from ragqa.index.files.merge import MergePolicy
from ragqa.index.files.postings import Part, Postings
from ragqa.index.files.scoped import Scope, Scopes
from ragqa.index.files.segmented import SegmentedIndex
from ragqa.index.files.store import FilesStore

from tests.conftest import CORPUS
from tests.index.files.test_postings import WORDS, _Identity, _passages
from tests.index.files.test_segments import NOTE, QUESTIONS


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_scope_scores_as_bm25s_on_its_live_passages_alone(seed):
    rng = np.random.default_rng(seed)
    sizes = [300, 5, 0, 40]  # a generation, then segments
    parts, everything, offset = [], [], 0
    for size in sizes:
        passages = _passages(rng, size)
        parts.append((Postings.build(passages), offset))
        everything.extend(passages)
        offset += size
    live = np.ones(offset, dtype=bool)
    live[rng.choice(offset, size=30, replace=False)] = False
    parts = [Part(postings, begin, live[begin : begin + postings.size])
             for postings, begin in parts]
    allowed = np.flatnonzero(live & (rng.random(offset) < 0.4))  # live rows of the allowlist
    params = BM25Params()
    scope = Scope(parts, allowed, params.k1, params.b)
    reference = LexicalIndex.build([" ".join(t for t in everything[r] if t) for r in allowed],
                                   _Identity(), params)
    assert scope.stats.passages == len(allowed)
    for _ in range(40):
        query = [WORDS[int(i)] for i in rng.integers(0, 120, size=int(rng.integers(1, 6)))]
        ours = scope.scores(query)[allowed]
        theirs = np.asarray(reference._bm25.get_scores(query), dtype=np.float32)[: len(allowed)]
        np.testing.assert_array_equal(ours, theirs)  # to the bit
    terms = WORDS[:60] + ["absent"]
    np.testing.assert_allclose(scope.idf(terms), reference.idf(terms), rtol=1e-12)


def test_scopes_are_made_once_per_allowlist():
    made = []
    scopes = Scopes(lambda ids: made.append(ids) or ids, size=2)
    a, b = frozenset({"a"}), frozenset({"b"})
    assert scopes.get(a) is a and scopes.get(frozenset({"a"})) is a and scopes.get(b) is b
    assert made == [a, b]


@pytest.fixture
def written(tmp_path: Path, corpus_index: Path, minilm, embedder) -> SegmentedIndex:
    """The real corpus's index with segments after it: a note added, a document replaced
    (its last paragraph dropped) and another deleted (passages retired)."""
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(CORPUS, corpus, ignore=shutil.ignore_patterns("notes"))
    shutil.copytree(corpus_index, index)
    store = FilesStore(corpus, index, config=IndexConfig(), model=minilm,
                       identity=embedder.identity, load_embedder=lambda: embedder,
                       merge_policy=MergePolicy(background=False))
    store.upload("notes/zorglub.md", NOTE.encode())
    text = (corpus / "001_d52cea156ab06147.txt").read_text("utf-8")
    store.upload("001_d52cea156ab06147.txt", text[: text.rstrip().rfind("\n\n")].encode())
    store.delete("000_53d6d8110b4badda.txt")
    view = store.view()
    assert view.segments and view.dead
    return view


def _only(view, doc_ids: list[str]) -> tuple[LexicalIndex, list[tuple[str, int]]]:
    """bm25s over the live passages of ``doc_ids`` alone, in a merged index's order
    (documents by id, passages in order), and each of its rows' (document, start)."""
    records = sorted(view.passages_of(view.rows_of(doc_ids)).values(),
                     key=lambda r: (r.doc_id, r.start))
    texts = [bm25_text(r.title, r.section, r.quote) for r in records]
    return (LexicalIndex.build(texts, view.analyzer, BM25Params()),
            [(r.doc_id, r.start) for r in records])


def _keys(view, rows) -> list[tuple[str, int]]:
    records = view.passages_of(rows)
    return [(records[int(r)].doc_id, records[int(r)].start) for r in rows]


@pytest.fixture
def without_terms(tmp_path: Path, corpus_index: Path) -> SegmentedIndex:
    """The index as a generation written before its raw statistics (terms.npz) were kept."""
    index = shutil.copytree(corpus_index, tmp_path / "old")
    for path in index.glob(f"gen-*/{TERMS}"):
        path.unlink()
    view = SegmentedIndex.over(load_index(index))
    assert view.base.postings is None
    return view


@pytest.mark.parametrize("kind", ["generation", "segments", "without_terms"])
def test_a_scoped_search_scores_as_an_index_of_only_the_allowed_documents(
        kind, corpus_index, request):
    view = (SegmentedIndex.over(load_index(corpus_index)) if kind == "generation"
            else request.getfixturevalue({"segments": "written"}.get(kind, kind)))
    documents = sorted(view.documents)
    allowed = frozenset(documents[::2])
    reference, keys = _only(view, sorted(allowed))
    compared = 0
    for question in [*QUESTIONS, "câble sous-marin Zorglub Dakhla"]:
        rows, scores = view.lexical_top(question, 100, scope=allowed)
        assert {d for d, _ in _keys(view, rows)} <= allowed
        expected_rows, expected = reference.search(question, 100)
        np.testing.assert_array_equal(scores, expected)  # to the bit, ties in the same order
        assert _keys(view, rows) == [keys[int(r)] for r in expected_rows]
        compared += len(rows)
        # A filter within the allowlist: the allowlist's statistics still.
        some = sorted(allowed)[:3]
        rows, scores = view.lexical_top(question, 100, doc_ids=some, scope=allowed)
        assert {d for d, _ in _keys(view, rows)} <= set(some)
        every = np.asarray(reference._bm25.get_scores(view.analyzer(question) or [""]),
                           dtype=np.float32)
        place = {key: i for i, key in enumerate(keys)}
        assert scores.tolist() == [float(every[place[key]]) for key in _keys(view, rows)]
    assert compared > 100
    terms = view.analyzer(" ".join(QUESTIONS))
    np.testing.assert_allclose(view.idf(terms, allowed), reference.idf(terms), rtol=1e-12)


def test_an_unrestricted_search_keeps_the_whole_store_statistics(corpus_index):
    base = load_index(corpus_index)
    view = SegmentedIndex.over(base)
    everyone = frozenset(view.documents)
    terms = view.analyzer(" ".join(QUESTIONS))
    assert view.idf(terms) == base.lexical.idf(terms)  # bm25s's own, as before
    np.testing.assert_allclose(view.idf(terms, everyone), view.idf(terms), rtol=1e-12)
    hidden = frozenset(sorted(everyone)[1:])  # one document left out changes the statistics
    assert view.idf(terms, hidden) != view.idf(terms)
    for question in QUESTIONS:
        rows, scores = view.lexical_top(question, 100)
        expected_rows, expected = base.lexical.search(question, 100)  # bm25s, whole store
        np.testing.assert_array_equal(rows, expected_rows)
        np.testing.assert_array_equal(scores, expected)
        # An allowlist of every document: the same statistics, the same ranking.
        rows, scores = view.lexical_top(question, 100, scope=everyone)
        np.testing.assert_array_equal(rows, expected_rows)
        np.testing.assert_array_equal(scores, expected)
