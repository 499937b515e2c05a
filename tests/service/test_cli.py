"""The real `ragqa` command, run as a user runs it (a subprocess)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CORPUS, LIVE_BLOG
from index.models import FALLBACK_MODEL_NAME

RAGQA = Path(sys.executable).with_name("ragqa")


def ragqa(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAGQA_")}
    env.update(HF_HUB_OFFLINE="1", RAGQA_OFFLINE="1", RAGQA_EMBED_MODEL=FALLBACK_MODEL_NAME)
    return subprocess.run(
        [str(RAGQA), *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=600
    )


def _one_error_line(proc: subprocess.CompletedProcess) -> str:
    lines = [l for l in proc.stderr.splitlines() if not l.startswith("ragqa: WARNING")]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("ragqa: error: ")
    assert "Traceback" not in proc.stderr
    return lines[0]


def test_ask_json_is_the_search_body_with_verified_quotes(corpus_index):
    proc = ragqa("ask", "Combien de visiteurs et d'exposants sont attendus au Gitex Africa 2025 ?",
                 "-k", "4", "--json", "--corpus", str(CORPUS), "--index", str(corpus_index))
    assert proc.returncode == 0, proc.stderr
    body = json.loads(proc.stdout)
    assert set(body) == {"question", "passages", "low_relevance", "relevance", "retrieval",
                         "took_ms"}
    assert body["low_relevance"] is False
    assert body["retrieval"]["mode"] == "hybrid"
    assert body["retrieval"]["model"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert body["retrieval"]["fallback"] is True  # MiniLM by name: not in the hub cache here
    assert "WARNING" in proc.stderr and FALLBACK_MODEL_NAME in proc.stderr
    assert len(body["passages"]) == 4
    for p in body["passages"]:
        assert {"rank", "score", "doc_id", "title", "section", "quote", "start", "end"} <= set(p)
        text = (CORPUS / p["doc_id"]).read_text(encoding="utf-8")
        assert text[p["start"] : p["end"]] == p["quote"]
    assert body["passages"][0]["doc_id"] == LIVE_BLOG


def test_ask_prints_readable_citations(corpus_index):
    proc = ragqa("ask", "Quel protocole Nokia a signé ?", "-k", "2", "--corpus", str(CORPUS),
                 "--index", str(corpus_index))
    assert proc.returncode == 0, proc.stderr
    assert "002_3fd3ba12ca1ab0c9.txt [" in proc.stdout
    assert "1. " in proc.stdout and "2. " in proc.stdout


def test_index_reports_then_is_up_to_date(small_corpus, tmp_path):
    index_dir = tmp_path / "idx"
    first = ragqa("index", "--corpus", str(small_corpus), "--index", str(index_dir))
    assert first.returncode == 0, first.stderr
    assert "2 added, 0 changed, 0 removed" in first.stdout
    assert "added: orange.md" in first.stdout
    assert "sentence-transformers/all-MiniLM-L6-v2 (fallback)" in first.stdout
    second = ragqa("index", "--corpus", str(small_corpus), "--index", str(index_dir))
    assert second.returncode == 0 and "up to date" in second.stdout
    (small_corpus / "orange.md").unlink()
    third = ragqa("index", "--corpus", str(small_corpus), "--index", str(index_dir))
    assert "0 added, 0 changed, 1 removed" in third.stdout


@pytest.mark.parametrize("question", ["", "   "])
def test_empty_question_is_a_usage_error(question, corpus_index):
    proc = ragqa("ask", question, "--index", str(corpus_index), "--corpus", str(CORPUS))
    assert proc.returncode == 2
    assert "empty" in _one_error_line(proc)


def test_bad_k_is_a_usage_error(corpus_index):
    proc = ragqa("ask", "5G", "-k", "0", "--index", str(corpus_index))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_empty_corpus_exits_3(tmp_path):
    (tmp_path / "empty").mkdir()
    proc = ragqa("index", "--corpus", str(tmp_path / "empty"), "--index", str(tmp_path / "idx"))
    assert proc.returncode == 3
    assert "no documents to index" in _one_error_line(proc)


def test_bad_files_are_listed_and_the_rest_indexed(small_corpus, tmp_path):
    index_dir = tmp_path / "idx"
    assert ragqa("index", "--corpus", str(small_corpus), "--index", str(index_dir)).returncode == 0
    served = (index_dir / "CURRENT").read_text()
    (small_corpus / "photo.txt").write_bytes(b"\x89PNG\x00\x00\x00" * 100)
    (small_corpus / "new.txt").write_text("Inwi lance la 5G à Agadir.\n", encoding="utf-8")
    proc = ragqa("index", "--corpus", str(small_corpus), "--index", str(index_dir), "--strict")
    assert proc.returncode == 3 and "photo.txt" in _one_error_line(proc)
    assert (index_dir / "CURRENT").read_text() == served
    proc = ragqa("index", "--corpus", str(small_corpus), "--index", str(index_dir))
    assert proc.returncode == 0, proc.stderr
    assert "refused: photo.txt: looks like a binary file" in proc.stderr
    assert "added: new.txt" in proc.stdout and "1 file refused" in proc.stdout
    assert (index_dir / "CURRENT").read_text() != served
    again = ragqa("index", "--corpus", str(small_corpus), "--index", str(index_dir))
    assert "is up to date" in again.stdout and "refused: photo.txt" in again.stderr


def test_corrupt_index_exits_4_naming_the_fix(small_corpus, tmp_path):
    index_dir = tmp_path / "idx"
    assert ragqa("index", "--corpus", str(small_corpus), "--index", str(index_dir)).returncode == 0
    gen = index_dir / (index_dir / "CURRENT").read_text().strip()
    (gen / "dense.faiss").write_bytes(b"truncated")
    proc = ragqa("ask", "5G", "--corpus", str(small_corpus), "--index", str(index_dir))
    assert proc.returncode == 4
    line = _one_error_line(proc)
    assert "dense.faiss" in line and "ragqa index --rebuild" in line
    assert ragqa("index", "--rebuild", "--corpus", str(small_corpus),
                 "--index", str(index_dir)).returncode == 0
    assert ragqa("ask", "5G", "--corpus", str(small_corpus), "--index", str(index_dir)).returncode == 0
