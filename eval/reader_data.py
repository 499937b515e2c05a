"""PIAF as supervision for the reader: a ``train`` split carved out of ``dev`` by article
(``test`` stays exactly :func:`~ragqa.eval.questions.split_of`'s), pairs mined with the
service's own retriever, and the dev candidates the reader is measured on.

Per train question: the first hybrid hit holding the whole gold answer (positive); the
first BM25 hit and the first dense hit that miss it (hard negatives, the answer's text
absent from them); for every other question, the first hybrid hit with the gold article
excluded (an unanswerable pair from another article).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from ragqa.eval.metrics import is_hit
from ragqa.eval.questions import Question, split_of
from ragqa.index.reading.train import Example
from ragqa.index.search.retriever import Hit, Retriever

READER_SPLIT_SEED = "ragqa-reader-split-v1"
TRAIN_SHARE = 2 / 3  # of today's dev articles


def reader_split(group: str) -> str:
    """``train``, ``dev`` or ``test``: ``test`` is today's test; today's dev articles go
    two in three to ``train`` (seeded by the article's name), the rest stay ``dev``."""
    if split_of(group) == "test":
        return "test"
    digest = hashlib.sha256(f"{READER_SPLIT_SEED}:{group}".encode()).digest()
    return "train" if int.from_bytes(digest[:8], "big") / 2**64 < TRAIN_SHARE else "dev"


def answer_in(hit: Hit, q: Question) -> tuple[int, int] | None:
    """The gold answer's offsets in the hit's passage when it holds one whole."""
    if hit.doc_id != q.doc:
        return None
    for s, e in q.spans:
        if hit.start <= s and e <= hit.end:
            return s - hit.start, e - hit.start
    return None


def _answer_texts(q: Question, text: str) -> list[str]:
    return [text[s:e].strip().lower() for s, e in q.spans if text[s:e].strip()]


def mine_train(retriever: Retriever, questions: Sequence[Question], texts: dict[str, str],
               k: int = 10) -> list[Example]:
    """The training pairs of ``questions`` (see the module's docstring)."""
    documents = list(retriever.index.documents_by_id())
    out: list[Example] = []
    for number, q in enumerate(questions):
        if not q.answerable:
            continue
        answers = _answer_texts(q, texts[q.doc or ""])
        vector = retriever.embedder.encode_queries([q.question])[0] if retriever.embedder else None
        hybrid = retriever.search(q.question, k, mode="hybrid", query_vector=vector).hits
        positive = next(((h, a) for h in hybrid if (a := answer_in(h, q))), None)
        if positive is None:
            continue
        out.append(Example(q.question, positive[0].quote, positive[1], "positive"))
        used = {positive[0].row}
        for mode in ("bm25", "dense"):
            for h in retriever.search(q.question, k, mode=mode, query_vector=vector).hits:
                if h.row in used or is_hit(h.doc_id, h.start, h.end, q.doc or "", q.spans):
                    continue
                if any(a in h.quote.lower() for a in answers):
                    continue  # the answer's words elsewhere: maybe an answer after all
                out.append(Example(q.question, h.quote, None, mode))
                used.add(h.row)
                break
        if number % 2 == 0:
            others = [d for d in documents if d != q.doc]
            held = retriever.search(q.question, 1, mode="hybrid", doc_ids=others,
                                    query_vector=vector).hits
            if held:
                out.append(Example(q.question, held[0].quote, None, "other-article"))
    return out


@dataclass(frozen=True)
class Candidates:
    """One dev question's retrieved passages in the service's order, with their truth."""

    question: Question
    hits: tuple[Hit, ...]
    relevant: tuple[bool, ...]  # is_hit, as eval/runner.py counts it
    answers: tuple[tuple[int, int] | None, ...]  # the whole gold answer in each passage
    other: Hit | None  # the first hit with the gold article excluded


def dev_candidates(retriever: Retriever, questions: Sequence[Question], k: int = 10,
                   mode: str = "hybrid", held_out: bool = True) -> list[Candidates]:
    documents = list(retriever.index.documents_by_id())
    out = []
    for q in questions:
        if not q.answerable:
            continue
        hits = retriever.search(q.question, k, mode=mode).hits
        other = None
        if held_out:
            held = retriever.search(q.question, 1, mode=mode,
                                    doc_ids=[d for d in documents if d != q.doc]).hits
            other = held[0] if held else None
        out.append(Candidates(q, tuple(hits),
                              tuple(is_hit(h.doc_id, h.start, h.end, q.doc or "", q.spans)
                                    for h in hits),
                              tuple(answer_in(h, q) for h in hits), other))
    return out
