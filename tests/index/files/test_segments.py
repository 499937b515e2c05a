"""Writes as segments: one document's cost, read atomically, durable, merged in the
background; a search over segments answers as the merged index does (the real model and
the real corpus, its index copied from the session's)."""

import hashlib
import json
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest
from ragqa.index.config import IndexConfig
from ragqa.index.errors import DocumentError, IndexCorruptError
from ragqa.index.files import merge as merging
from ragqa.index.files.generations import CONTEXT, TERMS, load_index
from ragqa.index.files.merge import MergePolicy
from ragqa.index.files.pointer import CURRENT, read_pointer
from ragqa.index.files.segmented import SegmentedIndex
from ragqa.index.files.store import FilesStore
from ragqa.index.search.fusion import FusionParams, fuse
from ragqa.index.search.retriever import RetrievalParams, Retriever

from tests.conftest import ROOT
from tests.support import build_index, wait_until

QUESTIONS = [json.loads(line)["question"]
             for line in (ROOT / "eval" / "questions.jsonl").read_text("utf-8").splitlines()[:12]]
NOTE = "# Zorglub\n\nZorglub Telecom pose un câble sous-marin entre Dakhla et les Canaries.\n"


def _store(corpus: Path, index: Path, minilm, embedder, **policy) -> FilesStore:
    return FilesStore(corpus, index, config=IndexConfig(), model=minilm,
                      identity=embedder.identity, load_embedder=lambda: embedder,
                      merge_policy=MergePolicy(**{"background": False, **policy}))


def _hits(view, embedder, mode: str) -> list[list[tuple]]:
    retriever = Retriever(view, embedder, RetrievalParams())
    out = []
    for question in QUESTIONS:
        result = retriever.search(question, k=8, mode=mode)
        out.append([(h.doc_id, h.start, h.end, h.score) for h in result.hits]
                   + [round(result.relevance or 0.0, 3)])
    return out


def _keys(view, rows) -> list[tuple[str, int]]:
    records = view.passages_of(rows)
    return [(records[int(r)].doc_id, records[int(r)].start) for r in rows]


def _passages(view) -> set[tuple]:
    return {(r.doc_id, r.start, r.end, r.section)
            for r in view.passages_of(view.live_rows()).values()}


def test_a_write_appends_one_segment_and_a_restart_serves_it(copied, minilm, embedder):
    corpus, index = copied
    store = _store(corpus, index, minilm, embedder)
    before = store.view()
    created = store.upload("notes/zorglub.md", NOTE.encode())
    assert created.status == "created" and created.generation == before.generation + 1
    pointer = read_pointer(index)
    assert pointer.generation == before.path.name and len(pointer.segments) == 1
    segment = index / pointer.segments[0]
    assert sorted(p.name for p in segment.iterdir()) == [
        "dense.faiss", "documents.jsonl", "passages.jsonl", "segment.json",
        "sentence-keys.npy", "sentence-vectors.npy", "terms.npz"]  # MiniLM: no tokens
    assert (segment / "documents.jsonl").stat().st_size < 1000  # the one document, not all
    found = Retriever(store.view(), embedder, RetrievalParams()).search("Zorglub Dakhla", k=3)
    assert found.hits[0].doc_id == "notes/zorglub.md" and "Dakhla" in found.hits[0].quote
    deleted = store.delete("001_d52cea156ab06147.txt")
    assert deleted.generation == created.generation + 1
    assert len(read_pointer(index).segments) == 2
    served = store.view()
    assert served.counts() == (before.counts()[0], before.counts()[1] + 1
                               - len(before.base.doc_rows["001_d52cea156ab06147.txt"]))
    # A restart loads the generation and its segments; the folder is as served: up to date.
    again = _store(corpus, index, minilm, embedder)
    report = again.start()
    assert report.up_to_date and report.generation == deleted.generation
    assert report.documents == served.counts()[0] and report.passages == served.counts()[1]
    loaded = load_index(index)
    assert isinstance(loaded, SegmentedIndex)
    assert set(loaded.documents) == {p.name for p in corpus.iterdir() if p.is_file()} | {
        "notes/zorglub.md"}
    assert loaded.manifest.files["notes/zorglub.md"] == hashlib.sha256(NOTE.encode()).hexdigest()
    assert "001_d52cea156ab06147.txt" not in loaded.manifest.files


