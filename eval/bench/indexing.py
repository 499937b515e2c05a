"""Index build speed (full and no-change) and retrieval quality of a built index."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from ragqa.eval.questions import Question
from ragqa.eval.runner import run_questions, summarise
from ragqa.index.embedding.embedder import Embedder
from ragqa.index.embedding.models import ResolvedModel
from ragqa.index.files.generations import load_index


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def build_speed(settings, model: ResolvedModel, embedder: Embedder, corpus_dir: Path,
                index_dir: Path) -> dict:
    """A full build of ``corpus_dir`` (every passage embedded), then a no-change re-index.

    ``passages_per_s`` counts the whole build (reading, chunking, embedding, BM25, FAISS,
    writing), so its ratio to the raw passage rate is what the pipeline costs on top.
    """
    from ragqa import wiring

    settings = settings.model_copy(update={"corpus_dir": corpus_dir, "index_dir": index_dir})
    full = wiring.index_corpus(settings, model, embedder=embedder, rebuild=True)
    started = time.perf_counter()
    again = wiring.index_corpus(settings, model, embedder=embedder)
    noop = time.perf_counter() - started
    loaded = load_index(index_dir)
    size = folder_bytes(loaded.path)
    dense = (loaded.path / "dense.faiss").stat().st_size
    return {
        "documents": full.documents,
        "passages": full.passages,
        "full_build_s": round(full.seconds, 2),
        "passages_per_s": round(full.passages / full.seconds, 2) if full.seconds else 0.0,
        "noop_reindex_s": round(noop, 3),
        "noop_up_to_date": bool(again.up_to_date),
        "index_bytes": size,
        "index_bytes_per_passage": round(size / max(1, full.passages)),
        "dense_bytes_per_passage": round(dense / max(1, full.passages)),
        "dense_index": loaded.manifest.dense.get("type"),
    }


def quality(settings, model: ResolvedModel, embedder: Embedder, index_dir: Path,
            questions: Sequence[Question], modes: Sequence[str] = ("dense", "hybrid")) -> dict:
    """recall@5/@10 and MRR@10 of ``modes`` on ``questions``, searching ``index_dir`` with
    ``embedder`` through the service's own retriever (the ``ragqa eval`` numbers)."""
    from ragqa import wiring

    settings = settings.model_copy(update={"index_dir": index_dir})
    eng = wiring.start(settings, update=False, model=model, embedder=embedder).engine
    metrics = summarise(run_questions(eng.retriever, questions, list(modes), 10), 10)
    return {
        f"{mode}.{name}": metrics[f"{mode}.{name}"]
        for mode in modes for name in ("recall@5", "recall@10", "mrr@10")
    }
