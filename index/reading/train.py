"""Training the reader's top: the frozen layers' states computed once per window and kept
(in memory, and on disk when given a file), then a few epochs over the top layers and heads.

Loss per window: binary cross-entropy of answerability (1 where the window holds the gold
answer), plus the start/end cross-entropies on those windows.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ragqa.index.reading.pairs import Window, windows

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Example:
    """One supervised pair; ``answer`` is the gold span's ``(start, end)`` in the passage,
    ``None`` when the passage does not answer."""

    question: str
    passage: str
    answer: tuple[int, int] | None
    kind: str = ""  # where it comes from: positive, bm25, dense, other-article...


@dataclass(frozen=True)
class TrainConfig:
    # The top six layers trained: one or two learn nothing on PIAF (dev AUC 0.47-0.51 after
    # 4 epochs), four reach 0.83, six 0.90 (eval/results/reader.md, second session).
    split_layer: int = 6
    max_len: int = 320
    stride: int = 96
    max_windows: int = 2  # per pair: a long passage's later windows are rarely needed
    epochs: int = 2
    batch: int = 16
    lr_layers: float = 1e-4
    lr_heads: float = 2e-3
    warmup: float = 0.1
    span_weight: float = 1.0
    head: str = "span"  # see ReaderTop
    norm: bool = True  # see ReaderTop
    seed: int = 0


@dataclass
class Cached:
    """Windows with their labels and the frozen layers' states (fp16, one tensor each)."""

    windows: list[Window]
    labels: list[int]
    spans: list[tuple[int, int] | None]  # token positions of the gold answer
    states: list[Any] = field(default_factory=list)


def label_windows(tokenizer: Any, examples: Sequence[Example], config: TrainConfig
                  ) -> Cached:
    cut = windows(tokenizer, [(e.question, e.passage) for e in examples],
                  max_len=config.max_len, stride=config.stride)
    kept: list[Window] = []
    seen: dict[int, int] = {}
    labels, spans = [], []
    for window in cut:
        if seen.get(window.pair, 0) >= config.max_windows:
            continue
        seen[window.pair] = seen.get(window.pair, 0) + 1
        answer = examples[window.pair].answer
        tokens = window.answer_tokens(*answer) if answer else None
        kept.append(window)
        labels.append(int(tokens is not None))
        spans.append(tokens)
    return Cached(kept, labels, spans)


def cache_states(base: Any, tokenizer: Any, examples: Sequence[Example], config: TrainConfig,
                 file: Path | None = None, batch: int = 16,
                 progress: Callable[[int, int], None] | None = None,
                 device: str = "cpu") -> Cached:
    """Label the windows of ``examples`` and compute their frozen states (loaded from
    ``file`` when it holds the same windows). ``base`` runs on ``device``; the states are
    kept there (fp16)."""
    import torch
    from ragqa.index.reading.model import frozen_states
    from ragqa.index.reading.reader import pad_batch

    cached = label_windows(tokenizer, examples, config)
    key = [list(w.input_ids) for w in cached.windows]
    if file is not None and file.is_file():
        saved = torch.load(file, weights_only=False)
        if saved.get("key") == key and saved.get("split") == config.split_layer:
            cached.states = [s.to(device) for s in saved["states"]]
            return cached
    states: list[Any] = [None] * len(cached.windows)
    order = sorted(range(len(cached.windows)), key=lambda i: len(cached.windows[i]))
    for at in range(0, len(order), batch):
        rows = order[at:at + batch]
        ids, mask, _ = pad_batch([cached.windows[i] for i in rows], tokenizer.pad_token_id)
        hidden = frozen_states(base, ids.to(device), mask.to(device), config.split_layer)
        for r, i in enumerate(rows):
            states[i] = hidden[r, :len(cached.windows[i])].to(torch.float16).clone()
        if progress:
            progress(min(at + batch, len(order)), len(order))
    cached.states = states
    if file is not None:
        file.parent.mkdir(parents=True, exist_ok=True)
        torch.save({"key": key, "split": config.split_layer,
                    "states": [s.cpu() for s in states]},
                   str(file) + ".tmp")
        Path(str(file) + ".tmp").replace(file)
    return cached


