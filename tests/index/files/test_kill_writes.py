"""kill -9 of a process writing segments and merging, at seeded random moments: every
acknowledged write is on disk, the index always loads, and serves the old or the new state
of the write in flight, never a mix (the writes of tests/index/files/writer.py)."""

import hashlib
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from ragqa.index.files.generations import load_index

from tests.conftest import ROOT
from tests.support import child_env, wait_until

# 4 in CI (about 40 s); RAGQA_KILL_TRIALS=8 or more for a thorough run.
TRIALS = int(os.environ.get("RAGQA_KILL_TRIALS", "4"))
OPERATIONS = 12


class _Child:
    """The writer process, its output lines collected as they come."""

    def __init__(self, corpus: Path, index: Path, seed: int, operations: int = OPERATIONS
                 ) -> None:
        env = child_env(PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.index.files.writer", str(corpus), str(index),
             str(seed), str(operations)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.split())

    def ready(self) -> bool:
        if self.proc.poll() is not None and ["ready"] not in self.lines:
            raise AssertionError(f"the writer exited with {self.proc.returncode}")
        return ["ready"] in self.lines

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=60)
        self._reader.join(timeout=10)


def _state(corpus: Path, doc: str) -> str | None:
    path = corpus / doc
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def _served(index, doc: str) -> str | None:
    record = index.document(doc)
    return None if record is None else record.content_hash


@pytest.mark.heavy
def test_kill_minus_9_during_writes_and_merges_loses_no_acknowledged_write(
        small_corpus: Path, tmp_path: Path):
    index_dir = tmp_path / "index"
    first = _Child(small_corpus, index_dir, 0)
    wait_until(first.ready, what="the writer ready", timeout=300)
    started = time.monotonic()
    assert first.proc.wait(timeout=300) == 0 and ["done"] in first.lines
    length = time.monotonic() - started  # how long the writes of one run take
    rng = random.Random(20261204)
    outcomes = {"old": 0, "new": 0, "none in flight": 0, "acknowledged": 0, "in a merge": 0}
    for trial in range(1, TRIALS + 1):
        expected = {doc: _state(small_corpus, doc) for doc in (f"notes/note-{i}.txt"
                                                               for i in range(4))}
        child = _Child(small_corpus, index_dir, trial)
        wait_until(child.ready, what="the writer ready", timeout=300)
        time.sleep(rng.uniform(0.0, length))
        child.kill()
        in_flight = None
        for words in child.lines:
            if words[0] == "begin" and words[1] != "merge":
                in_flight = (words[2], expected.get(words[2]),
                             words[3] if words[1] == "upload" else None)
            elif words[0] == "ack" and words[1] != "merge":
                expected[words[2]] = words[3] if words[1] == "upload" else None
                in_flight = None
                outcomes["acknowledged"] += 1
        if child.lines and child.lines[-1][:2] == ["begin", "merge"]:
            outcomes["in a merge"] += 1
        index = load_index(index_dir)  # never raises: a consistent state
        for doc, sha in expected.items():
            if in_flight is None or doc != in_flight[0]:
                assert _served(index, doc) == sha, (trial, doc)  # acknowledged: on disk
        if in_flight is None:
            outcomes["none in flight"] += 1
        else:
            doc, old, new = in_flight
            assert _served(index, doc) in (old, new), (trial, doc)
            outcomes["new" if _served(index, doc) == new != old else "old"] += 1
        for row, record in index.passages_of(index.live_rows()).items():
            text = index.document(record.doc_id).text
            assert text[record.start : record.end] == record.quote, (trial, row)
    print(f"\nkill -9 of writes: {TRIALS} trials, {outcomes} (one run: {length:.1f} s)")
    # A restart indexes what a killed write left in the folder: the index is the folder.
    last = _Child(small_corpus, index_dir, 99, operations=0)
    assert last.proc.wait(timeout=300) == 0
    final = load_index(index_dir)
    files = {p.relative_to(small_corpus).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
             for p in small_corpus.rglob("*") if p.is_file() and not p.name.startswith(".")}
    assert {d: _served(final, d) for d in final.documents} == files
    assert not [p for p in index_dir.iterdir() if p.name.startswith((".staging", ".merging"))]