def test_search_over_segments_equals_the_merged_index(copied, minilm, embedder):
    corpus, index = copied
    store = _store(corpus, index, minilm, embedder)
    store.upload("notes/zorglub.md", NOTE.encode())
    store.upload("notes/fibre.txt", "Fibre\n\nLa fibre optique arrive à Dakhla en 2025, "
                 "annonce Maroc Telecom.\n".encode())
    # An existing document replaced (its last paragraph dropped), another deleted, a note
    # replaced: passages of the generation and of a segment retired.
    text = (corpus / "001_d52cea156ab06147.txt").read_text("utf-8")
    store.upload("001_d52cea156ab06147.txt", text[: text.rstrip().rfind("\n\n")].encode())
    store.delete("000_53d6d8110b4badda.txt")
    store.upload("notes/zorglub.md", NOTE.replace("Canaries", "Açores").encode())
    segmented = store.view()
    # the first zorglub segment is dropped by its replacement (ragqa.index.files.erasure)
    assert len(segmented.segments) == 4 and segmented.dead > 0
    answers = {mode: _hits(segmented, embedder, mode) for mode in ("bm25", "dense", "hybrid")}
    report = store.merge()
    assert report is not None and report.embedded == 0  # every vector reused
    merged = store.view()
    assert not merged.segments and read_pointer(index).segments == ()
    # The same passages, so the same answers are expected: rows differ, results must not.
    assert _passages(merged) == _passages(segmented)
    for mode, expected in answers.items():  # to the bit: scores, ties and all
        assert _hits(merged, embedder, mode) == expected, mode
    # What the merge built is what `ragqa index` builds from the corpus folder.
    fresh = index.parent / "fresh"
    build_index(corpus, fresh, minilm, embedder)
    assert _passages(SegmentedIndex.over(load_index(fresh))) == _passages(merged)
    # Restricted to some documents, too; and the rankers' whole candidate lists.
    only = ["notes/zorglub.md", "001_d52cea156ab06147.txt"]
    a, b = (Retriever(view, embedder, RetrievalParams()).search("câble Dakhla", k=5, doc_ids=only)
            for view in (segmented, merged))
    assert [(h.doc_id, h.start, h.score) for h in a.hits] == [
        (h.doc_id, h.start, h.score) for h in b.hits]
    for question in QUESTIONS:
        vector = embedder.encode_queries([question])[0]
        for rank in (lambda v, q=question: v.lexical_top(q, 100),
                     lambda v, x=vector: v.dense_top(x, 100)):
            (rows_a, scores_a), (rows_b, scores_b) = rank(segmented), rank(merged)
            np.testing.assert_array_equal(scores_a, scores_b)
            assert _keys(segmented, rows_a) == _keys(merged, rows_b)
    # Fused: equal fused scores (min-max: 0.5) fall in the merged index's order, not by row.
    ties = 0
    for question in QUESTIONS:
        vector = embedder.encode_queries([question])[0]
        fused = []
        for view in (segmented, merged):
            ranked = fuse(view.lexical_top(question, 100), view.dense_top(vector, 100),
                          FusionParams("minmax", 0.5), view.tie_order)
            fused.append(list(zip(_keys(view, [r for r, _ in ranked]),
                                  [score for _, score in ranked])))
        assert fused[0] == fused[1], question
        scores = [score for _, score in fused[0]]
        ties += len(scores) - len(set(scores))
    assert ties  # else this would test nothing
    # And the order itself: every live row of the segments' view, sorted by its tie order,
    # reads as the merged index's rows in their order.
    vector = embedder.encode_queries([QUESTIONS[0]])[0]
    live = segmented.dense_top(vector, 10**6)[0]
    every = np.sort(merged.dense_top(vector, 10**6)[0])
    by_tie = live[np.argsort(segmented.tie_order(live), kind="stable")]
    assert _keys(segmented, by_tie) == _keys(merged, every)
    assert _keys(segmented, np.sort(live)) != _keys(merged, every)  # rows alone would not