def batches(cached: Cached, rows: Sequence[int]) -> tuple[Any, Any, Any]:
    """Padded ``(states, attention mask, passage mask)`` for ``rows`` of ``cached``, on
    the states' device."""
    import torch

    width = max(len(cached.windows[i]) for i in rows)
    first = cached.states[rows[0]]
    hidden = torch.zeros((len(rows), width, first.shape[-1]), device=first.device)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    passage = torch.zeros((len(rows), width), dtype=torch.bool)
    for r, i in enumerate(rows):
        n = len(cached.windows[i])
        hidden[r, :n] = cached.states[i].float()
        mask[r, :n] = 1
        passage[r, :n] = torch.tensor([o is not None and o[1] > o[0]
                                       for o in cached.windows[i].offsets])
    return hidden, mask.to(first.device), passage.to(first.device)


def outputs(top: Any, cached: Cached, batch: int = 32) -> list[tuple[float, list, list]]:
    """``(answerability logit, start logits, end logits)`` per window of ``cached``."""
    import torch

    top.eval()
    out: list[Any] = [None] * len(cached.windows)
    order = sorted(range(len(cached.windows)), key=lambda i: len(cached.windows[i]))
    with torch.inference_mode():
        for at in range(0, len(order), batch):
            rows = order[at:at + batch]
            answer, start, end = top(*batches(cached, rows))
            for r, i in enumerate(rows):
                n = len(cached.windows[i])
                out[i] = (float(answer[r]), start[r, :n].tolist(), end[r, :n].tolist())
    return out


def train(top: Any, cached: Cached, config: TrainConfig,
          evaluate: Callable[[Any, int], dict] | None = None) -> list[dict]:
    """Train ``top`` in place on ``cached``; after each epoch ``evaluate(top, epoch)`` (dev
    metrics) joins the epoch's record. Returns one record per epoch."""
    import torch
    from torch.nn import functional

    torch.manual_seed(config.seed)
    rng = random.Random(config.seed)
    heads = [p for n, p in top.named_parameters() if not n.startswith("layers.")]
    layers = [p for n, p in top.named_parameters() if n.startswith("layers.")]
    optimiser = torch.optim.AdamW([{"params": layers, "lr": config.lr_layers},
                                   {"params": heads, "lr": config.lr_heads}], weight_decay=0.01)
    per_epoch = -(-len(cached.windows) // config.batch)
    total = per_epoch * config.epochs
    warm = max(1, int(total * config.warmup))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min((s + 1) / warm, max(0.0, (total - s) / (total - warm))))
    history = []
    for epoch in range(1, config.epochs + 1):
        top.train()
        # Batches of similar lengths (little padding), in a shuffled order.
        order = list(range(len(cached.windows)))
        rng.shuffle(order)
        groups = [sorted(order[i:i + config.batch * 20], key=lambda j: len(cached.windows[j]))
                  for i in range(0, len(order), config.batch * 20)]
        steps = [g[i:i + config.batch] for g in groups for i in range(0, len(g), config.batch)]
        rng.shuffle(steps)
        started, seen, running = time.perf_counter(), 0, 0.0
        for rows in steps:
            hidden, mask, passage = batches(cached, rows)
            answer, start, end = top(hidden, mask, passage)
            labels = torch.tensor([float(cached.labels[i]) for i in rows], device=answer.device)
            loss = functional.binary_cross_entropy_with_logits(answer, labels)
            # With the "span" head, a window without the answer points at its first token.
            pos = [r for r, i in enumerate(rows)
                   if cached.spans[i] is not None or config.head == "span"]
            if pos:
                s = torch.tensor([(cached.spans[rows[r]] or (0, 0))[0] for r in pos],
                                 device=answer.device)
                e = torch.tensor([(cached.spans[rows[r]] or (0, 0))[1] for r in pos],
                                 device=answer.device)
                loss = loss + config.span_weight * 0.5 * (
                    functional.cross_entropy(start[pos], s) + functional.cross_entropy(end[pos], e))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(top.parameters(), 1.0)
            optimiser.step()
            schedule.step()
            optimiser.zero_grad()
            seen += 1
            running += loss.item()
            if seen % 50 == 0:
                logger.info("epoch %d step %d/%d loss %.3f (%.2f steps/s)", epoch, seen,
                            len(steps), running / seen, seen / (time.perf_counter() - started))
        record = {"epoch": epoch, "loss": round(running / max(seen, 1), 4),
                  "seconds": round(time.perf_counter() - started, 1),
                  "steps_per_s": round(seen / (time.perf_counter() - started), 3)}
        if evaluate is not None:
            record.update(evaluate(top, epoch))
        logger.info("epoch %s", record)
        history.append(record)
    return history
