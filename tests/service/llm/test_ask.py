"""POST /v1/ask with an LLM: the real corpus index and model, and LLM servers as processes.

The llama.cpp server runs a tiny random model, so its words mean nothing: these tests check
shapes, citations and flow. Failures (down, timeout, garbage) and an endless stream come
from the stub server (fake_llm.py), which is the only way to provoke them on demand.
"""

from __future__ import annotations

import json

import httpx

from ragqa.service.llm.abstain import ABSTENTIONS
from ragqa.service.llm.answer import ABSTAINED, LLM_ABSTAINED, NO_LLM
from tests.service.conftest import check_passages
from tests.service.llm.conftest import (
    GITEX,
    closed_port_url,
    llm_client,
    ragqa_serve,
    using_llm,
)
from tests.support import wait_until


def events(response: httpx.Response) -> list[tuple[str, dict]]:
    """``(event, data)`` pairs of an SSE body."""
    found = []
    for block in response.text.split("\n\n"):
        if block.strip():
            fields = dict(line.split(": ", 1) for line in block.split("\n"))
            found.append((fields["event"], json.loads(fields["data"])))
    return found


def check_answer(answer: dict, passages: list[dict]) -> None:
    """Every citation is the passage of its rank; grounded iff there is one."""
    assert set(answer) == {"text", "citations", "model", "grounded", "removed_markers"}
    assert answer["text"]
    for citation in answer["citations"]:
        p = passages[citation["n"] - 1]
        assert (citation["doc_id"], citation["start"], citation["end"], citation["quote"]) == (
            p["doc_id"], p["start"], p["end"], p["quote"])
        assert f"[{citation['n']}]" in answer["text"]
    assert answer["grounded"] == bool(answer["citations"])
    for n in answer["removed_markers"]:
        assert not 1 <= n <= len(passages)
        assert f"[{n}]" not in answer["text"]


def test_the_llm_answer_cites_passages_and_invalid_markers_are_removed(app_client,
                                                                       llama_server):
    with using_llm(app_client, llm_url=llama_server, llm_temperature=1.0,
                   llm_max_tokens=200) as client:
        response = client.post("/v1/ask", json={"question": GITEX, "k": 3})
        assert response.status_code == 200, response.text
        body = response.json()
        check_passages(client, body)
    answer = body["answer"]
    check_answer(answer, body["passages"])
    # The tiny model writes [1], [2] and [9] tokens often: with 3 passages, [9] is invalid.
    assert {c["n"] for c in answer["citations"]} <= {1, 2} and answer["grounded"]
    assert answer["removed_markers"] == [9] and body["reason"] is None
    assert body["reason_code"] is None
    assert answer["model"].endswith("tiny.gguf")


def test_the_stream_sends_passages_deltas_citations_then_done(app_client, llama_server):
    with using_llm(app_client, llm_url=llama_server, llm_temperature=1.0,
                   llm_max_tokens=60) as client:
        response = client.post("/v1/ask", json={"question": GITEX, "k": 3, "stream": True})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    got = events(response)
    names = [name for name, _ in got]
    assert names[0] == "passages" and names[-2:] == ["citations", "done"]
    assert set(names[1:-2]) == {"delta"} and len(names) > 4
    passages = got[0][1]
    assert set(passages) >= {"question", "passages", "low_relevance", "retrieval", "took_ms"}
    done = got[-1][1]
    check_answer(done["answer"], passages["passages"])
    assert "".join(data["text"] for name, data in got if name == "delta") == \
        done["answer"]["text"]
    citations = got[-2][1]
    assert citations == {key: done["answer"][key]
                         for key in ("citations", "grounded", "removed_markers")}


def test_low_relevance_abstains_without_calling_the_llm(corpus_index, fake_llm):
    llm = fake_llm("fixed", "Never sent [1].")
    with llm_client(corpus_index, llm_url=llm.url, low_relevance_threshold=1.0,
                    llm_borderline=1.0) as client:
        body = client.post("/v1/ask", json={"question": GITEX, "k": 3}).json()
        english = client.post("/v1/ask", json={
            "question": "How many visitors are expected at Gitex Africa?"}).json()
        streamed = events(client.post("/v1/ask", json={"question": GITEX, "stream": True}))
    assert body["low_relevance"] and len(body["passages"]) == 3
    assert body["answer"] == {"text": ABSTENTIONS["fr"], "citations": [], "model": "ragqa",
                              "grounded": False, "removed_markers": []}
    assert body["reason"] == ABSTAINED and body["reason_code"] == "low_relevance"
    assert english["answer"]["text"] == ABSTENTIONS["en"]
    assert [name for name, _ in streamed] == ["passages", "delta", "citations", "done"]
    assert streamed[-1][1]["answer"]["grounded"] is False
    assert streamed[-1][1]["reason_code"] == "low_relevance"
    assert llm.requests() == []  # the LLM server never received a request


