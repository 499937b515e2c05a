"""``RAGQA_READER``: the committed reader in the routes, with the default model (e5) over
the real corpus; and its fallback (a warning, the search as before) where it cannot load."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from ragqa.index.embedding.models import BUNDLED_MODEL_NAME
from ragqa.index.reading.artifact import CARD, DEFAULT_DIR
from ragqa.index.reading.stage import INTERCEPT, THRESHOLD, W_READER, W_SERVED
from ragqa.service.app import create_app
from tests.conftest import CORPUS
from tests.service.conftest import LOOPBACK, check_passages, make_settings

SPARK = "Combien de startups sont inscrites au programme SPARK ?"


@pytest.fixture(scope="module")
def reading_client(e5_corpus_index, model_cache, converted) -> Iterator[TestClient]:
    if not (DEFAULT_DIR / CARD).exists():
        pytest.skip("no reader committed")
    settings = make_settings(CORPUS, e5_corpus_index, embed_model=BUNDLED_MODEL_NAME,
                             embed_backend="torch", model_cache_dir=model_cache, reader=True)
    with TestClient(create_app(settings, update_index=False), client=LOOPBACK) as client:
        yield client


def test_the_reader_points_at_the_answer_and_highlights_its_sentence(reading_client):
    assert reading_client.get("/health").json()["reader"] is True
    body = reading_client.post("/v1/search", json={"question": SPARK, "k": 7}).json()
    check_passages(reading_client, body)
    passages = body["passages"]
    assert [p["rank"] for p in passages] == list(range(1, 8))
    assert all(p["answerability"] is None and p["answer_span"] is None for p in passages[5:])
    assert all(0 <= p["answerability"] <= 1 for p in passages[:5])  # read, each of them
    answered = [p for p in passages[:5] if p["answer_span"] is not None]
    assert answered, "the reader believes none of the top 5 answers"
    assert all(p["answerability"] < 0.5 for p in passages[:5] if p not in answered)
    for passage in answered:
        span, highlight = passage["answer_span"], passage["highlight"]
        assert passage["start"] <= span["start"] < span["end"] <= passage["end"]
        assert highlight["start"] <= span["start"] and span["end"] <= highlight["end"] \
            or span["start"] < highlight["start"] < highlight["end"] < span["end"]
        assert 0.5 <= passage["answerability"] <= 1


def test_without_a_reader_for_the_model_the_search_goes_on_with_a_warning(corpus_index, caplog):
    """The session index uses MiniLM: the committed reader completes e5, so it is refused
    with one warning, and the search answers without reader fields."""
    settings = make_settings(CORPUS, corpus_index, reader=True)
    with caplog.at_level(logging.WARNING, logger="ragqa.index.reading.reader"), \
            TestClient(create_app(settings, update_index=False), client=LOOPBACK) as client:
        body = client.post("/v1/search", json={"question": SPARK, "k": 3}).json()
        health = client.get("/health").json()
    assert health["reader"] is False
    assert any("without the trained reader" in r.getMessage() for r in caplog.records)
    assert body["passages"] and all(p["answer_span"] is None for p in body["passages"])


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


@pytest.fixture(scope="module")
def plain_client(e5_corpus_index, model_cache, converted) -> Iterator[TestClient]:
    settings = make_settings(CORPUS, e5_corpus_index, embed_model=BUNDLED_MODEL_NAME,
                             embed_backend="torch", model_cache_dir=model_cache)
    with TestClient(create_app(settings, update_index=False), client=LOOPBACK) as client:
        yield client


@pytest.mark.parametrize("question", [SPARK, "Quelle est la recette de la tarte tatin ?"])
def test_relevance_joins_the_readers_belief(reading_client, plain_client, question):
    """With the reader, ``relevance`` is the dev fit of the served relevance and the
    reader's best logit over the read passages, and ``low_relevance`` its threshold."""
    served = plain_client.post("/v1/search", json={"question": question, "k": 5}).json()
    read = reading_client.post("/v1/search", json={"question": question, "k": 5}).json()
    best = max(_logit(p["answerability"]) for p in read["passages"])
    z = W_SERVED * _logit(served["relevance"]) + W_READER * best + INTERCEPT
    assert read["relevance"] == pytest.approx(1 / (1 + math.exp(-z)), abs=2e-3)
    assert read["low_relevance"] == (read["relevance"] < THRESHOLD)
    assert read["low_relevance"] == (question != SPARK)  # the tart is no digital economy


@pytest.mark.parametrize("mode", ["bm25", "dense"])
def test_relevance_stays_the_served_signal_where_the_join_was_not_fitted(
        reading_client, plain_client, mode):
    """The join was fitted on hybrid searches: another mode (a server whose RAGQA_MODE is
    bm25 or dense) keeps the served signal, though the passages are read."""
    served = plain_client.app.state.engine.search(SPARK, 5, mode=mode).result
    read = reading_client.app.state.engine.search(SPARK, 5, mode=mode)
    assert read.answers[0] is not None  # read all the same
    assert (read.result.relevance, read.result.low_relevance, read.result.borderline) == (
        served.relevance, served.low_relevance, served.borderline)


@pytest.mark.parametrize("question", [SPARK, "Qui a signé le protocole d'accord au nom de Nokia ?",
                                      "Quand aura lieu la prochaine édition du Gitex Africa ?"])
def test_a_reordered_top_keeps_its_order_when_read(reading_client, plain_client, question):
    """A hybrid search's top, ordered by the served reorder, is read but not reranked by
    the reader (dev: every rerank on top of the reorder lowered the mean MRR@10); a search
    the reorder did not order (bm25 mode) is not marked so, and the reader reranks it
    (tests/index/reading/test_stage.py)."""
    served = plain_client.post("/v1/search", json={"question": question, "k": 7}).json()
    read = reading_client.post("/v1/search", json={"question": question, "k": 7}).json()
    assert [(p["doc_id"], p["start"], p["end"]) for p in read["passages"]] == [
        (p["doc_id"], p["start"], p["end"]) for p in served["passages"]]
    assert all(p["answerability"] is not None for p in read["passages"][:5])
    engine = reading_client.app.state.engine
    assert engine.search(question, 7).result.reordered
    assert not engine.search(question, 7, mode="bm25").result.reordered


def test_a_question_naming_nothing_stays_low_with_the_reader(reading_client):
    # the reader's belief joins the relevance after the search: the cap is applied last
    for question in ("et pour 2025 ?", "Combien ?", "What about 2025?"):
        body = reading_client.post("/v1/search", json={"question": question}).json()
        assert body["low_relevance"] is True and body["borderline"] is False, question
