import json
from collections import Counter
from pathlib import Path

import pytest

from ragqa.eval.questions import QuestionSetError, load_questions, select, split_of
from tests.conftest import CORPUS, ROOT

QUESTIONS = ROOT / "eval" / "questions.jsonl"


def _texts():
    return {p.name: p.read_text(encoding="utf-8") for p in CORPUS.glob("*.txt")}


def test_every_answer_occurs_in_its_document():
    texts = _texts()
    rows = [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line]
    assert len(rows) >= 100
    assert len({r["id"] for r in rows}) == len(rows)
    for r in rows:
        assert set(r) == {"id", "question", "lang", "kind", "doc", "answers"}
        if r["kind"] == "unanswerable":
            assert r["doc"] is None and r["answers"] == []
        else:
            assert r["answers"], r["id"]
            for answer in r["answers"]:
                assert answer in texts[r["doc"]], (r["id"], answer)
    kinds = Counter(r["kind"] for r in rows)
    assert kinds["paraphrase"] / len(rows) >= 0.25
    assert kinds["crosslingual"] / len(rows) >= 0.12
    assert kinds["unanswerable"] / len(rows) >= 0.08
    assert {r["doc"] for r in rows if r["doc"]} == set(texts)


def test_loaded_spans_point_at_the_answers():
    texts = _texts()
    questions = load_questions(QUESTIONS, texts)
    for q in questions:
        for start, end in q.spans:
            assert texts[q.doc][start:end]


def test_split_is_seeded_and_stable():
    questions = load_questions(QUESTIONS, _texts())
    dev, test = select(questions, "dev"), select(questions, "test")
    assert len(dev) + len(test) == len(questions)
    assert not {q.id for q in dev} & {q.id for q in test}
    assert split_of("q001") == split_of("q001")
    assert 0.35 < len(test) / len(questions) < 0.65


def test_bad_question_files(tmp_path: Path):
    bad = tmp_path / "q.jsonl"
    bad.write_text('{"id": "x"}\n', encoding="utf-8")
    with pytest.raises(QuestionSetError, match="malformed"):
        load_questions(bad, _texts())
    bad.write_bytes(b"\xff\xfe\x00binary")  # was an "unexpected failure" on the command line
    with pytest.raises(QuestionSetError, match="not UTF-8 text"):
        load_questions(bad, _texts())
    bad.write_text(json.dumps({"id": "x", "question": "q", "lang": "fr", "kind": "lexical",
                               "doc": "000_53d6d8110b4badda.txt", "answers": ["absent"]}) + "\n")
    with pytest.raises(QuestionSetError, match="not in"):
        load_questions(bad, _texts())


def test_offtopic_set_is_balanced_and_split_explicitly(tmp_path):
    from ragqa.eval.questions import load_offtopic

    path = ROOT / "eval" / "offtopic.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    assert len({r["id"] for r in rows}) == len(rows) >= 40
    for split in ("dev", "test"):
        langs = Counter(r["lang"] for r in rows if r["split"] == split)
        assert langs["fr"] >= 10 and langs["en"] >= 10, (split, langs)
    assert len(load_offtopic(path, "test")) == sum(r["split"] == "test" for r in rows)
    assert len(load_offtopic(path, "all")) == len(rows)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "sans split"}\n', encoding="utf-8")
    with pytest.raises(QuestionSetError, match="malformed"):
        load_offtopic(bad, "dev")


def test_offtopic_rates_are_summarised():
    from ragqa.eval.runner import ModeRun, summarise

    run = ModeRun(ranks=[1, 2], relevance=[[True], [False, True]], kinds=["lexical"] * 2,
                  latency_ms=[1.0, 1.0],
                  signal=[(True, True, 0.9, False), (True, False, 0.4, True)],
                  offtopic=[(0.1, True), (0.5, False)])
    out = summarise({"hybrid": run})
    assert out["hybrid.low_relevance.flagged_offtopic"] == 0.5
    assert out["hybrid.low_relevance.offtopic_auc"] == 0.75  # 3 of the 4 (answerable, off-topic) pairs ordered
    assert out["hybrid.low_relevance.flagged_answerable"] == 0.5


def test_translations_ask_their_originals_in_another_language(tmp_path: Path):
    from ragqa.eval.questions import Question, load_translations

    originals = [Question("a", "Où Orange lance-t-il la 5G ?", "", "squad", "o.md", ((0, 5),), "O"),
                 Question("b", "Qui signe ?", "", "squad", "n.md", ((3, 9),), "N")]
    path = tmp_path / "en.jsonl"
    path.write_text(json.dumps({"id": "b", "lang": "en", "question": "Who signs?"}) + "\n",
                    "utf-8")
    [asked] = load_translations(path, originals)
    assert (asked.id, asked.question, asked.lang, asked.kind) == ("b", "Who signs?", "en",
                                                                  "crosslingual")
    assert (asked.doc, asked.spans, asked.group) == ("n.md", ((3, 9),), "N")  # same split
    path.write_text(json.dumps({"id": "zz", "lang": "en", "question": "?"}) + "\n", "utf-8")
    with pytest.raises(QuestionSetError, match=r"en.jsonl:1: not a translation"):
        load_translations(path, originals)


def test_the_piaf_translations_name_piaf_questions_on_both_splits():
    from ragqa.eval.questions import load_translations
    from ragqa.eval.squad import load_squad

    piaf = ROOT.parent / "shared" / "benchmarks" / "piaf" / "piaf-v1.0.json"
    if not piaf.is_file():
        pytest.skip("../shared/benchmarks/piaf is not beside the repository")
    _, questions = load_squad(piaf)
    asked = load_translations(ROOT / "eval" / "piaf-en.jsonl", questions)
    assert len(asked) == 120 and all(q.answerable and q.lang == "en" for q in asked)
    assert Counter(split_of(q.group) for q in asked) == {"dev": 80, "test": 40}
