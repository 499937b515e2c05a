"""Follow-ups asked after an unrelated turn: how many borrow its words, and how well they
are found.

    .venv/bin/python -m ragqa.eval.unrelated_turns --split dev [--document-share 1]

Each conversation of the project set's split is asked with, before its first question, the
first question of the conversation before it (a change of subject that stood alone, with the
documents the search answered it from, as a client sends them back). Over the project
corpus most questions are answered from the live blog, which holds nine passages in ten: a
follow-up that reaches the unrelated turn through the chain of turns answered from one
document (:attr:`~ragqa.index.search.followup.FollowupParams.same_document`) borrows its
words. Through the service's own path
(:func:`~ragqa.index.search.conversation.plan_followup`,
:func:`~ragqa.index.search.conversation.search_followup`).
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import click

from ragqa.eval.conversations import SPLITS, Conversation, _rank, load_conversations
from ragqa.index.search.followup import FOLLOWUP, FollowupParams, Turn, content_words


def measure(retriever, conversations: list[Conversation], k: int = 10,
            params: FollowupParams = FOLLOWUP) -> dict:
    """Over ``conversations`` (each asked after the previous one's first question): the
    follow-ups, how many borrowed a word of that unrelated question the conversation's own
    questions do not hold, and their MRR@``k`` and recall@5."""
    from ragqa.index.search.conversation import plan_followup, search_followup

    analyzer = retriever.index.analyzer
    followups = borrowing = found = 0
    reciprocal = 0.0
    previous: Turn | None = None
    for conversation in conversations:
        history = [previous] if previous is not None else []
        own = {w.casefold() for turn in conversation.turns
               for w in re.findall(r"[\w.-]+", turn.question)}
        lent = [] if previous is None else [
            w for w in content_words(previous.question, analyzer) if w.casefold() not in own]
        for number, turn in enumerate(conversation.turns):
            if number == 0:
                result = retriever.search(turn.question, k)
            else:
                followup = plan_followup(retriever, turn.question, history, params=params)
                result = search_followup(retriever, followup, k)
                rank = _rank(result, turn)
                followups += 1
                reciprocal += 1 / rank if rank else 0.0
                found += bool(rank and rank <= 5)
                borrowed = followup.query[len(turn.question.strip()):]
                borrowing += any(re.search(rf"(?<![\w.-]){re.escape(w)}(?![\w.-])", borrowed)
                                 for w in lent)
            asked = Turn(turn.question, doc_ids=tuple(dict.fromkeys(
                hit.doc_id for hit in result.hits[:5])))
            history.append(asked)
            if number == 0:
                first = asked
        previous = first
    return {"followups": followups, "borrowing": borrowing,
            f"mrr@{k}": round(reciprocal / max(followups, 1), 4),
            "recall@5": round(found / max(followups, 1), 4)}


@click.command()
@click.option("--split", type=click.Choice(SPLITS), default="dev", show_default=True)
@click.option("--conversations", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              default=Path("eval/conversations.jsonl"), show_default=True)
@click.option("--document-share", type=float, default=None,
              help="Also measure with this FollowupParams.document_share (1: any document).")
@click.option("--document-links", type=int, default=None,
              help="Also measure with this FollowupParams.document_links.")
def main(split: str, conversations: Path, document_share: float | None,
         document_links: int | None) -> None:
    from ragqa import wiring
    from ragqa.settings import load_settings

    engine = wiring.start(load_settings()).engine
    retriever = engine.retriever
    texts = {d: r.text for d, r in retriever.index.documents_by_id().items()}
    loaded = load_conversations(conversations, texts, "project", split)
    report = {"split": split, "conversations": len(loaded), "served": measure(retriever, loaded)}
    changed = {name: value for name, value in (("document_share", document_share),
                                               ("document_links", document_links))
               if value is not None}
    if changed:
        report[" ".join(f"{n}={v}" for n, v in changed.items())] = measure(
            retriever, loaded, params=replace(FOLLOWUP, **changed))
    click.echo(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
