"""kill -9 of a real `ragqa index` process at seeded random moments never breaks the index.

The build is a separate process, killed with SIGKILL: no exception handler, no cleanup.
After every kill the index must load and be either the old or the new generation.
"""

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from index.store import load_index

RAGQA = Path(sys.executable).with_name("ragqa")
TRIALS = 8


def _run(corpus: Path, index_dir: Path, *extra: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAGQA_")}
    env.update(HF_HUB_OFFLINE="1", RAGQA_OFFLINE="1")
    return subprocess.Popen(
        [str(RAGQA), "index", "--corpus", str(corpus), "--index", str(index_dir), *extra],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def test_kill_minus_9_during_builds_leaves_a_consistent_index(small_corpus: Path, tmp_path: Path):
    index_dir = tmp_path / "idx"
    assert _run(small_corpus, index_dir).wait(timeout=300) == 0
    started = time.perf_counter()
    assert _run(small_corpus, index_dir, "--rebuild").wait(timeout=300) == 0
    full_build = time.perf_counter() - started
    rng = random.Random(20261123)
    served = {frozenset(load_index(index_dir).documents)}
    for trial in range(TRIALS):
        # Alternate full rebuilds and incremental updates (a file added each time).
        extra = ("--rebuild",) if trial % 2 == 0 else ()
        new_doc = small_corpus / f"ajout-{trial}.txt"
        new_doc.write_text(f"Ajout {trial}\n\nLe document numéro {trial} parle de fibre.\n", "utf-8")
        proc = _run(small_corpus, index_dir, *extra)
        time.sleep(rng.uniform(0.0, full_build))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        index = load_index(index_dir)  # never raises: old or new generation
        docs = frozenset(index.documents)
        expected_new = frozenset(p.name for p in small_corpus.iterdir())
        assert docs in served or docs == expected_new, (trial, sorted(docs))
        for row in range(len(index.passages)):
            p = index.passages[row]
            assert index.documents[p.doc_id].text[p.start : p.end] == index.quote(row)
        served.add(docs)
    # After all the kills, a normal run completes and serves everything.
    assert _run(small_corpus, index_dir).wait(timeout=300) == 0
    final = load_index(index_dir)
    assert set(final.documents) == {p.name for p in small_corpus.iterdir()}
    assert not [p for p in index_dir.iterdir() if p.name.startswith(".staging")]
