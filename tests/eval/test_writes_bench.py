"""The bench's writes section (issue 17) at tiny sizes: its shape, and that every measured
upload was searchable and every delete removed the document. No timing assertions: speed
is what the bench measures, not what a test asserts."""

from __future__ import annotations

import json
from pathlib import Path


from ragqa.eval.bench.report import markdown_writes, plot_writes
from ragqa.eval.bench.writes import StandInEmbedder, WritesPlan, run_writes
from ragqa.index.embedding.models import ResolvedModel
from ragqa.settings import load_settings
from tests.postgres import pg_server  # noqa: F401 - fixture


WORDS = ("commune préfecture budget rivière école marché route forêt village musée gare "
         "hôpital théâtre pont jardin église château port vigne moulin fontaine halle").split()


def squad_file(path: Path, articles: int = 8, paragraphs: int = 6) -> Path:
    """A small SQuAD-format file: ``articles`` articles of ``paragraphs`` paragraphs."""
    data = []
    for a in range(articles):
        paras = []
        for p in range(paragraphs):
            sentence = " ".join(WORDS[(a * 7 + p * 3 + w) % len(WORDS)] for w in range(12))
            paras.append({"context": f"Article {a}, paragraphe {p}. " + ". ".join(
                [sentence.capitalize()] * 8) + ".", "qas": []})
        data.append({"title": f"Sujet numéro {a}", "paragraphs": paras})
    path.write_text(json.dumps({"data": data}, ensure_ascii=False), "utf-8")
    return path


def _settings(tmp_path: Path, minilm: ResolvedModel, monkeypatch):
    monkeypatch.setenv("RAGQA_EMBED_MODEL", str(minilm.path))
    return load_settings(corpus_dir=tmp_path / "unused", index_dir=tmp_path / "unused-index")


def test_stand_in_vectors_are_seeded_normalised_and_carry_the_identity(embedder):
    stand_in = StandInEmbedder(embedder.identity, embedder.dimension)
    a = stand_in.encode_passages(["un", "deux", "un"])
    assert a.shape == (3, embedder.dimension)
    assert abs(float(a[0] @ a[0]) - 1.0) < 1e-5 and (a[0] == a[2]).all()
    assert abs(float(a[0] @ a[1])) < 0.5
    assert stand_in.identity == embedder.identity


def test_files_store_writes_section(tmp_path: Path, minilm: ResolvedModel, embedder,
                                    monkeypatch):
    settings = _settings(tmp_path, minilm, monkeypatch)
    plan = WritesPlan(sizes=(50, 200), stores=("files",), repeat=2,
                      piaf=squad_file(tmp_path / "squad.json"))
    section = run_writes(settings, minilm, embedder, tmp_path / "work", plan)
    rows = section["rows"]
    assert [(r["store"], r["target_passages"]) for r in rows] == [("files", 50), ("files", 200)]
    for row in rows:
        assert row["target_passages"] <= row["passages"] < row["target_passages"] + 20
        assert row["upload_statuses"] == ["created"]
        assert row["searchable_after_upload"] is True and row["gone_after_delete"] is True
        assert len(row["upload_ms"]) == len(row["delete_ms"]) == 2
        assert row["upload_p50_ms"] <= row["upload_p95_ms"]
        assert row["load_s"] >= 0
        # a folder sync after one file added, changed, removed: indexed, then gone
        assert row["searchable_after_sync"] is True and row["gone_after_sync"] is True
        assert len(row["sync_changed_store_ms"]) == 2
    text = markdown_writes(section)
    assert f"| files | {rows[1]['passages']:,} |" in text
    assert "A folder sync after one file" in text
    plot_writes(section, tmp_path / "bench-writes.png")
    assert (tmp_path / "bench-writes.png").stat().st_size > 0


def test_postgres_store_writes_section(tmp_path: Path, minilm: ResolvedModel, embedder,
                                       monkeypatch, pg_server):  # noqa: F811
    settings = _settings(tmp_path, minilm, monkeypatch)
    plan = WritesPlan(sizes=(50,), stores=("postgres",), repeat=2,
                      piaf=squad_file(tmp_path / "squad.json"),
                      database_url=pg_server.admin_url)
    rows = run_writes(settings, minilm, embedder, tmp_path / "work", plan)["rows"]
    assert len(rows) == 1 and "skipped" not in rows[0], rows
    row = rows[0]
    assert row["passages"] >= 50 and row["upload_statuses"] == ["created"]
    assert row["searchable_after_upload"] is True and row["gone_after_delete"] is True
    assert len(row["first_sync_unchanged_ms"]) == 2 and row["first_sync_up_to_date"] is True


def test_bench_writes_only_from_the_command_line(tmp_path: Path, minilm: ResolvedModel,
                                                 monkeypatch):
    from click.testing import CliRunner

    from ragqa.cli import main

    monkeypatch.setenv("RAGQA_EMBED_MODEL", str(minilm.path))
    out = tmp_path / "out"
    result = CliRunner().invoke(main, [
        "bench", "--writes", "50", "--stores", "files", "--repeat", "1", "--writes-only",
        "--piaf", str(squad_file(tmp_path / "squad.json")), "--json", "--out", str(out),
    ])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output.strip().splitlines()[-1])
    assert "serving" not in body and "indexing" not in body
    (row,) = body["writes"]["rows"]
    assert row["store"] == "files" and row["searchable_after_upload"] is True
    assert json.loads((out / "bench.json").read_text())["writes"]["rows"] == [row]
    assert "upload p50 ms" in (out / "report.md").read_text()
    assert (out / "bench-writes.png").is_file() and not (out / "bench.png").exists()


def test_bad_writes_options_are_usage_errors(tmp_path: Path):
    from click.testing import CliRunner

    from ragqa.cli import main

    for args, name in ((["--writes", "10,x"], "--writes"),
                       (["--writes", "10", "--stores", "sqlite"], "--stores"),
                       (["--writes-only"], "--writes-only"),
                       (["--writes", "10", "--piaf", str(tmp_path / "none.json")], "--piaf")):
        result = CliRunner().invoke(main, ["bench", *args])
        assert result.exit_code == 2, result.output
        assert name in result.output
