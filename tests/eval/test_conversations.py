"""Conversations as an eval set: the file's rules, the runner, ``ragqa eval --conversations``,
and the committed set itself."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from ragqa.eval.conversations import (
    CONDITIONS,
    ConversationRun,
    conversations_table,
    load_conversations,
    summarise,
)
from ragqa.eval.questions import QuestionSetError
from ragqa.eval.squad import load_squad
from tests.conftest import CORPUS, ROOT
from tests.support import run_ragqa as ragqa

TEXTS = {"orange.md": "# Orange Maroc\n\nOrange Maroc lance la 5G à Casablanca en 2025. "
                      "Orange Maroc lance la 5G.\n",
         "nokia.txt": "Nokia signe un protocole d'accord\n\nNokia et le ministère signent.\n"}
FIRST = {"question": "Où Orange lance-t-il la 5G ?", "doc": "orange.md",
         "answers": ["Orange Maroc lance la 5G"]}
SECOND = {"question": "Et en quelle année ?", "kind": "ellipsis",
          "standalone": "En quelle année Orange lance-t-il la 5G ?", "doc": "orange.md",
          "answers": ["en 2025"]}
PIAF = Path("/work/shared/benchmarks/piaf/piaf-v1.0.json")


def _write(tmp_path: Path, *rows: dict) -> Path:
    path = tmp_path / "c.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), "utf-8")
    return path


def _row(turns=(FIRST, SECOND), **over) -> dict:
    return {"id": "c1", "corpus": "project", "split": "dev", "turns": list(turns), **over}


def test_a_conversation_is_read_with_every_place_its_answers_occur(tmp_path):
    [conversation] = load_conversations(_write(tmp_path, _row()), TEXTS, "project")
    first, second = conversation.turns
    assert first.kind == "first" and first.standalone == ""
    text = TEXTS["orange.md"]
    assert [text[a:b] for a, b in first.spans] == ["Orange Maroc lance la 5G"] * 2
    assert (second.kind, second.standalone) == ("ellipsis", SECOND["standalone"])


def test_corpus_and_split_select(tmp_path):
    path = _write(tmp_path, _row(), _row(id="c2", split="test"), _row(id="c3", corpus="piaf"),
                  _row(id="c4", split="test2"), _row(id="c5", split="test3"),
                  _row(id="c6", split="dev2"))
    # test3 is held out: read only when asked for by name.
    assert [c.id for c in load_conversations(path, TEXTS, "project")] == ["c1", "c2", "c4", "c6"]
    assert [c.id for c in load_conversations(path, TEXTS, "project", "dev2")] == ["c6"]
    assert [c.id for c in load_conversations(path, TEXTS, "project", "test")] == ["c2"]
    assert [c.id for c in load_conversations(path, TEXTS, "project", "test2")] == ["c4"]
    assert [c.id for c in load_conversations(path, TEXTS, "project", "test3")] == ["c5"]


@pytest.mark.parametrize("row, message", [
    (_row(turns=[FIRST]), "two or three turns"),
    (_row(turns=[FIRST, {**SECOND, "kind": "other"}]), "needs a kind"),
    (_row(turns=[FIRST, {k: v for k, v in SECOND.items() if k != "standalone"}]), "standalone"),
    (_row(turns=[FIRST, {**SECOND, "answers": ["absent"]}]), "is not in orange.md"),
    (_row(turns=[FIRST, {**SECOND, "doc": "gone.md"}]), "not in the corpus"),
    (_row(split="train"), "split dev, dev2, test, test2 or test3"),
    ({"id": "c1"}, "malformed conversation"),
])
def test_a_malformed_file_says_where(tmp_path, row, message):
    with pytest.raises(QuestionSetError, match=message) as caught:
        load_conversations(_write(tmp_path, row), TEXTS, "project")
    assert "c.jsonl:1" in str(caught.value)


def test_summary_and_table():
    run = ConversationRun(first=[1, 2], switch=[1], switch_used=[False],
                          ranks={"history": [1, None], "alone": [None, None],
                                 "standalone": [1, 6]},
                          kinds=["pronoun", "standalone"], used=[True, False])
    metrics = summarise(run)
    assert metrics["history.recall@5"] == 0.5 and metrics["alone.recall@5"] == 0.0
    assert metrics["standalone.mrr@10"] == pytest.approx((1 + 1 / 6) / 2, abs=1e-4)
    assert metrics["pronoun.history_used"] == 1 and metrics["standalone.history_used"] == 0
    assert metrics["switch.recall@5"] == 1.0 and metrics["switch_alone.recall@5"] == 1.0
    table = conversations_table(metrics)
    assert "| follow-ups, with the history | 2 | 0.500 |" in table
    assert "| pronoun | 1 | 1 | 1.000 / 0.000 / 1.000 |" in table


def test_ragqa_eval_conversations(small_corpus, tmp_path):
    rows = [
        _row(id="c1", turns=[{"question": "Qui signe un protocole d'accord ?", "doc": "nokia.txt",
                              "answers": ["Nokia signe un protocole d'accord"]},
                             {"question": "Et avec qui ?", "kind": "ellipsis",
                              "standalone": "Avec qui Nokia signe-t-il un protocole d'accord ?",
                              "doc": "nokia.txt", "answers": ["Nokia et le ministère"]}]),
        _row(id="c2", turns=[{"question": "Où Orange lance-t-il la 5G ?", "doc": "orange.md",
                              "answers": ["Orange Maroc lance la 5G à Casablanca"]},
                             {"question": "Quand ouvre le data center de Rabat ?",
                              "kind": "standalone",
                              "standalone": "Quand ouvre le data center de Rabat ?",
                              "doc": "orange.md", "answers": ["ouvrira en juin"]}]),
    ]
    test2 = ragqa("eval", "--conversations", str(_write(tmp_path, *[{**r, "split": "test2"}
                                                                    for r in rows])),
                  "--corpus", str(small_corpus), "--index", str(tmp_path / "idx"), "--json",
                  "--split", "test2")
    assert test2.returncode == 0, test2.stderr
    assert json.loads(test2.stdout)["conversations"] == 2
    for held_out in ("test2", "test3"):
        questions = ragqa("eval", "--corpus", str(small_corpus), "--index",
                          str(tmp_path / "idx"), "--split", held_out)
        assert questions.returncode != 0 and "Traceback" not in questions.stderr
        assert "conversations" in questions.stderr
    out = tmp_path / "report"
    proc = ragqa("eval", "--conversations", str(_write(tmp_path, *rows)), "--corpus",
                 str(small_corpus), "--index", str(tmp_path / "idx"), "--json", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    metrics = json.loads(proc.stdout)
    assert (metrics["corpus"], metrics["conversations"], metrics["followups"]) == ("project", 2, 2)
    assert metrics["first.questions"] == 2 and metrics["switch.questions"] == 1
    for condition in CONDITIONS:
        assert 0 <= metrics[f"{condition}.recall@5"] <= 1
    assert metrics["standalone.history_used"] == 0  # the change of subject stands alone
    assert "| first turns | 2 |" in (out / "report.md").read_text("utf-8")
    broken = _row(turns=[FIRST, {**SECOND, "answers": ["pas dans le texte"]}])
    bad = ragqa("eval", "--conversations", str(_write(tmp_path, broken)), "--corpus",
                str(small_corpus), "--index", str(tmp_path / "idx"))
    assert bad.returncode != 0 and "Traceback" not in bad.stderr and "orange.md" in bad.stderr


def test_the_committed_set():
    """eval/conversations.jsonl: over 80 conversations of both corpora and both splits, every
    kind of follow-up in each split, and every gold answer found in its document."""
    path = ROOT / "eval" / "conversations.jsonl"
    texts = {p.name: p.read_text("utf-8") for p in CORPUS.glob("*.txt")}
    project = load_conversations(path, texts, "project")
    held_out = load_conversations(path, texts, "project", "test3")  # its answers found too
    piaf: list = []
    if PIAF.is_file():
        piaf = load_conversations(path, load_squad(PIAF)[0], "piaf")
    rows = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    assert len(rows) >= 80 and len({r["id"] for r in rows}) == len(rows)
    assert len(project) >= 40 and (not PIAF.is_file() or len(piaf) >= 40)
    assert len(held_out) >= 20 and not {c.id for c in held_out} & {c.id for c in project}
    kinds = Counter((r["split"], t["kind"]) for r in rows for t in r["turns"][1:])
    for split in ("dev", "test", "test2"):
        for kind in ("pronoun", "ellipsis", "comparison", "attribute", "standalone"):
            assert kinds[(split, kind)] >= 1, (split, kind)
    # test2, written after test had been seen: at least 30 conversations over both corpora.
    test2 = Counter(r["corpus"] for r in rows if r["split"] == "test2")
    assert sum(test2.values()) >= 30 and min(test2["project"], test2["piaf"]) >= 10
