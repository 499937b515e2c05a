"""The trained token match's score: untrained, it is the served token match."""

import numpy as np
import pytest

from ragqa.index.search.relevance import token_match


def _rows(rng, n):
    rows = rng.standard_normal((n, 8)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_untrained_it_is_the_token_match_and_the_weights_move_it():
    torch = pytest.importorskip("torch")
    from ragqa.eval.late_interaction import late_score

    rng = np.random.default_rng(0)
    question, passages = _rows(rng, 5), [_rows(rng, 7), _rows(rng, 3)]
    padded = np.zeros((2, 7, 8), np.float32)
    mask = np.zeros((2, 7), bool)
    for i, rows in enumerate(passages):
        padded[i, :len(rows)], mask[i, :len(rows)] = rows, True
    q, p, m = torch.tensor(question), torch.tensor(padded), torch.tensor(mask)
    plain = late_score(q, p, m, torch.zeros(8), torch.eye(8)).numpy()
    assert plain == pytest.approx([token_match(question, rows) for rows in passages], abs=1e-5)
    # padding never wins a max, and a direction weighs the question's tokens unequally
    weighted = late_score(q, p, m, torch.tensor(question[0] * 5)).numpy()
    assert not np.allclose(weighted, plain)
    assert weighted[1] <= 1.0 and weighted[1] >= float((question @ passages[1].T).min())
