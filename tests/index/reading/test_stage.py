"""The reading stage over a real search: the committed reader on the bundled e5 and the
real corpus reorders the top passages by ``logit - beta ln(rank)``, points at answers inside
them, and reads a passage once per question."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from ragqa.index.files.generations import load_index
from ragqa.index.reading.artifact import CARD, DEFAULT_DIR
from ragqa.index.reading.reader import open_reader
from ragqa.index.reading.stage import ReadingStage
from ragqa.index.search.fusion import default_fusion
from ragqa.index.search.retriever import RetrievalParams, Retriever

QUESTION = "Quand aura lieu la prochaine édition du Gitex Africa ?"


@pytest.fixture(scope="module")
def reader(e5_embedder):
    if not (DEFAULT_DIR / CARD).exists():
        pytest.skip("no reader committed")
    model = e5_embedder.model
    return open_reader(Path(model.path), model.weights_sha256(), DEFAULT_DIR)


@pytest.fixture(scope="module")
def hits(e5_corpus_index, e5_embedder):
    params = RetrievalParams(fusion=default_fusion(e5_embedder.model.name))
    return Retriever(load_index(e5_corpus_index), e5_embedder, params).search(QUESTION, 8).hits


def test_the_top_is_reordered_by_the_readers_logit_held_back_by_rank(reader, hits):
    stage = ReadingStage(reader, top=5, beta=1.0)
    read = stage.apply(QUESTION, hits)
    readings = reader.read(QUESTION, [h.quote for h in hits[:5]])
    expected = sorted(range(5), key=lambda i: -(readings[i].logit - math.log(i + 1)))
    assert [h.row for h in read.hits[:5]] == [hits[i].row for i in expected]
    assert [h.row for h in read.hits[5:]] == [h.row for h in hits[5:]]  # not read: kept
    assert [h.rank for h in read.hits] == list(range(1, len(hits) + 1))
    assert read.order == (*expected, *range(5, len(hits)))
    assert read.read == 5 and read.answers[5:] == (None,) * (len(hits) - 5)
    for hit, answer, i in zip(read.hits, read.answers, expected, strict=False):
        assert answer.answerability == round(readings[i].answerability, 4)
        if answer.start is None:
            assert readings[i].answerability < stage.min_answerability
            continue
        assert hit.start <= answer.start < answer.end <= hit.end
        assert answer.answerability >= 0.5


def test_a_passage_is_read_once_per_question(reader, hits):
    stage = ReadingStage(reader, top=3)
    first = stage.apply(QUESTION, hits)
    again = stage.apply(QUESTION, hits)
    assert (first.read, again.read) == (3, 0)
    assert (again.hits, again.answers) == (first.hits, first.answers)
    assert stage.apply("Qui organise le Gitex Africa ?", hits).read == 3


def test_a_search_the_reorder_ordered_is_read_in_its_order(reader, hits):
    stage = ReadingStage(reader, top=5, beta=1.0)
    read = stage.apply(QUESTION, hits, keep_order=True)
    reranked = stage.apply(QUESTION, hits)
    assert read.hits == hits and read.order == tuple(range(len(hits)))
    readings = reader.read(QUESTION, [h.quote for h in hits[:5]])
    assert [a.answerability for a in read.answers[:5]] == [
        round(r.answerability, 4) for r in readings]
    assert read.best_logit == reranked.best_logit
    assert reranked.order != read.order, "the reader kept retrieval's order: nothing shown"
