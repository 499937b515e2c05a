"""The ready engine: a store (files or PostgreSQL), the model, its embedder, and the one
search path every caller takes.

Made by :mod:`ragqa.wiring` (the composition root) and nowhere else. :meth:`Engine.search`
returns highlighted hits for the HTTP routes (``/v1/search``, ``/v1/ask``, the OpenAI
endpoint), ``ragqa ask`` and the eval alike: the question is encoded once, the store is
read in one session (one connection on postgres), and the highlighter works from the text
and the question's vector the retriever already holds. A question asked in a conversation
comes with its ``history``: rewritten by an LLM (``standalone``, from the service), or else
searched with what it leans on (:mod:`ragqa.index.search.followup`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from functools import partial

from ragqa.index.access import Allowlists, Reader, within
from ragqa.index.cachestats import CacheCount, CacheCounter
from ragqa.index.embedding.embedder import Embedder
from ragqa.index.embedding.models import ResolvedModel
from ragqa.index.errors import QueryError, UnknownDocumentError
from ragqa.index.reading.stage import Answer, ReadingStage
from ragqa.index.search.conversation import plan_followup, search_followup
from ragqa.index.search.followup import Turn
from ragqa.index.search.highlight import Highlighter, sentence_spans
from ragqa.index.search.relevance import NAMES_NOTHING_CAP, names_nothing
from ragqa.index.search.retriever import (
    MODES,
    RetrievalParams,
    Retriever,
    SearchResult,
    validate_question,
)
from ragqa.index.search.view import IndexView
from ragqa.index.store import Store
from ragqa.settings import Settings

Span = tuple[int, int]


@dataclass(frozen=True)
class Found:
    """A search's result and, for each hit, the span of its sentence that best answers the
    question (the document's offsets, inside the hit's ``[start:end]``)."""

    result: SearchResult
    highlights: tuple[Span, ...]
    # What was searched: the question itself (typed wholly without accents or capitals: with
    # its words as the corpus writes them, index/search/typed.py), its rewrite by an LLM, or
    # the question with the words it borrowed from the conversation; and whether the history
    # changed it, how.
    query: str = ""
    history_used: bool = False
    history_method: str | None = None  # "llm" or "context" when history_used
    # With the reader (RAGQA_READER): each hit's reading (answerability, answer span when
    # it believes the hit answers), None for a hit it did not read (index/reading/stage.py)
    answers: tuple[Answer | None, ...] = ()


class Engine:
    """A store, the model and its embedder; a retriever and a highlighter for the store's
    current view (a new files generation gets new ones, as a write makes it)."""

    def __init__(self, settings: Settings, model: ResolvedModel, embedder: Embedder,
                 store: Store, reading: ReadingStage | None = None) -> None:
        self.settings = settings
        self.model = model
        self.embedder = embedder
        self.store = store
        self.reading = reading  # the trained reader's stage, when RAGQA_READER is on
        self.params: RetrievalParams = settings.retrieval_params(model.name)
        self._lock = threading.Lock()
        self._retriever: Retriever | None = None
        self._highlighter: tuple[int, Highlighter] | None = None
        self._allowlists = Allowlists()
        # One counter per cache for the engine's life: the retriever and highlighter a new
        # generation brings count on, and the analyzers of the views served before are kept.
        self._counters = {name: CacheCounter() for name in (
            "search_results", "highlight_sentences", "highlight_vectors",
            "stored_sentences", "stored_tokens")}
        self._analyzed_before: dict[str, CacheCount] = {}
        self.retriever  # fails fast (a model mismatch) at start, not at the first question

    @property
    def index(self) -> IndexView:
        """The store's view to read one whole request from."""
        return self.store.view()

    @property
    def retriever(self) -> Retriever:
        """The retriever over the store's current view."""
        view = self.store.view()
        with self._lock:
            if self._retriever is None or self._retriever.index is not view:
                if self._retriever is not None and self._retriever.index.analyzer is not \
                        view.analyzer:
                    self._analyzed_before = _added(
                        self._analyzed_before, _analyzer_counts(self._retriever.index))
                self._retriever = Retriever(
                    view, self.embedder, self.params, counter=self._counters["search_results"],
                    sentence_counter=self._counters["stored_sentences"],
                    token_counter=self._counters["stored_tokens"])
                self._highlighter = None
            return self._retriever

    @property
    def generation(self) -> int:
        return self.store.view().generation

    def cache_counts(self) -> dict[str, CacheCount]:
        """Hits and misses so far of every cache a search goes through, by name (the
        ``cache`` label of ``/metrics``' ``ragqa_cache_hits_total``; docs/http-api.md)."""
        counts = {name: counter.snapshot() for name, counter in self._counters.items()}
        counts.update(self.embedder.cache_counts())
        with self._lock:
            retriever = self._retriever
            before = self._analyzed_before
        if retriever is not None:
            counts.update(_added(before, _analyzer_counts(retriever.index)))
        if self.reading is not None:
            counts["reader"] = self.reading.counter.snapshot()
        return counts

    def readable(self, reader: Reader) -> frozenset[str] | None:
        """The ids of the documents ``reader`` may read (None: all of them), computed once
        per store state and group set (:class:`~ragqa.index.access.Allowlists`)."""
        if reader.groups is None:
            return None
        return self._allowlists.get(self.store.view(), self.store.groups, reader.groups)

    def search(self, question: str, k: int = 5, *, mode: str | None = None,
               doc_ids: Collection[str] | None = None, history: Sequence[Turn] = (),
               standalone: str | None = None,
               readable: frozenset[str] | None = None) -> Found:
        """The ``k`` passages that best answer ``question`` (among ``doc_ids``' when
        given), each with its highlight. Our errors: :class:`~ragqa.index.errors.QueryError`
        for a question that cannot be asked, :class:`~ragqa.index.errors.UnknownDocumentError`
        for a filter naming a document the store does not hold.

        ``history``: the conversation's earlier turns, oldest first. ``standalone``: the
        question as an LLM rewrote it from them (searched instead of it); without one, the
        question is searched with what it borrows from the history when it leans on it
        (:func:`~ragqa.index.search.followup.plan`), else exactly as without a history.

        ``readable``: the reader's allowlist (:meth:`readable`; None: every document). Only
        those documents are ranked, so the top ``k`` is full of readable ones; a ``doc_ids``
        filter naming another is refused as if it were absent (the same error, after the
        same checks of the question). Every BM25 statistic and idf of the search (ranking,
        relevance, the follow-up's reading, highlights) is then that of those documents'
        passages: the others weigh on nothing."""
        try:
            doc_ids = within(doc_ids, readable)
        except UnknownDocumentError:
            validate_question(standalone if standalone is not None and history else question)
            if mode is not None and mode not in MODES:
                raise QueryError(f"unknown mode {mode!r}; use one of {', '.join(MODES)}") \
                    from None
            raise
        retriever = self.retriever
        with retriever.index.session():
            found = self._searched(retriever, question, k, mode, doc_ids, history,
                                   standalone, readable)
        # The reader needs no store: it runs after the session (a postgres connection is
        # not held through its model passes).
        return _judged_as_searched(retriever, self._read(found))

    def _searched(self, retriever: Retriever, question: str, k: int, mode: str | None,
                  doc_ids: Collection[str] | None, history: Sequence[Turn],
                  standalone: str | None, readable: frozenset[str] | None) -> Found:
        if standalone is not None and history:
            return self._rewritten(retriever, question, standalone, k, mode, doc_ids, readable)
        if not history:
            result = retriever.search(question, k, mode=mode, doc_ids=doc_ids, scope=readable)
            return Found(result, self._highlight(retriever, result, readable),
                         result.read_as or result.question)
        followup = plan_followup(retriever, question, history, doc_ids=doc_ids, scope=readable,
                                 idf=_idf(retriever.index, readable))
        result = search_followup(retriever, followup, k, mode=mode, doc_ids=doc_ids,
                                 scope=readable)
        used = followup.history_used
        return Found(result, self._highlight(retriever, result, readable),
                     followup.read_as(result.read_as) if used
                     else result.read_as or result.question, used, "context" if used else None)

    def _rewritten(self, retriever: Retriever, question: str, standalone: str, k: int,
                   mode: str | None, doc_ids: Collection[str] | None,
                   readable: frozenset[str] | None) -> Found:
        """The LLM's standalone question searched (and highlighted) as any question; the
        result keeps the question as asked."""
        result = retriever.search(standalone, k, mode=mode, doc_ids=doc_ids, scope=readable)
        highlights = self._highlight(retriever, result, readable)
        used = " ".join(result.question.split()).casefold() != " ".join(
            question.split()).casefold()
        return Found(replace(result, question=question.strip()), highlights,
                     result.read_as or result.question, used, "llm" if used else None)

    def _read(self, found: Found) -> Found:
        """``found`` read by the reader when there is one: its top passages reordered (what
        was searched is what is read), each read passage's answerability, and where it
        believes one answers, the answer's span, whose sentence becomes the highlight; its
        ``relevance``, ``low_relevance`` and ``borderline`` with the reader's belief joined."""
        hits = found.result.hits
        if self.reading is None or not hits:
            return found
        stage = self.reading
        read = stage.apply(found.query or found.result.question, hits,
                           keep_order=found.result.reordered and stage.keep_reordered)
        highlights = tuple(
            found.highlights[i] if answer is None or answer.start is None
            else _answer_sentence(hit, answer)
            for hit, i, answer in zip(read.hits, read.order, read.answers, strict=True))
        result = replace(found.result, hits=read.hits)
        retriever = self.retriever
        served = retriever.relevance_model_for(found.query or result.question, result.mode)
        if (result.mode == "hybrid" and served is retriever.params.relevance
                and served.uses_token_match()):
            # The relevance signal hears the reader too, where it was fitted (on dev: hybrid
            # searches of questions in the index's language, the token match on; see
            # ReadingStage); elsewhere it stays the served signal.
            relevance = stage.relevance(result.relevance or 0.0, read.best_logit)
            low = relevance < stage.threshold
            result = replace(result, relevance=round(relevance, 4), low_relevance=low,
                             borderline=low and relevance >= stage.threshold
                             * retriever.params.borderline)
        return replace(found, result=result, highlights=highlights, answers=read.answers)

    def _highlight(self, retriever: Retriever, result: SearchResult,
                   readable: frozenset[str] | None = None) -> tuple[Span, ...]:
        if not result.hits:
            return ()
        highlighter = self._highlighter_for(retriever, result.generation)
        focus = highlighter.focus(result.read_as or result.question, result.query_vector,
                                  None if readable is None else _idf(retriever.index, readable),
                                  foreign=result.foreign)
        return tuple(highlighter.spans(focus, [
            (hit.doc_id, hit.before + hit.quote + hit.after, hit.start, hit.end,
             hit.start - len(hit.before)) for hit in result.hits]))

    def _highlighter_for(self, retriever: Retriever, generation: int) -> Highlighter:
        """One highlighter per generation: it caches sentences and their vectors per passage
        (the model's similarity joins the term match unless its weight is 0)."""
        with self._lock:
            if self._highlighter is None or self._highlighter[0] != generation:
                weight = self.settings.highlight_model_weight
                index = retriever.index
                self._highlighter = (generation, Highlighter(
                    index.analyzer, idf=index.idf,
                    embed=retriever.sentence_vectors if weight else None, weight=weight,
                    counters=self._counters))
            return self._highlighter[1]

    def close(self) -> None:
        """Release the store's connections (if any)."""
        self.store.close()


