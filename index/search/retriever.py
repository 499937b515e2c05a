"""Answering a question with ranked, citable passages: the one retrieval path used by the
CLI, the HTTP service and the eval."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace

import re
import threading
import unicodedata
from itertools import chain

import numpy as np
from cachetools import LRUCache

from ragqa.index.cachestats import CacheCounter
from ragqa.index.embedding.embedder import Embedder
from ragqa.index.errors import QueryError, UnknownDocumentError
from ragqa.index.search.analysis import NO_TERM
from ragqa.index.search.fusion import FusionParams, fuse
from ragqa.index.search.highlight import sentence_spans
from ragqa.index.search.language import QuestionLanguage
from ragqa.index.search.relevance import (
    BORDERLINE,
    GENERIC,
    RelevanceFeatures,
    RelevanceModel,
    best_sentence_cosine,
    ranker_agreement,
    sentences_to_compare,
    term_coverage,
    token_match,
)
from ragqa.index.search.reorder import Reorders
from ragqa.index.search.sentences import PassageTokens, SentenceVectors
from ragqa.index.search.typed import (
    PASSAGES,
    TYPO_PASSAGES,
    corrected,
    long_words,
    marked_letters,
    restored,
    typed_plainly,
)
from ragqa.index.search.view import IndexView
from ragqa.index.records import PassageRecord

MODES = ("hybrid", "bm25", "dense")
Ranked = tuple[np.ndarray, np.ndarray]  # one ranker's top rows and scores, best first
MAX_QUESTION_CHARS = 2000
# What a question cannot consist of only: whitespace (in Python's sense and in JSON Schema's,
# which differ on U+001C-U+001F and U+FEFF), control characters and the byte-order mark.
# QUESTION_PATTERN, its complement, is what the HTTP schema publishes.
BLANK_PATTERN = r"[\s\x00-\x1f\x7f-\x9f\ufeff]*"
_BLANK = re.compile(BLANK_PATTERN)
_SURROGATE = re.compile("[\ud800-\udfff]")
QUESTION_PATTERN = r"[^\s\u0000-\u001f\u007f-\u009f\ufeff]"


@dataclass(frozen=True)
class RetrievalParams:
    mode: str = "hybrid"
    fusion: FusionParams = FusionParams()
    # The dense weight of the fusion for a question not in the index's analysis language
    # (index/search/language.py): BM25 cannot read it. None: the same fusion for every question.
    crosslingual_dense_weight: float | None = None
    candidates: int = 100  # per ranker, before fusion
    # Overlapping chunks can return the same text twice; keep only the better-ranked of two
    # passages of one document that share more than half of the shorter one, and of a
    # passage and its copy in a copy of its document (same title, text and offsets); a
    # passage that overlaps a better-ranked one it could not join (below) is cut to its
    # whole sentences no better-ranked passage shows, and left out when fewer than
    # ``least_new`` characters of them remain. Measured: eval/results/neighbours.md
    dedupe: bool = True
    least_new: int = 200
    # Overlapping or touching windows of one section found together become one passage (their
    # union, still an exact slice of the document, at its better rank) while it stays within
    # this many characters; 0 leaves them apart. Measured: eval/results/neighbours.md
    merge_neighbours: int = 2000
    # Results are cached by the store's generation too: a write makes them unreachable.
    result_cache_size: int = 1024
    # The low-relevance signal: with the query embedding (hybrid; dense too unless it has its
    # own) and without (bm25).
    relevance: RelevanceModel = GENERIC
    relevance_lexical: RelevanceModel = GENERIC
    relevance_dense: RelevanceModel | None = None
    # For a question in another language than the index analyses (both modes with a query
    # vector): few of its terms are the passages' (names, cognates), so the lexical features
    # read differently there; fitted on such questions (index/search/relevance.py).
    relevance_crosslingual: RelevanceModel | None = None
    # A low-relevance search whose probability is at least this share of its threshold is
    # `borderline`: the signal is unsure there, so an LLM (told to abstain) reads it; 1: none.
    borderline: float = BORDERLINE
    # A hybrid search's top hits reordered by what the relevance signal measures of each
    # (index/search/reorder.py); None: the fusion's order.
    reorder: Reorders | None = None
    # A question typed wholly without accents or capitals is read by the model with its words
    # as this many of BM25's top passages write them (index/search/typed.py); 0: as typed.
    question_forms: int = PASSAGES
    # A word of a question the index holds no term of (a typo, mostly) is read, by both
    # rankers, as the word one edit away that BM25's top passages for the question write most
    # (index/search/typed.py); False: as typed.
    question_typos: bool = True

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}")
        weight = self.crosslingual_dense_weight
        if weight is not None and not 0.0 <= weight <= 1.0:
            raise ValueError("crosslingual_dense_weight must be between 0 and 1")


@dataclass(frozen=True)
class Hit:
    """One ranked passage with everything a citation needs."""

    rank: int
    score: float
    row: int
    doc_id: str
    title: str
    section: str
    quote: str
    start: int
    end: int
    page: int | None
    # The rest of the passage's first and last lines (see PassageRecord): for the highlight.
    before: str = field(default="", repr=False)
    after: str = field(default="", repr=False)
    # The spans of the index's passages a passage joined at query time was made of (see
    # PassageRecord): the relevance's token match reads their stored tokens.
    windows: tuple[tuple[int, int], ...] = field(default=(), repr=False)
    # The quotes of the index's passages a passage cut at query time was cut from (see
    # PassageRecord): the token match reads their stored tokens.
    cut_from: tuple[str, ...] = field(default=(), repr=False)


@dataclass(frozen=True)
class SearchResult:
    question: str
    hits: tuple[Hit, ...]
    mode: str
    # True when the best passage is probably not an answer (see index/search/relevance.py).
    low_relevance: bool = False
    relevance: float | None = None  # estimated probability that the best passage answers
    # Low relevance, but near the threshold (RetrievalParams.borderline).
    borderline: bool = False
    model: str = ""  # the embedding model loaded (the index's when searching without one)
    fallback: bool = False  # whether that model is the bundled fallback
    generation: int = 0  # the store's generation the passages were read from
    # The question's vector (None in bm25 mode): what the highlight compares sentences with.
    query_vector: np.ndarray | None = field(default=None, repr=False, compare=False)
    # Whether it was read as another language than the index's (:meth:`Retriever.is_foreign`,
    # where that changes its ranking): its highlight goes by the model's cosine.
    foreign: bool = False
    # Whether the reorder (index/search/reorder.py) set the order of the top hits.
    reordered: bool = False
    # The question as it was searched where that differs: typed without accents or capitals,
    # with its words as the corpus writes them, or its typos read as the passages' nearest
    # words (index/search/typed.py).
    read_as: str | None = None
    # The passage ``relevance`` was measured on: the fusion's best, which the reorder may have
    # moved from the top (None when nothing was found).
    measured: Hit | None = field(default=None, repr=False, compare=False)


class Retriever:
    """Searches one store (:class:`~ragqa.index.search.view.IndexView`: a loaded files generation,
    or the PostgreSQL store) with one loaded embedding model."""

    def __init__(self, index: IndexView, embedder: Embedder | None, params: RetrievalParams,
                 *, counter: CacheCounter | None = None,
                 sentence_counter: CacheCounter | None = None,
                 token_counter: CacheCounter | None = None):
        """``counter``: where the result cache's hits and misses are counted (an engine
        passes the same one to each retriever it makes, so the counts outlive generations);
        ``sentence_counter``: the same of the sentence vectors found in the store
        (:attr:`sentence_vectors`), ``token_counter`` of the passages' token vectors
        (:attr:`passage_tokens`)."""
        if embedder is not None:
            index.check_vectors(embedder.identity, embedder.model.name)
        elif params.mode != "bm25":
            raise ValueError("dense and hybrid retrieval need an embedding model")
        self.index = index
        self.embedder = embedder
        self.params = params
        self._results: LRUCache = LRUCache(maxsize=max(1, params.result_cache_size))
        self._results_lock = threading.Lock()
        self.counter = counter if counter is not None else CacheCounter()
        # The sentences the relevance signal (and the engine's highlighter) compares with
        # the question: the store's vectors where it made them, else the model's.
        self.sentence_vectors = (SentenceVectors(index, embedder, sentence_counter)
                                 if embedder is not None else None)
        self.passage_tokens = (PassageTokens(index, embedder, token_counter)
                               if embedder is not None else None)
        self._language = QuestionLanguage(index.analyzer.config.language)
        if params.question_typos or (embedder is not None and (self._detects()
                                                               or params.question_forms)):
            self._language.load()  # now, not on the first question (once per process)

    def search(
        self,
        question: str,
        k: int = 5,
        *,
        mode: str | None = None,
        doc_ids: Collection[str] | None = None,
        query_vector: np.ndarray | None = None,
        scope: frozenset[str] | None = None,
        dense_text: str | None = None,
    ) -> SearchResult:
        """Top-``k`` passages for ``question`` (restricted to ``doc_ids`` when given).

        The one place a question is checked (:class:`QueryError`); a ``doc_ids`` filter
        naming a document the index does not hold raises :class:`UnknownDocumentError`.
        The store's reads share one session (one connection on postgres).

        ``scope``: a restricted reader's allowlist (``doc_ids`` within it). BM25 and every
        idf of the search (the relevance's coverage and sentence choice) then count its
        documents' passages only, so that documents outside it weigh on nothing.

        ``dense_text``: what the model embeds instead of the question (a follow-up read in
        context: the earlier question, then this one), with the question's own reading
        (forms, typos: :meth:`model_question`) applied to its end, which is the question.
        """
        with self.index.session():
            return self._search(question, k, mode=mode, doc_ids=doc_ids,
                                query_vector=query_vector, scope=scope, dense_text=dense_text)

    def _search(self, question: str, k: int, *, mode: str | None,
                doc_ids: Collection[str] | None, query_vector: np.ndarray | None,
                scope: frozenset[str] | None = None,
                dense_text: str | None = None) -> SearchResult:
        question = validate_question(question)
        mode = mode or self.params.mode
        if mode not in MODES:
            raise QueryError(f"unknown mode {mode!r}; use one of {', '.join(MODES)}")
        if mode != "bm25" and self.embedder is None:
            raise QueryError(f"mode {mode!r} needs an embedding model; use mode 'bm25'")
        only = frozenset(doc_ids) if doc_ids is not None else scope
        generation = self.index.generation  # the one read of it (a query for postgres)
        key = (generation, question, k, mode, only, scope, dense_text)
        cacheable = query_vector is None  # a caller's own vector may differ from ours
        if cacheable:
            with self._results_lock:
                cached = self._results.get(key)
            self.counter.add(hits=cached is not None, misses=cached is None)
            if cached is not None:
                return cached
        if only is not None:
            self._check_known(only)
        depth = max(self.params.candidates, k)
        foreign = mode != "bm25" and self._is_foreign(question)
        model = self._relevance_model(mode, foreign)
        asked, read = question, None
        if mode != "bm25" and query_vector is None:
            assert self.embedder is not None
            if not foreign:
                question, read = self._read_forms(question, depth, only, scope,
                                                  foreign=False if self._detects() else None)
            text = question if dense_text is None else _ending_with(dense_text, asked, question)
            query_vector = self.embedder.encode_queries([text])[0]
        elif mode == "bm25" and self.params.question_typos:
            # only the typos are read (BM25 folds accents and case; the forms were measured
            # for the model's reading only)
            question, read = self._read_forms(question, depth, only, scope, foreign=None,
                                              forms=False)
        # Dense mode runs BM25 too when the relevance model compares the two rankings.
        wants_lexical = mode != "dense" or model.uses_agreement()
        lexical, dense = self._rankings(
            question, query_vector if mode != "bm25" else None, depth, only,
            lexical=wants_lexical and read is None, scope=scope)
        if wants_lexical and read is not None:
            lexical = read  # the question as typed was searched already (it is unchanged)
        if mode == "hybrid":
            ranked = fuse(lexical, dense, self._fusion(foreign), self.index.tie_order)
        else:
            ids, scores = lexical if mode == "bm25" else dense
            ranked = list(zip(ids.tolist(), scores.tolist()))
        reorder = self.params.reorder if mode == "hybrid" else None
        # With a reorder, a search for fewer passages reads its top N all the same (the same
        # passages, windows joined alike, and verdict as a search for N).
        chosen = self._chosen(ranked, max(k, reorder.top) if reorder is not None else k)
        hits = tuple(_hit(i + 1, record, score) for i, (record, score) in enumerate(chosen))
        # The relevance signal measures the fusion's best passage (what it was fitted on),
        # whichever passage the reorder puts first.
        fused_best = hits[0] if hits else None
        top_features = None
        reordered = reorder is not None and len(hits) > 1
        if reordered:
            assert query_vector is not None and reorder is not None  # hybrid
            hits, top_features = self._reordered(question, hits, reorder, query_vector,
                                                 dense[0], lexical[0], scope,
                                                 tokens=model.uses_token_match())
        hits = hits[:k]
        probability = 0.0
        if fused_best is not None:
            if top_features is None:
                vector = query_vector if model.uses_vector() else None
                top_features = self._features(
                    question, fused_best, vector, dense[0], lexical[0],
                    sentence=model.uses_sentence(), tokens=model.uses_token_match(),
                    scope=scope)
            elif model.uses_token_match() and top_features.token_match is None:
                # the reorder read its top without tokens (the store lacks some): the token
                # match alone is left to measure
                top_features = top_features._replace(
                    token_match=self._token_match(question, fused_best))
            probability = model.probability(*top_features)
        low = not hits or probability < model.threshold
        borderline = bool(hits) and low and probability >= model.threshold * self.params.borderline
        loaded = self.embedder.model if self.embedder is not None else self.index.model
        result = SearchResult(asked, hits, mode, low_relevance=low,
                              relevance=round(probability, 4), borderline=borderline,
                              model=loaded.name,
                              fallback=loaded.fallback, generation=generation,
                              query_vector=query_vector if mode != "bm25" else None,
                              reordered=reordered, foreign=foreign,
                              read_as=question if question != asked else None,
                              measured=fused_best)
        if cacheable:
            with self._results_lock:
                self._results[key] = result
        return result

    def fusion_for(self, question: str) -> FusionParams:
        """The hybrid fusion for ``question``: the measured one, or, for a question in
        another language than the index analyses, the one with ``crosslingual_dense_weight``."""
        return self._fusion(self._is_foreign(question))

    def _detects(self) -> bool:
        """Whether :meth:`_is_foreign` asks the language identifier (a crosslingual fusion
        or relevance model is set)."""
        params = self.params
        return (params.crosslingual_dense_weight is not None
                or params.relevance_crosslingual is not None)

    def is_foreign(self, question: str) -> bool:
        """Whether ``question`` is in another language than the index analyses
        (:meth:`~ragqa.index.search.language.QuestionLanguage.is_foreign`): the one test
        behind every reading that depends on it (the fusion, the relevance model, the
        forms and typos, a follow-up's context)."""
        return self._language.is_foreign(question)

    def foreign_function_words(self, text: str) -> frozenset[str]:
        """The function and framing words of the language ``text`` is written in, when it
        is another than the index's
        (:meth:`~ragqa.index.search.language.QuestionLanguage.function_words`)."""
        return self._language.function_words(text)

    def _is_foreign(self, question: str) -> bool:
        """:meth:`is_foreign`, when that changes the ranking or the verdict (a
        crosslingual fusion or relevance model is set)."""
        return self._detects() and self.is_foreign(question)

    def _fusion(self, foreign: bool) -> FusionParams:
        weight = self.params.crosslingual_dense_weight
        if not foreign or weight is None:
            return self.params.fusion
        return replace(self.params.fusion, dense_weight=weight)

    def model_question(self, question: str, doc_ids: Collection[str] | None = None,
                       scope: frozenset[str] | None = None, *,
                       foreign: bool | None = None) -> str:
        """``question`` as the model (and, where it changes, BM25) should read it: typed
        wholly without accents or capitals, its words in the forms of the top
        :attr:`RetrievalParams.question_forms` passages BM25 finds for it; a word the index
        holds no term of as the nearest word of the top :data:`TYPO_PASSAGES`
        (:attr:`RetrievalParams.question_typos`) (among ``doc_ids``, with ``scope``'s
        statistics: as :meth:`search`; :mod:`ragqa.index.search.typed`); else as typed. ``foreign``:
        whether it is in another language than the index's, when the caller knows."""
        return self._read_forms(question, self.params.question_forms, doc_ids, scope,
                                foreign=foreign)[0]

    def _read_forms(self, question: str, depth: int, doc_ids: Collection[str] | None,
                    scope: frozenset[str] | None, *, foreign: bool | None, forms: bool = True
                    ) -> tuple[str, Ranked | None]:
        """:meth:`model_question`, and BM25's top ``depth`` (at least the passages read)
        for the question as typed where it searched it and left it unchanged (a search
        reuses it: the same question, the same ranking), else None. ``forms`` False: the
        typos only."""
        wanted = self.params.question_forms if forms else 0
        plainly = bool(wanted) and typed_plainly(question)
        # (words read in their composed form: a decomposed accent is no word's end)
        unknown = (self._unknown_words(unicodedata.normalize("NFC", question), scope)
                   if self.params.question_typos else set())
        if not (plainly or unknown):
            return question, None
        # A question in another language: its words' forms are that language's, and the
        # words the index lacks are words of that language, not typos of the index's ("Who
        # signed it?" is no "Who signé it?"). (Reading such words only into the passages'
        # names was measured worse: "Foundation" became "Fondation", "Agency" "Agence".)
        if foreign is None:
            foreign = self.is_foreign(question)
        if foreign:
            return question, None
        typos = TYPO_PASSAGES if unknown else 0
        passages = max(typos, wanted if plainly else 0)
        # (a conversation's BM25 ranks its top k otherwise than the top k of a longer list:
        # only a ranking of the search's own depth is reused)
        ranked = self.index.lexical_top(question, max(depth, passages), doc_ids, scope)
        rows = ranked[0][:passages].tolist()
        found = self.index.passages_of(rows)
        quotes = [found[r].quote for r in rows if r in found]
        read = restored(question, quotes[:wanted]) if plainly else question
        if unknown:
            read = corrected(unicodedata.normalize("NFC", read), unknown, quotes[:typos],
                             marks=marked_letters(question))
        if read not in (question, unicodedata.normalize("NFC", question)):
            return read, None
        if passages > depth:
            return question, None
        return question, ranked

    def _unknown_words(self, question: str, scope: frozenset[str] | None) -> set[str]:
        """The :func:`long_words` of ``question`` the index (``scope``'s passages when
        given) holds none of the analysed terms of (a stopword, which has none, is known)."""
        analyzer = self.index.analyzer
        words = {w: analyzer(w) for w in long_words(question)}
        terms = list(dict.fromkeys(t for held in words.values() for t in held))
        if not terms:
            return set()
        # A term no passage holds gets the largest idf: that of one no analyzer makes.
        idf = self.index.idf([*terms, NO_TERM], scope)
        absent = {t for t, value in zip(terms, idf) if value >= idf[-1] - 1e-9}
        return {w for w, held in words.items() if held and any(t in absent for t in held)}

    def _reordered(self, question: str, hits: tuple[Hit, ...], reorders: Reorders,
                   query_vector: np.ndarray, dense_rows: np.ndarray, lexical_rows: np.ndarray,
                   scope: frozenset[str] | None, *, tokens: bool
                   ) -> tuple[tuple[Hit, ...], RelevanceFeatures]:
        """``hits`` with their top reordered (:mod:`ragqa.index.search.reorder`), renumbered,
        and the features of the first of ``hits`` (the fusion's best). The token match joins
        the features when ``tokens`` (the relevance signal uses it) and the store holds every
        top hit's token vectors: no model pass is made for the order."""
        reorder = reorders.with_tokens if tokens else reorders.without_tokens
        head = hits[:reorder.top]
        measured = self._measured(question, head, query_vector, dense_rows, lexical_rows, scope)
        if tokens:
            assert self.passage_tokens is not None and self.embedder is not None
            stored = self.passage_tokens.stored_each(
                [(hit.quote, _window_quotes(hit)) for hit in head])
            if all(found is not None for found in stored):
                asked = self.embedder.token_vectors(question, query=True)
                measured = [m._replace(token_match=token_match(asked, found))
                            for m, found in zip(measured, stored)]
            else:
                reorder = reorders.without_tokens
                head = hits[:reorder.top]
                measured = measured[:reorder.top]
        order = reorder.order([hit.score for hit in head], measured)
        moved = [head[i] for i in order] + list(hits[len(head):])
        return tuple(replace(hit, rank=i + 1) for i, hit in enumerate(moved)), measured[0]

    def _measured(self, question: str, head: Sequence[Hit], query_vector: np.ndarray,
                  dense_rows: np.ndarray, lexical_rows: np.ndarray,
                  scope: frozenset[str] | None) -> list[RelevanceFeatures]:
        """:meth:`_features` of each of ``head`` with its best sentence and without the token
        match, the same values made with less work: each passage's sentences analysed once
        (its coverage reads their terms together: a sentence ends at whitespace, which the
        analyzer splits words at), one stored-vector read for every passage's sentences
        compared, the question's idf read once."""
        analyzer = self.index.analyzer
        terms, idf = self._idf(question, scope)
        weights = dict(zip(terms, idf))
        agreement = ranker_agreement(dense_rows, lexical_rows)
        coverages, compared, owners = [], [], []
        for n, hit in enumerate(head):
            quote = hit.quote
            sentences = [quote[a:b] for a, b in sentence_spans(quote, 0, len(quote))]
            analysed = [analyzer(s) for s in sentences]
            coverages.append(term_coverage(terms, idf, chain.from_iterable(analysed)))
            chosen = sentences_to_compare(analysed, weights)
            compared += [sentences[i] for i in chosen]
            owners += [n] * len(chosen)
        assert self.sentence_vectors is not None  # our model's (a hybrid search)
        vectors, owned = self.sentence_vectors(compared), np.asarray(owners, dtype=int)
        best = [best_sentence_cosine(vectors[owned == n], query_vector) for n in range(len(head))]
        passages = self.index.vectors([hit.row for hit in head])
        return [RelevanceFeatures(coverage, float(vector @ query_vector), agreement, sentence)
                for vector, coverage, sentence in zip(passages, coverages, best)]

    def relevance_features(self, question: str, top: Hit, query_vector: np.ndarray | None,
                           doc_ids: Collection[str] | None = None,
                           scope: frozenset[str] | None = None) -> RelevanceFeatures:
        """All the :class:`RelevanceFeatures` of a search for ``question`` (restricted to
        ``doc_ids``, with the statistics of ``scope`` as :meth:`search`) whose best passage
        is ``top`` (see :mod:`ragqa.index.search.relevance`); all but the coverage are None
        without a query vector. The rankings compared are those a search of up to
        ``candidates`` results has."""
        return self.relevance_features_each(question, [top], query_vector, doc_ids, scope)[0]

    def relevance_features_each(self, question: str, hits: Sequence[Hit],
                                query_vector: np.ndarray | None,
                                doc_ids: Collection[str] | None = None,
                                scope: frozenset[str] | None = None) -> list[RelevanceFeatures]:
        """:meth:`relevance_features` of each of ``hits`` as if it were the best passage,
        the rankings compared made once."""
        only = frozenset(doc_ids) if doc_ids is not None else scope
        if only is not None:
            self._check_known(only)
        lexical, dense = self._rankings(question, query_vector, self.params.candidates, only,
                                        lexical=query_vector is not None, scope=scope)
        idf = self._idf(question, scope)
        return [self._features(question, hit, query_vector, dense[0], lexical[0],
                               sentence=True, tokens=True, scope=scope, idf=idf)
                for hit in hits]

    def _features(self, question: str, top: Hit, query_vector: np.ndarray | None,
                  dense_rows: np.ndarray, lexical_rows: np.ndarray, *, sentence: bool,
                  tokens: bool, scope: frozenset[str] | None = None,
                  idf: tuple[list[str], list[float]] | None = None) -> RelevanceFeatures:
        """The features of ``top``; the best sentence's cosine and the token match (model
        calls) only when asked for (``sentence``, ``tokens``); idf over ``scope``'s passages
        when given (``idf``: the question's terms and their weights, read by :meth:`_idf`)."""
        analyzer = self.index.analyzer
        terms, idf = idf if idf is not None else self._idf(question, scope)
        coverage = term_coverage(terms, idf, analyzer(top.quote))
        if query_vector is None:
            return RelevanceFeatures(coverage)
        cosine = float(self.index.vector(top.row) @ query_vector)
        best = matched = None
        assert self.embedder is not None and self.sentence_vectors is not None  # our model's
        if sentence:
            sentences = [top.quote[a:b] for a, b in sentence_spans(top.quote, 0, len(top.quote))]
            chosen = sentences_to_compare([analyzer(s) for s in sentences], dict(zip(terms, idf)))
            best = best_sentence_cosine(
                self.sentence_vectors([sentences[i] for i in chosen]), query_vector)
        if tokens:
            matched = self._token_match(question, top)
        return RelevanceFeatures(coverage, cosine, ranker_agreement(dense_rows, lexical_rows),
                                 best, matched)

    def _token_match(self, question: str, hit: Hit) -> float:
        """The relevance's token match of ``hit`` (its stored tokens, else a model pass)."""
        assert self.passage_tokens is not None and self.embedder is not None
        return token_match(self.embedder.token_vectors(question, query=True),
                           self.passage_tokens.of(hit.quote, _window_quotes(hit)))

    def _idf(self, question: str, scope: frozenset[str] | None
             ) -> tuple[list[str], list[float]]:
        """The question's distinct analysed terms and their idf (over ``scope``'s passages
        when given)."""
        terms = list(dict.fromkeys(self.index.analyzer(question)))
        return terms, self.index.idf(terms) if scope is None else self.index.idf(terms, scope)

    def _rankings(self, question: str, query_vector: np.ndarray | None, depth: int,
                  doc_ids: frozenset[str] | None, *, lexical: bool,
                  scope: frozenset[str] | None = None) -> tuple[Ranked, Ranked]:
        """``(lexical, dense)`` top-``depth`` candidates among the passages of ``doc_ids``
        (all without; BM25 with ``scope``'s statistics when given); a ranker not asked for
        (``lexical`` False, no ``query_vector``) gives an empty list."""
        empty = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))
        bm25 = vectors = empty
        if lexical:
            bm25 = (self.index.lexical_top(question, depth, doc_ids) if scope is None
                    else self.index.lexical_top(question, depth, doc_ids, scope))
        if query_vector is not None:
            vectors = self.index.dense_top(query_vector, depth, doc_ids)
        return bm25, vectors

    def threshold_for(self, question: str, mode: str | None = None) -> float:
        """The low-relevance threshold a search of ``question`` is held to."""
        return self.relevance_model_for(question, mode).threshold

    def relevance_model_for(self, question: str, mode: str | None = None) -> RelevanceModel:
        """The relevance model a search of ``question`` in ``mode`` is scored with."""
        mode = mode or self.params.mode
        return self._relevance_model(mode, mode != "bm25" and self._is_foreign(question))

    def _relevance_model(self, mode: str, foreign: bool = False) -> RelevanceModel:
        if mode == "bm25":
            return self.params.relevance_lexical
        if foreign and self.params.relevance_crosslingual is not None:
            return self.params.relevance_crosslingual
        if mode == "dense" and self.params.relevance_dense is not None:
            return self.params.relevance_dense
        return self.params.relevance

    def _check_known(self, doc_ids: frozenset[str]) -> None:
        unknown = self.index.unknown_documents(doc_ids)
        if unknown:
            raise UnknownDocumentError(f"no document {unknown[0]!r} in the index")

    def _chosen(self, ranked: list[tuple[int, float]],
                k: int) -> list[tuple[PassageRecord, float]]:
        """The first ``k`` ranked passages, read from the store a batch at a time (usually
        one), without near-duplicates when ``dedupe`` (windows mostly the same, a passage
        of a document's copy shown from the original); rows gone meanwhile are skipped."""
        kept: list[tuple[PassageRecord, float]] = []
        batch = max(4 * k, 20) if self.params.dedupe else k
        for begin in range(0, len(ranked), batch):
            part = ranked[begin : begin + batch]
            records = self.index.passages_of(row for row, _ in part)
            for row, score in part:
                p = records.get(row)
                if p is not None:
                    _take(kept, p, score, self.params)
                    if len(kept) == k:
                        return kept
        return kept


