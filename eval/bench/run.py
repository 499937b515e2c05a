"""One ``ragqa bench`` run: every section in order, as one JSON-ready dict."""

from __future__ import annotations

import json
import logging
import platform
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from ragqa.eval.bench import encode, indexing, serving
from ragqa.eval.bench.varying import VaryingPlan
from ragqa.eval.bench.writes import WritesPlan
from ragqa.eval.questions import Question, QuestionSetError, load_questions
from ragqa.index.embedding.backends import BACKENDS
from ragqa.index.errors import ModelUnavailableError
from ragqa.index.files.generations import load_index

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BenchPlan:
    """What to measure and for how long."""

    concurrency: tuple[int, ...] = (1, 4, 16, 64)
    seconds: float = 10.0  # per concurrency level
    raw_seconds: float = 3.0  # per raw-model rate
    backends: bool = True
    no_batching: bool = True  # concurrency 16 again with micro-batching off
    peers: bool = True
    peer_concurrency: int = 16
    scale: int = 0  # vectors and passages of the scale section; 0 = skipped
    writes: WritesPlan | None = None  # the writes section (eval/bench/writes.py); None = skipped
    writes_only: bool = False  # only the writes section (no indexing, serving, ...)
    # The formats section (eval/bench/formats.py): PIAF paragraphs per document; 0 = skipped.
    formats: int = 0
    formats_source: Path | None = None  # the SQuAD-format file they come from
    # Only serving questions whose top passages vary (eval/bench/varying.py); None = skipped.
    varying: VaryingPlan | None = None


def _say(message: str) -> None:
    logger.warning("bench: %s", message)


def run_bench(settings, model, questions_file: Path, work: Path, plan: BenchPlan) -> dict:
    from ragqa import wiring

    began = time.perf_counter()
    work.mkdir(parents=True, exist_ok=True)
    corpus_dir = settings.corpus_dir
    index_dir = work / "index"
    shutil.rmtree(index_dir, ignore_errors=True)
    embedder = wiring.make_embedder(settings, model)
    out: dict = {"machine": {"node": platform.node(), "cpus": _cpus(),
                             "python": platform.python_version()},
                 "model": model.name, "fallback": model.fallback,
                 "backend": embedder.backend, "corpus": str(corpus_dir)}
    if plan.varying is not None:
        from ragqa.eval.bench.varying import run_varying

        out["varying"] = run_varying(settings, model, embedder, work, plan.varying,
                                     _server_env(settings), _say)
        out["bench_seconds"] = round(time.perf_counter() - began, 1)
        return out
    if plan.formats:
        _say(f"formats: one document of {plan.formats} paragraphs in each format")
        from ragqa.eval.bench.formats import format_rates, piaf_paragraphs

        assert plan.formats_source is not None
        out["formats"] = format_rates(piaf_paragraphs(plan.formats_source, plan.formats))
    if plan.writes_only:
        if plan.writes is not None:
            out["writes"] = _writes(settings, model, embedder, work, plan)
        out["bench_seconds"] = round(time.perf_counter() - began, 1)
        return out

    _say("indexing (full build, then a no-change re-index)")
    out["indexing"] = indexing.build_speed(settings, model, embedder, corpus_dir, index_dir)
    loaded = load_index(index_dir)
    texts = {d: doc.text for d, doc in loaded.documents.items()}
    questions = _questions(questions_file, texts)
    question_texts = [q.question for q in questions] or ["Quelle est la question ?"]
    passages = [loaded.quote(row) for row in range(len(loaded.passages))]

    _say("raw model rates")
    out["raw"] = encode.raw_rates(embedder, question_texts, passages, seconds=plan.raw_seconds)
    if questions:
        out["quality"] = indexing.quality(settings, model, embedder, index_dir, questions)

    if plan.backends:
        out["backends"] = _backends(settings, model, work, question_texts, passages, questions,
                                    plan)

    questions_json = work / "questions.json"
    questions_json.write_text(json.dumps(question_texts, ensure_ascii=False), "utf-8")
    env = _server_env(settings)
    out["serving"] = _serve(corpus_dir, index_dir, work, env, questions_json, question_texts,
                            plan)
    if plan.no_batching:
        _say("serving at concurrency 16 with micro-batching off")
        out["serving"]["c16_without_batching"] = _serve(
            corpus_dir, index_dir, work, {**env, "RAGQA_QUERY_BATCH_SIZE": "1"}, questions_json,
            question_texts, BenchPlan(concurrency=(16,), seconds=plan.seconds), levels_only=True,
        )["levels"][0]

    if plan.peers:
        out["peers"] = _peers(model, work, loaded, questions, questions_json, plan)
    if plan.scale:
        from ragqa.eval.bench.scale import run_scale

        _say(f"scale: {plan.scale:,} synthetic vectors and passages")
        out["scale"] = run_scale(plan.scale)
    if plan.writes is not None:
        out["writes"] = _writes(settings, model, embedder, work, plan)
    out["ratios"] = ratios(out)
    out["bench_seconds"] = round(time.perf_counter() - began, 1)
    return out


