"""txtai's hybrid search on the eval sets, scored exactly like ``ragqa eval`` (issue 14).

The issue's peer target: "ahead of txtai's hybrid search with the same model on every set
you measure", the peer indexing *naive* fixed 1,000-character chunks of each document (no
overlap, no sections, no boilerplate logic, the bare text), as a new user of txtai would.
txtai runs in the bench's peers virtualenv (:func:`ragqa.eval.bench.peers.ensure_venv`) with
its defaults (``hybrid: True``: its BM25 with terms, normalised and fused with the dense
score) and the same embedding model folder as ragqa, with the model's query/passage prefixes
given through txtai's ``instructions`` setting. Each chunk carries its document id and
character offsets, so a hit is what it is for ragqa (:func:`ragqa.eval.metrics.is_hit`: a
chunk of the gold document overlapping at least half of a gold answer span)::

    python -m ragqa.eval.peer_eval --piaf ../shared/benchmarks/piaf/piaf-v1.0.json \\
        --longdocs .ragqa/longdocs/longdocs-v1.json --split test

The txtai index of each set is kept under ``--work`` (keyed by the chunks, the model folder
and the prefixes) and reused by later runs.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ragqa.eval.metrics import first_hit_rank, is_hit, mrr_at, recall_at
from ragqa.eval.questions import Question, load_questions, select

CHUNK_CHARS = 1000
PEER_SCRIPT = Path(__file__).parent / "bench" / "peer_txtai_eval.py"


@dataclass(frozen=True)
class Window:
    """A naive chunk: ``text[start:end]`` of document ``doc_id``."""

    doc_id: str
    start: int
    end: int


def naive_windows(doc_id: str, text: str, size: int = CHUNK_CHARS) -> list[Window]:
    """Fixed, non-overlapping ``size``-character windows tiling ``text`` (the last one
    shorter); windows holding only whitespace are dropped."""
    if size < 1:
        raise ValueError(f"window size must be positive, not {size}")
    return [Window(doc_id, s, min(s + size, len(text))) for s in range(0, len(text), size)
            if text[s : s + size].strip()]


def ranks_of(ranked: Sequence[Sequence[int]], windows: Sequence[Window],
             questions: Sequence[Question]) -> list[int | None]:
    """1-based rank of each answerable question's first hit among its ranked window numbers
    (``ranked[i]`` belongs to ``questions[i]``); unanswerable questions are skipped."""
    if len(ranked) != len(questions):
        raise ValueError(f"{len(ranked)} rankings for {len(questions)} questions")
    out = []
    for q, rows in zip(questions, ranked):
        if not q.answerable:
            continue
        hits = [is_hit(windows[r].doc_id, windows[r].start, windows[r].end, q.doc or "",
                       q.spans) for r in rows]
        out.append(first_hit_rank(hits))
    return out


def summary(ranks: Sequence[int | None], k: int = 10) -> dict[str, float]:
    """recall@1/5/10 and MRR@k, rounded like ``ragqa eval``'s."""
    out: dict[str, float] = {"questions": len(ranks)}
    out.update({f"recall@{n}": round(recall_at(ranks, n), 4) for n in (1, 5, 10) if n <= k})
    out[f"mrr@{k}"] = round(mrr_at(ranks, k), 4)
    return out


def project_set(corpus_dir: Path, questions_file: Path) -> tuple[dict[str, str], list[Question]]:
    """The project corpus as ragqa loads it (the canonical text its spans refer to)."""
    from ragqa.index.documents.loaders import load_document

    paths = sorted(p for p in corpus_dir.iterdir() if p.is_file() and not p.name.startswith("."))
    texts = {p.name: load_document(p, p.name).text for p in paths}
    return texts, load_questions(questions_file, texts)


