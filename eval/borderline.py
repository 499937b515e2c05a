"""How many low-relevance searches each ``RAGQA_LLM_BORDERLINE`` share would hand to the
LLM, per kind of question, on ``dev``: the project set (answerable, unanswerable, off-topic)
and a SQuAD-format set (each question asked with its article and with it held out).

    python -m ragqa.eval.borderline --squad ../shared/benchmarks/piaf/piaf-v1.0.json

The flagged answerable questions are those the abstention would wrongly refuse (the band
should hold many of them); every other flagged search in the band costs an LLM call that
should end in ``llm_abstained``.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import click

from ragqa.eval.questions import Question, load_offtopic, load_questions, select
from ragqa.index.search.retriever import Retriever

SHARES = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


def _open(corpus_dir: Path | None = None) -> Retriever:
    from ragqa import wiring
    from ragqa.settings import load_settings

    index_dir = corpus_dir.parent / "index" if corpus_dir is not None else None
    settings = load_settings(corpus_dir=corpus_dir, index_dir=index_dir)
    return wiring.start(settings).engine.retriever


def ratios(retriever: Retriever, questions: list[Question], offtopic: list[str],
           hold_out: bool) -> dict[str, list[float]]:
    """Per kind, ``relevance / threshold`` of every flagged search."""
    found: dict[str, list[float]] = defaultdict(list)
    counts: dict[str, int] = defaultdict(int)
    documents = list(retriever.index.documents_by_id())

    def record(kind: str, question: str, doc_ids: list[str] | None = None) -> None:
        result = retriever.search(question, 5, doc_ids=doc_ids)
        counts[kind] += 1
        if result.low_relevance and result.hits:
            found[kind].append((result.relevance or 0.0) / retriever.threshold_for(question))

    for q in questions:
        if q.answerable:
            record("answerable", q.question)
            if hold_out:
                record("held out", q.question, [d for d in documents if d != q.doc])
        else:
            record(q.kind, q.question)
    for question in offtopic:
        record("off-topic", question)
    return {f"{kind} ({counts[kind]})": found[kind] for kind in counts}


def table(title: str, flagged: dict[str, list[float]]) -> str:
    head = "| kind (searches) | flagged | " + " | ".join(f">= {s}" for s in SHARES) + " |"
    rows = [f"### {title}", "", head, "|---" * (2 + len(SHARES)) + "|"]
    for kind, values in flagged.items():
        cells = [str(sum(v >= s for v in values)) for s in SHARES]
        rows.append(f"| {kind} | {len(values)} | " + " | ".join(cells) + " |")
    return "\n".join(rows) + "\n"


@click.command()
@click.option("--squad", "squad_file", type=click.Path(path_type=Path, exists=True),
              help="A SQuAD-format set to measure too (its dev articles).")
@click.option("--limit", default=500, show_default=True,
              help="At most this many dev questions of the SQuAD set.")
def main(squad_file: Path | None, limit: int) -> None:
    """Print, per question kind, the flagged searches a borderline share would send to the
    LLM (the column is the share; ``1.0``: none)."""
    offtopic = load_offtopic(Path("eval/offtopic.jsonl"), "dev")
    retriever = _open()
    texts = {d: doc.text for d, doc in retriever.index.documents_by_id().items()}
    project = select(load_questions(Path("eval/questions.jsonl"), texts), "dev")
    click.echo(table("project set, dev", ratios(retriever, project, offtopic, False)))
    if squad_file is not None:
        from ragqa.eval.squad import load_squad, materialise

        documents, questions = load_squad(squad_file)
        retriever = _open(materialise(documents, Path(".ragqa/eval")))
        chosen = select(questions, "dev")[:limit]
        click.echo(table(f"{squad_file.name}, dev (first {len(chosen)} questions)",
                         ratios(retriever, chosen, offtopic, True)))


if __name__ == "__main__":
    main()
