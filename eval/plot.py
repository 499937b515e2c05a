"""The recall@k curve (k = 1..10) of each mode, as a PNG."""

from __future__ import annotations

from pathlib import Path

from ragqa.eval.metrics import recall_at
from ragqa.eval.runner import ModeRun


def plot_recall(runs: dict[str, ModeRun], path: Path, title: str, k: int = 10) -> None:
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    ks = list(range(1, k + 1))
    fig, ax = plt.subplots(figsize=(6, 4), dpi=120)
    for mode, run in runs.items():
        ax.plot(ks, [recall_at(run.ranks, n) for n in ks], marker="o", label=mode)
    ax.set_xlabel("k")
    ax.set_ylabel("recall@k")
    ax.set_xticks(ks)
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.set_title(title, fontsize=9)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
