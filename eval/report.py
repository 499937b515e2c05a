"""Turning flat metrics into a Markdown table and files on disk."""

from __future__ import annotations

import json
from pathlib import Path

COLUMNS = ("recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10", "latency_p50_ms", "latency_p95_ms")


def markdown_table(metrics: dict[str, float], modes: list[str]) -> str:
    head = "| mode | questions | " + " | ".join(COLUMNS) + " |"
    rule = "|" + "---|" * (len(COLUMNS) + 2)
    rows = [head, rule]
    for mode in modes:
        cells = [f"{metrics.get(f'{mode}.{c}', float('nan')):.3f}".rstrip("0").rstrip(".")
                 if "latency" not in c else f"{metrics.get(f'{mode}.{c}', 0):.1f}" for c in COLUMNS]
        rows.append(f"| {mode} | {int(metrics.get(f'{mode}.questions', 0))} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def kinds_table(metrics: dict[str, float], modes: list[str], kinds: list[str]) -> str:
    rows = ["| mode | " + " | ".join(f"{k} R@5" for k in kinds) + " |", "|" + "---|" * (len(kinds) + 1)]
    for mode in modes:
        rows.append(f"| {mode} | " + " | ".join(
            f"{metrics[f'{mode}.{k}.recall@5']:.3f}" if f"{mode}.{k}.recall@5" in metrics else "-"
            for k in kinds) + " |")
    return "\n".join(rows)


SIGNAL = ("auc", "flagged_unanswerable", "flagged_answerable", "flagged_answered_at_1",
          "offtopic_auc", "flagged_offtopic")


def signal_table(metrics: dict[str, float], modes: list[str]) -> str:
    """The low-relevance signal per mode; empty when the set has no negatives."""
    def measured(key: str) -> bool:
        return f"{key}auc" in metrics or f"{key}flagged_offtopic" in metrics

    if not any(measured(f"{mode}.low_relevance.") for mode in modes):
        return ""
    rows = ["| mode | negatives | " + " | ".join(SIGNAL) + " |", "|" + "---|" * (len(SIGNAL) + 2)]
    for mode in modes:
        key = f"{mode}.low_relevance."
        if measured(key):
            rows.append(f"| {mode} | {int(metrics.get(f'{key}negatives', 0))} | " + " | ".join(
                f"{metrics[key + c]:.3f}" if key + c in metrics else "-" for c in SIGNAL) + " |")
    return "\n".join(rows)


def write_report(out_dir: Path, metrics: dict, header: str, modes: list[str], kinds: list[str]) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "metrics.json").write_text(json.dumps(metrics, indent=2, ensure_ascii=False), "utf-8")
    text = f"{header}\n\n{markdown_table(metrics, modes)}\n\n{kinds_table(metrics, modes, kinds)}\n"
    signal = signal_table(metrics, modes)
    if signal:
        text += f"\nLow-relevance signal:\n\n{signal}\n"
    (out_dir / "report.md").write_text(text, "utf-8")
