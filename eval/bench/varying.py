"""Serving questions whose top passages vary: ``ragqa bench --varying PIAF_JSON`` (issue 28).

The unique questions of the main serving section are variants of a few (a counter appended),
so their top passages stay cached and every cache keyed by a passage answers them. Here the
questions are the distinct questions of a SQuAD-format file (PIAF), shuffled with a fixed
seed so that consecutive ones come from different articles, served over a corpus of that
file's articles (:func:`ragqa.eval.squad.load_squad`, as ``ragqa eval --squad`` builds it).
Each question is sent once per run: the levels take disjoint runs of the shuffled list, in
order, each for ``seconds`` (the cold-start probe asks a question not in the set).

Per level: latency percentiles, QPS, and each cache's hits, misses and hit rate over the
measured window (the difference of two scrapes of the server's ``/metrics``). Then, in this
process, the same engine code times never-seen questions (not sent over HTTP) without a
profiler, and profiles others with cProfile: the share of a search spent encoding the
question, ranking, on the relevance signal (its token-match pass and best-sentence vectors)
and on the highlight (its sentence vectors), and with ``RAGQA_READER`` the reader.
"""

from __future__ import annotations

import cProfile
import json
import pstats
import random
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ragqa.eval.bench import encode, serving
from ragqa.eval.squad import load_squad, materialise

PROBE = "Quelle est la question ?"  # the cold-start probe: never one of the measured ones


@dataclass(frozen=True)
class VaryingPlan:
    """Where the questions come from, the levels, and the in-process timing."""

    squad: Path
    concurrency: tuple[int, ...] = (1, 4, 16)
    seconds: float = 20.0  # of load per level (at most, with per_level)
    warmup: float = 1.0  # per level, with questions of its own (never-seen ones too)
    per_level: int = 0  # questions per level, all measured (no warm-up); 0: as time allows
    raw_seconds: float = 3.0
    timed: int = 40  # never-seen questions timed in process (0: skip, and the profile too)
    profiled: int = 40  # never-seen questions profiled in process (0: skip)
    seed: int = 0
    # Passages of the corpus served (0: the file's articles alone): the articles (real
    # vectors) and stand-in documents around them (:func:`filler_documents`).
    size: int = 0


def distinct_questions(squad: Path, seed: int = 0) -> tuple[dict[str, str], list[str]]:
    """``(documents by id, distinct questions)`` of a SQuAD-format file, the questions
    shuffled with ``seed``."""
    documents, questions = load_squad(squad)
    texts = list(dict.fromkeys(q.question.strip() for q in questions if q.question.strip()))
    texts = [t for t in texts if t != PROBE]
    random.Random(seed).shuffle(texts)
    return documents, texts


def run_varying(settings, model, embedder, work: Path, plan: VaryingPlan,
                env: dict[str, str], say: Callable[[str], None]) -> dict:
    """The section's JSON-ready dict (see the module's docstring)."""
    from ragqa import wiring
    from ragqa.index.files.generations import load_index

    documents, questions = distinct_questions(plan.squad, plan.seed)
    corpus = materialise(documents, work / "varying")
    index_dir = corpus.parent / "index"
    served = settings.model_copy(update={"corpus_dir": corpus, "index_dir": index_dir})
    say(f"varying: indexing {len(documents)} articles of {plan.squad} (kept between runs)")
    built = wiring.index_corpus(served, model, embedder=embedder)
    articles = built.passages
    if plan.size > built.passages:
        corpus, index_dir, built = _grown(settings, model, embedder, documents, corpus,
                                          index_dir, plan, say)
        served = settings.model_copy(update={"corpus_dir": corpus, "index_dir": index_dir})
    loaded = load_index(index_dir)
    passages = [loaded.quote(row) for row in range(min(64, len(loaded.passages)))]
    say("varying: raw model rates")
    raw = encode.raw_rates(embedder, questions[:64], passages, seconds=plan.raw_seconds)
    out: dict = {
        "source": str(plan.squad), "corpus": str(corpus), "documents": built.documents,
        "passages": built.passages, "article_passages": articles, "seed": plan.seed,
        "settings": {"relevance_token_match": settings.relevance_token_match,
                     "sentence_vectors": settings.sentence_vectors,
                     "token_vectors": settings.token_vectors,
                     "highlight_model_weight": settings.highlight_model_weight,
                     "reader": settings.reader, "backend": embedder.backend},
        "raw": raw, "questions_available": len(questions),
        "sentence_vectors": stored_sentences(loaded),
        "token_vectors": stored_tokens(loaded),
    }
    out["serving"], used = _serve(corpus, index_dir, work, env, questions, plan, say)
    out["questions_sent_over_http"] = used
    rest = questions[used:]
    if plan.timed and len(rest) > plan.timed:
        say("varying: never-seen questions timed and profiled in process")
        engine = wiring.start(served, update=False, model=model, embedder=embedder).engine
        try:
            out["in_process"] = in_process(engine, rest, plan.timed, plan.profiled)
        finally:
            engine.close()
    out["targets"] = targets(out)
    return out


