"""The peer comparison on the eval sets (eval/peer_eval.py): naive windows and scoring."""

import pytest

from ragqa.eval.peer_eval import Window, naive_windows, ranks_of, summary
from ragqa.eval.questions import Question


def test_windows_tile_the_text_with_exact_offsets():
    text = "".join(chr(ord("a") + i % 26) for i in range(2345))
    windows = naive_windows("d.md", text, 1000)
    assert [(w.start, w.end) for w in windows] == [(0, 1000), (1000, 2000), (2000, 2345)]
    assert "".join(text[w.start : w.end] for w in windows) == text
    assert {w.doc_id for w in windows} == {"d.md"}


def test_blank_windows_are_dropped_and_offsets_kept():
    text = "x" * 10 + " " * 10 + "\n" * 10 + "y" * 5
    windows = naive_windows("d.md", text, 10)
    assert [(w.start, w.end) for w in windows] == [(0, 10), (30, 35)]
    assert naive_windows("e.md", "", 10) == []
    with pytest.raises(ValueError):
        naive_windows("d.md", text, 0)


def test_ranks_count_a_hit_only_in_the_gold_document_over_half_the_span():
    windows = [Window("a.md", 0, 100), Window("a.md", 100, 200), Window("b.md", 0, 100)]
    gold = Question("q1", "?", "fr", "squad", "a.md", ((90, 120),), "g")  # 10 in w0, 20 in w1
    other = Question("q2", "?", "fr", "squad", "b.md", ((10, 20),), "g")
    missing = Question("q3", "?", "fr", "squad", "a.md", ((300, 310),), "g")
    unanswerable = Question("q4", "?", "fr", "unanswerable", None, (), "g")
    ranked = [[0, 2, 1], [0, 1, 2], [0, 1, 2], [2]]
    ranks = ranks_of(ranked, windows, [gold, other, missing, unanswerable])
    assert ranks == [3, 3, None]
    assert summary(ranks) == {"questions": 3, "recall@1": 0.0, "recall@5": 0.6667,
                              "recall@10": 0.6667, "mrr@10": 0.2222}
    with pytest.raises(ValueError):
        ranks_of(ranked[:2], windows, [gold, other, missing])
