"""Conversations: follow-up questions searched with the dialogue, without it, and as the
standalone question a person would have asked (the ceiling).

``eval/conversations.jsonl`` holds two- and three-turn conversations over the project
corpus and PIAF, one per line::

    {"id": "p01", "corpus": "project", "split": "dev", "turns": [
      {"question": "Quel accord Nokia a-t-il conclu avec le Maroc ?", "doc": "002_….txt",
       "answers": ["Nokia et le Ministère … ont signé un protocole d’accord"]},
      {"question": "Qui l'a signé ?", "kind": "pronoun",
       "standalone": "Qui a signé le protocole d'accord entre Nokia et le Maroc ?",
       "doc": "002_….txt", "answers": ["Le protocole d’accord a été signé par Mme …"]}]}

A turn's gold is found as in ``eval/questions.jsonl`` (its document and answer strings,
located in the document's canonical text), at every place the string occurs: a live blog
repeats entries, and each copy answers. ``kind`` says how a follow-up leans on the turns
before it (pronoun, ellipsis, comparison, attribute), or ``standalone`` for a question that
changes the subject and must be searched as if alone. ``split`` is the conversation's; a
PIAF conversation has its article's split (:func:`~ragqa.eval.questions.split_of`). ``test2``
holds conversations written after ``test`` had been run (a PIAF one over a ``test`` article).

The history a follow-up is asked with is what a client would send: the earlier questions,
no answers (no LLM wrote any), and as each turn's documents those of the passages the
system itself returned for it, best first.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ragqa.eval.metrics import first_hit_rank, is_hit, mrr_at, recall_at
from ragqa.eval.questions import QuestionSetError, _numbered_lines
from ragqa.index.search.conversation import plan_followup, search_followup
from ragqa.index.search.followup import FOLLOWUP, FollowupParams, Turn
from ragqa.index.search.retriever import Retriever, SearchResult

CORPORA = ("project", "piaf")
# test2 was written after test had been seen (docs/retrieval-quality.md#conversations);
# test3 before anything ran on it, for the next change chosen on dev: it is held out, read
# only when asked for by name, never as part of "all". dev2 covers the constructions the
# markers were fixed for (impersonal "il" and "it", "ce" + a noun, "Et X, … ?", English
# follow-ups), written with those fixes: a development set too.
SPLITS = ("dev", "dev2", "test", "test2", "test3")
HELD_OUT = ("test3",)
FOLLOWUP_KINDS = ("pronoun", "ellipsis", "comparison", "attribute", "standalone")
CONDITIONS = ("history", "alone", "standalone")  # with the dialogue, without, the ceiling
RUNS = (*CONDITIONS, "switch")  # and first turns asked after another conversation


@dataclass(frozen=True)
class ConversationTurn:
    question: str
    doc: str
    spans: tuple[tuple[int, int], ...]
    kind: str = "first"      # first, or one of FOLLOWUP_KINDS
    standalone: str = ""     # the follow-up rewritten by hand to stand alone


@dataclass(frozen=True)
class Conversation:
    id: str
    corpus: str
    split: str
    turns: tuple[ConversationTurn, ...]


def load_conversations(path: Path, texts: dict[str, str], corpus: str,
                       split: str = "all") -> list[Conversation]:
    """The conversations of ``corpus`` in ``split`` ("all": every split but the held-out
    ``test3``); ``texts`` maps that corpus's document ids to their canonical text."""
    if corpus not in CORPORA:
        raise QuestionSetError(f"unknown corpus {corpus!r}; use one of {', '.join(CORPORA)}")
    out = []
    for number, line in _numbered_lines(path):
        where = f"{path}:{number}"
        try:
            row = json.loads(line)
            cid, row_corpus, row_split, turns = row["id"], row["corpus"], row["split"], row["turns"]
        except (ValueError, KeyError, TypeError) as exc:
            raise QuestionSetError(f"{where}: malformed conversation ({exc})") from None
        if row_corpus not in CORPORA or row_split not in SPLITS:
            raise QuestionSetError(f"{where}: corpus must be one of {CORPORA}, "
                                   "split dev, dev2, test, test2 or test3")
        if not isinstance(turns, list) or not 2 <= len(turns) <= 3:
            raise QuestionSetError(f"{where}: a conversation has two or three turns")
        if row_corpus != corpus or split not in ("all", row_split) or (
                split == "all" and row_split in HELD_OUT):
            continue
        out.append(Conversation(cid, row_corpus, row_split, tuple(
            _turn(t, i, texts, where) for i, t in enumerate(turns))))
    return out