def _writes(settings, model, embedder, work: Path, plan: BenchPlan) -> dict:
    from ragqa.eval.bench.writes import run_writes

    assert plan.writes is not None
    _say(f"writes: stores {', '.join(plan.writes.stores)} at "
         f"{', '.join(f'{n:,}' for n in plan.writes.sizes)} passages")
    return run_writes(settings, model, embedder, work / "writes", plan.writes, say=_say)


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0))


def _questions(path: Path, texts: dict[str, str]) -> list[Question]:
    try:
        return load_questions(path, texts)
    except QuestionSetError as exc:
        _say(f"no retrieval quality figures: {exc}")
        return []


def _server_env(settings) -> dict[str, str]:
    env = {"RAGQA_EMBED_MODEL": settings.embed_model, "RAGQA_EMBED_BACKEND": settings.embed_backend}
    if settings.is_offline:
        env["RAGQA_OFFLINE"] = "1"
    return env


def _serve(corpus_dir: Path, index_dir: Path, work: Path, env: dict[str, str],
           questions_json: Path, question_texts: list[str], plan: BenchPlan, *,
           levels_only: bool = False) -> dict:
    _say("starting `ragqa serve` on loopback")
    server = serving.ragqa_serve(corpus_dir, index_dir, work / "serve.log", env)
    result: dict = {}
    try:
        result["cold_start_s"] = round(
            serving.first_answer(server, serving.search_probe(server.port, question_texts[0])), 2)
        result["rss_after_start_mb"] = server.rss_mb()["rss_mb"]
        url = f"http://127.0.0.1:{server.port}/v1/search"
        levels = []
        for c in plan.concurrency:
            _say(f"load at concurrency {c} for {plan.seconds:g} s")
            levels.append(serving.load(url, c, plan.seconds, questions_json))
        result["levels"] = levels
        if not levels_only:
            # A few questions asked over and over: after the warm-up every one is cached.
            repeated = questions_json.with_name("repeated.json")
            repeated.write_text(json.dumps(question_texts[:8], ensure_ascii=False), "utf-8")
            result["repeated_c1"] = serving.load(url, 1, max(1.0, plan.seconds / 2), repeated,
                                                 repeat=True, warmup=2.0)
            result.update(server.rss_mb())
    finally:
        server.stop()
    return result


