"""Choosing hybrid-ranking defaults for a model on dev splits: ``python -m ragqa.eval.sweep``.

Every question of every set is embedded once; each fusion configuration is then run through
the service's own :class:`~ragqa.index.search.retriever.Retriever` (same fusion, same de-duplication), so
the figures are those a served configuration would get. Only ``dev`` questions are used:
the ``test`` splits stay untouched for the README's tables.

The configurations are ranked by the mean, over the sets, of (recall@5 + MRR@10) / 2, so
no single set (a large, easy one) decides alone; each set's own figures are printed too.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import click
import numpy as np

from ragqa.eval.metrics import first_hit_rank, is_hit, mrr_at, recall_at
from ragqa.eval.questions import Question
from ragqa.index.search.fusion import METHODS, FusionParams
from ragqa.index.search.retriever import RetrievalParams, Retriever

WEIGHTS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
CANDIDATES = (20, 50, 100, 200)


@dataclass(frozen=True)
class QuestionSet:
    """One dev set opened on its own index: a retriever and its answerable questions."""

    name: str
    retriever: Retriever
    questions: tuple[Question, ...]
    vectors: np.ndarray  # one query vector per question


def embed(name: str, retriever: Retriever, questions: Sequence[Question]) -> QuestionSet:
    answerable = tuple(q for q in questions if q.answerable)
    assert retriever.embedder is not None
    vectors = retriever.embedder.encode_queries([q.question for q in answerable])
    return QuestionSet(name, retriever, answerable, np.asarray(vectors))


def score(qset: QuestionSet, params: RetrievalParams, mode: str, k: int = 10) -> dict[str, float]:
    """recall@1/5/10 and MRR@10 of ``params`` on one set."""
    retriever = Retriever(qset.retriever.index, qset.retriever.embedder,
                          dataclasses.replace(params, result_cache_size=1))
    ranks = []
    for q, vector in zip(qset.questions, qset.vectors):
        hits = retriever.search(q.question, k, mode=mode, query_vector=vector).hits
        ranks.append(first_hit_rank([is_hit(h.doc_id, h.start, h.end, q.doc or "", q.spans)
                                     for h in hits]))
    out = {f"recall@{n}": recall_at(ranks, n) for n in (1, 5, 10)}
    out["mrr@10"] = mrr_at(ranks, 10)
    return out


def configurations(base: RetrievalParams) -> list[tuple[str, str, RetrievalParams]]:
    """``(label, mode, params)``: each ranker alone, then every fusion method and weight at
    the base candidate depth."""
    configs = [("bm25", "bm25", base), ("dense", "dense", base)]
    for method, weight in itertools.product(METHODS, WEIGHTS):
        params = dataclasses.replace(base, fusion=FusionParams(method, weight))
        configs.append((f"{method}:{weight}", "hybrid", params))
    return configs


def objective(per_set: dict[str, dict[str, float]]) -> float:
    return float(np.mean([(m["recall@5"] + m["mrr@10"]) / 2 for m in per_set.values()]))


def sweep(sets: Sequence[QuestionSet], base: RetrievalParams, candidates: Sequence[int] = CANDIDATES,
          echo=click.echo, only: Sequence[str] = ()) -> list[dict]:
    """Every configuration (or those labelled in ``only``) on every set, then the candidate
    depth for the best three."""
    rows = []
    for label, mode, params in configurations(base):
        if only and label not in only:
            continue
        per_set = {s.name: score(s, params, mode) for s in sets}
        rows.append({"config": label, "mode": mode, "candidates": params.candidates,
                     "objective": objective(per_set), "sets": per_set})
        echo(_line(rows[-1]))
    fused = sorted((r for r in rows if r["mode"] == "hybrid"), key=lambda r: -r["objective"])
    for best in fused[:3]:
        method, weight = best["config"].split(":")
        for depth in candidates:
            if depth == base.candidates:
                continue
            params = dataclasses.replace(base, candidates=depth,
                                         fusion=FusionParams(method, float(weight)))
            per_set = {s.name: score(s, params, "hybrid") for s in sets}
            rows.append({"config": best["config"], "mode": "hybrid", "candidates": depth,
                         "objective": objective(per_set), "sets": per_set})
            echo(_line(rows[-1]))
    return rows


def _line(row: dict) -> str:
    cells = " ".join(f"{name}: R@5 {m['recall@5']:.3f} MRR {m['mrr@10']:.3f}"
                     for name, m in row["sets"].items())
    return f"{row['config']:<12} c={row['candidates']:<4} obj {row['objective']:.4f}  {cells}"


def _open(corpus_dir: Path | None, index_dir: Path | None):
    from ragqa import wiring
    from ragqa.settings import load_settings

    settings = load_settings(corpus_dir=corpus_dir, index_dir=index_dir)
    return wiring.start(settings).engine


@click.command()
@click.option("--questions", "questions_file", type=click.Path(path_type=Path),
              default=Path("eval/questions.jsonl"), show_default=True)
@click.option("--squad", "squad_files", type=click.Path(path_type=Path, exists=True),
              multiple=True, help="SQuAD-format sets (each becomes its own corpus).")
@click.option("--out", "out_file", type=click.Path(path_type=Path), help="Write rows as JSON.")
@click.option("--only", default="", help="Comma-separated labels to run (e.g. bm25,dense,minmax:0.5).")
def main(questions_file: Path, squad_files: tuple[Path, ...], out_file: Path | None,
         only: str) -> None:
    """Sweep fusion method, dense weight and candidate depth on dev splits."""
    from ragqa.eval.questions import load_questions, select
    from ragqa.eval.squad import load_squad, materialise

    project = _open(None, None)
    texts = {d: doc.text for d, doc in project.retriever.index.documents_by_id().items()}
    sets = [embed("project", project.retriever,
                  select(load_questions(questions_file, texts), "dev"))]
    for path in squad_files:
        documents, questions = load_squad(path)
        corpus = materialise(documents, Path(".ragqa/eval"))
        opened = _open(corpus, corpus.parent / "index")
        sets.append(embed(path.stem, opened.retriever, select(questions, "dev")))
    click.echo(f"model {project.model.name}; dev questions: "
               + ", ".join(f"{s.name} {len(s.questions)}" for s in sets))
    labels = [label.strip() for label in only.split(",") if label.strip()]
    rows = sweep(sets, project.retriever.params, candidates=() if labels else CANDIDATES,
                 only=labels)
    best = max((r for r in rows if r["mode"] == "hybrid"), key=lambda r: r["objective"])
    click.echo(f"best: {best['config']} candidates {best['candidates']} "
               f"objective {best['objective']:.4f}")
    if out_file is not None:
        out_file.parent.mkdir(parents=True, exist_ok=True)
        out_file.write_text(json.dumps({"model": project.model.name, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
