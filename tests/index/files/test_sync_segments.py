"""A folder sync that costs what changed (issue 27, item 5): the corpus folder's changes
appended as one segment, serving what a rebuild of the folder serves, embedding only the
changed files' new passages; ``--rebuild``, large changes and older generations build a
generation; a kill -9 during a sync leaves the old state served (the real corpus and its
index, copied from the session's)."""

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from ragqa.index.config import IndexConfig
from ragqa.index.documents.corpus import read_corpus
from ragqa.index.files import planning
from ragqa.index.files.builder import plan_corpus
from ragqa.index.files.generations import CONTEXT, TERMS, load_index
from ragqa.index.files.merge import MergePolicy
from ragqa.index.files.planning import Cut, PlanMemo, cut_digest
from ragqa.index.files.pointer import read_pointer
from ragqa.index.files.segmented import SegmentedIndex
from ragqa.index.files.store import FilesStore
from ragqa.index.records import BuildReport
from ragqa.index.search.retriever import RetrievalParams, Retriever

from tests.conftest import ROOT
from tests.index.files.test_segments import QUESTIONS, _hits, _passages
from tests.support import build_index, child_env, wait_until

CHANGED = "001_d52cea156ab06147.txt"
REMOVED = "000_53d6d8110b4badda.txt"


class CountingEmbedder:
    """The session's embedder, counting the passages it embeds."""

    def __init__(self, embedder) -> None:
        self._embedder = embedder
        self.identity, self.dimension = embedder.identity, embedder.dimension
        self.embedded: list[str] = []

    def encode_passages(self, texts, **kwargs):
        self.embedded += list(texts)
        return self._embedder.encode_passages(texts, **kwargs)

    def passage_token_vectors(self, texts):  # the token vectors' own pass, not counted
        return self._embedder.passage_token_vectors(texts)


def _store(corpus: Path, index: Path, minilm, embedder, **policy) -> FilesStore:
    return FilesStore(corpus, index, config=IndexConfig(), model=minilm,
                      identity=embedder.identity, load_embedder=lambda: embedder,
                      merge_policy=MergePolicy(**{"background": False, **policy}))


def _change_the_folder(corpus: Path) -> None:
    """A file added, one changed, one removed, a title sidecar set, a file that is refused."""
    (corpus / "ajout.txt").write_text(
        "Zorglub Telecom\n\nZorglub Telecom pose un câble sous-marin entre Dakhla et les "
        "Canaries.\n\nLe câble fera 1 400 kilomètres.\n", "utf-8")
    text = (corpus / CHANGED).read_text("utf-8")
    (corpus / CHANGED).write_text(text[: text.rstrip().rfind("\n\n")], "utf-8")
    (corpus / REMOVED).unlink()
    titled = min(p.name for p in corpus.glob("00[2-9]_*.txt"))
    (corpus / f"{titled}.title").write_text("Un titre posé à la main", "utf-8")
    (corpus / "vide.txt").write_bytes(b"")


def _documents(view) -> dict:
    return {d: (r.title, r.content_hash, tuple(r.sections), r.passages, r.text)
            for d, r in view.documents_by_id().items()}


def test_a_sync_appends_the_changes_as_one_segment_that_serves_what_a_rebuild_serves(
        copied, minilm, embedder, tmp_path):
    corpus, index = copied
    counting = CountingEmbedder(embedder)
    store = _store(corpus, index, minilm, counting)
    before = store.view()
    old_keys = set(before.base.vector_keys)
    _change_the_folder(corpus)
    report = store.sync()
    assert not report.up_to_date and not report.rebuilt
    assert report.added == ["ajout.txt"] and report.changed == [CHANGED]
    assert report.removed == [REMOVED] and "vide.txt" in report.refused
    # A segment appended after the same generation, holding the changed documents only.
    pointer = read_pointer(index)
    assert pointer.generation == before.path.name and len(pointer.segments) == 1
    segment = store.view().segments[0]
    titled = min(p.name for p in corpus.glob("00[2-9]_*.txt"))
    assert set(segment.documents) <= {"ajout.txt", CHANGED, titled}
    assert {"ajout.txt", CHANGED, titled} <= set(segment.changes)
    assert segment.changes[REMOVED].sha256 is None and segment.changes["vide.txt"].refused
    assert report.generation == store.view().generation == before.generation + 1

    # What a rebuild of the same folder serves: documents, passages, offsets, scores.
    build_index(corpus, tmp_path / "fresh", minilm, embedder)
    fresh = SegmentedIndex.over(load_index(tmp_path / "fresh"))
    served = store.view()
    assert _passages(served) == _passages(fresh)
    assert _documents(served) == _documents(fresh)
    assert served.refused() == fresh.refused()
    assert served.manifest.files == fresh.manifest.files
    assert served.manifest.titles == fresh.manifest.titles
    for mode in ("bm25", "dense", "hybrid"):  # to the bit: scores, ties and all
        assert _hits(served, embedder, mode) == _hits(fresh, embedder, mode), mode
    assert (report.documents, report.passages) == fresh.counts()

    # Only the changed files' new passages were embedded.
    new_keys = {k for d in ("ajout.txt", CHANGED, titled) for k in fresh.indexed(d)[1]}
    assert report.embedded == len(new_keys - old_keys) > 0
    assert len(counting.embedded) == report.embedded + report.sentences_embedded  # and the
    assert report.sentences_embedded > 0  # sentences the index did not hold yet
    # The folder is now what is served: up to date, here and after a restart.
    assert store.sync().up_to_date
    again = _store(corpus, index, minilm, embedder)
    assert again.start().up_to_date
    assert _passages(again.view()) == _passages(fresh)


