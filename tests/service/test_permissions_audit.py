"""The audit log (issue 29, item 7; opt-in): who read which document ids, when, through
which route; never a document's text, the question only when configured. A real app with
``RAGQA_AUTH=jwt``; the store does not matter (the log is the service's), so files only."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from tests.service.test_permissions import (
    KEY,
    QUESTION,
    auth_settings,
    jwks,  # noqa: F401 - the fixture
    reader,
    upload_secrets,
)


def lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("store", ["files"])
def test_the_audit_log_says_who_read_which_documents_never_their_text(
        write_app, jwks, tmp_path):  # noqa: F811
    log = tmp_path / "audit" / "reads.jsonl"
    with write_app(**auth_settings(jwks), audit_log=log) as client:
        upload_secrets(client)
        assert log.read_text() == ""  # opened at start (checked); writes are not reads
        headers = reader("rh", user="amina")
        found = client.post("/v1/search", headers=headers,
                            json={"question": QUESTION, "k": 4}).json()
        client.post("/v1/ask", headers=headers, json={"question": QUESTION, "stream": True})
        client.get("/v1/documents/rh/salaires.md/text", headers=headers)
        client.get("/v1/documents/finance/budget.md", headers=headers)  # 404: nothing read
        client.post("/v1/chat/completions", headers=KEY, json={
            "model": "ragqa", "messages": [{"role": "user", "content": QUESTION}]})
    entries = lines(log)
    assert [e["route"] for e in entries] == ["/v1/search", "/v1/ask",
                                             "/v1/documents/{doc_id:path}/text",
                                             "/v1/chat/completions"]
    first = entries[0]
    assert first["user"] == "amina" and first["groups"] == ["rh"] and not first["writer"]
    assert first["doc_ids"] == [p["doc_id"] for p in found["passages"]]
    assert datetime.fromisoformat(first["time"]).utcoffset().total_seconds() == 0
    assert entries[2]["doc_ids"] == ["rh/salaires.md"]
    assert entries[3]["user"] == "api-key" and entries[3]["groups"] is None
    text = log.read_text(encoding="utf-8")
    assert "question" not in text and QUESTION not in text
    for passage in found["passages"]:
        assert passage["quote"][:40] not in text


@pytest.mark.parametrize("store", ["files"])
def test_the_question_is_logged_only_when_configured(write_app, jwks, tmp_path):  # noqa: F811
    log = tmp_path / "reads.jsonl"
    with write_app(**auth_settings(jwks), audit_log=log, audit_questions=True) as client:
        client.post("/v1/search", headers=reader("rh"), json={"question": QUESTION})
    assert lines(log)[0]["question"] == QUESTION


@pytest.mark.parametrize("store", ["files"])
def test_without_the_setting_nothing_is_written(write_app, jwks, tmp_path):  # noqa: F811
    with write_app(**auth_settings(jwks)) as client:
        client.post("/v1/search", headers=reader("rh"), json={"question": QUESTION})
        assert getattr(client.app.state, "audit_log", None) is None


def test_an_audit_log_that_cannot_be_opened_fails_the_start_naming_the_setting(tmp_path):
    """It was a warning per request, every read served unaudited; now no app is made (and
    `ragqa serve` exits 2 before the model loads, in tests/service/test_cli.py)."""
    from ragqa.index.errors import ConfigError
    from ragqa.service.app import create_app
    from ragqa.settings import Settings

    (tmp_path / "a-file").write_text("not a folder")
    log = tmp_path / "a-file" / "reads.jsonl"
    with pytest.raises(ConfigError, match=r"^RAGQA_AUDIT_LOG: cannot write the audit log .*a-file"):
        create_app(Settings(audit_log=log, corpus_dir=tmp_path, index_dir=tmp_path / "i"))