def run_txtai(python: Path, model_dir: Path, documents: dict[str, str],
              questions: Sequence[Question], work: Path, *, query_prefix: str,
              passage_prefix: str, k: int = 10) -> tuple[list[Window], list[list[int]], dict]:
    """Windows, txtai's ranked window numbers per question, and build/search timings."""
    windows = [w for doc_id, text in sorted(documents.items())
               for w in naive_windows(doc_id, text)]
    work.mkdir(parents=True, exist_ok=True)
    chunks = work / "chunks.jsonl"
    with open(chunks, "w", encoding="utf-8") as handle:
        for row, w in enumerate(windows):
            text = documents[w.doc_id][w.start : w.end]
            handle.write(json.dumps({"id": str(row), "text": text}, ensure_ascii=False) + "\n")
    queries = work / "queries.jsonl"
    with open(queries, "w", encoding="utf-8") as handle:
        for q in questions:
            handle.write(json.dumps({"id": q.id, "text": q.question}, ensure_ascii=False) + "\n")
    key = hashlib.sha256(chunks.read_bytes() + f"\0{model_dir.resolve()}\0{query_prefix}"
                         f"\0{passage_prefix}".encode()).hexdigest()[:16]
    store = work / f"txtai-{key}"
    results = work / "results.jsonl"
    command = [str(python), str(PEER_SCRIPT), str(chunks), str(model_dir), str(store),
               str(queries), str(results), str(k), query_prefix, passage_prefix]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"txtai failed: {done.stderr[-3000:]}")
    timings = json.loads(done.stdout.strip().splitlines()[-1])
    by_id = {}
    for line in results.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        by_id[row["id"]] = [int(i) for i in row["ids"]]
    return windows, [by_id[q.id] for q in questions], timings


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=Path("corpus"))
    parser.add_argument("--questions", type=Path, default=Path("eval/questions.jsonl"))
    parser.add_argument("--piaf", type=Path, help="PIAF (SQuAD format)")
    parser.add_argument("--longdocs", type=Path,
                        help="the long pages (python -m ragqa.eval.longdocs --out FILE)")
    parser.add_argument("--split", choices=("dev", "test", "all"), default="test")
    parser.add_argument("--work", type=Path, default=Path(".ragqa/peer-eval"))
    parser.add_argument("--venv", type=Path, default=Path(".ragqa/bench/peers-venv"))
    parser.add_argument("--model", type=Path,
                        help="model folder (default: the configured model, resolved by ragqa)")
    parser.add_argument("--json", action="store_true", help="one JSON object per set")
    args = parser.parse_args(argv)

    from ragqa import wiring
    from ragqa.eval.bench.peers import ensure_venv
    from ragqa.eval.squad import load_squad
    from ragqa.settings import load_settings

    settings = load_settings()
    model = wiring.resolve(settings)
    model_dir = args.model or model.path
    vectors = wiring.identity(settings, model)  # the prefixes ragqa's own vectors use
    query_prefix, passage_prefix = vectors.query_prefix, vectors.passage_prefix
    python = ensure_venv(args.venv)
    sets: list[tuple[str, dict[str, str], list[Question]]] = []
    sets.append(("project", *project_set(args.corpus, args.questions)))
    for name, path in (("piaf", args.piaf), ("longdocs", args.longdocs)):
        if path is not None:
            sets.append((name, *load_squad(path)))
    for name, documents, questions in sets:
        chosen = select(questions, args.split)
        started = time.perf_counter()
        windows, ranked, timings = run_txtai(
            python, model_dir, documents, chosen, args.work / name,
            query_prefix=query_prefix, passage_prefix=passage_prefix)
        row = {"set": name, "split": args.split, "peer": "txtai hybrid, naive 1000-char chunks",
               "model": str(model_dir), "query_prefix": query_prefix,
               "passage_prefix": passage_prefix, "chunks": len(windows),
               **summary(ranks_of(ranked, windows, chosen)), **timings,
               "wall_s": round(time.perf_counter() - started, 1)}
        print(json.dumps(row, ensure_ascii=False) if args.json else
              f"{name:9s} {args.split}: n={row['questions']} r@1 {row['recall@1']:.3f} "
              f"r@5 {row['recall@5']:.3f} r@10 {row['recall@10']:.3f} "
              f"MRR@10 {row['mrr@10']:.3f} ({len(windows)} chunks, {row['wall_s']} s)",
              flush=True)


if __name__ == "__main__":
    main()