def _turn(row: dict, index: int, texts: dict[str, str], where: str) -> ConversationTurn:
    try:
        question, doc, answers = row["question"], row["doc"], row["answers"]
        kind = row.get("kind", "first") if index else "first"
        standalone = row.get("standalone", "") if index else ""
    except (KeyError, TypeError, AttributeError) as exc:
        raise QuestionSetError(f"{where}: malformed turn {index + 1} ({exc})") from None
    if index and (kind not in FOLLOWUP_KINDS or not standalone):
        raise QuestionSetError(f"{where}: turn {index + 1} needs a kind "
                               f"({', '.join(FOLLOWUP_KINDS)}) and its standalone rewrite")
    if doc not in texts:
        raise QuestionSetError(f"{where}: document {doc!r} is not in the corpus")
    text = texts[doc]
    spans = []
    for answer in answers:
        start = text.find(answer)
        if start < 0:
            raise QuestionSetError(f"{where}: answer {answer[:40]!r}… is not in {doc}")
        while start >= 0:
            spans.append((start, start + len(answer)))
            start = text.find(answer, start + 1)
    return ConversationTurn(question, doc, tuple(spans), kind, standalone)


@dataclass
class ConversationRun:
    """First-hit ranks per condition (None: not in the top ``k``), per follow-up kind."""

    first: list[int | None] = field(default_factory=list)
    # Each first turn asked again after the previous conversation's first turn: a question
    # that changes the subject, which the history must not change.
    switch: list[int | None] = field(default_factory=list)
    switch_used: list[bool] = field(default_factory=list)
    ranks: dict[str, list[int | None]] = field(
        default_factory=lambda: {c: [] for c in CONDITIONS})
    kinds: list[str] = field(default_factory=list)
    used: list[bool] = field(default_factory=list)  # history_used, per follow-up


def run_conversations(retriever: Retriever, conversations: Sequence[Conversation],
                      k: int = 10, *, mode: str = "hybrid", params: FollowupParams = FOLLOWUP,
                      conditions: Sequence[str] = RUNS) -> ConversationRun:
    """Every conversation through :func:`~ragqa.index.search.conversation.plan_followup`
    and :func:`~ragqa.index.search.conversation.search_followup`, the service's own path;
    ``conditions`` other than ``history`` are left empty when not asked for (a sweep)."""
    run = ConversationRun()
    previous: Turn | None = None
    for conversation in conversations:
        history: list[Turn] = []
        for number, turn in enumerate(conversation.turns):
            if number == 0:
                result = retriever.search(turn.question, k, mode=mode)
                run.first.append(_rank(result, turn))
                if previous is not None and "switch" in conditions:
                    followup = plan_followup(retriever, turn.question, [previous],
                                             params=params)
                    run.switch.append(_rank(search_followup(retriever, followup, k, mode=mode),
                                            turn))
                    run.switch_used.append(followup.history_used)
            else:
                followup = plan_followup(retriever, turn.question, history, params=params)
                result = search_followup(retriever, followup, k, mode=mode)
                run.ranks["history"].append(_rank(result, turn))
                if "alone" in conditions:
                    run.ranks["alone"].append(_rank(
                        retriever.search(turn.question, k, mode=mode), turn))
                if "standalone" in conditions:
                    run.ranks["standalone"].append(_rank(
                        retriever.search(turn.standalone, k, mode=mode), turn))
                run.kinds.append(turn.kind)
                run.used.append(followup.history_used)
            history.append(Turn(turn.question, doc_ids=tuple(dict.fromkeys(
                hit.doc_id for hit in result.hits[:5]))))
        previous = history[0]
    return run


