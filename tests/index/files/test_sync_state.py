"""What a folder sync knows of the folder, saved beside the index (issue 27, item 5): a
process's first sync reads, loads and cuts only what changed, and serves what a rebuild
serves; a lost or corrupt state costs a whole reading of the folder, never an error."""

import json
import logging
from pathlib import Path

import pytest
from ragqa.index.documents import corpus as corpus_module
from ragqa.index.documents import group_rules
from ragqa.index.documents.folder import RACY_NS, StampCache
from ragqa.index.files import planning, sync
from ragqa.index.files import store as store_module
from ragqa.index.files.generations import load_index
from ragqa.index.files.pointer import read_pointer
from ragqa.index.files.segmented import SegmentedIndex
from ragqa.index.files.sync_state import STATE

from tests.index.files.test_segments import _passages
from tests.index.files.test_sync_segments import CHANGED, _documents, _store
from tests.support import build_index


@pytest.fixture
def counted(monkeypatch) -> dict[str, list]:
    """Files hashed, documents loaded and documents compared with the served ones, with
    a clock far enough ahead that every file written by the test has settled."""
    seen: dict[str, list] = {"hashed": [], "loaded": [], "compared": []}
    hash_bytes, load, served_as = (corpus_module.sha256_bytes, planning.load_document,
                                   sync._served_as)
    later = corpus_module.now_ns() + 30 * RACY_NS
    monkeypatch.setattr(corpus_module, "now_ns", lambda: later)
    monkeypatch.setattr(corpus_module, "sha256_bytes",
                        lambda data: seen["hashed"].append(1) or hash_bytes(data))
    monkeypatch.setattr(planning, "load_document",
                        lambda path, doc_id: seen["loaded"].append(doc_id) or load(path, doc_id))
    monkeypatch.setattr(sync, "_served_as",
                        lambda view, doc_id, *a: seen["compared"].append(doc_id)
                        or served_as(view, doc_id, *a))
    return seen


def _clear(seen: dict[str, list]) -> None:
    for found in seen.values():
        found.clear()


def test_a_restarted_process_syncs_what_changed_and_serves_what_a_rebuild_serves(
        copied, minilm, embedder, counted, tmp_path, monkeypatch):
    corpus, index = copied
    monkeypatch.setattr(store_module, "SAVE_EVERY_S", 3600.0)  # however slow the machine
    files = len(corpus_module.read_corpus(corpus).hashes)
    _clear(counted)
    (corpus / "ajout.txt").write_text("Ajout\n\nUn fichier posé à la main.\n", "utf-8")
    first = _store(corpus, index, minilm, embedder)
    first.sync()  # no state saved yet: the whole folder read and planned once
    assert len(counted["hashed"]) == files + 1 and (index / STATE).is_file()
    first.close()

    _clear(counted)
    text = (corpus / CHANGED).read_text("utf-8")
    (corpus / CHANGED).write_text(text[: text.rstrip().rfind("\n\n")], "utf-8")
    (corpus / "ajout.txt.title").write_text("Un titre posé à la main", "utf-8")
    restarted = _store(corpus, index, minilm, embedder)
    report = restarted.sync()
    assert report.changed == [CHANGED] and not report.up_to_date
    assert len(counted["hashed"]) == 1  # CHANGED: the others' stat did not move
    assert sorted(counted["loaded"]) == sorted([CHANGED, "ajout.txt"])
    assert counted["compared"] == []  # the saved pointer is the one served
    build_index(corpus, tmp_path / "fresh", minilm, embedder)
    fresh = SegmentedIndex.over(load_index(tmp_path / "fresh"))
    assert _passages(restarted.view()) == _passages(fresh)
    assert _documents(restarted.view()) == _documents(fresh)
    assert restarted.view().manifest.titles == fresh.manifest.titles

    # A process started before this one saved (it saves at most every 30 s, and on close;
    # or it was killed): the state it finds is older, and costs the files changed since.
    _clear(counted)
    assert _store(corpus, index, minilm, embedder).sync().up_to_date
    assert len(counted["hashed"]) == 1 and counted["loaded"] == []  # CHANGED read again
    restarted.close()
    _clear(counted)
    again = _store(corpus, index, minilm, embedder)
    assert again.sync().up_to_date
    assert counted == {"hashed": [], "loaded": [], "compared": []}


@pytest.mark.parametrize("damage", ["missing", "corrupt", "truncated", "other settings"])
def test_a_lost_or_corrupt_state_reads_the_whole_folder(copied, minilm, embedder, counted,
                                                       damage, caplog):
    corpus, index = copied
    (corpus / "ajout.txt").write_text("Ajout\n\nUn fichier posé à la main.\n", "utf-8")
    _store(corpus, index, minilm, embedder).sync()
    state = index / STATE
    if damage == "missing":
        state.unlink()
    elif damage == "corrupt":
        state.write_bytes(b"\x00\xff not json")
    elif damage == "truncated":
        state.write_bytes(state.read_bytes()[:-100])
    else:
        record = json.loads(state.read_bytes())
        record["key"] = "0" * 64
        state.write_text(json.dumps(record), "utf-8")
    _clear(counted)
    (corpus / "ajout.txt").write_text("Ajout\n\nUn fichier posé à la main, changé.\n", "utf-8")
    with caplog.at_level(logging.INFO, logger="ragqa.index.files.sync_state"):
        report = _store(corpus, index, minilm, embedder).sync()
    assert report.changed == ["ajout.txt"]
    assert any("reads the whole corpus folder" in r.getMessage() for r in caplog.records)
    hashed, loaded = len(counted["hashed"]), len(counted["loaded"])
    files = len(corpus_module.read_corpus(corpus).hashes)
    assert hashed == files and loaded == files
    assert json.loads(state.read_bytes())["memo"]  # saved again, whole