def test_a_borderline_search_goes_to_the_llm_whose_abstention_is_llm_abstained(
        corpus_index, fake_llm):
    """Low relevance near the threshold: the LLM reads the passages; its ``[0]`` (the
    prompt's abstention) becomes ``llm_abstained``, whole and streamed."""
    llm = fake_llm("fixed", "[0] Les passages ne donnent pas ce chiffre.")
    with llm_client(corpus_index, llm_url=llm.url, low_relevance_threshold=1.0,
                    llm_borderline=0.0) as client:
        body = client.post("/v1/ask", json={"question": GITEX, "k": 3}).json()
        streamed = events(client.post("/v1/ask", json={"question": GITEX, "stream": True}))
    assert body["low_relevance"] and body["borderline"]
    assert body["answer"] == {"text": "Les passages ne donnent pas ce chiffre.",
                              "citations": [], "model": "fake-llm", "grounded": False,
                              "removed_markers": []}
    assert body["reason"] == LLM_ABSTAINED and body["reason_code"] == "llm_abstained"
    done = streamed[-1][1]
    assert done["reason_code"] == "llm_abstained" and done["answer"]["grounded"] is False
    assert "".join(data["text"] for name, data in streamed if name == "delta") == \
        "Les passages ne donnent pas ce chiffre."
    prompt = llm.requests()[0]["messages"][0]["content"]
    assert "[0]" in prompt and len(llm.requests()) == 2


def test_an_abstention_marker_alone_is_said_in_words(corpus_index, fake_llm):
    llm = fake_llm("fixed", "[0]")
    with llm_client(corpus_index, llm_url=llm.url) as client:
        body = client.post("/v1/ask", json={"question": GITEX, "k": 3}).json()
        streamed = events(client.post("/v1/ask", json={"question": GITEX, "stream": True}))
    assert body["reason_code"] == "llm_abstained"
    assert body["answer"]["text"] == ABSTENTIONS["fr"] and not body["answer"]["grounded"]
    assert streamed[-1][1]["reason_code"] == "llm_abstained"
    assert streamed[-1][1]["answer"]["text"] == ABSTENTIONS["fr"]


def test_an_llm_answer_without_citation_or_abstention_is_not_grounded(corpus_index, fake_llm):
    llm = fake_llm("fixed", "Environ 26 startups.")
    with llm_client(corpus_index, llm_url=llm.url) as client:
        body = client.post("/v1/ask", json={"question": GITEX, "k": 3}).json()
    assert body["reason_code"] == "not_grounded" and not body["borderline"]


def test_without_an_llm_the_stream_is_passages_then_done(client):
    response = client.post("/v1/ask", json={"question": GITEX, "k": 2, "stream": True})
    got = events(response)
    assert [name for name, _ in got] == ["passages", "done"]
    assert got[1][1] == {"answer": None, "reason": NO_LLM, "reason_code": "no_llm"}
    not_asked = client.post("/v1/ask", json={"question": GITEX, "generate": False}).json()
    assert not_asked["answer"] is None and not_asked["reason"] == "generation not requested"
    assert not_asked["reason_code"] == "generate_false"


def test_llm_down_slow_or_garbage_still_returns_the_passages(app_client, fake_llm):
    cases = {
        "down": (closed_port_url(), "cannot be reached", "llm_unavailable"),
        "timeout": (fake_llm("blackhole").url, "did not answer in time", "llm_timeout"),
        "garbage": (fake_llm("garbage").url, "not a chat completion", "llm_bad_response"),
    }
    for case, (url, words, code) in cases.items():
        with using_llm(app_client, llm_url=url, llm_model="m", llm_timeout=1.0) as client:
            response = client.post("/v1/ask", json={"question": GITEX, "k": 2})
            assert response.status_code == 200, (case, response.text)
            body = response.json()
            assert body["answer"] is None and words in body["reason"], (case, body["reason"])
            assert body["reason_code"] == code, case
            assert len(body["passages"]) == 2
            check_passages(client, body)
            streamed = events(client.post("/v1/ask", json={"question": GITEX, "stream": True}))
        assert [name for name, _ in streamed] == ["passages", "error"], case
        assert words in streamed[1][1]["message"] and streamed[1][1]["code"] == code


def test_an_llm_failing_mid_stream_ends_the_stream_with_an_error_event(app_client, fake_llm):
    llm = fake_llm("midway")
    with using_llm(app_client, llm_url=llm.url) as client:
        got = events(client.post("/v1/ask", json={"question": GITEX, "stream": True}))
        whole = client.post("/v1/ask", json={"question": GITEX}).json()
    assert [name for name, _ in got] == ["passages", "delta", "delta", "error"]
    assert got[1][1]["text"] == "Début de réponse [1]"
    assert got[-1][1]["code"] == "llm_bad_response" and "crashed" in got[-1][1]["message"]
    # Asked without streaming, this stub still streams: garbage for a whole completion.
    assert whole["answer"] is None and "message content" in whole["reason"]
    assert len(whole["passages"]) == 5


def test_a_client_that_disconnects_stops_the_generation(tmp_path, corpus_index, fake_llm):
    """The stub streams "tok " forever and records when its client (our server) closes the
    connection; a real `ragqa serve` relays it until our own client goes away. Without the
    close, the stub would keep sending and `closed` would never appear. What this proves is
    that ragqa closes the upstream response; that an LLM server then stops generating is
    that server's behaviour (llama.cpp, Ollama and vLLM do)."""
    llm = fake_llm("endless")
    with ragqa_serve(tmp_path, corpus_index, {"RAGQA_LLM_URL": llm.url}) as base:
        with httpx.Client(base_url=base, timeout=30) as client:
            with client.stream("POST", "/v1/ask", json={"question": GITEX, "stream": True}) \
                    as response:
                seen = 0
                for line in response.iter_lines():
                    seen += line == "event: delta"
                    if seen == 5:
                        break
            assert seen == 5
            wait_until(lambda: (llm.state / "closed").exists(), what="upstream closed",
                       timeout=60)
            # The server is fine afterwards.
            assert client.post("/v1/search", json={"question": GITEX}).status_code == 200
    assert len(llm.requests()) == 1
