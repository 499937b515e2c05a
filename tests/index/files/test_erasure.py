"""Erasure on the files store: a deleted or replaced document's text leaves every file of
the index folder (index/files/erasure.py, the merge it asks for, pointer.write_pointer)."""

from __future__ import annotations

import io
from pathlib import Path

import docx
import pytest
from ragqa.index.config import IndexConfig
from ragqa.index.files.generations import load_index
from ragqa.index.files.merge import MergePolicy
from ragqa.index.files.pointer import read_pointer
from ragqa.index.files.segmented import SegmentedIndex
from ragqa.index.files.store import FilesStore
from ragqa.index.search.retriever import RetrievalParams, Retriever

from tests.index.files.test_segments import NOTE, QUESTIONS, _hits, _passages
from tests.support import build_index, files_holding, wait_until

NAMES = ["Ondrelique Vaszmirov", "06 47 19 83 52", "ondrelique.vaszmirov@exemple.fr"]


def contacts_docx(*rows: tuple[str, str, str]) -> bytes:
    """A real Word contact list: a heading, a table of names, phones and e-mails."""
    document = docx.Document()
    document.add_heading("Liste des contacts du projet fibre", 1)
    document.add_paragraph("Les personnes à joindre pour le déploiement de la fibre optique.")
    table = document.add_table(rows=1, cols=3)
    for cell, text in zip(table.rows[0].cells, ("Nom", "Téléphone", "Courriel")):
        cell.text = text
    for row in rows:
        for cell, text in zip(table.add_row().cells, row):
            cell.text = text
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


CONTACTS = contacts_docx(tuple(NAMES), ("Marie Curie", "01 23 45 67 89", "marie@exemple.fr"))


def _store(corpus: Path, index: Path, minilm, embedder, **policy) -> FilesStore:
    return FilesStore(corpus, index, config=IndexConfig(), model=minilm,
                      identity=embedder.identity, load_embedder=lambda: embedder,
                      merge_policy=MergePolicy(**{"background": False, **policy}))


def _needles(store: FilesStore) -> list[str]:
    """The contact's name, phone and e-mail, and the BM25 terms the index makes of the
    name (terms.npz, bm25/)."""
    return [*NAMES, *(t for t in store.view().analyzer(NAMES[0]) if len(t) > 5)]


def test_a_deleted_upload_leaves_no_file_holding_its_text(copied, minilm, embedder):
    corpus, index = copied
    store = _store(corpus, index, minilm, embedder)
    store.upload("equipe/contacts.docx", CONTACTS)
    needles = _needles(store)
    assert files_holding(index, needles)  # the check sees it while it is indexed
    store.upload("notes/autre.txt", "Autre\n\nUne note écrite après les contacts.\n".encode())
    store.delete("equipe/contacts.docx")
    assert files_holding(index, needles) == []
    # Its segment was dropped; the other upload and the tombstone are served.
    assert len(read_pointer(index).segments) == 2
    assert store.view().document("equipe/contacts.docx") is None
    found = Retriever(store.view(), embedder, RetrievalParams()).search("note écrite", k=3)
    assert found.hits[0].doc_id == "notes/autre.txt"
    again = _store(corpus, index, minilm, embedder)
    assert again.start().up_to_date
    assert set(again.view().documents) == set(store.view().documents)


def test_a_replaced_upload_keeps_only_its_new_text(copied, minilm, embedder):
    corpus, index = copied
    store = _store(corpus, index, minilm, embedder)
    store.upload("equipe/contacts.docx", CONTACTS)
    replaced = store.upload("equipe/contacts.docx", contacts_docx(
        ("Marie Curie", "01 23 45 67 89", "marie@exemple.fr")))
    assert replaced.status == "replaced"
    assert files_holding(index, _needles(store)) == []
    assert "Marie Curie" in store.view().document("equipe/contacts.docx").text
    assert files_holding(index, ["Marie Curie"])
    assert len(read_pointer(index).segments) == 1