def _backends(settings, model, work: Path, queries, passages, questions, plan) -> dict:
    from ragqa import wiring

    results, reference = {}, None
    for backend in (b for b in BACKENDS if b != "auto"):
        _say(f"backend {backend}: raw rates, full build, retrieval quality")
        try:
            emb = wiring.make_embedder(settings.model_copy(update={"embed_backend": backend}),
                                       model)
        except ModelUnavailableError as exc:  # e.g. onnxruntime not installed: skip, say why
            _say(f"backend {backend} skipped: {exc}")
            results[backend] = {"skipped": str(exc)}
            continue
        folder = work / f"index-{backend}"
        shutil.rmtree(folder, ignore_errors=True)
        row = encode.raw_rates(emb, queries, passages, seconds=plan.raw_seconds)
        build = indexing.build_speed(settings, emb.model, emb, settings.corpus_dir, folder)
        row["build_passages_per_s"] = build["passages_per_s"]
        if questions:
            row.update(indexing.quality(settings, emb.model, emb, folder, questions))
        vectors = emb.encode([emb.passage_prefix + p for p in passages[:32]])
        if reference is None:
            reference = vectors  # torch comes first
        row["min_cosine_vs_torch"] = round(encode.agreement(reference, vectors), 5)
        results[backend] = row
        del emb
    return results


def _peers(model, work: Path, loaded, questions, questions_json: Path, plan: BenchPlan) -> dict:
    from ragqa.eval.bench import peers

    _say("peers: preparing their virtualenv (first run installs txtai and LangChain)")
    python = peers.ensure_venv(Path(".ragqa/bench/peers-venv").resolve())
    results = {}
    for name in ("txtai", "langchain"):
        _say(f"peer {name}: build, serve, recall, load at concurrency {plan.peer_concurrency}")
        try:
            results[name] = peers.run_peer(name, python, work, model.path, loaded, questions,
                                           questions_json, concurrency=plan.peer_concurrency,
                                           seconds=plan.seconds)
        except Exception as exc:  # noqa: BLE001 - one peer failing must not lose the run
            results[name] = {"error": f"{type(exc).__name__}: {exc}"[:500]}
    return results


def ratios(out: dict) -> dict:
    """The issue's targets as measured ratios (``target`` and ``met`` for each)."""
    raw, levels = out["raw"], {lv["concurrency"]: lv for lv in out["serving"]["levels"]}
    r: dict = {}
    if 16 in levels:
        value = levels[16]["throughput_qps"] / raw["query_batch16_per_s"]
        r["c16_qps_over_raw_batch16"] = {"value": round(value, 3), "target": ">= 0.8",
                                         "met": value >= 0.8}
    if 1 in levels:
        bound = 1.3 * raw["query_single_ms"] + 5
        r["c1_p50_ms_vs_bound"] = {"value": levels[1]["p50_ms"], "bound_ms": round(bound, 2),
                                   "target": "<= 1.3 x single encode + 5 ms",
                                   "met": levels[1]["p50_ms"] <= bound}
    value = out["indexing"]["passages_per_s"] / raw["passage_per_s"]
    r["indexing_over_raw_passages"] = {"value": round(value, 3), "target": ">= 0.9",
                                       "met": value >= 0.9}
    noop = out["indexing"]["noop_reindex_s"]
    r["noop_reindex_s"] = {"value": noop, "target": "<= 2", "met": noop <= 2}
    ours16 = levels.get(16)
    for name, peer in (out.get("peers") or {}).items():
        if "error" in peer or ours16 is None:
            continue
        ours_recall = out.get("quality", {}).get("hybrid.recall@5")
        r[f"vs_{name}"] = {
            "qps": round(ours16["throughput_qps"] / max(peer["c16_throughput_qps"], 1e-9), 2),
            "p99": round(peer["c16_p99_ms"] / max(ours16["p99_ms"], 1e-9), 2),
            "recall@5": [ours_recall, peer["recall@5"]],
            "met": bool(ours16["throughput_qps"] > peer["c16_throughput_qps"]
                        and ours16["p99_ms"] < peer["c16_p99_ms"]
                        and ours_recall is not None and ours_recall >= peer["recall@5"]),
        }
    scale = out.get("scale", {}).get("dense")
    if scale:
        r["scale_recall@10"] = {"value": scale["recall@10"], "target": ">= 0.95",
                                "met": scale["recall@10"] >= 0.95}
        r["scale_p50_ms"] = {"value": scale["p50_ms"], "target": "<= 10", "met": scale["p50_ms"] <= 10}
    return r