def stored_sentences(loaded) -> dict:
    """What the served generation holds of index-time sentence vectors: how many, their
    bytes on disk, and those bytes per passage (``ragqa.index.files.sentences``)."""
    from ragqa.index.files.sentences import KEYS, VECTORS

    base = getattr(loaded, "base", loaded)
    size = sum((base.path / name).stat().st_size for name in (KEYS, VECTORS)
               if (base.path / name).exists())
    return {"sentences": len(base.sentences) if base.sentences is not None else 0,
            "bytes": size, "bytes_per_passage": round(size / max(len(base.passages), 1), 1)}


def stored_tokens(loaded) -> dict:
    """What the served generation holds of index-time token vectors (passages, tokens,
    bytes on disk and per passage; ``ragqa.index.files.tokens``)."""
    from ragqa.index.files.tokens import FILES

    base = getattr(loaded, "base", loaded)
    size = sum((base.path / name).stat().st_size for name in FILES
               if (base.path / name).exists())
    table = base.tokens
    return {"passages": len(table) if table is not None else 0,
            "tokens": len(table.vectors) if table is not None else 0,
            "bytes": size, "bytes_per_passage": round(size / max(len(base.passages), 1), 1)}


def filler_documents(documents: dict[str, str], passages: int, seed: int = 0,
                     paragraphs: int = 8, words: int = 90) -> dict[str, str]:
    """About ``passages`` passages of stand-in text, as documents of ``paragraphs``
    paragraphs of ``words`` words drawn (seeded) from the words of ``documents`` as often as
    they occur there: the corpus's vocabulary and term frequencies, no sentence of its own,
    so a stand-in passage enters a question's top passages only on shared terms."""
    vocabulary = np.array([w for text in documents.values() for w in text.split()
                           if not w.startswith("#")])
    rng = np.random.default_rng(seed)
    per_document = max(1, round(paragraphs * words * 6.5 / 550))  # chunk step ~550 chars
    out = {}
    for i in range(max(1, -(-passages // per_document))):
        drawn = vocabulary[rng.integers(0, len(vocabulary), paragraphs * words)]
        body = "\n\n".join(" ".join(drawn[p * words : (p + 1) * words]) + "."
                           for p in range(paragraphs))
        out[f"{FILLER}/f{i:06d}.txt"] = f"Document {i}\n\n{body}\n"
    return out


FILLER = "filler"  # the folder of the stand-in documents in a grown corpus


def _grown(settings, model, embedder, documents: dict[str, str], corpus: Path,
           index_dir: Path, plan: VaryingPlan, say: Callable[[str], None]):
    """The articles' corpus and index grown to about ``plan.size`` passages with stand-in
    documents (:func:`filler_documents`) whose vectors are seeded random ones
    (:class:`~ragqa.eval.bench.writes.StandInEmbedder`): the articles keep the real
    model's vectors (reused from their own index, same inputs), so a question's vector still
    finds them, while the stand-ins take part in BM25 and in the rankers' cost. Kept
    between runs."""
    from ragqa.eval.bench.writes import StandInEmbedder
    from ragqa.index.files.builder import update_index
    from ragqa.index.files.generations import load_index

    base = load_index(index_dir)
    filler = filler_documents(documents, plan.size - len(base.passages), plan.seed)
    folder = corpus.parent.parent / f"{corpus.parent.name}-{plan.size}"
    big_corpus, big_index = folder / "corpus", folder / "index"
    if not big_corpus.is_dir():
        say(f"varying: writing {len(filler):,} stand-in documents around the articles")
        staging = folder / ".corpus-tmp"
        shutil.rmtree(staging, ignore_errors=True)
        shutil.copytree(corpus, staging)
        (staging / FILLER).mkdir()
        for doc_id, text in filler.items():
            (staging / doc_id).write_text(text, "utf-8")
        staging.rename(big_corpus)
    if big_index.is_dir() and settings.sentence_vectors and getattr(
            (kept := load_index(big_index)), "base", kept).sentences is None:
        # kept from before sentence vectors: rebuilt from the articles' index, or the
        # stand-in would embed the articles' sentences
        shutil.rmtree(big_index)
    if not big_index.is_dir():
        shutil.copytree(index_dir, big_index)  # the articles' real vectors, reused
    say(f"varying: indexing the grown corpus (stand-in vectors for {FILLER}/)")
    stand_in = StandInEmbedder(embedder.identity, embedder.dimension)
    built = update_index(big_corpus, big_index, model=model, identity=embedder.identity,
                         load_embedder=lambda: stand_in, config=settings.index_config())
    return big_corpus, big_index, built


def level_questions(questions: list[str], offset: int, per_level: int) -> list[str]:
    """The questions a load level may send: the next ``per_level`` from ``offset`` (all
    that are left when 0: the level sends what its time allows)."""
    return questions[offset:offset + per_level] if per_level else questions[offset:]


def _serve(corpus: Path, index_dir: Path, work: Path, env: dict[str, str],
           questions: list[str], plan: VaryingPlan,
           say: Callable[[str], None]) -> tuple[dict, int]:
    say("varying: starting `ragqa serve` on loopback")
    server = serving.ragqa_serve(corpus, index_dir, work / "serve-varying.log", env)
    result: dict = {}
    offset = 0
    try:
        result["cold_start_s"] = round(
            serving.first_answer(server, serving.search_probe(server.port, PROBE)), 2)
        base = f"http://127.0.0.1:{server.port}"
        levels = []
        for c in plan.concurrency:
            batch = level_questions(questions, offset, plan.per_level)
            remaining = work / "varying-questions.json"
            remaining.write_text(json.dumps(batch, ensure_ascii=False), "utf-8")
            say(f"varying: concurrency {c}, {len(batch)} questions for {plan.seconds:g} s "
                f"at most ({len(questions) - offset} left)")
            level = serving.load(f"{base}/v1/search", c, plan.seconds, remaining, once=True,
                                 warmup=0.0 if plan.per_level else plan.warmup,
                                 metrics=f"{base}/metrics")
            level["questions_from"] = offset  # questions[from:from + sent] of the shuffle
            offset += level["sent"]
            levels.append(level)
        result["levels"] = levels
        result.update(server.rss_mb())
    finally:
        server.stop()
    return result, offset


def in_process(engine, questions: list[str], timed: int, profiled: int) -> dict:
    """``timed`` never-seen questions searched one after another through ``engine``
    (percentiles, the caches' hit rates over them), then ``profiled`` others under
    cProfile: where a search's time goes."""
    engine.search(PROBE)  # first-search costs out of the way (PROBE is in no level)
    before = engine.cache_counts()
    latencies, tops = [], []
    for question in questions[:timed]:
        started = time.perf_counter()
        found = engine.search(question)
        latencies.append((time.perf_counter() - started) * 1000)
        tops.extend((h.doc_id, h.start) for h in found.result.hits)
    after = engine.cache_counts()
    out = {"timed": len(latencies),
           # how much the passages returned vary: distinct ones among all returned, and
           # those of the stand-in documents of a grown corpus
           "returned_passages": len(tops), "distinct_returned": len(set(tops)),
           "returned_from_filler": sum(d.startswith(FILLER + "/") for d, _ in tops),
           "p50_ms": round(float(np.percentile(latencies, 50)), 2),
           "p95_ms": round(float(np.percentile(latencies, 95)), 2),
           "caches": cache_deltas(before, after)}
    if profiled:
        batch = questions[timed : timed + profiled]
        profile = cProfile.Profile()
        profile.enable()
        for question in batch:
            engine.search(question)
        profile.disable()
        out["profile"] = breakdown(pstats.Stats(profile), len(batch))
    return out


def cache_deltas(before: dict, after: dict) -> dict[str, dict]:
    """Hits, misses and hit rate of each cache between two :meth:`Engine.cache_counts`."""
    out = {}
    for name in sorted(after):
        hits = after[name].hits - (before[name].hits if name in before else 0)
        misses = after[name].misses - (before[name].misses if name in before else 0)
        total = hits + misses
        out[name] = {"hits": hits, "misses": misses,
                     "hit_rate": round(hits / total, 3) if total else None}
    return out


# (label, function, caller or None): the cumulative time of ``function`` (called from
# ``caller`` only, when given), matched by the function's file ending and name.
PARTS = (
    ("question encode", ("embedding/embedder.py", "encode_queries"), None),
    ("rankings (BM25 + dense)", ("search/retriever.py", "_rankings"), None),
    ("rankings: BM25", ("", "lexical_top"), ("search/retriever.py", "_rankings")),
    ("rankings: dense", ("", "dense_top"), ("search/retriever.py", "_rankings")),
    ("fusion, passages read", ("search/retriever.py", "_chosen"), None),
    ("relevance: token match (passage tokens)", ("search/sentences.py", "of"),
     ("search/retriever.py", "_features")),
    # what it left to the model: passages the index does not hold
    ("token match: the model's pass", ("embedding/embedder.py", "token_vectors"),
     ("search/sentences.py", "of")),
    ("relevance: best-sentence vectors", ("search/sentences.py", "__call__"),
     ("search/retriever.py", "_features")),
    ("relevance, all", ("search/retriever.py", "_features"), None),
    ("highlight: sentence vectors", ("search/sentences.py", "__call__"),
     ("search/highlight.py", "spans")),
    # what the two above left to the model: sentences the index does not hold
    ("sentence vectors: the model's", ("embedding/embedder.py", "encode_sentences"),
     ("search/sentences.py", "__call__")),
    ("highlight, all", ("ragqa/engine.py", "_highlight"), None),
    ("reader", ("reading/stage.py", "apply"), None),
)


def breakdown(stats: pstats.Stats, questions: int) -> dict:
    """Milliseconds per question of each of :data:`PARTS`, and its share of the search."""
    table = stats.stats  # type: ignore[attr-defined]

    def find(where: tuple[str, str]):
        return [key for key in table if key[0].endswith(where[0]) and key[2] == where[1]]

    def cumulative(where, caller=None) -> float:
        total = 0.0
        for key in find(where):
            if caller is None:
                total += table[key][3]
            else:
                for from_key, (_, _, _, ct) in table[key][4].items():
                    if from_key[0].endswith(caller[0]) and from_key[2] == caller[1]:
                        total += ct
        return total

    whole = cumulative(("ragqa/engine.py", "search"))
    out: dict = {"questions": questions,
                 "search_ms": round(1000 * whole / max(questions, 1), 2), "parts": {}}
    for label, where, caller in PARTS:
        seconds = cumulative(where, caller)
        if seconds:
            out["parts"][label] = {"ms": round(1000 * seconds / max(questions, 1), 2),
                                   "share": round(seconds / whole, 3) if whole else None}
    return out


def targets(out: dict) -> dict:
    """Issue 28's cost targets: concurrency-1 p50 <= 60 ms, concurrency-16 QPS >= 0.6 x the
    raw batch-16 encode rate."""
    levels = {lv["concurrency"]: lv for lv in out["serving"]["levels"]}
    r: dict = {}
    if 1 in levels:
        p50 = levels[1]["p50_ms"]
        r["c1_p50_ms"] = {"value": p50, "target": "<= 60", "met": p50 <= 60}
    if 16 in levels:
        ratio = levels[16]["throughput_qps"] / out["raw"]["query_batch16_per_s"]
        r["c16_qps_over_raw_batch16"] = {"value": round(ratio, 3), "target": ">= 0.6",
                                         "met": ratio >= 0.6}
    return r


def markdown(section: dict) -> str:
    """The section as Markdown: one row per level, then each level's cache hit rates."""
    raw = section["raw"]
    lines = [f"Questions whose top passages vary: {section['questions_sent_over_http']} of "
             f"{section['questions_available']} distinct questions of `{section['source']}` "
             f"sent once each, over {section['documents']} documents ({section['passages']} "
             f"passages, {section.get('article_passages', section['passages'])} of them the "
             f"articles'); raw model {raw['query_single_ms']:.1f} ms a question, "
             f"{raw['query_batch16_per_s']:.1f}/s in batches of 16; settings "
             f"{section['settings']}.", "",
             "| concurrency | questions | QPS | QPS / raw batch-16 | p50 ms | p95 ms | p99 ms "
             "| errors |", "|---|---|---|---|---|---|---|---|"]
    for lv in section["serving"]["levels"]:
        lines.append("| " + " | ".join(str(c) for c in (
            lv["concurrency"], lv["requests"], lv["throughput_qps"],
            round(lv["throughput_qps"] / raw["query_batch16_per_s"], 3), lv["p50_ms"],
            lv["p95_ms"], lv["p99_ms"], lv["errors"])) + " |")
    names = sorted({n for lv in section["serving"]["levels"] for n in lv.get("caches", {})})
    lines += ["", "Cache hit rates over each level's measured window:", "",
              "| cache | " + " | ".join(f"c{lv['concurrency']}"
                                       for lv in section["serving"]["levels"]) + " |",
              "|---|" + "---|" * len(section["serving"]["levels"])]
    for name in names:
        cells = []
        for lv in section["serving"]["levels"]:
            c = lv.get("caches", {}).get(name)
            cells.append("-" if not c or c["hit_rate"] is None
                         else f"{c['hit_rate']:.2f} ({c['hits'] + c['misses']})")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    profile = section.get("in_process", {}).get("profile")
    if profile:
        ip = section["in_process"]
        lines += ["", f"In process, {ip['timed']} never-seen questions: p50 {ip['p50_ms']} ms "
                  f"without a profiler ({ip['distinct_returned']} distinct passages of "
                  f"{ip['returned_passages']} returned, {ip['returned_from_filler']} of them "
                  f"stand-ins); under cProfile "
                  f"({profile['questions']} questions, {profile['search_ms']} ms each):", "",
                  "| part | ms a question | share |", "|---|---|---|"]
        for label, part in profile["parts"].items():
            lines.append(f"| {label} | {part['ms']} | {part['share']:.0%} |")
    return "\n".join(lines) + "\n"
