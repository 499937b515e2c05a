"""Running a question set through the service's own :class:`~ragqa.index.search.retriever.Retriever`."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from ragqa.eval.metrics import (auc, first_hit_rank, is_hit, mrr_at, ndcg_at, percentile,
                          recall_at)
from ragqa.eval.questions import Question
from ragqa.index.search.retriever import Retriever


@dataclass
class ModeRun:
    """Per-question outcomes of one retrieval mode."""

    ranks: list[int | None] = field(default_factory=list)
    relevance: list[list[bool]] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    latency_ms: list[float] = field(default_factory=list)
    # What a reader is shown: characters in the top 5, and pairs of them that overlap or touch
    # within one section (the same sentences twice).
    top5_chars: list[int] = field(default_factory=list)
    top5_neighbours: list[int] = field(default_factory=list)
    # The low-relevance signal per search: (answerable?, answered at rank 1?, probability,
    # flagged?)
    signal: list[tuple[bool, bool, float, bool]] = field(default_factory=list)
    # Questions far from any corpus (eval/offtopic.jsonl): (probability, flagged?)
    offtopic: list[tuple[float, bool]] = field(default_factory=list)


def run_questions(
    retriever: Retriever, questions: Sequence[Question], modes: Sequence[str], k: int = 10,
    offtopic: Sequence[str] = (),
) -> dict[str, ModeRun]:
    """Search every question in every mode, recording ranks, latency and the signal.

    The query is embedded once per question; its encode time is added to the latency of
    the modes that use it, so each latency is what a user of that mode would wait.
    Unanswerable questions only feed the low-relevance signal. A set without any (PIAF,
    BEIR) gets held-out negatives instead: each answerable question asked again with its
    gold document excluded from the search. ``offtopic`` questions (about nothing any
    corpus of ours covers) are asked too, and only feed the signal: every one should be
    flagged.
    """
    runs = {mode: ModeRun() for mode in modes}
    needs_vector = any(mode != "bm25" for mode in modes)
    documents = list(retriever.index.documents_by_id())
    # (Excluding one document means listing all the others: bounded to sets of modest size.)
    hold_out = 1 < len(documents) <= 5000 and not any(q.kind == "unanswerable" for q in questions)
    for q in questions:
        encode_ms, vector, searched = 0.0, None, q.question
        if needs_vector and retriever.embedder is not None:
            started = time.perf_counter()
            # as the service reads it (typed without accents or capitals: the corpus's forms)
            searched = retriever.model_question(q.question)
            vector = retriever.embedder.encode_queries([searched])[0]
            encode_ms = (time.perf_counter() - started) * 1000
        for mode in modes:
            run = runs[mode]
            started = time.perf_counter()
            result = retriever.search(searched if mode != "bm25" else q.question, k, mode=mode,
                                      query_vector=vector)
            elapsed = (time.perf_counter() - started) * 1000
            if not q.answerable:
                if q.kind == "unanswerable":  # not a question whose answer failed to load
                    run.signal.append((False, False, result.relevance or 0.0, result.low_relevance))
                continue
            relevance = [is_hit(h.doc_id, h.start, h.end, q.doc or "", q.spans) for h in result.hits]
            run.signal.append((True, bool(relevance and relevance[0]), result.relevance or 0.0,
                               result.low_relevance))
            run.ranks.append(first_hit_rank(relevance))
            run.relevance.append(relevance)
            run.kinds.append(q.kind)
            run.latency_ms.append(elapsed + (encode_ms if mode != "bm25" else 0.0))
            top = result.hits[:5]
            run.top5_chars.append(sum(h.end - h.start for h in top))
            run.top5_neighbours.append(sum(
                1 for i, a in enumerate(top) for b in top[i + 1:]
                if (a.doc_id, a.section) == (b.doc_id, b.section)
                and b.start <= a.end and a.start <= b.end))
            if hold_out:
                others = [d for d in documents if d != q.doc]
                # (a question read with the corpus's forms finds them among the others)
                held = retriever.search(q.question, k, mode=mode, doc_ids=others,
                                        query_vector=vector if searched == q.question else None)
                run.signal.append((False, False, held.relevance or 0.0, held.low_relevance))
    for question in offtopic:
        vector, searched = None, question
        if needs_vector and retriever.embedder is not None:
            searched = retriever.model_question(question)
            vector = retriever.embedder.encode_queries([searched])[0]
        for mode in modes:
            result = retriever.search(searched if mode != "bm25" else question, k, mode=mode,
                                      query_vector=vector)
            runs[mode].offtopic.append((result.relevance or 0.0, result.low_relevance))
    return runs


def summarise(runs: dict[str, ModeRun], k: int = 10) -> dict[str, float]:
    """One flat dict: ``"hybrid.recall@5"``, ``"bm25.paraphrase.mrr@10"``, latencies…"""
    out: dict[str, float] = {}
    for mode, run in runs.items():
        out[f"{mode}.questions"] = len(run.ranks)
        out.update(_block(f"{mode}.", run.ranks, run.relevance, k))
        out[f"{mode}.latency_p50_ms"] = round(percentile(run.latency_ms, 50), 2)
        out[f"{mode}.latency_p95_ms"] = round(percentile(run.latency_ms, 95), 2)
        if run.top5_chars:
            out[f"{mode}.top5_chars"] = round(sum(run.top5_chars) / len(run.top5_chars), 1)
            out[f"{mode}.top5_neighbours"] = round(
                sum(run.top5_neighbours) / len(run.top5_neighbours), 3)
        out.update(_signal(f"{mode}.low_relevance.", run.signal))
        out.update(_offtopic(f"{mode}.low_relevance.", run.signal, run.offtopic))
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


def _signal(prefix: str, signal: list[tuple[bool, bool, float, bool]]) -> dict[str, float]:
    """How the low-relevance signal separates answerable questions from the others, and how
    often it wrongly flags a question whose top passage is an answer."""
    positives = [(p, flag) for answerable, _, p, flag in signal if answerable]
    negatives = [(p, flag) for answerable, _, p, flag in signal if not answerable]
    answered = [flag for answerable, at_1, _, flag in signal if answerable and at_1]
    if not positives or not negatives:
        return {}
    out = {
        f"{prefix}auc": round(auc([p for p, _ in positives], [p for p, _ in negatives]), 4),
        f"{prefix}flagged_unanswerable": round(sum(f for _, f in negatives) / len(negatives), 4),
        f"{prefix}flagged_answerable": round(sum(f for _, f in positives) / len(positives), 4),
        f"{prefix}negatives": len(negatives),
    }
    if answered:
        out[f"{prefix}flagged_answered_at_1"] = round(sum(answered) / len(answered), 4)
    return out


def _offtopic(prefix: str, signal: list[tuple[bool, bool, float, bool]],
              offtopic: list[tuple[float, bool]]) -> dict[str, float]:
    """How many off-topic questions are flagged, and how well the probability separates them
    from the set's answerable questions."""
    if not offtopic:
        return {}
    positives = [p for answerable, _, p, _ in signal if answerable]
    out = {
        f"{prefix}offtopic": len(offtopic),
        f"{prefix}flagged_offtopic": round(sum(f for _, f in offtopic) / len(offtopic), 4),
    }
    if positives:
        out[f"{prefix}offtopic_auc"] = round(auc(positives, [p for p, _ in offtopic]), 4)
    if not any(not answerable for answerable, *_ in signal):
        # No negatives of the set's own: still report how often answerable ones are flagged.
        answerable = [f for a, _, _, f in signal if a]
        answered = [f for a, at_1, _, f in signal if a and at_1]
        if answerable:
            out[f"{prefix}flagged_answerable"] = round(sum(answerable) / len(answerable), 4)
        if answered:
            out[f"{prefix}flagged_answered_at_1"] = round(sum(answered) / len(answered), 4)
    return out
