import json

import pytest

from ragqa.eval.metrics import first_hit_rank, is_hit, mrr_at, ndcg_at, recall_at
from ragqa.eval.squad import load_squad


def test_hit_needs_half_of_a_gold_span_in_the_gold_doc():
    spans = [(100, 120)]
    assert is_hit("a", 90, 110, "a", spans)  # 10 of 20 characters
    assert not is_hit("a", 90, 109, "a", spans)  # 9 of 20
    assert not is_hit("b", 0, 1000, "a", spans)
    assert is_hit("a", 0, 1000, "a", [(5000, 5001), (10, 12)])


def test_rank_metrics():
    ranks = [1, 3, None, 11]
    assert recall_at(ranks, 1) == 0.25
    assert recall_at(ranks, 5) == 0.5
    assert mrr_at(ranks, 10) == pytest.approx((1 + 1 / 3) / 4)
    assert first_hit_rank([False, True, True]) == 2
    assert ndcg_at([[True], [False, True]], 10) == pytest.approx((1 + 1 / 1.5849625) / 2, rel=1e-4)


def test_squad_contexts_become_documents_with_answer_offsets(tmp_path):
    squad = {"data": [{"title": "Rabat", "paragraphs": [
        {"context": "Rabat est la capitale du Maroc.", "qas": [
            {"id": "1", "question": "Quelle est la capitale ?", "answers": [{"text": "Rabat", "answer_start": 0}]}]},
        {"context": "Elle compte 600 000 habitants.", "qas": [
            {"id": "2", "question": "Combien d'habitants ?", "answers": [{"text": "600 000", "answer_start": 12}]}]},
    ]}]}
    path = tmp_path / "s.json"
    path.write_text(json.dumps(squad), encoding="utf-8")
    documents, questions = load_squad(path)
    (doc_id, text), = documents.items()
    assert text.startswith("# Rabat\n\n")
    for q in questions:
        (start, end), = q.spans
        assert q.doc == doc_id and q.group == "Rabat"
    assert text[slice(*questions[1].spans[0])] == "600 000"


def test_auc_counts_ordered_pairs_and_ties():
    from ragqa.eval.metrics import auc

    assert auc([0.9, 0.8], [0.1, 0.2]) == 1.0
    assert auc([0.1], [0.9]) == 0.0
    assert auc([0.5], [0.5]) == 0.5
    assert auc([0.9, 0.3], [0.5]) == 0.5


@pytest.mark.parametrize("data", [5, [5], [{"paragraphs": [{"qas": []}]}],
                                  [{"paragraphs": [{"context": "x", "qas": [{"id": 1}]}]}]])
def test_a_malformed_squad_file_is_our_error_naming_it(tmp_path, data):
    from ragqa.eval.questions import QuestionSetError

    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"data": data}), "utf-8")
    with pytest.raises(QuestionSetError, match="not a SQuAD-format file"):
        load_squad(path)