def _ending_with(text: str, question: str, read: str) -> str:
    """``text`` (which ends with ``question``, stripped or not) with that end read as
    ``read``; ``text`` as it is where it does not end so (its context matters more)."""
    if read == question:
        return text
    end = text.rstrip()
    for asked in (question.strip(), question):
        if asked and end.endswith(asked):
            return end[: len(end) - len(asked)] + read.strip()
    return text


def _window_quotes(hit: Hit | PassageRecord) -> list[str]:
    """The quotes of the index's passages ``hit`` was joined or cut from (none when it is
    one)."""
    if hit.cut_from:
        return list(hit.cut_from)
    return [hit.quote[a - hit.start : b - hit.start] for a, b in hit.windows]


def _stored_quotes(p: PassageRecord) -> tuple[str, ...]:
    """The quotes of the index's passages that make ``p``: its windows', else its own."""
    return tuple(_window_quotes(p)) or (p.quote,)


def _hit(rank: int, p: PassageRecord, score: float) -> Hit:
    return Hit(rank=rank, score=round(float(score), 6), row=p.row, doc_id=p.doc_id,
               title=p.title, section=p.section, quote=p.quote, start=p.start, end=p.end,
               page=p.page, before=p.before, after=p.after, windows=p.windows,
               cut_from=p.cut_from)


