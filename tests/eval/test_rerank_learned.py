"""The learned-reorder experiment's own parts: its features and the order it scores."""

import numpy as np
import pytest

from ragqa.eval.rerank_learned import FEATURES, Search, features, reordered, scores
from ragqa.index.search.relevance import RelevanceFeatures


def test_features_keep_each_measure_and_its_gap_to_the_best_hit():
    measured = [RelevanceFeatures(0.5, 0.8, 0.1, 0.7, 0.6),
                RelevanceFeatures(1.0, 0.9, 0.1, 0.6, 0.7)]
    x = features(np.array([1.0, 2.0]), np.array([0.04, 0.02]), measured)
    column = {name: x[:, i] for i, name in enumerate(FEATURES)}
    assert column["log_rank"].tolist() == [0.0, pytest.approx(np.log(2))]
    assert column["score_share"].tolist() == [1.0, 0.5]
    assert column["coverage_gap"].tolist() == [-0.5, 0.0]
    assert column["sentence_gap"].tolist() == [0.0, pytest.approx(-0.1)]
    assert column["token_match"].tolist() == [0.6, 0.7]


def test_only_the_top_is_reordered_and_the_scores_follow_the_new_order():
    right = np.array([False, False, True, False])
    search = Search("dev", np.array([[0.0], [1.0], [2.0], [3.0]]), right)
    assert reordered(search, None, 3).tolist() == right.tolist()  # the served order
    # the weights put the third hit first; the fourth (outside the top 3) stays last
    assert reordered(search, np.array([1.0]), 3).tolist() == [True, False, False, False]
    assert scores([search], None, 3) == {"recall@1": 0.0, "mrr@10": pytest.approx(0.3333)}
    assert scores([search], np.array([1.0]), 3) == {"recall@1": 1.0, "mrr@10": 1.0}
    assert scores([search], np.array([-1.0]), 2)["recall@1"] == 0.0
