"""`ragqa serve --watch` (RAGQA_WATCH): files added, changed and removed in the corpus folder
are indexed within seconds, through sync jobs (the files store, real model)."""

from __future__ import annotations

import os
import re

import pytest

from ragqa.index.watch import folder_signature
from tests.service.conftest import check_passages
from tests.support import run_ragqa, wait_until

QUESTION = {"question": "Zorglub câble sous-marin Dakhla", "k": 3}


def _top(client) -> str | None:
    passages = client.post("/v1/search", json=QUESTION).json()["passages"]
    return passages[0]["doc_id"] if passages else None


@pytest.mark.parametrize("store", ["files"])
def test_the_folder_is_followed(write_app, store):
    with write_app(watch=True, watch_interval=0.2) as client:
        note = client.corpus / "notes" / "zorglub.txt"
        note.parent.mkdir()
        note.write_text("Zorglub Telecom installe un câble sous-marin entre Dakhla et les "
                        "Canaries.\n", encoding="utf-8")
        wait_until(lambda: client.get("/v1/documents/notes/zorglub.txt").status_code == 200,
                   what="the new file to be indexed", timeout=120)
        assert _top(client) == "notes/zorglub.txt"
        note.write_text("Zorglub Telecom renonce au câble sous-marin de Dakhla.\n",
                        encoding="utf-8")
        wait_until(lambda: "renonce" in client.get("/v1/documents/notes/zorglub.txt/text").text,
                   what="the changed file to be indexed again", timeout=120)
        note.unlink()
        wait_until(lambda: client.get("/v1/documents/notes/zorglub.txt").status_code == 404,
                   what="the removed file to leave the index", timeout=120)
        syncs = [j for j in client.get("/v1/jobs").json()["jobs"] if j["kind"] == "sync"]
        assert syncs and all(j["state"] == "done" for j in syncs)


@pytest.mark.parametrize("store", ["files"])
def test_a_separate_ragqa_index_is_served_without_a_restart(write_app, store, writable):
    """`ragqa index` run beside a server (cron, by hand): the server kept serving what it had
    loaded until a restart. Now it reads CURRENT at most once a second from a request."""
    corpus, index = writable
    with write_app() as client:  # no --watch: the folder is not followed, the index is
        assert _top(client) != "notes/zorglub.txt"
        note = corpus / "notes" / "zorglub.txt"
        note.parent.mkdir()
        note.write_text("Zorglub Telecom installe un câble sous-marin entre Dakhla et les "
                        "Canaries.\n", encoding="utf-8")
        proc = run_ragqa("index", "--corpus", str(corpus), "--index", str(index))
        assert proc.returncode == 0 and "1 added" in proc.stdout, proc.stderr
        wait_until(lambda: _top(client) == "notes/zorglub.txt",
                   what="the other process's index to be served", timeout=60)
        check_passages(client, client.post("/v1/search", json=QUESTION).json())
        written = int(re.search(r"\(generation (\d+)", proc.stdout).group(1))
        assert client.get("/health").json()["generation"] == written


def test_the_signature_sees_what_the_indexer_reads(tmp_path):
    (tmp_path / "a.txt").write_text("a", encoding="utf-8")
    (tmp_path / ".upload-x.txt").write_text("being written", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.md").write_text("b", encoding="utf-8")
    assert {p for p, _, _ in folder_signature(tmp_path)} == {"a.txt", "sub/b.md"}


def test_the_signature_sees_a_broken_link_and_a_fifo(tmp_path):
    """The indexer lists them as refused; the watcher did not notice them (it recorded
    regular files only), so they waited for some other change."""
    (tmp_path / "a.txt").write_text("a", encoding="utf-8")
    before = folder_signature(tmp_path)
    (tmp_path / "gone.md").symlink_to(tmp_path / "nowhere.md")
    with_link = folder_signature(tmp_path)
    assert with_link != before and ("gone.md", -1) in {(p, s) for p, s, _ in with_link}
    os.mkfifo(tmp_path / "pipe.txt")
    assert ("pipe.txt", -1) in {(p, s) for p, s, _ in folder_signature(tmp_path)}
    (tmp_path / "gone.md").unlink()
    (tmp_path / "pipe.txt").unlink()
    assert folder_signature(tmp_path) == before
