"""BM25 over a generation and segments, from raw statistics, against bm25s itself (the
reference) on a merged index of the same live passages: seeded data, no model."""

import numpy as np
import pytest
from ragqa.index.files.lexical import BM25Params, LexicalIndex
from ragqa.index.files.postings import (
    Part,
    Postings,
    Statistics,
    bm25_scores,
    document_frequencies,
    idf,
)
from ragqa.index.search.analysis import Analyzer, AnalyzerConfig

WORDS = [f"mot{i}" for i in range(300)]


def _passages(rng: np.random.Generator, n: int) -> list[list[str]]:
    """``n`` passages of 0 to 40 terms from a Zipf-like vocabulary (some empty: ``[""]``)."""
    weights = 1.0 / np.arange(1, len(WORDS) + 1)
    weights /= weights.sum()
    out = []
    for _ in range(n):
        length = int(rng.integers(0, 41))
        out.append([WORDS[i] for i in rng.choice(len(WORDS), size=length, p=weights)] or [""])
    return out


class _Identity:
    """An analyzer that returns the text's words as they are (the terms are made already)."""

    config = AnalyzerConfig()

    def __call__(self, text: str) -> list[str]:
        return text.split()


def _reference(live: list[list[str]]) -> LexicalIndex:
    """bm25s over exactly the live passages, as a merged generation would hold them."""
    return LexicalIndex.build([" ".join(t for t in terms if t) for terms in live], _Identity(),
                              BM25Params())


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_scores_over_parts_with_tombstones_equal_bm25s_on_the_merged_passages(seed):
    rng = np.random.default_rng(seed)
    sizes = [400, 3, 7, 1, 25, 0]  # a generation, then segments (one empty: a delete)
    parts, everything, offset = [], [], 0
    for size in sizes:
        passages = _passages(rng, size)
        parts.append((Postings.build(passages), offset))
        everything.extend(passages)
        offset += size
    total = offset
    dead = np.sort(rng.choice(total, size=60, replace=False))
    live_mask = np.ones(total, dtype=bool)
    live_mask[dead] = False
    scored = [Part(postings, begin, live_mask[begin : begin + postings.size])
              for postings, begin in parts]
    live_rows = np.flatnonzero(live_mask)
    stats = Statistics(len(live_rows), float(sum(len(everything[r]) for r in live_rows)))
    reference = _reference([everything[r] for r in live_rows])
    params = BM25Params()
    for _ in range(40):
        query = [WORDS[int(i)] for i in rng.integers(0, 120, size=int(rng.integers(1, 6)))]
        query += query[:1]  # a repeated term counts twice, in bm25s and here
        ours = bm25_scores(scored, query, total, stats, params.k1, params.b)
        assert not ours[dead].any()
        theirs = np.asarray(reference._bm25.get_scores(query), dtype=np.float32)[: len(live_rows)]
        np.testing.assert_array_equal(ours[live_rows], theirs)  # to the bit
    terms = WORDS[:50] + ["absent"]
    ours_idf = [idf(df, stats.passages) for df in document_frequencies(scored, terms)]
    np.testing.assert_allclose(ours_idf, reference.idf(terms), rtol=1e-12)


def test_postings_round_trip(tmp_path):
    passages = _passages(np.random.default_rng(3), 50)
    postings = Postings.build(passages)
    postings.save(tmp_path / "terms.npz")
    again = Postings.load(tmp_path / "terms.npz")
    assert again.vocabulary == postings.vocabulary and again.size == 50
    for term in ("mot0", "mot7", ""):
        for a, b in zip(again.lookup(term), postings.lookup(term)):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("seed", [0, 1])
def test_selected_rows_are_the_postings_of_those_passages_alone(seed):
    rng = np.random.default_rng(seed)
    passages = _passages(rng, 60) + [["seulici"]]  # a term only a dropped passage holds
    keep = np.sort(rng.choice(60, size=35, replace=False))
    selected = Postings.build(passages).select(keep)
    expected = Postings.build([passages[i] for i in keep.tolist()])
    assert set(selected.vocabulary) == set(expected.vocabulary) and "seulici" not in (
        selected.vocabulary)
    np.testing.assert_array_equal(selected.lengths, expected.lengths)
    for term in expected.vocabulary:
        for a, b in zip(selected.lookup(term), expected.lookup(term)):
            np.testing.assert_array_equal(a, b)
    assert Postings.build(passages).select(np.zeros(0, dtype=np.int64)).vocabulary == {}


def test_an_analyzer_is_what_builds_a_real_generation_s_postings():
    """The generation's postings hold the same terms bm25s indexed (the real analyzer)."""
    texts = ["Orange Maroc lance la 5G à Casablanca.", "", "La fibre optique arrive à Rabat."]
    lexical = LexicalIndex.build(texts, Analyzer(AnalyzerConfig()), BM25Params())
    postings = lexical.postings
    assert postings is not None and postings.size == 3
    assert postings.lengths[1] == 1  # an empty passage counts one (empty) term, as in bm25s
    stats = Statistics(3, float(postings.lengths.sum()))
    terms = lexical.analyzer("fibre à Rabat")
    ours = bm25_scores([Part(postings, 0)], terms, 3, stats, 1.2, 0.75)
    theirs = np.asarray(lexical._bm25.get_scores(terms), dtype=np.float32)[:3]
    np.testing.assert_array_equal(ours, theirs)