def test_a_sync_segment_is_rewritten_without_the_deleted_document(copied, minilm, embedder,
                                                                   tmp_path):
    corpus, index = copied
    store = _store(corpus, index, minilm, embedder)
    (corpus / "contacts.docx").write_bytes(CONTACTS)
    (corpus / "fibre.txt").write_text("Fibre\n\nLa fibre optique arrive à Dakhla en 2025, "
                                      "annonce Maroc Telecom.\n", "utf-8")
    store.sync()  # one segment holding both files
    (synced,) = read_pointer(index).segments
    store.upload("notes/n.txt", "Note\n\nUne note sur le câble de Dakhla.\n".encode())
    needles = _needles(store)
    store.delete("contacts.docx")
    assert files_holding(index, needles) == []
    pointer = read_pointer(index)
    assert synced not in pointer.segments and len(pointer.segments) == 3
    assert pointer.version == store.view().generation
    # The same index as a fresh build of the folder: passages, and rankers to the bit.
    build_index(corpus, tmp_path / "fresh", minilm, embedder)
    fresh = SegmentedIndex.over(load_index(tmp_path / "fresh"))
    assert _passages(store.view()) == _passages(fresh)
    expected = {mode: _hits(store.view(), embedder, mode) for mode in ("bm25", "dense")}
    restarted = load_index(index)
    assert _passages(restarted) == _passages(fresh)
    for mode, hits in expected.items():
        assert _hits(restarted, embedder, mode) == hits
    assert store.merge() is not None
    for mode, hits in expected.items():
        assert _hits(store.view(), embedder, mode) == hits, mode
    assert len(QUESTIONS) > 5


def _served_with_contacts(corpus, index, minilm, embedder):
    """contacts.docx built into the generation and served by a store that merges in the
    background; the store and the strings of the file's text to look for on disk."""
    (corpus / "contacts.docx").write_bytes(CONTACTS)
    build_index(corpus, index, minilm, embedder)
    store = _store(corpus, index, minilm, embedder, background=True)
    store.start(update=False)
    needles = _needles(store)
    assert files_holding(index, needles)
    return store, needles


def test_a_generation_document_deleted_is_erased_by_a_merge_at_once(copied, minilm, embedder):
    corpus, index = copied
    store, needles = _served_with_contacts(corpus, index, minilm, embedder)
    try:
        deleted = store.delete("contacts.docx")
        wait_until(lambda: store.view().generation > deleted.generation,
                   what="the merge a delete asks for", timeout=120)
        assert files_holding(index, needles) == []
        assert read_pointer(index).segments == () and not store.view().dead
        assert [p.name for p in index.iterdir() if p.name.startswith(("gen-", "seg-"))] == [
            read_pointer(index).generation]
    finally:
        store.close()
    again = _store(corpus, index, minilm, embedder)
    assert again.start().up_to_date and "contacts.docx" not in again.view().documents


@pytest.mark.parametrize("by_hand", ["removed", "replaced"])
def test_a_generation_document_removed_by_hand_is_erased_by_the_sync_s_merge(
        copied, minilm, embedder, by_hand):
    # `rm corpus/contacts.docx` (or a new version copied over it), then a sync (the
    # watcher's job, serve's start): the segment retires the file's passages, and the merge
    # a delete asks for erases its text from the generation, at once
    corpus, index = copied
    store, needles = _served_with_contacts(corpus, index, minilm, embedder)
    try:
        if by_hand == "removed":
            (corpus / "contacts.docx").unlink()
        else:
            (corpus / "contacts.docx").write_bytes(contacts_docx(
                ("Marie Curie", "01 23 45 67 89", "marie@exemple.fr")))
        synced = store.sync()
        assert synced.removed if by_hand == "removed" else synced.changed
        wait_until(lambda: store.view().generation > synced.generation,
                   what="the merge the sync asks for", timeout=120)
        assert files_holding(index, needles) == []
        assert read_pointer(index).segments == () and not store.view().dead
    finally:
        store.close()
    if by_hand == "replaced":
        assert "Marie Curie" in store.view().document("contacts.docx").text


