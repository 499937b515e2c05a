"""A process that changes its corpus folder and syncs until it is killed
(tests/index/files/test_sync_segments.py).

``python -m tests.index.files.syncer CORPUS INDEX SEED OPERATIONS``: opens the store as a
server does (its corpus folder's changes indexed first), prints ``ready``, then OPERATIONS
times changes the folder (a note added, replaced or removed), prints ``file STEP DOC SHA``
for every document the folder holds then, ``begin STEP``, syncs, and prints ``ack STEP``.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

from ragqa.index.config import IndexConfig
from ragqa.index.documents.corpus import read_corpus
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
                       merge_policy=MergePolicy(max_segments=4, max_share=10.0,
                                                background=False))
    store.start()
    _say("ready")
    rng = random.Random(seed)
    for step in range(operations):
        doc = corpus / rng.choice(NOTES)
        if doc.is_file() and rng.random() < 0.4:
            doc.unlink()
        else:
            doc.parent.mkdir(parents=True, exist_ok=True)
            doc.write_text(f"Note {seed}-{step}\n\nLa note {seed}-{step} parle de fibre "
                           f"optique à {rng.choice(['Rabat', 'Tanger', 'Dakhla'])}.\n", "utf-8")
        scan = read_corpus(corpus)
        for doc_id, sha in sorted(scan.hashes.items()):
            _say("file", step, doc_id, sha)
        _say("begin", step)
        store.sync()
        _say("ack", step)
    store.close()
    _say("done")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
