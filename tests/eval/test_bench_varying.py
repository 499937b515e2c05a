"""`ragqa bench --varying`: distinct questions of a SQuAD file, each sent once, against a real
`ragqa serve` over the file's articles; the caches' hit rates from the server's /metrics."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from ragqa.index.embedding.models import ResolvedModel

from ragqa.cli import main
from ragqa.eval.bench.load import cache_counts_of, deltas
from ragqa.eval.bench.varying import (
    PROBE,
    distinct_questions,
    filler_documents,
    level_questions,
)
from ragqa.index.cachestats import CacheCount
from ragqa.service.metrics import Metrics
from prometheus_client import generate_latest

TOPICS = [
    ("Tanger", "Le port de Tanger Med a traité {n} conteneurs en 2023.", "Combien de conteneurs"),
    ("Casablanca", "La tour de Casablanca mesure {n} mètres de haut.", "Quelle hauteur"),
    ("Dakhla", "Le câble sous-marin de Dakhla compte {n} fibres optiques.", "Combien de fibres"),
    ("Agadir", "Le marché d'Agadir accueille {n} marchands chaque samedi.", "Combien de marchands"),
    ("Fès", "La médina de Fès compte {n} ruelles anciennes.", "Combien de ruelles"),
]


def _squad(path: Path) -> Path:
    """Five articles of four paragraphs, a question on each paragraph (20 questions, one of
    them twice, as real sets have)."""
    data = []
    for title, sentence, ask in TOPICS:
        paragraphs = []
        for i in range(4):
            n = 100 * (i + 1) + len(title)
            context = (sentence.format(n=n) + f" Ce chiffre date de l'année {2010 + i}. "
                       f"La ville de {title} en parle beaucoup.")
            start = context.index(str(n))
            paragraphs.append({"context": context, "qas": [{
                "id": f"{title}-{i}", "question": f"{ask} à {title} en {2010 + i} ?",
                "answers": [{"text": str(n), "answer_start": start}]}]})
        data.append({"title": title, "paragraphs": paragraphs})
    data[0]["paragraphs"][1]["qas"].append(dict(data[0]["paragraphs"][1]["qas"][0], id="again"))
    path.write_text(json.dumps({"data": data}, ensure_ascii=False), "utf-8")
    return path


def test_cache_counts_go_out_on_metrics_and_come_back_as_deltas():
    counts = {"search_results": CacheCount(3, 7), "query_vectors": CacheCount(0, 10)}
    metrics = Metrics(caches=lambda: counts)
    text = generate_latest(metrics.registry).decode()
    assert 'ragqa_cache_hits_total{cache="search_results"} 3.0' in text
    assert 'ragqa_cache_misses_total{cache="query_vectors"} 10.0' in text
    before = cache_counts_of(text)
    assert before == {"search_results": (3.0, 7.0), "query_vectors": (0.0, 10.0)}
    counts["search_results"] = CacheCount(5, 9)
    after = cache_counts_of(generate_latest(metrics.registry).decode())
    assert deltas(before, after) == {
        "query_vectors": {"hits": 0, "misses": 0, "hit_rate": None},
        "search_results": {"hits": 2, "misses": 2, "hit_rate": 0.5}}
    # Before the engine has started: the families, no samples.
    assert cache_counts_of(generate_latest(Metrics(caches=lambda: None).registry).decode()) == {}


def test_filler_documents_are_seeded_and_of_the_corpus_words(tmp_path: Path):
    documents, _ = distinct_questions(_squad(tmp_path / "set.json"))
    filler = filler_documents(documents, 100, seed=1)
    assert filler == filler_documents(documents, 100, seed=1)
    assert all(doc_id.startswith("filler/") for doc_id in filler)
    words = {w for text in documents.values() for w in text.split()}
    body = next(iter(filler.values())).split("\n\n", 1)[1]
    assert set(body.replace(".", " ").split()) <= {w.rstrip(".") for w in words} | words


def test_each_level_takes_the_questions_left_after_the_last():
    questions = [f"q{i}" for i in range(10)]
    assert level_questions(questions, 0, 4) == questions[:4]
    assert level_questions(questions, 4, 4) == questions[4:8]
    # without a count per level, a level may send all that is left (not nothing)
    assert level_questions(questions, 0, 0) == questions
    assert level_questions(questions, 6, 0) == questions[6:]


def test_distinct_questions_are_each_once_and_shuffled(tmp_path: Path):
    documents, questions = distinct_questions(_squad(tmp_path / "set.json"), seed=0)
    assert len(documents) == 5
    assert len(questions) == len(set(questions)) == 20 and PROBE not in questions
    assert distinct_questions(tmp_path / "set.json", seed=0)[1] == questions  # seeded
    in_order = [f"{ask} à {title} en {2010 + i} ?" for title, _, ask in TOPICS for i in range(4)]
    assert sorted(questions) == sorted(in_order) and questions != in_order


@pytest.mark.heavy
def test_varying_bench_sends_each_question_once_and_reports_cache_hit_rates(
        minilm: ResolvedModel, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("RAGQA_EMBED_MODEL", str(minilm.path))
    monkeypatch.chdir(tmp_path)  # the bench's work folder (.ragqa/bench/work) lands here
    squad = _squad(tmp_path / "set.json")
    result = CliRunner().invoke(main, [
        "bench", "--varying", str(squad), "--quick", "--concurrency", "1,4",
        "--varying-per-level", "6", "--seconds", "60", "--varying-size", "80", "--json",
    ])
    assert result.exit_code == 0, result.output
    section = json.loads(result.output.strip().splitlines()[-1])["varying"]
    assert section["questions_available"] == 20
    # The five articles' passages grown with stand-in documents to about 80 passages.
    assert section["article_passages"] < 40 <= section["passages"]
    assert section["documents"] > 5
    levels = section["serving"]["levels"]
    assert [lv["concurrency"] for lv in levels] == [1, 4]
    # Disjoint runs of the shuffled questions: no question sent twice.
    assert [(lv["questions_from"], lv["sent"]) for lv in levels] == [(0, 6), (6, 6)]
    assert section["questions_sent_over_http"] == 12
    for level in levels:
        assert level["requests"] == 6 and level["errors"] == 0
        caches = level["caches"]
        assert {"search_results", "query_vectors", "highlight_sentences", "analyzer_words",
                "token_vectors_passage"} <= set(caches)
        # Each question is new to the server: the result cache never answers one.
        assert caches["search_results"] == {"hits": 0, "misses": 6, "hit_rate": 0.0}
        assert caches["query_vectors"]["misses"] == 6
        for count in caches.values():
            assert count["hit_rate"] is None or 0.0 <= count["hit_rate"] <= 1.0
    assert set(section["targets"]) == {"c1_p50_ms"}  # no level at 16
    in_process = section["in_process"]
    assert in_process["timed"] == 3 and in_process["caches"]["search_results"]["hits"] == 0
    assert 0 <= in_process["returned_from_filler"] <= in_process["returned_passages"]
    parts = in_process["profile"]["parts"]
    assert {"question encode", "rankings (BM25 + dense)", "highlight, all"} <= set(parts)
