"""The reading stage of a search: the trained reader reads the top passages, reorders them
and points at the answer in each one it believes answers.

Chosen on dev (``eval/results/reader.md``, ``python -m ragqa.eval.reader_eval``): the top
:data:`TOP` passages are reranked by ``logit - BETA ln(rank)`` (the reader's answerability
logit, held back by the retrieval rank, so a passage the reader is unsure of keeps its
place); the reader's order alone is worse than retrieval's on both dev sets. A search whose
top the served reorder ordered (:mod:`ragqa.index.search.reorder`, ``SearchResult.reordered``)
keeps that order: measured on the three dev sets with the reorder on (``python -m
ragqa.eval.highlights --reader --betas``), any reader rerank lowers the mean MRR@10 (beta 1:
0.801, 2: 0.806, 4: 0.812, the reorder's own order 0.814; PIAF alone gains 0.003 with beta 2
or 4, the project set loses 0.008-0.040). A passage whose
answerability reaches :data:`MIN_ANSWERABILITY` gets its answer span (document offsets,
inside the passage); the others get none and keep the highlight the service gives anyway.
The model runs one question at a time (its own threads use the cores): concurrent questions
queue rather than slow each other down.

A read search's ``relevance`` joins what the reader believes to the served signal's
(``python -m ragqa.eval.reader_relevance``, dev, ``eval/results/reader-relevance.json``): a
logistic fit of the served relevance's logit and the reader's best logit over the read
passages, its threshold where it flags as many dev answerable questions as the served signal
(17 of 177) and so flags more off-topic ones (30 of 40 instead of 24).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace

from cachetools import LRUCache

from ragqa.index.cachestats import CacheCounter
from ragqa.index.reading.reader import Reader, Reading
from ragqa.index.search.retriever import Hit

TOP = 5  # passages read per question (dev: 5 and 3 tie on the project set, 5 wins on PIAF)
BETA = 1.0  # weight of ln(rank) against the logit (dev, the fusion's order: 1 on both sets)
MIN_ANSWERABILITY = 0.5
CACHE = 1024  # readings kept, by (question, passage): a question asked again reads nothing
# relevance = sigmoid(W_SERVED * logit(served relevance) + W_READER * best logit + INTERCEPT)
W_SERVED, W_READER, INTERCEPT = 0.4404, 0.4817, 0.5149
THRESHOLD = 0.24  # under it, low_relevance


@dataclass(frozen=True)
class Answer:
    """One passage as the reader read it: the probability that it answers, and where the
    answer is (``[start:end]`` in the document's text, inside the passage) when that
    probability reaches the stage's least (else None)."""

    answerability: float
    start: int | None = None
    end: int | None = None


@dataclass(frozen=True)
class ReadHits:
    """The hits in their new order (ranks renumbered), where each came from (``order[i]``:
    its position before), its reading (None: not read), and how many passages the model
    read now (the others were cached)."""

    hits: tuple[Hit, ...]
    order: tuple[int, ...]
    answers: tuple[Answer | None, ...]
    read: int
    best_logit: float  # the reader's highest answerability logit among the read passages


class ReadingStage:
    """Reranks and reads a search's top passages with one :class:`Reader` (thread-safe)."""

    def __init__(self, reader: Reader, top: int = TOP, beta: float = BETA,
                 min_answerability: float = MIN_ANSWERABILITY,
                 threshold: float = THRESHOLD, keep_reordered: bool = True) -> None:
        """``keep_reordered``: a top the served reorder ordered keeps its order (measured
        better on dev); False reranks it too (what ``ragqa.eval.highlights --betas`` measures)."""
        self.reader, self.top, self.beta = reader, top, beta
        self.keep_reordered = keep_reordered
        self.min_answerability = min_answerability
        self.threshold = threshold
        self._cache: LRUCache = LRUCache(maxsize=CACHE)
        self._lock = threading.Lock()
        self._model = threading.Lock()
        self.counter = CacheCounter()  # readings found cached or not, one per passage

    def apply(self, question: str, hits: Sequence[Hit], *, keep_order: bool = False
              ) -> ReadHits:
        """``hits`` with their top :attr:`top` read, reranked unless ``keep_order`` (a
        search the served reorder ordered), each read one's :class:`Answer`."""
        head = list(hits[:self.top])
        readings = self._readings(question, head)
        order = list(range(len(head))) if keep_order else sorted(
            range(len(head)), key=lambda i: -(readings[i][0].logit - self.beta * math.log(i + 1)))
        order += range(len(head), len(hits))
        answers: list[Answer | None] = [self._answer(head[i], readings[i][0]) for i in order
                                        if i < len(head)]
        answers += [None] * (len(hits) - len(head))
        return ReadHits(tuple(replace(hits[i], rank=n) for n, i in enumerate(order, 1)),
                        tuple(order), tuple(answers), sum(1 for _, fresh in readings if fresh),
                        max((r.logit for r, _ in readings), default=-math.inf))

    @staticmethod
    def relevance(served: float, best_logit: float) -> float:
        """The probability that a read search's best passage answers: the served
        relevance ``served`` and the reader's ``best_logit`` joined (see the module)."""
        p = min(max(served, 1e-6), 1 - 1e-6)
        z = W_SERVED * math.log(p / (1 - p)) + W_READER * best_logit + INTERCEPT
        return 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0

    def _readings(self, question: str, hits: list[Hit]) -> list[tuple[Reading, bool]]:
        """Each hit's reading, and whether the model read it now (not cached)."""
        keys = [(question, hit.doc_id, hit.start, hit.end, hit.quote) for hit in hits]
        with self._lock:
            known = [self._cache.get(key) for key in keys]
        missing = [i for i, reading in enumerate(known) if reading is None]
        self.counter.add(hits=len(known) - len(missing), misses=len(missing))
        if missing:
            with self._model:
                fresh = self.reader.read(question, [hits[i].quote for i in missing])
            with self._lock:
                for i, reading in zip(missing, fresh, strict=True):
                    self._cache[keys[i]] = known[i] = reading
        return [(reading, i in missing) for i, reading in enumerate(known)]  # type: ignore[misc]

    def _answer(self, hit: Hit, reading: Reading) -> Answer:
        answerability = round(reading.answerability, 4)
        if reading.answerability < self.min_answerability or reading.end <= reading.start:
            return Answer(answerability)
        return Answer(answerability, hit.start + reading.start, hit.start + reading.end)