FOOTER = "Suivez toute l'actualité de la commune sur ses réseaux sociaux."


def _page(title: str, sections: list[str], footer_every: bool) -> str:
    parts = [f"# {title}"]
    for i, body in enumerate(sections):
        parts.append(f"## {title}, partie {i + 1}\n\n{body}")
        if footer_every or i == 0:
            parts.append(FOOTER)
    return "\n\n".join(parts) + "\n"


def test_a_file_that_moves_the_corpus_context_re_cuts_the_documents_it_touches(
        tmp_path, minilm, embedder):
    """A new page repeating a line in three sections makes it boilerplate everywhere: the
    pages that held it once are cut again too, as a rebuild cuts them; removed, they come
    back as they were, their vectors reused from the retired rows."""
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    for name, words in (("a", "La fibre optique arrive à Rabat en 2025."),
                        ("b", "Le port de Tanger Med agrandit ses quais.")):
        (corpus / f"{name}.md").write_text(_page(name.upper(), [words, words.upper()], False),
                                           "utf-8")
    build_index(corpus, index, minilm, embedder)
    counting = CountingEmbedder(embedder)
    # a tiny corpus: any change is a tenth of it, which the default policy rebuilds
    store = _store(corpus, index, minilm, counting, max_share=10.0)
    before = _passages(store.view())
    (corpus / "c.md").write_text(_page("C", ["Le marché ouvre le samedi.", "La piscine ferme.",
                                             "La gare est rénovée."], True), "utf-8")
    report = store.sync()
    segment = store.view().segments[-1]
    assert set(segment.changes) == {"a.md", "b.md", "c.md"}  # a and b cut again
    assert report.added == ["c.md"] and report.changed == []
    build_index(corpus, tmp_path / "fresh", minilm, embedder)
    fresh = SegmentedIndex.over(load_index(tmp_path / "fresh"))
    assert _passages(store.view()) == _passages(fresh) != before
    assert _documents(store.view()) == _documents(fresh)
    assert FOOTER not in " ".join(r.quote for r in store.view().passages_of(
        store.view().live_rows()).values())
    (corpus / "c.md").unlink()
    counting.embedded.clear()
    report = store.sync()
    assert report.removed == ["c.md"] and report.embedded == 0 and not counting.embedded
    assert _passages(store.view()) == before


def test_a_second_sync_loads_only_the_file_that_changed(copied, minilm, embedder,
                                                        monkeypatch):
    corpus, index = copied
    store = _store(corpus, index, minilm, embedder)
    (corpus / "ajout.txt").write_text("Ajout\n\nUn fichier posé à la main.\n", "utf-8")
    store.sync()  # the first sync of a process plans the whole folder
    loads: list[str] = []
    load = planning.load_document

    def counted(path, doc_id):
        loads.append(doc_id)
        return load(path, doc_id)

    monkeypatch.setattr(planning, "load_document", counted)
    (corpus / "ajout.txt").write_text("Ajout\n\nUn fichier posé à la main, puis changé.\n",
                                      "utf-8")
    report = store.sync()
    assert report.changed == ["ajout.txt"] and report.embedded == 1
    assert loads == ["ajout.txt"]
    # the second segment changes the only document of the first: it is dropped
    # (ragqa.index.files.erasure), the old text with it
    assert len(read_pointer(index).segments) == 1


