"""`ragqa bench --quick` end to end: real model, real index, real `ragqa serve` on loopback,
the load generator in its own process. Checks the JSON shape and the written report, not
speed (speed belongs to the bench itself)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from ragqa.index.embedding.models import ResolvedModel

from ragqa.cli import main


@pytest.mark.heavy
def test_quick_bench_reports_every_section(small_corpus: Path, minilm: ResolvedModel,
                                           tmp_path: Path, monkeypatch):
    monkeypatch.setenv("RAGQA_EMBED_MODEL", str(minilm.path))
    questions = tmp_path / "questions.jsonl"
    questions.write_text(json.dumps({
        "id": "t1", "question": "Quand Orange lance-t-elle la 5G ?", "lang": "fr",
        "kind": "lexical", "doc": "orange.md",
        "answers": ["Orange Maroc lance la 5G à Casablanca en 2025."],
    }) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, [
        "bench", "--corpus", str(small_corpus), "--questions", str(questions), "--quick",
        "--concurrency", "1,4", "--seconds", "1", "--json", "--out", str(out),
    ])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output.strip().splitlines()[-1])
    raw = body["raw"]
    assert raw["query_single_per_s"] > 0 and raw["query_batch16_per_s"] > 0
    assert raw["passage_per_s"] > 0
    assert body["indexing"]["passages"] == 3 and body["indexing"]["noop_up_to_date"] is True
    serving = body["serving"]
    assert serving["cold_start_s"] > 0 and serving["rss_mb"] > 0
    assert [lv["concurrency"] for lv in serving["levels"]] == [1, 4]
    for level in serving["levels"]:
        assert level["requests"] > 0 and level["errors"] == 0
        assert level["p50_ms"] <= level["p95_ms"] <= level["p99_ms"]
    assert 0.0 <= body["quality"]["hybrid.recall@5"] <= 1.0
    assert {"c1_p50_ms_vs_bound", "indexing_over_raw_passages", "noop_reindex_s"} <= set(
        body["ratios"])
    assert "peers" not in body and "backends" not in body and "scale" not in body
    assert {p.name for p in out.iterdir()} >= {"bench.json", "report.md", "bench.png"}
    assert "/v1/search" in (out / "report.md").read_text()


def test_bad_concurrency_is_a_usage_error(small_corpus: Path):
    result = CliRunner().invoke(main, ["bench", "--corpus", str(small_corpus),
                                       "--concurrency", "0,x"])
    assert result.exit_code == 2
    assert "--concurrency" in result.output