def _take(kept: list[tuple[PassageRecord, float]], p: PassageRecord, score: float,
          params: RetrievalParams) -> None:
    """``kept`` (best first) with the next ranked passage ``p``: joined to one it overlaps
    or touches, left out as a near-duplicate, cut to what the others do not show, or added."""
    if _merged(kept, p, params.merge_neighbours):
        if params.dedupe:  # the passage it joined may now reach others
            _recut(kept, params.least_new)
        return
    if params.dedupe:
        # a cut passage shows less than its window: what it does not show is left to the
        # cut below, not dropped with it
        if any((_mostly_same(p, other) and not other.cut_from) or _copied(p, other)
               for other, _ in kept):
            return
        cut = _unshown(p, [other for other, _ in kept], params.least_new)
        if cut is None:
            return
        p = cut
    kept.append((p, score))


def _merged(kept: list[tuple[PassageRecord, float]], p: PassageRecord, limit: int) -> bool:
    """Whether ``p`` went into a kept passage of its section that it overlaps or touches (the
    union within ``limit`` characters); the union then absorbs any other kept passage it
    now reaches, which leaves the list."""
    for i, (other, score) in enumerate(kept):
        union = _union(other, p, limit)
        if union is None:
            continue
        j = i + 1
        while j < len(kept):
            wider = _union(union, kept[j][0], limit)
            if wider is None:
                j += 1
            else:
                union = wider
                del kept[j]
        kept[i] = (union, score)
        return True
    return False


