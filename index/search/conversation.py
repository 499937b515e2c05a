"""Searching a follow-up (:class:`~ragqa.index.search.followup.Followup`) with the one
retriever: the conversation changes what its two rankers return, nothing else.

:class:`ConversationView` is the store's view seen from inside a conversation: its BM25
ranking adds the borrowed queries' scores (weighted) to the question's, and both rankers
put the passages of the previous turn's documents among their candidates, the best few of
each document with a bonus.
The :class:`~ragqa.index.search.retriever.Retriever` then does what it does for any
question (its forms and typos read, fusion, near-duplicates, the relevance signal) over that
view, with the query vector of the follow-up read in context. A question that stands alone
never comes here. :func:`plan_followup` plans a follow-up with the earlier questions it
borrows from read as any question is.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Collection, Sequence
from dataclasses import replace

import numpy as np

from ragqa.index.search.analysis import NO_TERM
from ragqa.index.search.followup import (
    FOLLOWUP,
    Followup,
    FollowupParams,
    Turn,
    asks,
    plan,
    read_turns,
    unknown_terms,
)
from ragqa.index.search.retriever import Retriever, SearchResult
from ragqa.index.search.view import IndexView, Ranked


class ConversationView:
    """An :class:`~ragqa.index.search.view.IndexView` whose rankers read ``followup``'s
    borrowed queries and prior; everything else is ``base``'s."""

    def __init__(self, base: IndexView, followup: Followup) -> None:
        self._base = base
        self._followup = followup
        cited = list(followup.cited)
        if cited and followup.prior:
            gone = set(base.unknown_documents(cited))  # deleted since: no prior, no error
            cited = [d for d in cited if d not in gone]
        self._cited = cited if followup.prior else []

    def __getattr__(self, name: str):
        return getattr(self._base, name)

    def lexical_top(self, question: str, k: int, doc_ids: Collection[str] | None = None,
                    scope: Collection[str] | None = None) -> Ranked:
        """BM25 of the question plus each borrowed query times its weight (all with the
        statistics of ``scope`` when given)."""
        scores: dict[int, float] = {}
        cited: set[int] = set()
        ranker = (self._base.lexical_top if scope is None
                  else functools.partial(self._base.lexical_top, scope=scope))
        for text, weight in ((question, 1.0), *self._followup.lexical):
            found, rows = self._candidates(ranker, text, k, doc_ids)
            cited |= rows
            for row, score in found.items():
                scores[row] = scores.get(row, 0.0) + weight * score
        return self._ranked(scores, cited, k)

    def dense_top(self, vector: np.ndarray, k: int,
                  doc_ids: Collection[str] | None = None) -> Ranked:
        return self._ranked(*self._candidates(self._base.dense_top, vector, k, doc_ids), k)

    def _candidates(self, ranker, query, k: int, doc_ids: Collection[str] | None
                    ) -> tuple[dict[int, float], set[int]]:
        """``ranker``'s top ``k`` with the cited documents' own top ``k`` added (the same
        scores: a filter only leaves rows out), and the rows of those documents."""
        ids, scores = ranker(query, k, doc_ids)
        found = dict(zip(ids.tolist(), scores.tolist()))
        cited = [d for d in self._cited if doc_ids is None or d in doc_ids]
        if not cited:
            return found, set()
        ids, scores = ranker(query, k, cited)
        found.update(zip(ids.tolist(), scores.tolist()))
        return found, self._lifted(ids.tolist())

    def _lifted(self, rows: list[int]) -> set[int]:
        """Of the cited documents' ``rows`` (best first), those the prior raises: each
        document's first ``prior_passages`` (all when 0). BM25 asks once for the question
        and once per borrowed query: each lifts its own best, so a document may get up to
        that many times ``prior_passages`` lifted there (what was measured on dev)."""
        most = self._followup.prior_passages
        if not most:
            return set(rows)
        records = self._base.passages_of(rows)
        taken: dict[str, int] = {}
        lifted = set()
        for row in rows:
            record = records.get(row)  # None: deleted since the ranker read it
            if record is None:
                continue
            doc = record.doc_id
            if taken.get(doc, 0) < most:
                taken[doc] = taken.get(doc, 0) + 1
                lifted.add(row)
        return lifted

    def _ranked(self, scores: dict[int, float], cited: set[int], k: int) -> Ranked:
        """The top ``k`` of ``scores``, the ``cited`` rows raised by ``prior`` of the
        scores' range."""
        if not scores:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        if cited:
            bonus = self._followup.prior * (max(scores.values()) - min(scores.values()))
            for row in cited & scores.keys():
                scores[row] += bonus
        order = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:k]
        return (np.array([row for row, _ in order], dtype=np.int64),
                np.array([score for _, score in order], dtype=np.float32))


