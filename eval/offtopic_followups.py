"""Off-topic questions asked after an on-topic one, as in the chat widget: how many borrow
the conversation's words, and how many are still flagged low relevance.

    .venv/bin/python -m ragqa.eval.offtopic_followups --split dev [--without unknown_stands_alone]

Each French question of ``eval/offtopic.jsonl``'s split is asked after each of the first
questions of the project set's first ``--previous`` conversations of that split, through the
service's own path (:func:`~ragqa.index.search.conversation.plan_followup`,
:func:`~ragqa.index.search.conversation.search_followup`), with the served
:data:`~ragqa.index.search.followup.FOLLOWUP` and with each boolean axis of ``--without``
turned off.
"""

from __future__ import annotations

import json
from dataclasses import fields, replace
from pathlib import Path

import click

from ragqa.eval.conversations import SPLITS, load_conversations
from ragqa.index.search.followup import FOLLOWUP, FollowupParams, Turn

_AXES = sorted(f.name for f in fields(FollowupParams) if isinstance(f.default, bool))


def measure(retriever, off_topic: list[str], previous: list[str],
            params: FollowupParams = FOLLOWUP) -> dict:
    """How many of the ``off_topic`` × ``previous`` pairs used the history, and how many
    were flagged low relevance."""
    from ragqa.index.search.conversation import plan_followup, search_followup

    used = flagged = 0
    for question in off_topic:
        for earlier in previous:
            followup = plan_followup(retriever, question, [Turn(earlier)], params=params)
            result = search_followup(retriever, followup, 5)
            used += followup.history_used
            flagged += bool(result.low_relevance)
    return {"pairs": len(off_topic) * len(previous), "history_used": used, "flagged": flagged}


@click.command()
@click.option("--split", type=click.Choice(SPLITS), default="dev", show_default=True)
@click.option("--offtopic", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              default=Path("eval/offtopic.jsonl"), show_default=True)
@click.option("--conversations", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              default=Path("eval/conversations.jsonl"), show_default=True)
@click.option("--previous", type=int, default=10, show_default=True,
              help="How many conversations' first questions to ask each one after.")
@click.option("--without", "axes", multiple=True, type=click.Choice(_AXES),
              help="Also measure with this boolean axis of FollowupParams off (repeat).")
def main(split: str, offtopic: Path, conversations: Path, previous: int,
         axes: tuple[str, ...]) -> None:
    from ragqa import wiring
    from ragqa.settings import load_settings

    engine = wiring.start(load_settings()).engine
    texts = {d: r.text for d, r in engine.retriever.index.documents_by_id().items()}
    firsts = [c.turns[0].question
              for c in load_conversations(conversations, texts, "project", split)][:previous]
    rows = [json.loads(line) for line in offtopic.read_text(encoding="utf-8").splitlines()
            if line.strip()]
    questions = [r["question"] for r in rows if r["split"] == split and r.get("lang") == "fr"]
    alone = sum(bool(engine.retriever.search(q, 5).low_relevance) for q in questions)
    report = {"split": split, "questions": len(questions), "flagged_alone": alone,
              "served": measure(engine.retriever, questions, firsts)}
    for axis in axes:
        report[f"{axis}=False"] = measure(engine.retriever, questions, firsts,
                                          replace(FOLLOWUP, **{axis: False}))
    click.echo(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