def test_a_view_held_by_a_reader_never_changes(copied, minilm, embedder):
    corpus, index = copied
    store = _store(corpus, index, minilm, embedder)
    held = store.view()
    before = _hits(held, embedder, "hybrid")
    store.upload("notes/zorglub.md", NOTE.encode())
    store.delete("002_3fd3ba12ca1ab0c9.txt")
    store.merge()
    assert _hits(held, embedder, "hybrid") == before
    assert held.document("002_3fd3ba12ca1ab0c9.txt") is not None
    assert held.document("notes/zorglub.md") is None
    assert store.view().document("notes/zorglub.md") is not None


def test_a_merge_keeps_the_writes_made_while_it_ran(copied, minilm, embedder, monkeypatch):
    corpus, index = copied
    store = _store(corpus, index, minilm, embedder)
    store.upload("notes/avant.txt", "Avant\n\nUne note écrite avant la fusion.\n".encode())
    prepare = merging.prepare_merge

    def prepare_then_write(*args, **kwargs):
        prepared = prepare(*args, **kwargs)
        # Writes during the merge: a segment after its snapshot, then another one.
        store.upload("notes/pendant.txt", "Pendant\n\nUne note écrite pendant la fusion.\n"
                     .encode())
        store.delete("notes/avant.txt")
        return prepared

    monkeypatch.setattr("ragqa.index.files.store.prepare_merge", prepare_then_write)
    report = store.merge()
    assert report is not None
    pointer = read_pointer(index)
    assert len(pointer.segments) == 2 and pointer.base > pointer.version - 1
    served = store.view()
    assert served.document("notes/pendant.txt") is not None
    assert served.document("notes/avant.txt") is None
    assert served.generation == pointer.version
    reloaded = load_index(index)
    assert set(reloaded.documents) == set(served.documents)
    monkeypatch.undo()
    assert store.merge() is not None and read_pointer(index).segments == ()
    assert set(store.view().documents) == set(served.documents)


def test_a_merge_is_dropped_when_a_write_failed_meanwhile(copied, minilm, embedder,
                                                          monkeypatch):
    corpus, index = copied
    store = _store(corpus, index, minilm, embedder)
    store.upload("notes/zorglub.md", NOTE.encode())
    prepare = merging.prepare_merge

    def prepare_then_fail(*args, **kwargs):
        prepared = prepare(*args, **kwargs)

        def cancel(done: int, total: int) -> None:
            raise KeyboardInterrupt  # a cancelled job: the write fails, the file goes back

        with pytest.raises(KeyboardInterrupt):
            store.upload("notes/annule.txt", "Annulé\n\nUn texte jamais indexé.\n".encode(),
                         progress=cancel)
        return prepared

    monkeypatch.setattr("ragqa.index.files.store.prepare_merge", prepare_then_fail)
    assert store.merge() is None
    assert len(read_pointer(index).segments) == 1
    assert not (corpus / "notes" / "annule.txt").exists()
    assert not [p for p in index.iterdir() if p.name.startswith((".merging", ".staging"))]


def test_a_refused_upload_writes_no_segment(copied, minilm, embedder):
    corpus, index = copied
    store = _store(corpus, index, minilm, embedder)
    with pytest.raises(DocumentError):
        store.upload("vide.txt", b"   \n")
    assert read_pointer(index).segments == ()