def search_followup(retriever: Retriever, followup: Followup, k: int = 5, *,
                    mode: str | None = None, doc_ids: Collection[str] | None = None,
                    query_vector: np.ndarray | None = None,
                    scope: frozenset[str] | None = None) -> SearchResult:
    """``followup`` searched with ``retriever``'s model and parameters over a
    :class:`ConversationView` of its store; a question that stands alone, as ever.

    ``query_vector`` is the follow-up's vector in context (``followup.dense_text``
    embedded), computed by the search unless given, with the question read as any
    question is (forms, typos: :meth:`Retriever.model_question`) from the passages the
    conversation's BM25 ranks first; ``scope`` as in :meth:`Retriever.search`."""
    if not followup.history_used:
        return retriever.search(followup.question, k, mode=mode, doc_ids=doc_ids,
                                query_vector=query_vector, scope=scope)
    mode = mode or retriever.params.mode
    view = ConversationView(retriever.index, followup)
    inner = Retriever(view, retriever.embedder, replace(retriever.params, result_cache_size=1),
                      sentence_counter=retriever.sentence_vectors.counter
                      if retriever.sentence_vectors is not None else None,
                      token_counter=retriever.passage_tokens.counter
                      if retriever.passage_tokens is not None else None)
    return inner.search(followup.question, k, mode=mode, doc_ids=doc_ids,
                        query_vector=query_vector if mode != "bm25" else None, scope=scope,
                        dense_text=followup.dense_text)


def plan_followup(retriever: Retriever, question: str, history: Sequence[Turn], *,
                  doc_ids: Collection[str] | None = None, scope: frozenset[str] | None = None,
                  idf: Callable[[Sequence[str]], list[float]] | None = None,
                  params: FollowupParams = FOLLOWUP) -> Followup:
    """:func:`~ragqa.index.search.followup.plan` of ``question`` after ``history``, the
    earlier questions it may borrow from (the last ``params.turns``) read as any question
    is (forms, typos: :meth:`Retriever.model_question`, with ``doc_ids`` and ``scope`` as
    the search's) where it leans on them: a typo in an earlier question lends BM25 a word
    no passage holds, and the model a misspelt context. ``idf``: the statistics the plan
    weighs terms with (``scope``'s; default the store's). A follow-up in another language
    than the index's (:meth:`Retriever.is_foreign`) is embedded with the whole chain."""
    index = retriever.index
    idf = idf if idf is not None else index.idf
    foreign = retriever.is_foreign(question)
    earlier = [i for i, turn in enumerate(history) if asks(turn)]
    # A word of the question no passage holds may be a typo (or an unaccented word) the
    # search will read: only one it cannot read makes the question a subject of its own.
    # Read only where such a word stands: most questions hold none.
    read_as = (retriever.model_question(question, doc_ids, scope)
               if earlier and params.unknown_stands_alone
               and unknown_terms(question, index.analyzer, idf) else None)
    words = retriever.foreign_function_words
    share = document_share(index, idf, doc_ids)
    followup = plan(question, history, index.analyzer, idf, params, foreign=foreign,
                    read_as=read_as, foreign_words=words, share=share)
    if not followup.history_used:
        return followup
    read = list(history)
    # The turns the chain reads (at least the last two, as measured), not every turn a
    # long conversation holds: each reading is a BM25 search.
    chain = len(read_turns(history, index.analyzer, idf, params, share))
    reading = min(params.turns, max(chain, 2))
    for i in earlier[len(earlier) - reading:] if reading else ():
        asked = history[i].question
        typed = retriever.model_question(asked, doc_ids, scope)
        if typed != asked:
            read[i] = replace(history[i], question=typed)
    return followup if read == list(history) else plan(question, read, index.analyzer, idf,
                                                       params, foreign=foreign, read_as=read_as,
                                                       foreign_words=words, share=share)


def document_share(index: IndexView, idf: Callable[[Sequence[str]], list[float]],
                   doc_ids: Collection[str] | None = None) -> Callable[[str], float]:
    """Of a document id, the share of the passages searched (those ``idf`` counts, or of
    the documents ``doc_ids`` when given) that its document holds; 0 for one gone. Read
    from the store only when asked (a chain through a turn that stood alone)."""

    @functools.cache
    def searched() -> float:
        # BM25's idf of a term no passage holds is ln(2N + 2) over N passages.
        passages = (math.exp(idf([NO_TERM])[0]) - 2) / 2
        if doc_ids:
            passages = min(passages, sum(record.passages for record
                                         in index.documents_by_id(doc_ids).values()))
        return passages

    @functools.cache
    def share(doc_id: str) -> float:
        record = index.document(doc_id)
        return record.passages / searched() if record is not None and searched() > 0 else 0.0

    return share
