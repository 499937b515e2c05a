"""The threshold rule of the low-relevance fit (eval/calibrate.py): a small dev set must sit
further below the issue's 10 % than a large one."""

import numpy as np
import pytest
from scipy.stats import binom

from ragqa.eval.calibrate import allowed_flags, fit


@pytest.mark.parametrize("n", [10, 40, 77, 78, 150, 600, 2030])
def test_the_flags_allowed_pass_a_binomial_test_against_the_target(n):
    m = allowed_flags(n)
    assert 0 <= m <= 0.08 * n
    if m:  # that few flagged is unlikely (under 10 %) if the true rate were 10 %
        assert binom.cdf(m, n, 0.10) <= 0.10
    if m < int(0.08 * n):  # and one more would not be
        assert binom.cdf(m + 1, n, 0.10) > 0.10


def test_a_small_set_gets_a_wider_margin_than_a_large_one():
    assert allowed_flags(77) == 3  # 3.9 %: 6 of 77 (8 %) is what a 12 % rate often gives
    assert allowed_flags(2030) == int(0.08 * 2030)  # large: the 8 % cap is what binds
    assert allowed_flags(77) / 77 < allowed_flags(150) / 150 < allowed_flags(600) / 600


def test_the_threshold_flags_no_more_than_allowed_in_each_set():
    rng = np.random.default_rng(0)
    parts, xs, ys = [], [], []
    # A small set whose answerable questions look less sure (paraphrased, cross-lingual)
    # and a large easy one.
    for i, (n_pos, n_neg, centre) in enumerate([(77, 40, 0.3), (600, 600, 1.5)]):
        xs += [rng.normal(centre, 1.0, n_pos), rng.normal(-1.0, 1.0, n_neg)]
        ys += [np.ones(n_pos, bool), np.zeros(n_neg, bool)]
        parts.append(np.full(n_pos + n_neg, i))
    x, y, part = np.concatenate(xs)[:, None], np.concatenate(ys), np.concatenate(parts)
    # No question answered at rank 1 here: the answerable rule alone sets the threshold.
    coef, intercept, threshold = fit(x, y, np.zeros_like(y), part)
    p = 1 / (1 + np.exp(-(intercept + x[:, 0] * coef[0])))
    for i in (0, 1):
        n = int((y & (part == i)).sum())
        assert (p[y & (part == i)] < threshold).sum() <= allowed_flags(n)
    # The small set binds: it has exactly its allowance flagged.
    assert (p[y & (part == 0)] < threshold).sum() == allowed_flags(77)


def test_the_fit_measures_the_passage_the_served_signal_measures(e5_corpus_index, e5_embedder):
    """With the reorder on (as served), a search's top can be another passage than the
    fusion's best, which the relevance signal measures: the fit's rows must be that one's,
    or a refit is made on other passages than it is applied to."""
    from ragqa.eval.calibrate import features
    from ragqa.eval.questions import Question
    from ragqa.index.files.generations import load_index
    from ragqa.index.search.fusion import default_fusion
    from ragqa.index.search.relevance import default_relevance
    from ragqa.index.search.reorder import default_reorder
    from ragqa.index.search.retriever import Retriever, RetrievalParams

    name = e5_embedder.model.name
    model = default_relevance(name)
    retriever = Retriever(load_index(e5_corpus_index), e5_embedder, RetrievalParams(
        fusion=default_fusion(name), relevance=model, reorder=default_reorder(name)))
    asked = ["Quand l'équipementier finlandais a-t-il ouvert son centre d'innovation dans "
             "le Royaume ?",
             "Quel montant Maroc Telecom a-t-il payé pour obtenir sa licence 5G ?",
             "Quel rôle Royal Air Maroc joue-t-elle pour le GITEX Africa ?",
             "Combien de startups sont inscrites au programme SPARK ?"]
    questions = [Question(f"q{i}", text, "fr", "unanswerable", None, (), f"q{i}")
                 for i, text in enumerate(asked)]
    x, *_ = features(retriever, questions, hold_out=False)
    moved = 0
    for row, q in zip(x, questions):
        vector = retriever.embedder.encode_queries([retriever.model_question(q.question)])[0]
        result = retriever.search(retriever.model_question(q.question), 10,
                                  query_vector=vector)
        moved += result.hits[0] != result.measured
        assert model.probability(*row) == pytest.approx(result.relevance, abs=1e-4)
    assert moved, "the reorder kept the fusion's best first on every question"