def test_a_one_shot_sync_erases_before_it_ends(copied, minilm, embedder):
    # `ragqa index` ends after its sync: the store is settled first, the merge run (a close
    # alone drops a merge still running)
    corpus, index = copied
    (corpus / "contacts.docx").write_bytes(CONTACTS)
    build_index(corpus, index, minilm, embedder)
    store = _store(corpus, index, minilm, embedder, background=True)
    needles = _needles(store)
    (corpus / "contacts.docx").unlink()
    synced = store.sync()
    store.settle()
    store.close()
    assert files_holding(index, needles) == []
    assert read_pointer(index).version > synced.generation
    again = _store(corpus, index, minilm, embedder)
    assert again.start().up_to_date and "contacts.docx" not in again.view().documents


def test_the_next_one_shot_sync_finishes_an_erasure_a_run_left(copied, minilm, embedder):
    # a run that synced the removal but ended before its merge (interrupted; here a store
    # without background merges): the next `ragqa index` has nothing to sync, and still
    # erases
    corpus, index = copied
    (corpus / "contacts.docx").write_bytes(CONTACTS)
    build_index(corpus, index, minilm, embedder)
    store = _store(corpus, index, minilm, embedder)
    needles = _needles(store)
    (corpus / "contacts.docx").unlink()
    store.sync()
    store.close()
    assert files_holding(index, needles) and read_pointer(index).segments
    again = _store(corpus, index, minilm, embedder, background=True)
    assert again.sync().up_to_date
    again.settle()
    again.close()
    assert files_holding(index, needles) == [] and read_pointer(index).segments == ()


def test_a_delete_drops_the_sync_states_lines_of_the_document(copied, minilm, embedder):
    corpus, index = copied
    store = _store(corpus, index, minilm, embedder)
    (corpus / "contacts.docx").write_bytes(contacts_docx(
        ("Marie Curie", "01 23 45 67 89", "marie@exemple.fr")))
    store.sync()
    store.close()  # the sync state saved, its memo holding the file's heading lines
    store = _store(corpus, index, minilm, embedder)
    assert files_holding(index, ["Liste des contacts du projet"])
    store.delete("contacts.docx")
    store.merge()
    assert files_holding(index, ["Liste des contacts du projet"]) == []


def test_a_reader_finding_a_named_folder_gone_reads_current_again(copied, minilm, embedder,
                                                                  monkeypatch):
    """A write removes the folders it replaced as soon as CURRENT names the new state, so a
    reader of another process may read CURRENT, then find a folder it named gone: it reads
    CURRENT again instead of calling the index corrupt; a CURRENT naming a missing folder
    that does not move is still an error."""
    from ragqa.index.errors import IndexCorruptError
    from ragqa.index.files import generations

    corpus, index = copied
    store = _store(corpus, index, minilm, embedder)
    store.upload("notes/zorglub.md", NOTE.encode())
    real = generations.read_pointer
    calls = []

    def racing(index_dir):
        calls.append(index_dir)
        if len(calls) == 1:  # CURRENT read, then a writer replaces it and removes its folders
            store.delete("notes/zorglub.md")
            raise IndexCorruptError("CURRENT names 'seg-000001', which is not a segment folder")
        return real(index_dir)

    monkeypatch.setattr(generations, "read_pointer", racing)
    loaded = load_index(index)
    assert len(calls) == 2 and "notes/zorglub.md" not in loaded.documents
    monkeypatch.setattr(generations, "read_pointer", real)
    (index / "CURRENT").write_text((index / "CURRENT").read_text() + "seg-999999\n")
    with pytest.raises(IndexCorruptError, match="seg-999999"):
        load_index(index)
