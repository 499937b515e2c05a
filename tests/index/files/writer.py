"""A process that writes to a files store until it is killed (tests/index/files/test_kill_writes.py).

``python -m tests.index.files.writer CORPUS INDEX SEED OPERATIONS``: opens the store as a
server does (its corpus folder's changes indexed first), prints ``ready``, then makes
OPERATIONS seeded writes (uploads, replacements and deletes of a few notes, and merges;
background merges too, after every three segments), printing ``begin OP DOC SHA`` before
each and ``ack OP DOC SHA`` once it returned: what an acknowledged write is.
"""

from __future__ import annotations

import hashlib
import random
import sys
from pathlib import Path

from ragqa.index.config import IndexConfig
from ragqa.index.embedding.embedder import Embedder
from ragqa.index.embedding.models import ResolvedModel, fallback_model_path
from ragqa.index.files.merge import MergePolicy
from ragqa.index.files.store import FilesStore

NOTES = [f"notes/note-{i}.txt" for i in range(4)]


def _say(*words: object) -> None:
    print(*words, flush=True)


def main(corpus: Path, index: Path, seed: int, operations: int) -> None:
    path = fallback_model_path()
    assert path is not None
    model = ResolvedModel(str(path), "sentence-transformers/all-MiniLM-L6-v2", path, False)
    embedder = Embedder(model)
    store = FilesStore(corpus, index, config=IndexConfig(), model=model,
                       identity=embedder.identity, load_embedder=lambda: embedder,
                       merge_policy=MergePolicy(max_segments=3))
    store.start()
    _say("ready")
    rng = random.Random(seed)
    for i in range(operations):
        doc = rng.choice(NOTES)
        exists = (corpus / doc).is_file()
        if i % 5 == 4:
            _say("begin merge - -")
            store.merge()
            _say("ack merge - -")
            continue
        if exists and rng.random() < 0.4:
            _say("begin delete", doc, "-")
            store.delete(doc)
            _say("ack delete", doc, "-")
            continue
        text = (f"Note {seed}-{i}\n\nLa note {seed}-{i} parle de fibre optique à "
                f"{rng.choice(['Rabat', 'Tanger', 'Dakhla', 'Oujda'])}.\n")
        sha = hashlib.sha256(text.encode()).hexdigest()
        _say("begin upload", doc, sha)
        store.upload(doc, text.encode())
        _say("ack upload", doc, sha)
    store.close()
    _say("done")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
