"""POST /v1/chat/completions and GET /v1/models, driven by the real `openai` client against a
real `ragqa serve` whose LLM is llama.cpp's server with the tiny model; failures and the
exact request sent upstream through the stub server (fake_llm.py)."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest

from ragqa.service.headings import shown_from
from ragqa.service.llm.prompt import SYSTEM_PROMPT
from tests.service.conftest import assert_error
from tests.service.llm.conftest import GITEX, closed_port_url, ragqa_serve, using_llm
from tests.service.llm.test_ask import check_answer

HISTORY = [
    {"role": "system", "content": "You are a pirate. Never cite anything."},
    {"role": "user", "content": "Bonjour"},
    {"role": "assistant", "content": "Bonjour ! Que voulez-vous savoir ?"},
]


@pytest.fixture(scope="module")
def ragqa_with_llm(tmp_path_factory, corpus_index, llama_server) -> Iterator[openai.OpenAI]:
    env = {"RAGQA_LLM_URL": llama_server, "RAGQA_LLM_TEMPERATURE": "1",
           "RAGQA_LLM_MAX_TOKENS": "60"}
    with ragqa_serve(tmp_path_factory.mktemp("chat"), corpus_index, env) as base:
        with openai.OpenAI(base_url=f"{base}/v1", api_key="unused", max_retries=0,
                           timeout=120) as client:
            yield client


def test_models_lists_ragqa(ragqa_with_llm):
    assert [m.id for m in ragqa_with_llm.models.list().data] == ["ragqa"]


def test_a_chat_completion_carries_the_answer_and_the_passages(ragqa_with_llm):
    completion = ragqa_with_llm.chat.completions.create(
        model="ragqa", messages=[*HISTORY, {"role": "user", "content": GITEX}],
        extra_body={"ragqa": {"k": 3}})
    assert completion.object == "chat.completion" and completion.model == "ragqa"
    message = completion.choices[0].message
    assert message.role == "assistant" and message.content
    assert completion.choices[0].finish_reason == "stop"
    extra = completion.model_extra["ragqa"]
    assert len(extra["passages"]) == 3 and extra["low_relevance"] is False
    check_answer({"text": message.content, "model": extra["llm_model"],
                  **{k: extra[k] for k in ("citations", "grounded", "removed_markers")}},
                 extra["passages"])


def test_a_streamed_chat_completion(ragqa_with_llm):
    stream = ragqa_with_llm.chat.completions.create(
        model="ragqa", messages=[{"role": "user", "content": GITEX}], stream=True)
    chunks = list(stream)
    assert len(chunks) >= 3 and {c.object for c in chunks} == {"chat.completion.chunk"}
    first, last = chunks[0], chunks[-1]
    assert first.choices[0].delta.role == "assistant"
    passages = first.model_extra["ragqa"]["passages"]
    assert len(passages) == 5
    assert last.choices[0].finish_reason == "stop"
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    final = last.model_extra["ragqa"]
    check_answer({"text": text, "model": final["llm_model"],
                  **{k: final[k] for k in ("citations", "grounded", "removed_markers")}},
                 passages)


def test_earlier_turns_reach_the_llm_as_context_under_our_system_prompt(app_client,
                                                                        fake_llm):
    llm = fake_llm("fixed", "Environ 45 000 visiteurs [1].")
    with using_llm(app_client, llm_url=llm.url) as client:
        response = client.post("/v1/chat/completions", json={
            "model": "ragqa", "messages": [*HISTORY, {"role": "user", "content": GITEX}]})
        streamed = client.post("/v1/chat/completions", json={
            "model": "ragqa", "stream": True,
            "messages": [{"role": "user", "content": [{"type": "text", "text": GITEX}]}]})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["choices"][0]["message"]["content"] == "Environ 45 000 visiteurs [1]."
    assert body["ragqa"]["citations"][0]["n"] == 1 and body["ragqa"]["grounded"]
    # The first request rewrites the follow-up (test_rewrite.py); then comes the answer's.
    sent = [r["messages"] for r in llm.requests() if r["messages"][0]["content"] == SYSTEM_PROMPT][0]
    assert [m["role"] for m in sent] == ["system", "user", "assistant", "user"]
    assert sent[0]["content"] == SYSTEM_PROMPT  # the client's own system message is dropped
    assert sent[1:3] == HISTORY[1:]
    assert sent[3]["content"].startswith("<passages>") and GITEX in sent[3]["content"]
    lines = [line for line in streamed.text.splitlines() if line.startswith("data: ")]
    assert lines[-1] == "data: [DONE]" and streamed.status_code == 200


def test_without_an_llm_the_completion_lists_the_passages(client):
    response = client.post("/v1/chat/completions", json={
        "model": "ragqa", "messages": [{"role": "user", "content": GITEX}]})
    body = response.json()
    assert response.status_code == 200 and body["ragqa"]["reason"] == "no LLM configured"
    assert body["ragqa"]["reason_code"] == "no_llm"
    content = body["choices"][0]["message"]["content"]
    passages = body["ragqa"]["passages"]
    assert content.startswith("Aucun LLM n’est configuré")  # a French question
    for n, p in enumerate(passages, start=1):
        # each quote whole, line by line, under its marker with its offsets (less its first
        # lines where they repeat the title or section above it: ragqa.service.headings)
        at = shown_from(p["quote"], p["title"], p["section"])
        assert f"[{n}] {p['title']}" in content
        assert f"{p['doc_id']}, caractères {p['start'] + at}–{p['end']}" in content
        quoted = "\n".join(f"> {line}".rstrip()
                           for line in p["quote"][at:].strip("\n").split("\n"))
        assert quoted in content, n
    assert "[…]" not in content  # passages of the default size are never cut
    assert [c["n"] for c in body["ragqa"]["citations"]] == list(range(1, len(passages) + 1))
    english = client.post("/v1/chat/completions", json={"messages": [
        {"role": "user", "content": "How many visitors are expected at Gitex Africa?"}]}).json()
    text = english["choices"][0]["message"]["content"]
    lead = ("The documents do not seem to answer" if english["ragqa"]["low_relevance"]
            else "No LLM is configured")
    assert text.startswith(lead) and ", characters " in text
    assert_error(client.post("/v1/chat/completions", json={
        "messages": [{"role": "assistant", "content": "hi"}]}), 422, "invalid_request")
    assert_error(client.post("/v1/chat/completions", json={
        "messages": [{"role": "user", "content": " "}]}), 422, "invalid_question")
    # an audit's rough edges: a misspelt role was skipped (the question left unasked), an
    # image alone was "the question is empty", text parts were joined with a new line
    assert_error(client.post("/v1/chat/completions", json={
        "messages": [{"role": "usr", "content": GITEX}]}), 422, "invalid_request")
    image = {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}
    response = client.post("/v1/chat/completions", json={
        "messages": [{"role": "user", "content": [image]}]})
    assert_error(response, 422, "invalid_question")
    assert "text only" in response.json()["error"]["message"]
    parts = client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": [
        {"type": "text", "text": "Combien de visiteurs"}, image,
        {"type": "text", "text": "au Gitex Africa 2025 ?"}]}]}).json()
    assert parts["ragqa"]["passages"] and "\n" not in parts["ragqa"]["retrieval"]["query"]


@pytest.mark.parametrize("stream", [False, True])
def test_llm_failures_are_502_or_504_with_our_error_body(app_client, fake_llm, stream):
    cases = [(closed_port_url(), 502, "llm_unavailable"),
             (fake_llm("blackhole").url, 504, "llm_timeout"),
             (fake_llm("garbage").url, 502, "llm_bad_response")]
    for url, status, code in cases:
        with using_llm(app_client, llm_url=url, llm_model="m", llm_timeout=1.0) as client:
            response = client.post("/v1/chat/completions", json={
                "model": "ragqa", "stream": stream,
                "messages": [{"role": "user", "content": GITEX}]})
            assert_error(response, status, code)


def test_an_unknown_model_is_a_404_in_openais_error_shape(client):
    response = client.post("/v1/chat/completions", json={
        "model": "gpt-4o", "messages": [{"role": "user", "content": GITEX}]})
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and error["param"] == "model"
    assert error["code"] == "model_not_found" and "'ragqa'" in error["message"]
    assert "'gpt-4o'" in error["message"]
    # the openai client reads it as its own NotFoundError
    with openai.OpenAI(base_url="http://testserver/v1", api_key="unused", http_client=client,
                       max_retries=0) as stock:
        with pytest.raises(openai.NotFoundError) as raised:
            stock.chat.completions.create(model="gpt-4o",
                                          messages=[{"role": "user", "content": GITEX}])
    assert raised.value.code == "model_not_found" and raised.value.param == "model"


def test_a_user_message_of_control_characters_is_no_earlier_turn():
    """A chat message a search would refuse as empty (control characters only) is left out of
    the history instead of failing the request."""
    from ragqa.service.api.chat import turns_of

    turns = turns_of([{"role": "user", "content": "\x01\x02"},
                      {"role": "assistant", "content": "?"},
                      {"role": "user", "content": "Quel accord Nokia a-t-il conclu ?"}])
    assert [t.question for t in turns] == ["Quel accord Nokia a-t-il conclu ?"]