def _union(a: PassageRecord, b: PassageRecord, limit: int) -> PassageRecord | None:
    """One passage of ``a`` and ``b`` (the row, rank and score of ``a``) when they are of one
    section of one document, overlap or touch, and span at most ``limit`` characters."""
    if (a.doc_id != b.doc_id or a.section != b.section or b.start > a.end or a.start > b.end
            or max(a.end, b.end) - min(a.start, b.start) > limit or a.cut_from or b.cut_from):
        return None
    first, last = (a, b) if a.start <= b.start else (b, a)
    if last.end <= first.end:  # one holds the other
        quote, after = first.quote, first.after
    else:  # the two quotes agree where they overlap: both are slices of one text
        quote, after = first.quote + last.quote[first.end - last.start:], last.after
    windows = tuple(sorted({*(a.windows or ((a.start, a.end),)),
                            *(b.windows or ((b.start, b.end),))}))
    return replace(a, start=first.start, end=max(a.end, b.end), quote=quote,
                   before=first.before, after=after, page=first.page, windows=windows)


def _recut(kept: list[tuple[PassageRecord, float]], least: int) -> None:
    """Each passage of ``kept`` cut to what the ones before it do not show (see
    :func:`_unshown`), or left out."""
    i = 1
    while i < len(kept):
        p, score = kept[i]
        cut = _unshown(p, [other for other, _ in kept[:i]], least)
        if cut is None:
            del kept[i]
        else:
            kept[i] = (cut, score)
            i += 1