def test_a_sync_after_uploads_compares_only_the_documents_they_touched(copied, minilm,
                                                                        embedder, counted):
    corpus, index = copied
    store = _store(corpus, index, minilm, embedder)
    (corpus / "ajout.txt").write_text("Ajout\n\nUn fichier posé à la main.\n", "utf-8")
    store.sync()
    store.upload("envoi.txt", "Envoi\n\nUn fichier envoyé par l'API.\n".encode())
    before = len(read_pointer(index).segments)
    _clear(counted)
    (corpus / "ajout.txt").write_text("Ajout\n\nUn fichier posé à la main, changé.\n", "utf-8")
    report = store.sync()
    # one segment more, the first sync's dropped: it held only the old ajout.txt
    assert report.changed == ["ajout.txt"] and len(read_pointer(index).segments) == before
    assert counted["compared"] == ["envoi.txt"]  # the upload: cut as a rebuild cuts it?
    assert counted["loaded"] == ["ajout.txt", "envoi.txt"]


def test_a_groups_sidecar_is_read_again_only_when_its_stat_moved(copied, minilm, embedder,
                                                                 counted, monkeypatch):
    corpus, index = copied
    reads: list[Path] = []
    real = group_rules.read_groups_sidecar
    monkeypatch.setattr(group_rules, "now_ns", corpus_module.now_ns)
    monkeypatch.setattr(group_rules, "read_groups_sidecar",
                        lambda path: reads.append(path) or real(path))
    doc = CHANGED
    (corpus / f"{doc}.groups").write_text("rh\n", "utf-8")
    store = _store(corpus, index, minilm, embedder)
    store.sync()
    assert store.groups.of(doc) == frozenset({"rh"})
    store.sync()
    store.sync()
    assert len(reads) == 1
    (corpus / f"{doc}.groups").write_text("finance\n", "utf-8")
    store.sync()
    assert store.groups.of(doc) == frozenset({"finance"}) and len(reads) == 2
    (corpus / f"{doc}.groups").unlink()
    store.sync()
    assert store.groups.of(doc) == frozenset()


def test_a_state_saved_by_other_code_is_forgotten_not_trusted(copied, minilm, embedder,
                                                              counted, tmp_path, caplog):
    """A cut saved by another ragqa or library version (here: one digest altered by hand,
    under the same key) that a new generation no longer serves: the sync that meets it
    builds from the folder instead of failing, and the saved state is replaced."""
    corpus, index = copied
    (corpus / "ajout.txt").write_text("Ajout\n\nUn fichier posé à la main.\n", "utf-8")
    store = _store(corpus, index, minilm, embedder)
    store.sync()
    store.close()
    state = index / STATE
    record = json.loads(state.read_bytes())
    record["memo"][CHANGED][-1][0] = "0" * 64  # cut otherwise by "older code"
    state.write_text(json.dumps(record), "utf-8")
    _store(corpus, index, minilm, embedder).sync(rebuild=True)  # the state is not read
    (corpus / "ajout.txt").write_text("Ajout\n\nUn fichier posé à la main, changé.\n",
                                      "utf-8")
    with caplog.at_level(logging.WARNING, logger="ragqa.index.files.store"):
        restarted = _store(corpus, index, minilm, embedder)
        report = restarted.sync()  # CHANGED compared with the new generation: not the same
    assert report.changed == ["ajout.txt"]
    assert any("sync state is forgotten" in r.getMessage() for r in caplog.records)
    build_index(corpus, tmp_path / "fresh", minilm, embedder)
    fresh = SegmentedIndex.over(load_index(tmp_path / "fresh"))
    assert _passages(restarted.view()) == _passages(fresh)
    assert "0" * 64 not in state.read_text("utf-8")  # replaced at once
    text = (corpus / CHANGED).read_text("utf-8")
    (corpus / CHANGED).write_text(text + "\n\nUn paragraphe ajouté après coup.\n", "utf-8")
    assert restarted.sync().changed == [CHANGED]  # and syncs go on


def test_a_title_sidecar_that_cannot_be_read_is_not_remembered(tmp_path, monkeypatch):
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "a.txt").write_text("Texte\n\nUn paragraphe.\n", "utf-8")
    (folder / "a.txt.title").write_text("Titre explicite", "utf-8")
    later = corpus_module.now_ns() + 30 * RACY_NS
    monkeypatch.setattr(corpus_module, "now_ns", lambda: later)
    stamps = StampCache()
    real, broken = Path.open, [True]

    def failing(self, *args, **kwargs):
        if self.name.endswith(".title") and broken[0]:
            raise OSError(24, "Too many open files")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", failing)
    assert corpus_module.read_corpus(folder, stamps=stamps).titles == {}  # said in the log
    broken[0] = False  # the sidecar's stat has not moved: it must be read again all the same
    assert corpus_module.read_corpus(folder, stamps=stamps).titles == {"a.txt": "Titre explicite"}


def test_the_key_moves_with_the_code_that_cuts(tmp_path, monkeypatch):
    from ragqa.index.config import IndexConfig
    from ragqa.index.files import sync_state

    key = sync_state.state_key(tmp_path, IndexConfig(), False)
    assert sync_state.state_key(tmp_path, IndexConfig(), False) == key
    real = sync_state.metadata.version
    monkeypatch.setattr(sync_state.metadata, "version",
                        lambda name: "0.0.0" if name == "pypdf" else real(name))
    assert sync_state.state_key(tmp_path, IndexConfig(), False) != key
