"""A server serves what another process writes to its index folder (`ragqa index` beside
it, a second server on the folder) without a restart; a state it cannot serve is refused
once and the served view kept. Two real files stores on one copied index stand for the two
processes (the cross-process case through real `ragqa` processes is in
tests/service/test_cli.py)."""

from __future__ import annotations

import dataclasses
import logging
import time

from ragqa.index.config import IndexConfig
from ragqa.index.files.follow import FOLLOW_EVERY_S
from ragqa.index.files.merge import MergePolicy
from ragqa.index.files.store import FilesStore
from tests.support import wait_until

NOTE = "# Zorglub\n\nZorglub Telecom pose un câble sous-marin entre Dakhla et les Canaries.\n"


def _store(corpus, index, minilm, identity, load_embedder) -> FilesStore:
    return FilesStore(corpus, index, config=IndexConfig(), model=minilm, identity=identity,
                      load_embedder=load_embedder,
                      merge_policy=MergePolicy(background=False))


class _Renamed:
    """The embedder, claiming another identity (as one run with other settings would)."""

    def __init__(self, embedder, identity) -> None:
        self._embedder, self.identity = embedder, identity

    def __getattr__(self, name):
        return getattr(self._embedder, name)


def test_what_another_process_writes_is_served_without_a_restart(copied, minilm, embedder):
    corpus, index = copied
    server = _store(corpus, index, minilm, embedder.identity, lambda: embedder)
    other = _store(corpus, index, minilm, embedder.identity, lambda: embedder)
    held = server.view()
    other.upload("notes/zorglub.md", NOTE.encode())  # the other process's write
    assert server.view() is held  # the request that notices keeps the served view
    wait_until(lambda: "notes/zorglub.md" in server.view().documents,
               what="the other process's upload to be served", timeout=30)
    fresh = server.view()
    assert fresh.pointer == other.view().pointer and fresh.generation == held.generation + 1
    assert "notes/zorglub.md" not in held.documents  # a view a request holds never changes
    # its own write then builds on that state (and is not read back as another's)
    server.delete("notes/zorglub.md")
    time.sleep(FOLLOW_EVERY_S * 1.5)
    served = server.view()
    server._follower.wait(30)
    assert server.view() is served and "notes/zorglub.md" not in served.documents
    wait_until(lambda: "notes/zorglub.md" not in other.view().documents,
               what="the delete to reach the other store", timeout=30)


def test_a_state_made_with_another_model_is_not_served(small_corpus, tmp_path, minilm,
                                                       embedder, caplog):
    corpus, index = small_corpus, tmp_path / "index"
    server = _store(corpus, index, minilm, embedder.identity, lambda: embedder)
    server.start()
    held = server.view()
    other_identity = dataclasses.replace(embedder.identity, query_prefix="query: ")
    other = _store(corpus, index, minilm, other_identity,
                   lambda: _Renamed(embedder, other_identity))
    (corpus / "zorglub.md").write_text(NOTE, encoding="utf-8")

    def refusals() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.name == "ragqa.index.files.follow"]

    with caplog.at_level(logging.ERROR, logger="ragqa.index.files.follow"):
        other.sync(rebuild=True)  # `ragqa index --rebuild` with other settings
        # requests go on meanwhile (a request is what reads CURRENT), served the old view
        wait_until(lambda: server.view() is held and refusals(),
                   what="the refusal to be logged", timeout=30)
        for _ in range(3):  # refused once, not again at every interval
            time.sleep(FOLLOW_EVERY_S * 1.2)
            assert server.view() is held
        server._follower.wait(30)
    assert len(refusals()) == 1 and "query prefix" in refusals()[0], refusals()
    assert "zorglub.md" not in server.view().documents


def test_a_followed_state_never_opens_a_document_whose_file_went(small_corpus, tmp_path,
                                                                  minilm, embedder):
    """Found by review: the folder had lost a restricted document and its sidecar (by hand,
    no sync yet) while the index still held it; another process's unrelated upload made
    the follower reload the sidecars, and the document became every reader's."""
    from ragqa.index.access import may_read

    corpus, index = small_corpus, tmp_path / "index"
    (corpus / "secret.md").write_text("# Salaires\n\nLe salaire du directeur.\n", "utf-8")
    (corpus / "secret.md.groups").write_text("rh\n", encoding="utf-8")
    writer = _store(corpus, index, minilm, embedder.identity, lambda: embedder)
    writer.start()
    server = _store(corpus, index, minilm, embedder.identity, lambda: embedder)
    held = server.view()
    assert server.groups.of("secret.md") == {"rh"}
    (corpus / "secret.md").unlink()
    (corpus / "secret.md.groups").unlink()
    writer.upload("autre.md", NOTE.encode())
    wait_until(lambda: "autre.md" in server.view().documents,
               what="the other process's upload to be served", timeout=30)
    assert "secret.md" in server.view().documents and server.view() is not held
    assert not may_read(server.groups.of("secret.md"), frozenset({"compta"}))


def test_a_group_change_made_through_another_server_is_seen(small_corpus, tmp_path, minilm,
                                                             embedder):
    """Found by review: a PUT of groups on one server wrote only the sidecar, and another
    server on the same folder kept serving the document to every reader."""
    from ragqa.index.access import may_read

    corpus, index = small_corpus, tmp_path / "index"
    a = _store(corpus, index, minilm, embedder.identity, lambda: embedder)
    a.start()
    b = _store(corpus, index, minilm, embedder.identity, lambda: embedder)
    b.start()
    compta = frozenset({"compta"})
    assert may_read(b.groups.of("orange.md"), compta)
    a.groups.set("orange.md", frozenset({"rh"}))  # PUT /v1/documents/orange.md/groups on A
    wait_until(lambda: (b.view(), not may_read(b.groups.of("orange.md"), compta))[1],
               what="the other server's PUT to be seen", timeout=30)
    a.groups.set("orange.md", frozenset())  # and opened again
    wait_until(lambda: (b.view(), may_read(b.groups.of("orange.md"), compta))[1],
               what="the reopening to be seen", timeout=30)
    assert a.sync().up_to_date  # the marker is no document: nothing to index