def _unshown(p: PassageRecord, kept: Sequence[PassageRecord],
             least: int) -> PassageRecord | None:
    """``p`` as it is when no passage of ``kept`` shows any of its text; else the longest run
    of its sentences that they do not show (a sentence counts as shown when its middle is),
    cut from it as an exact slice of the document, or None when that run is shorter than
    ``least`` characters."""
    shown = sorted((o.start, o.end) for o in kept
                   if (o.doc_id == p.doc_id or _same_text(o, p))
                   and o.start < p.end and p.start < o.end)
    if not shown:
        return p
    runs: list[list[tuple[int, int]]] = [[]]
    for a, b in sentence_spans(p.quote, 0, len(p.quote)):
        middle = p.start + (a + b) / 2
        if any(s <= middle < e for s, e in shown):
            runs.append([])
        else:
            runs[-1].append((a, b))
    if len(runs) == 1:
        return p  # it only touches what they show
    cut = max(((run[0][0], run[-1][1]) for run in runs if run),
              key=lambda span: span[1] - span[0], default=None)
    if cut is None or cut[1] - cut[0] < least:
        return None
    a, b = cut
    return replace(p, start=p.start + a, end=p.start + b, quote=p.quote[a:b],
                   before=(p.before + p.quote[:a]).rsplit("\n", 1)[-1],
                   after=(p.quote[b:] + p.after).split("\n", 1)[0], windows=(),
                   cut_from=p.cut_from or _stored_quotes(p))


