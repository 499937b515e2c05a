"""kill -9 of a real `ragqa index` process at seeded random moments never breaks the index.

The build is a separate process, killed with SIGKILL: no exception handler, no cleanup.
After every kill the index must load and be either the old or the new generation. Half the
trials are full rebuilds, half incremental updates (a file added), each killed at a moment
drawn over the measured length of that kind of run.
"""

import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest
from ragqa.index.files.generations import load_index

from tests.support import RAGQA, child_env

# 8 in CI (about 50 s); RAGQA_KILL_TRIALS=20 or more for a thorough run.
TRIALS = int(os.environ.get("RAGQA_KILL_TRIALS", "8"))


def _run(corpus: Path, index_dir: Path, *extra: str) -> subprocess.Popen:
    env = child_env()  # offline, the small bundled MiniLM: trials sized for its speed
    return subprocess.Popen(
        [*RAGQA, "index", "--corpus", str(corpus), "--index", str(index_dir), *extra],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def _timed(corpus: Path, index_dir: Path, *extra: str) -> float:
    started = time.perf_counter()
    assert _run(corpus, index_dir, *extra).wait(timeout=300) == 0
    return time.perf_counter() - started


@pytest.mark.heavy
def test_kill_minus_9_during_builds_leaves_a_consistent_index(small_corpus: Path, tmp_path: Path):
    index_dir = tmp_path / "idx"
    assert _run(small_corpus, index_dir).wait(timeout=300) == 0
    durations = {"rebuild": _timed(small_corpus, index_dir, "--rebuild")}
    (small_corpus / "mesure.txt").write_text("Mesure\n\nUne mise à jour incrémentale.\n", "utf-8")
    durations["update"] = _timed(small_corpus, index_dir)
    rng = random.Random(20261123)
    served = {frozenset(load_index(index_dir).documents)}
    outcomes = {"old": 0, "new": 0}
    for trial in range(TRIALS):
        # Alternate full rebuilds and incremental updates (a file added each time).
        kind = "rebuild" if trial % 2 == 0 else "update"
        new_doc = small_corpus / f"ajout-{trial}.txt"
        new_doc.write_text(f"Ajout {trial}\n\nLe document numéro {trial} parle de fibre.\n",
                           "utf-8")
        proc = _run(small_corpus, index_dir, *(("--rebuild",) if kind == "rebuild" else ()))
        time.sleep(rng.uniform(0.0, durations[kind]))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        index = load_index(index_dir)  # never raises: old or new generation
        docs = frozenset(index.documents)
        expected_new = frozenset(p.name for p in small_corpus.iterdir())
        assert docs in served or docs == expected_new, (trial, sorted(docs))
        outcomes["new" if docs == expected_new else "old"] += 1
        for row in range(len(index.passages)):
            p = index.passages[row]
            assert index.documents[p.doc_id].text[p.start : p.end] == index.quote(row)
        served.add(docs)
    print(f"\nkill -9: {TRIALS} trials, {outcomes} (durations {durations})")
    # After all the kills, a normal run completes and serves everything.
    assert _run(small_corpus, index_dir).wait(timeout=300) == 0
    final = load_index(index_dir)
    assert set(final.documents) == {p.name for p in small_corpus.iterdir()}
    assert not [p for p in index_dir.iterdir() if p.name.startswith(".staging")]
