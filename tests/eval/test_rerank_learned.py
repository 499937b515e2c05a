"""The reorder fit's own scoring: only the top is reordered, and the scores follow it."""

import numpy as np
import pytest

from ragqa.eval.rerank_learned import Search, reordered, scores


def test_only_the_top_is_reordered_and_the_scores_follow_the_new_order():
    right = np.array([False, False, True, False])
    search = Search("dev", np.array([[0.0], [1.0], [2.0], [3.0]]), right)
    assert reordered(search, None, 3).tolist() == right.tolist()  # the served order
    # the weights put the third hit first; the fourth (outside the top 3) stays last
    assert reordered(search, np.array([1.0]), 3).tolist() == [True, False, False, False]
    assert scores([search], None, 3) == {"recall@1": 0.0, "mrr@10": pytest.approx(0.3333)}
    assert scores([search], np.array([1.0]), 3) == {"recall@1": 1.0, "mrr@10": 1.0}
    assert scores([search], np.array([-1.0]), 2)["recall@1"] == 0.0