def test_background_merges_follow_the_policy(copied, minilm, embedder):
    corpus, index = copied
    store = _store(corpus, index, minilm, embedder, max_segments=3, background=True)
    try:
        for i in range(3):
            store.upload(f"notes/n{i}.txt", f"Note {i}\n\nLa note {i} parle de fibre.\n".encode())
        # CURRENT is written a moment before the store swaps its view: wait for both
        wait_until(lambda: not read_pointer(index).segments and not store.view().segments,
                   what="a background merge", timeout=120)
        assert set(store.view().documents) >= {"notes/n0.txt", "notes/n1.txt", "notes/n2.txt"}
        assert not store.view().segments
    finally:
        store.close()


def test_sync_is_up_to_date_with_segments_or_serves_what_a_fresh_index_holds(
        copied, minilm, embedder, tmp_path):
    corpus, index = copied
    store = _store(corpus, index, minilm, embedder)
    store.upload("notes/zorglub.md", NOTE.encode())
    assert store.sync().up_to_date
    (corpus / "ajout.txt").write_text("Ajout\n\nUn fichier posé à la main.\n", "utf-8")
    report = store.sync()
    assert not report.up_to_date and report.added == ["ajout.txt"]
    assert len(read_pointer(index).segments) == 2  # the change appended as a segment
    build_index(corpus, tmp_path / "fresh", minilm, embedder)
    fresh = SegmentedIndex.over(load_index(tmp_path / "fresh"))
    assert _passages(store.view()) == _passages(fresh)


def test_a_generation_without_segment_data_takes_writes_as_generations(copied, minilm,
                                                                       embedder):
    corpus, index = copied
    gen = index / read_pointer(index).generation
    (gen / TERMS).unlink()  # as written by an older ragqa
    (gen / CONTEXT).unlink()
    store = _store(corpus, index, minilm, embedder)
    written = store.upload("notes/zorglub.md", NOTE.encode())
    pointer = read_pointer(index)
    assert pointer.segments == () and pointer.base == written.generation
    assert (index / pointer.generation / TERMS).is_file()  # the next write is a segment
    store.delete("notes/zorglub.md")
    assert len(read_pointer(index).segments) == 1


@pytest.mark.parametrize("damage", ["missing", "dense.faiss", "terms.npz", "segment.json",
                                    "generation terms.npz"])
def test_a_damaged_segment_stops_the_load_naming_file_and_fix(copied, minilm, embedder,
                                                              damage):
    corpus, index = copied
    _store(corpus, index, minilm, embedder).upload("notes/zorglub.md", NOTE.encode())
    segment = index / read_pointer(index).segments[0]
    if damage == "missing":
        shutil.rmtree(segment)
        target = index / CURRENT
    else:
        folder = index / read_pointer(index).generation if " " in damage else segment
        target = folder / damage.split()[-1]
        target.write_bytes(target.read_bytes()[:40])
    with pytest.raises(IndexCorruptError) as raised:
        load_index(index)
    assert str(target) in str(raised.value) and "ragqa index --rebuild" in str(raised.value)


def test_concurrent_readers_see_old_or_new_while_writes_and_merges_run(copied, minilm,
                                                                       embedder):
    corpus, index = copied
    store = _store(corpus, index, minilm, embedder)
    errors: list[str] = []
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            view = store.view()
            for hit in Retriever(view, embedder, RetrievalParams()).search(
                    "Zorglub câble Dakhla", k=5, mode="bm25").hits:
                doc = view.document(hit.doc_id)
                if doc is None or doc.text[hit.start : hit.end] != hit.quote:
                    errors.append(f"{view.generation}: {hit}")

    readers = [threading.Thread(target=read) for _ in range(2)]
    for thread in readers:
        thread.start()
    try:
        for i in range(4):
            store.upload("notes/zorglub.md", NOTE.replace("Dakhla", f"Dakhla {i}").encode())
        store.merge()
        store.delete("notes/zorglub.md")
    finally:
        stop.set()
        for thread in readers:
            thread.join()
    assert errors == []