def test_the_memo_plans_what_a_rebuild_plans(copied, embedder):
    corpus, _ = copied
    _change_the_folder(corpus)
    config = IndexConfig()
    scan = read_corpus(corpus, config.max_document_bytes)
    memo = PlanMemo(config, contextual=embedder.identity.embed_context)
    for attempt in range(2):  # from nothing, then from the memo
        got = memo.plan(corpus, scan)
        want = plan_corpus(corpus, scan, config, embedder.identity, False, None,
                           BuildReport())
        assert got.context == want.context
        assert got.files == want.files and got.titles == want.titles
        assert got.refused == want.refused
        assert got.cuts == _cuts(want)
        assert list(got.cuts) == [d.doc_id for d in want.documents]
        assert got.loaded == (len(want.documents) if attempt == 0 else 0)
    # and from a memo saved and loaded again (a restarted process)
    saved = PlanMemo(config, contextual=embedder.identity.embed_context)
    saved.load_json(json.loads(json.dumps(memo.to_json())))
    again = saved.plan(corpus, scan)
    assert again.cuts == _cuts(want) and again.context == want.context and again.loaded == 0


def _cuts(plan) -> dict[str, Cut]:
    """A rebuild's plan, document by document, as the memo's cuts."""
    passages: dict[str, list] = {d.doc_id: [] for d in plan.documents}
    keys: dict[str, list] = {d.doc_id: [] for d in plan.documents}
    for passage, key in zip(plan.passages, plan.keys):
        passages[passage.doc_id].append(passage)
        keys[passage.doc_id].append(key)
    return {d.doc_id: Cut(cut_digest(d.title, plan.sections[d.doc_id], d.pages,
                                     passages[d.doc_id], keys[d.doc_id]),
                          len(passages[d.doc_id]))
            for d in plan.documents}


def test_a_refused_file_is_recorded_once(copied, minilm, embedder):
    corpus, index = copied
    store = _store(corpus, index, minilm, embedder)
    (corpus / "vide.txt").write_bytes(b"")
    report = store.sync()
    assert "vide.txt" in report.refused and len(read_pointer(index).segments) == 1
    assert "vide.txt" in store.view().refused()
    assert store.sync().up_to_date  # no segment at every sync for a refused file
    (corpus / "vide.txt").unlink()
    report = store.sync()
    assert report.refused == {} and "vide.txt" not in store.view().refused()
    assert store.sync().up_to_date


def test_a_server_whose_folder_another_process_synced_serves_that_state(copied, minilm,
                                                                        embedder):
    """``ragqa serve`` serving, ``ragqa index`` (another store on the same folders) syncs a
    new file: the server's next sync finds the folder up to date and serves that state."""
    corpus, index = copied
    serving, other = _store(corpus, index, minilm, embedder), _store(corpus, index, minilm,
                                                                     embedder)
    before = serving.view().generation
    (corpus / "ajout.txt").write_text("Zorglub Telecom pose un câble entre Dakhla et les "
                                      "Canaries.\n", "utf-8")
    assert not other.sync().up_to_date
    report = serving.sync()
    assert report.up_to_date
    assert "ajout.txt" in serving.view().documents_by_id()
    assert serving.view().generation == report.generation > before


def test_rebuild_large_changes_and_older_generations_build_a_generation(copied, minilm,
                                                                         embedder):
    corpus, index = copied
    store = _store(corpus, index, minilm, embedder)
    (corpus / "ajout.txt").write_text("Ajout\n\nUn fichier posé à la main.\n", "utf-8")
    report = store.sync(rebuild=True)
    assert report.rebuilt and read_pointer(index).segments == ()
    # A change the merge policy would merge at once: the generation it would build, now.
    large = _store(corpus, index, minilm, embedder, max_share=0.0001)
    large.view()
    (corpus / "ajout.txt").write_text("Ajout\n\nChangé.\n", "utf-8")
    assert large.sync().changed == ["ajout.txt"]
    assert read_pointer(index).segments == ()
    # A generation of an older ragqa (no term statistics, no context): a generation.
    gen = index / read_pointer(index).generation
    (gen / TERMS).unlink()
    (gen / CONTEXT).unlink()
    older = _store(corpus, index, minilm, embedder)
    (corpus / "ajout.txt").unlink()
    assert older.sync().removed == ["ajout.txt"]
    assert read_pointer(index).segments == ()
    assert (index / read_pointer(index).generation / TERMS).is_file()
    retriever = Retriever(older.view(), embedder, RetrievalParams())
    assert retriever.search(QUESTIONS[0], k=3).hits