def _same_text(a: PassageRecord, b: PassageRecord) -> bool:
    """Whether ``a`` and ``b``, of two documents of one title, write the same text where
    they overlap at the same offsets (a document and its copy: see :func:`_copied`)."""
    first, last = max(a.start, b.start), min(a.end, b.end)
    return (a.title == b.title and first < last
            and a.quote[first - a.start:last - a.start] == b.quote[first - b.start:last - b.start])


def _copied(p: PassageRecord, kept: PassageRecord) -> bool:
    """Whether ``p`` is a passage ``kept`` already shows from a copy of its document ("Copie
    de note.docx", "faq (1).md" beside the original): of another document of the same
    title, the same text at the same offsets."""
    return (p.doc_id != kept.doc_id and p.title == kept.title and kept.start <= p.start
            and p.end <= kept.end
            and kept.quote[p.start - kept.start:p.end - kept.start] == p.quote)


def _mostly_same(a, b) -> bool:
    if a.doc_id != b.doc_id:
        return False
    shared = min(a.end, b.end) - max(a.start, b.start)
    return shared * 2 > min(a.end - a.start, b.end - b.start)


def unpaired_surrogate(text: str) -> str | None:
    """What to say of ``text`` when it holds a lone UTF-16 surrogate (JSON's ``"\\ud800"``
    without its pair: a cut emoji), which no model or analyzer can read; else None."""
    found = _SURROGATE.search(text)
    if found is None:
        return None
    return (f"holds an unpaired UTF-16 surrogate (\\u{ord(found.group()):04x} at character "
            f"{found.start()}): send valid Unicode text")


def validate_question(question: str) -> str:
    if not isinstance(question, str) or _BLANK.fullmatch(question):
        raise QueryError("the question is empty; ask something")
    if (broken := unpaired_surrogate(question)) is not None:
        raise QueryError(f"the question {broken}")
    if len(question) > MAX_QUESTION_CHARS:
        raise QueryError(
            f"the question is {len(question)} characters long; the limit is {MAX_QUESTION_CHARS}"
        )
    return question.strip()
