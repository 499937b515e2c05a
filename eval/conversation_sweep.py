"""Choosing :data:`~ragqa.index.search.followup.FOLLOWUP` on the dev split of
``eval/conversations.jsonl``: each configuration's follow-ups searched with their history,
over the project corpus and PIAF, through the service's own path.

    .venv/bin/python -m ragqa.eval.conversation_sweep --piaf PIAF.json [--split dev]

Prints one row per configuration, best first by the objective: the mean over the two
corpora of (recall@5 + MRR@10) / 2 of the follow-ups, among the configurations that leave
the first turns asked after another conversation (questions that change the subject) as
they are alone; the others are listed after them. The rows of the table in
docs/retrieval-quality.md#conversations come from here.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from pathlib import Path

import click

from ragqa.eval.conversations import SPLITS, load_conversations, run_conversations, summarise
from ragqa.index.search.followup import FOLLOWUP, FollowupParams

# One axis at a time around the served configuration, then the pairs that matter.
GRID: dict[str, tuple] = {
    "min_specificity": (0.0, 6.0, 8.0, 10.0, 11.0, 12.0, 14.0, 1e9),
    "relative_specificity": (True, False),
    "unknown_stands_alone": (True, False),
    "markers": (True, False),
    "names": (True, False),
    "lexical_weight": (0.0, 0.25, 0.5, 0.75, 1.0),
    "decay": (0.5, 0.75, 1.0),
    "turns": (1, 2, 3),
    "dense_turns": (0, 1, 2),
    "foreign_chain": (True, False),
    "prior": (0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5),
    "prior_documents": (1, 3, 5),
    "prior_passages": (0, 1, 2, 3, 5, 10),
    "own_mass": (0.0, 10.0, 15.0, 20.0, 30.0),
    "weak_markers": ("marker", "no_name", "no_new_name"),
    "new_subject": ("keep", "new_name", "dislocated"),
    "chain": (True, False),
    "same_document": (True, False),
    "dense_names": (True, False),
    "relay_pointers": (True, False),
    "carry_names": (False, True),
    "definitions": (True, False),
}
# What was served before the chain, the weak markers and the definitions rule, with its
# prior of 0.4 (docs/retrieval-quality.md#conversations).
BEFORE = replace(FOLLOWUP, weak_markers="marker", chain=False, carry_names=False, prior=0.4,
                 definitions=False)


def configurations(axes: tuple[str, ...]) -> list[FollowupParams]:
    """The served configuration, each axis of :data:`GRID` varied alone, and the grid of
    ``axes`` together."""
    out = [FOLLOWUP, BEFORE]
    for name, values in GRID.items():
        out += [replace(FOLLOWUP, **{name: v}) for v in values if v != getattr(FOLLOWUP, name)]
    if axes:
        for values in itertools.product(*(GRID[a] for a in axes)):
            out.append(replace(FOLLOWUP, **dict(zip(axes, values))))
    return list(dict.fromkeys(out))


def describe(params: FollowupParams) -> str:
    if params == BEFORE and BEFORE != FOLLOWUP:
        return "before: every marker strong, no chain, no definitions rule, prior 0.4"
    changed = [f"{f}={getattr(params, f)}" for f in GRID if getattr(params, f) != getattr(FOLLOWUP, f)]
    return ", ".join(changed) or "served"


@click.command()
@click.option("--piaf", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              required=True, help="PIAF's SQuAD-format JSON.")
@click.option("--conversations", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              default=Path("eval/conversations.jsonl"), show_default=True)
@click.option("--split", type=click.Choice(SPLITS), default="dev", show_default=True)
@click.option("--grid", "axes", multiple=True, type=click.Choice(sorted(GRID)),
              help="Axes varied together (repeat), besides each axis alone.")
def main(piaf: Path, conversations: Path, split: str, axes: tuple[str, ...]) -> None:
    from ragqa import wiring
    from ragqa.eval.squad import load_squad, materialise
    from ragqa.settings import load_settings

    documents, _ = load_squad(piaf)
    piaf_corpus = materialise(documents, Path(".ragqa/eval"))
    engines = {"project": wiring.start(load_settings()).engine,
               "piaf": wiring.start(load_settings(corpus_dir=piaf_corpus,
                                                  index_dir=piaf_corpus.parent / "index")).engine}
    sets = {}
    for corpus, engine in engines.items():
        texts = {d: r.text for d, r in engine.retriever.index.documents_by_id().items()}
        sets[corpus] = load_conversations(conversations, texts, corpus, split)
    rows = []
    for params in configurations(axes):
        cells, objective, harmless, used = [], 0.0, True, 0
        for corpus, engine in engines.items():
            metrics = summarise(run_conversations(engine.retriever, sets[corpus], 10,
                                                  params=params, conditions=("history", "switch")))
            r5, mrr = metrics["history.recall@5"], metrics["history.mrr@10"]
            objective += (r5 + mrr) / 2 / len(engines)
            cells.append(f"{r5:.3f} / {mrr:.3f}")
            harmless &= (metrics["switch.recall@5"] >= metrics["switch_alone.recall@5"]
                         and metrics["switch.mrr@10"] >= metrics["switch_alone.mrr@10"])
            used += int(metrics["switch.history_used"])
        rows.append((harmless, objective, describe(params), cells, used))
        click.echo(f"{objective:.4f} {'ok' if harmless else 'HURTS'} ({used})  "
                   f"{describe(params)}  " + "  ".join(cells), err=True)
    click.echo("| configuration | project R@5 / MRR@10 | PIAF R@5 / MRR@10 | objective | "
               "subject changes: history used / unchanged |")
    click.echo("|---|---|---|---|---|")
    for harmless, objective, name, cells, used in sorted(rows, key=lambda r: (not r[0], -r[1])):
        click.echo(f"| {name} | {cells[0]} | {cells[1]} | {objective:.4f} | {used} / "
                   f"{'yes' if harmless else 'no'} |")


if __name__ == "__main__":
    main()