# -- kill -9 ----------------------------------------------------------------------------------

TRIALS = int(os.environ.get("RAGQA_KILL_TRIALS", "4"))


class _Syncer:
    """tests/index/files/syncer.py in a process of its own, its lines collected."""

    def __init__(self, corpus: Path, index: Path, seed: int, operations: int) -> None:
        env = child_env(PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.index.files.syncer", str(corpus), str(index),
             str(seed), str(operations)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.lines: list[list[str]] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.split())

    def ready(self) -> bool:
        if self.proc.poll() is not None and ["ready"] not in self.lines:
            raise AssertionError(f"the syncer exited with {self.proc.returncode}")
        return ["ready"] in self.lines

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=60)
        self._reader.join(timeout=10)


def _served(index) -> dict[str, str]:
    return {d: r.content_hash for d, r in index.documents_by_id().items()}


@pytest.mark.heavy
def test_kill_minus_9_during_a_sync_leaves_the_old_state_or_the_new(small_corpus: Path,
                                                                     tmp_path: Path):
    index_dir = tmp_path / "index"
    first = _Syncer(small_corpus, index_dir, 0, 6)
    wait_until(first.ready, what="the syncer ready", timeout=300)
    started = time.monotonic()
    assert first.proc.wait(timeout=300) == 0 and ["done"] in first.lines
    length = time.monotonic() - started
    rng = random.Random(20261205)
    outcomes = {"old": 0, "new": 0, "none in flight": 0}
    for trial in range(1, TRIALS + 1):
        old = _served(load_index(index_dir))
        child = _Syncer(small_corpus, index_dir, trial, 6)
        wait_until(child.ready, what="the syncer ready", timeout=300)
        old = _served(load_index(index_dir))  # its start synced what the last one left
        time.sleep(rng.uniform(0.0, length))
        child.kill()
        acknowledged = [w for w in child.lines if w[0] in ("begin", "ack")]
        served = _served(load_index(index_dir))  # never raises: a consistent state
        states = [old]
        for words in acknowledged:
            if words[0] == "ack":
                states = [_folder_state(child.lines, words[1])]
            else:
                states = [states[-1], _folder_state(child.lines, words[1])]
        assert served in states, trial
        if len(states) == 1:
            outcomes["none in flight"] += 1
        else:
            outcomes["new" if served == states[1] != states[0] else "old"] += 1
        index = load_index(index_dir)
        for record in index.passages_of(index.live_rows()).values():
            assert index.document(record.doc_id).text[record.start : record.end] == record.quote
    print(f"\nkill -9 of syncs: {TRIALS} trials, {outcomes} (one run: {length:.1f} s)")
    last = _Syncer(small_corpus, index_dir, 99, 0)
    assert last.proc.wait(timeout=300) == 0
    assert not [p for p in index_dir.iterdir() if p.name.startswith(".staging")]


def _folder_state(lines: list[list[str]], step: str) -> dict[str, str]:
    """The folder's documents as the syncer printed them before sync ``step``."""
    return {words[2]: words[3] for words in lines if words[:2] == ["file", step]}


def test_copies_of_one_file_keep_their_title(tmp_path, embedder):
    """Site chrome is a preamble line shared by several documents: copies of one file (the
    same bytes under several names, a report filed in three folders) count once, so its
    title line is not taken for chrome, by a rebuild's plan and the memo's alike. Before,
    the three copies were titled by their first body line."""
    corpus = tmp_path / "corpus"
    report = ("Rapport sur les congés\n\nLe présent rapport fait le point sur les congés "
              "payés de l'année écoulée dans les services.\n")
    for folder in ("rh", "archives", "direction"):
        (corpus / folder).mkdir(parents=True)
        (corpus / folder / "rapport.txt").write_text(report, encoding="utf-8")
    (corpus / "note.txt").write_text("Note de service\n\nLa cantine ferme en août.\n",
                                     encoding="utf-8")
    config = IndexConfig()
    scan = read_corpus(corpus, config.max_document_bytes)
    memo = PlanMemo(config, contextual=embedder.identity.embed_context)
    got = memo.plan(corpus, scan)
    want = plan_corpus(corpus, scan, config, embedder.identity, False, None, BuildReport())
    titles = {d.doc_id: d.title for d in want.documents}
    assert titles["rh/rapport.txt"] == titles["archives/rapport.txt"] == "Rapport sur les congés"
    assert got.titles == want.titles and got.context == want.context
    assert got.cuts == _cuts(want)
