"""``ragqa eval --conversations``: the follow-up table of one corpus, printed or written."""

from __future__ import annotations

import json
import platform
from pathlib import Path

import click

from ragqa.engine import Engine
from ragqa.eval.conversations import (
    conversations_table,
    load_conversations,
    run_conversations,
    summarise,
)
from ragqa.index.search.followup import FOLLOWUP
from ragqa.settings import Settings


def report_conversations(engine: Engine, settings: Settings, texts: dict[str, str],
                         path: Path, corpus: str, split: str, k: int, *, as_json: bool,
                         out_dir: Path | None) -> dict:
    """Run ``path``'s conversations of ``corpus`` in ``split`` through the served retrieval
    (its mode, :data:`~ragqa.index.search.followup.FOLLOWUP`) and report them."""
    conversations = load_conversations(path, texts, corpus, split)
    if not conversations:
        raise click.UsageError(f"{path} holds no {corpus} conversation in split {split!r}")
    retriever = engine.retriever
    mode = retriever.params.mode
    metrics: dict = summarise(run_conversations(retriever, conversations, k, mode=mode), k)
    metrics.update({"split": split, "conversations_file": str(path), "corpus": corpus,
                    "conversations": len(conversations), "mode": mode,
                    "model": engine.model.name, "followup": repr(FOLLOWUP)})
    header = (f"Conversations `{path}` ({corpus}), split `{split}`: {len(conversations)} "
              f"conversations, {int(metrics['followups'])} follow-ups; mode {mode}, model "
              f"`{engine.model.name}`, chunks {settings.chunk_size}/{settings.chunk_overlap}, "
              f"k={k}, no LLM, on {platform.node() or 'this machine'}.")
    table = conversations_table(metrics, k)
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "metrics.json").write_text(json.dumps(metrics, indent=2, ensure_ascii=False),
                                              "utf-8")
        (out_dir / "report.md").write_text(f"{header}\n\n{table}\n", "utf-8")
    if as_json:
        click.echo(json.dumps(metrics, ensure_ascii=False))
    else:
        click.echo(header + "\n")
        click.echo(table)
    return metrics
