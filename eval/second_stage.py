"""Would a sentence-level second stage help? ``python -m ragqa.eval.second_stage``.

An experiment, not a served feature: the top ``depth`` passages of the served hybrid
ranking are re-scored by mixing their fused score with the best cosine between the
question and any one of their sentences (same model, the passage prefix), both min-max
normalised over the candidates: ``(1 - a) · fused + a · best sentence``. ``a = 0`` is the
served ranking. Dev splits only. Sentence vectors are cached by text, so a passage met by
several questions is embedded once.
"""

from __future__ import annotations

from pathlib import Path

import click
import numpy as np

from ragqa.eval.metrics import first_hit_rank, is_hit, mrr_at, recall_at
from ragqa.eval.questions import Question
from ragqa.index.search.highlight import sentence_spans
from ragqa.index.search.retriever import Retriever

MIXES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.6, 0.8, 1.0)


def _minmax(values: np.ndarray) -> np.ndarray:
    low, high = float(values.min()), float(values.max())
    return (values - low) / (high - low) if high > low else np.zeros_like(values)


def measure(retriever: Retriever, questions: list[Question], depth: int = 20,
            mixes: tuple[float, ...] = MIXES) -> dict[float, dict[str, float]]:
    """recall@1/5 and MRR@10 per mix on ``questions`` (answerable ones)."""
    embedder = retriever.embedder
    assert embedder is not None
    cache: dict[str, np.ndarray] = {}
    ranks: dict[float, list[int | None]] = {a: [] for a in mixes}
    texts = {d: doc.text for d, doc in retriever.index.documents_by_id().items()}
    for q in (q for q in questions if q.answerable):
        vector = embedder.encode_queries([q.question])[0]
        hits = retriever.search(q.question, depth, query_vector=vector).hits
        if not hits:
            for a in mixes:
                ranks[a].append(None)
            continue
        sentences = [[texts[h.doc_id][s:e] for s, e in sentence_spans(texts[h.doc_id], h.start, h.end)]
                     or [h.quote] for h in hits]
        new = sorted({t for group in sentences for t in group if t not in cache})
        for text, vec in zip(new, embedder.encode_passages(new)):
            cache[text] = vec
        best = np.array([max(float(cache[t] @ vector) for t in group) for group in sentences])
        fused = _minmax(np.array([h.score for h in hits], dtype=np.float64))
        sentence = _minmax(best)
        relevant = [is_hit(h.doc_id, h.start, h.end, q.doc or "", q.spans) for h in hits]
        for a in mixes:
            order = np.argsort(-((1 - a) * fused + a * sentence), kind="stable")
            ranks[a].append(first_hit_rank([relevant[i] for i in order]))
    return {a: {"recall@1": recall_at(r, 1), "recall@5": recall_at(r, 5),
                "mrr@10": mrr_at(r, 10)} for a, r in ranks.items()}


@click.command()
@click.option("--squad", "squad_files", type=click.Path(path_type=Path, exists=True),
              multiple=True)
@click.option("--limit", type=int, default=0, help="At most this many dev questions per set.")
def main(squad_files: tuple[Path, ...], limit: int) -> None:
    from ragqa.eval.questions import load_questions, select
    from ragqa.eval.squad import load_squad, materialise
    from ragqa.eval.sweep import _open

    project = _open(None, None)
    texts = {d: doc.text for d, doc in project.retriever.index.documents_by_id().items()}
    sets = [("project", project.retriever,
             select(load_questions(Path("eval/questions.jsonl"), texts), "dev"))]
    for path in squad_files:
        documents, questions = load_squad(path)
        corpus = materialise(documents, Path(".ragqa/eval"))
        sets.append((path.stem, _open(corpus, corpus.parent / "index").retriever,
                     select(questions, "dev")))
    for name, retriever, questions in sets:
        answerable = [q for q in questions if q.answerable]
        if limit:
            answerable = answerable[:limit]
        for a, m in measure(retriever, answerable).items():
            click.echo(f"{name:<12} mix {a:.1f}: R@1 {m['recall@1']:.3f} R@5 {m['recall@5']:.3f} "
                       f"MRR@10 {m['mrr@10']:.3f}  ({len(answerable)} questions)")


if __name__ == "__main__":
    main()