def _rank(result: SearchResult, turn: ConversationTurn) -> int | None:
    return first_hit_rank([is_hit(h.doc_id, h.start, h.end, turn.doc, turn.spans)
                           for h in result.hits])


def summarise(run: ConversationRun, k: int = 10) -> dict[str, float]:
    """Flat metrics: ``first.recall@5``, ``history.recall@5``, ``alone.pronoun.mrr@10``…"""
    out: dict[str, float] = {"first.questions": len(run.first),
                             "followups": len(run.kinds),
                             "history_used": sum(run.used)}
    out.update(_block("first.", run.first, k))
    if run.switch:
        out["switch.questions"] = len(run.switch)
        out["switch.history_used"] = sum(run.switch_used)
        out.update(_block("switch.", run.switch, k))
        out.update(_block("switch_alone.", run.first[1:], k))
    by_kind: dict[str, list[int]] = defaultdict(list)
    for i, kind in enumerate(run.kinds):
        by_kind[kind].append(i)
    for condition in CONDITIONS:
        ranks = run.ranks[condition]
        if not ranks:  # not run
            continue
        out.update(_block(f"{condition}.", ranks, k))
        for kind, rows in by_kind.items():
            out.update(_block(f"{condition}.{kind}.", [ranks[i] for i in rows], k))
    for kind, rows in by_kind.items():
        out[f"{kind}.questions"] = len(rows)
        out[f"{kind}.history_used"] = sum(run.used[i] for i in rows)
    return out


def _block(prefix: str, ranks: Sequence[int | None], k: int) -> dict[str, float]:
    if not ranks:
        return {}
    return {f"{prefix}recall@5": round(recall_at(ranks, 5), 4),
            f"{prefix}mrr@{k}": round(mrr_at(ranks, k), 4)}


def conversations_table(metrics: dict[str, float], k: int = 10) -> str:
    """Markdown: first turns, then follow-ups in each condition, then per kind."""
    def cell(key: str) -> str:
        return f"{metrics[key]:.3f}" if key in metrics else "-"

    rows = ["| questions | n | recall@5 | mrr@10 |", "|---|---|---|---|",
            f"| first turns | {int(metrics['first.questions'])} | {cell('first.recall@5')} | "
            f"{cell(f'first.mrr@{k}')} |"]
    names = {"history": "follow-ups, with the history", "alone": "follow-ups, alone",
             "standalone": "follow-ups, rewritten by hand (ceiling)"}
    for condition in CONDITIONS:
        rows.append(f"| {names[condition]} | {int(metrics['followups'])} | "
                    f"{cell(f'{condition}.recall@5')} | {cell(f'{condition}.mrr@{k}')} |")
    if "switch.questions" in metrics:
        n = int(metrics["switch.questions"])
        rows.append(f"| first turns after another conversation, alone | {n} | "
                    f"{cell('switch_alone.recall@5')} | {cell(f'switch_alone.mrr@{k}')} |")
        rows.append(f"| first turns after another conversation, with it (history used "
                    f"{int(metrics['switch.history_used'])}) | {n} | {cell('switch.recall@5')} | "
                    f"{cell(f'switch.mrr@{k}')} |")
    kinds = [kind for kind in FOLLOWUP_KINDS if f"{kind}.questions" in metrics]
    rows += ["", "| kind | n | history used | R@5 history / alone / ceiling |", "|---|---|---|---|"]
    for kind in kinds:
        rows.append(f"| {kind} | {int(metrics[f'{kind}.questions'])} | "
                    f"{int(metrics[f'{kind}.history_used'])} | " + " / ".join(
                        cell(f"{c}.{kind}.recall@5") for c in CONDITIONS) + " |")
    return "\n".join(rows)