def _judged_as_searched(retriever: Retriever, found: Found) -> Found:
    """``found``, low and not borderline when what was searched (the question as read, with
    the words a history lent it, if any) names nothing but figures, function words and a
    chat's fillers (:func:`~ragqa.index.search.relevance.names_nothing`: "et pour 2025 ?"
    sent without its conversation, or after one that lent it nothing): its relevance, the
    reader's belief joined or not, capped at
    :data:`~ragqa.index.search.relevance.NAMES_NOTHING_CAP` of the threshold."""
    result = found.result
    searched = found.query or result.question
    if not result.hits or not names_nothing(searched, retriever.index.analyzer):
        return found
    model = retriever.relevance_model_for(searched, result.mode)
    capped = min(result.relevance or 0.0, model.threshold * NAMES_NOTHING_CAP)
    return replace(found, result=replace(result, relevance=round(capped, 4),
                                         low_relevance=True, borderline=False))


def _answer_sentence(hit, answer: Answer) -> Span:
    """The sentences of ``hit`` the answer span lies in (document offsets, inside the hit)."""
    assert answer.start is not None and answer.end is not None
    offset = hit.start - len(hit.before)
    text = hit.before + hit.quote + hit.after
    spans = [(offset + s, offset + e) for s, e in sentence_spans(text, 0, len(text))
             if offset + s < answer.end and answer.start < offset + e]
    if not spans:
        return answer.start, answer.end
    return max(spans[0][0], hit.start), min(spans[-1][1], hit.end)


def _idf(index: IndexView, readable: frozenset[str] | None
         ) -> Callable[[Sequence[str]], list[float]]:
    """The idf a search for a reader uses: over the passages of their allowlist, or of the
    whole store for a reader of everything."""
    return index.idf if readable is None else partial(index.idf, scope=readable)


def _analyzer_counts(index: IndexView) -> dict[str, CacheCount]:
    return {name: CacheCount(*pair) for name, pair in index.analyzer.cache_counts().items()}


def _added(a: dict[str, CacheCount], b: dict[str, CacheCount]) -> dict[str, CacheCount]:
    return {name: a.get(name, CacheCount(0, 0)) + b.get(name, CacheCount(0, 0))
            for name in a.keys() | b.keys()}
