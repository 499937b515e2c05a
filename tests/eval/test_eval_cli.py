"""`ragqa eval` end to end on a tiny corpus: flat JSON, report files, honest errors."""

import json

from tests.support import run_ragqa as ragqa


def test_eval_json_and_out(small_corpus, tmp_path):
    questions = tmp_path / "q.jsonl"
    rows = [
        {"id": "a", "question": "Où Orange lance-t-il la 5G ?", "lang": "fr", "kind": "lexical",
         "doc": "orange.md", "answers": ["Orange Maroc lance la 5G à Casablanca"]},
        {"id": "b", "question": "Which company signs a deal for fibre?", "lang": "en",
         "kind": "crosslingual", "doc": "nokia.txt", "answers": ["Nokia et le ministère signent un accord"]},
        {"id": "c", "question": "Quel est le prix du forfait ?", "lang": "fr", "kind": "unanswerable",
         "doc": None, "answers": []},
    ]
    questions.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), "utf-8")
    out = tmp_path / "report"
    proc = ragqa("eval", "--questions", str(questions), "--corpus", str(small_corpus),
                 "--index", str(tmp_path / "idx"), "--json", "--out", str(out), "-k", "5")
    assert proc.returncode == 0, proc.stderr
    metrics = json.loads(proc.stdout)
    assert metrics["split"] == "all"
    for mode in ("bm25", "dense", "hybrid"):
        assert metrics[f"{mode}.questions"] == 2  # unanswerable questions are not ranked
        assert 0 <= metrics[f"{mode}.recall@5"] <= 1
        assert metrics[f"{mode}.latency_p50_ms"] > 0
    assert metrics["bm25.lexical.recall@1"] == 1.0
    for mode in ("bm25", "dense", "hybrid"):  # the signal, with the unanswerable question
        assert metrics[f"{mode}.low_relevance.negatives"] == 1
        assert 0 <= metrics[f"{mode}.low_relevance.auc"] <= 1
    assert "Low-relevance signal" in (out / "report.md").read_text("utf-8")
    assert (out / "metrics.json").exists() and (out / "report.md").exists()
    assert (out / "recall_at_k.png").read_bytes()[:4] == b"\x89PNG"


def test_eval_rejects_a_question_whose_answer_is_not_in_the_corpus(small_corpus, tmp_path):
    questions = tmp_path / "q.jsonl"
    questions.write_text(json.dumps({"id": "a", "question": "q", "lang": "fr", "kind": "lexical",
                                     "doc": "orange.md", "answers": ["pas dans le texte"]}), "utf-8")
    proc = ragqa("eval", "--questions", str(questions), "--corpus", str(small_corpus),
                 "--index", str(tmp_path / "idx"))
    assert proc.returncode != 0
    assert "not in orange.md" in proc.stderr and "Traceback" not in proc.stderr


def test_eval_unknown_mode(small_corpus, tmp_path):
    proc = ragqa("eval", "--modes", "bm25,magic", "--corpus", str(small_corpus),
                 "--index", str(tmp_path / "idx"))
    assert proc.returncode == 2 and "magic" in proc.stderr
