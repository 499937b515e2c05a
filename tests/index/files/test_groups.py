"""The files store's groups (``<file>.groups`` sidecars) are loaded before any new view is
served: a document placed by hand with its sidecar is never readable by everyone, whichever
write publishes it (a sync, a background merge, a whole re-index). The real model and
corpus, the session's index copied."""

import shutil
from pathlib import Path

import pytest
from ragqa.index.config import IndexConfig
from ragqa.index.files.generations import CONTEXT, TERMS
from ragqa.index.files.merge import MergePolicy
from ragqa.index.files.pointer import read_pointer
from ragqa.index.files.store import FilesStore

from tests.conftest import CORPUS

SECRET = "# Salaires\n\nLa grille des salaires de Zorglub Telecom, confidentielle.\n"
NOTE = "# Note\n\nUne note ouverte à tous sur les câbles de Zorglub Telecom.\n"


@pytest.fixture
def store(tmp_path: Path, corpus_index: Path, minilm, embedder) -> FilesStore:
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(CORPUS, corpus, ignore=shutil.ignore_patterns("notes"))
    shutil.copytree(corpus_index, index)
    store = FilesStore(corpus, index, config=IndexConfig(), model=minilm,
                       identity=embedder.identity, load_embedder=lambda: embedder,
                       merge_policy=MergePolicy(background=False))
    store.start(update=False)
    assert store.groups.all() == {}  # loaded: what a hand-placed sidecar must not outlive
    return store


def _place_secret(store: FilesStore) -> None:
    path = store.corpus_dir / "rh" / "salaires.md"
    path.parent.mkdir()
    path.write_text(SECRET, encoding="utf-8")
    (path.parent / "salaires.md.groups").write_text("rh\n", encoding="utf-8")


def _watch_publish(store: FilesStore, monkeypatch) -> list[bool]:
    """Whether the served view already held the secret each time the groups were read."""
    seen: list[bool] = []
    reload = store.groups.reload

    def recording() -> None:
        seen.append(store._view is not None and store._view.document("rh/salaires.md")
                    is not None)
        reload()

    monkeypatch.setattr(store.groups, "reload", recording)
    return seen


def _readable_by_nobody(store: FilesStore) -> bool:
    view = store.view()
    return (view.document("rh/salaires.md") is not None
            and "rh/salaires.md" not in store.groups.readable(view, frozenset({"compta"}))
            and "rh/salaires.md" in store.groups.readable(view, frozenset({"rh"})))


def test_a_merge_loads_hand_placed_sidecars_before_serving(store, monkeypatch):
    store.upload("notes/note.md", NOTE.encode())  # a segment: something to merge
    _place_secret(store)
    seen = _watch_publish(store, monkeypatch)
    assert store.merge() is not None
    assert read_pointer(store.index_dir).segments == ()
    assert seen and not any(seen)
    assert _readable_by_nobody(store)


def test_a_sync_loads_sidecars_before_serving_the_new_generation(store, monkeypatch):
    _place_secret(store)
    seen = _watch_publish(store, monkeypatch)
    store.sync()
    assert seen == [False]  # read while the old view was still served
    assert _readable_by_nobody(store)


def test_a_write_that_rebuilds_the_generation_loads_sidecars_first(store, monkeypatch):
    gen = store.index_dir / read_pointer(store.index_dir).generation
    (gen / TERMS).unlink()  # as written by an older ragqa: a write builds a whole generation
    (gen / CONTEXT).unlink()
    store._view = None
    _place_secret(store)
    seen = _watch_publish(store, monkeypatch)
    store.upload("notes/note.md", NOTE.encode())
    assert seen and not any(seen)
    assert _readable_by_nobody(store)


def test_the_writers_only_state_of_a_replacement_reads_back_as_itself(tmp_path):
    """A replacement whose old and new groups share none is the writers' only while it is
    indexed (index/access.py while_replacing): its sidecar must read back so after a crash,
    never as a group a reader could hold."""
    from ragqa.index.access import UNREADABLE
    from ragqa.index.files.groups import SidecarGroups

    (tmp_path / "paie.md").write_text("# Paie\n\nTexte.\n", encoding="utf-8")
    groups = SidecarGroups(tmp_path)
    groups.set("paie.md", UNREADABLE)
    assert groups.of("paie.md") == UNREADABLE
    again = SidecarGroups(tmp_path)  # a restart
    assert again.of("paie.md") == UNREADABLE
