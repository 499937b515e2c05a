"""Running a question set through the service's own :class:`~index.search.Retriever`."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from eval.metrics import first_hit_rank, is_hit, mrr_at, ndcg_at, percentile, recall_at
from eval.questions import Question
from index.search import Retriever


@dataclass
class ModeRun:
    """Per-question outcomes of one retrieval mode."""

    ranks: list[int | None] = field(default_factory=list)
    relevance: list[list[bool]] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    latency_ms: list[float] = field(default_factory=list)


def run_questions(
    retriever: Retriever, questions: Sequence[Question], modes: Sequence[str], k: int = 10
) -> dict[str, ModeRun]:
    """Search every answerable question in every mode, recording ranks and latency.

    The query is embedded once per question; its encode time is added to the latency of
    the modes that use it, so each latency is what a user of that mode would wait.
    """
    runs = {mode: ModeRun() for mode in modes}
    needs_vector = any(mode != "bm25" for mode in modes)
    for q in questions:
        if not q.answerable:
            continue
        encode_ms, vector = 0.0, None
        if needs_vector and retriever.embedder is not None:
            started = time.perf_counter()
            vector = retriever.embedder.encode_queries([q.question])[0]
            encode_ms = (time.perf_counter() - started) * 1000
        for mode in modes:
            started = time.perf_counter()
            hits = retriever.search(q.question, k, mode=mode, query_vector=vector).hits
            elapsed = (time.perf_counter() - started) * 1000
            relevance = [is_hit(h.doc_id, h.start, h.end, q.doc or "", q.spans) for h in hits]
            run = runs[mode]
            run.ranks.append(first_hit_rank(relevance))
            run.relevance.append(relevance)
            run.kinds.append(q.kind)
            run.latency_ms.append(elapsed + (encode_ms if mode != "bm25" else 0.0))
    return runs


def summarise(runs: dict[str, ModeRun], k: int = 10) -> dict[str, float]:
    """One flat dict: ``"hybrid.recall@5"``, ``"bm25.paraphrase.mrr@10"``, latencies…"""
    out: dict[str, float] = {}
    for mode, run in runs.items():
        out[f"{mode}.questions"] = len(run.ranks)
        out.update(_block(f"{mode}.", run.ranks, run.relevance, k))
        out[f"{mode}.latency_p50_ms"] = round(percentile(run.latency_ms, 50), 2)
        out[f"{mode}.latency_p95_ms"] = round(percentile(run.latency_ms, 95), 2)
        by_kind: dict[str, list[int]] = defaultdict(list)
        for i, kind in enumerate(run.kinds):
            by_kind[kind].append(i)
        for kind, rows in sorted(by_kind.items()):
            out.update(
                _block(f"{mode}.{kind}.", [run.ranks[i] for i in rows],
                       [run.relevance[i] for i in rows], k)
            )
    return out


def _block(prefix: str, ranks, relevance, k: int) -> dict[str, float]:
    block = {f"{prefix}recall@{n}": round(recall_at(ranks, n), 4) for n in (1, 5, 10) if n <= k}
    block[f"{prefix}mrr@{k}"] = round(mrr_at(ranks, k), 4)
    block[f"{prefix}ndcg@{k}"] = round(ndcg_at(relevance, k), 4)
    return block
