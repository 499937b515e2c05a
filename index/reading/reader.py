"""Reading passages: for a question and its candidate passages, each passage's
answerability (a probability) and its best answer span, an exact slice of the passage.

:func:`open_reader` loads the artifact (checked by hash, refused with
:class:`~ragqa.index.reading.artifact.ReaderUnavailableError` or its
:class:`~ragqa.index.reading.artifact.ReaderCorruptError`); :func:`reader_or_none` is the
fallback for callers that go on without a reader (ranking and highlighting as before).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ragqa.index.reading.artifact import (
    DEFAULT_DIR,
    ReaderCard,
    ReaderCorruptError,
    ReaderUnavailableError,
    read_card,
    read_tensors,
)
from ragqa.index.reading.pairs import Window, windows

logger = logging.getLogger(__name__)

MAX_ANSWER_TOKENS = 30
BATCH = 16


@dataclass(frozen=True)
class Reading:
    """One passage as read for one question. ``span == passage[start:end]``."""

    answerability: float  # probability that the passage answers the question
    logit: float
    start: int
    end: int
    span: str


def best_span(start_logits: Sequence[float], end_logits: Sequence[float], window: Window,
              passage: str) -> tuple[float, int, int]:
    """``(score, char start, char end)`` of the best span of ``window`` (start <= end, at
    most ``MAX_ANSWER_TOKENS`` tokens, passage tokens only), whitespace trimmed."""
    inside = [i for i, o in enumerate(window.offsets) if o is not None and o[1] > o[0]]
    best = (-math.inf, 0, 0)
    for i in inside:
        for j in inside:
            if j < i or j - i >= MAX_ANSWER_TOKENS:
                continue
            score = start_logits[i] + end_logits[j]
            if score > best[0]:
                best = (score, window.offsets[i][0], window.offsets[j][1])  # type: ignore[index]
    score, start, end = best
    while start < end and passage[start].isspace():
        start += 1
    while end > start and passage[end - 1].isspace():
        end -= 1
    return score, start, end


class Reader:
    """The base encoder and the trained top, ready to read (CPU, no gradient)."""

    def __init__(self, base: Any, top: Any, tokenizer: Any, card: ReaderCard) -> None:
        self.base, self.top, self.tokenizer, self.card = base, top, tokenizer, card

    def read(self, question: str, passages: Sequence[str]) -> list[Reading]:
        """One :class:`Reading` per passage, in order."""
        return self.read_pairs([(question, p) for p in passages])

    def read_pairs(self, pairs: Sequence[tuple[str, str]]) -> list[Reading]:
        import torch
        from ragqa.index.reading.model import frozen_states

        cut = windows(self.tokenizer, list(pairs), max_len=self.card.max_len,
                      stride=self.card.stride)
        best: dict[int, Reading] = {}
        order = sorted(range(len(cut)), key=lambda i: len(cut[i]))
        pad = self.tokenizer.pad_token_id
        for at in range(0, len(order), BATCH):
            batch = [cut[i] for i in order[at:at + BATCH]]
            ids, mask, passage = pad_batch(batch, pad)
            with torch.inference_mode():
                hidden = frozen_states(self.base, ids, mask, self.card.split_layer)
                answer, start, end = self.top(hidden, mask, passage)
            for row, window in enumerate(batch):
                logit = float(answer[row])
                text = pairs[window.pair][1]
                _, s, e = best_span(start[row].tolist(), end[row].tolist(), window, text)
                kept = best.get(window.pair)
                if kept is None or logit > kept.logit:
                    best[window.pair] = Reading(1 / (1 + math.exp(-logit)), logit, s, e,
                                                text[s:e])
        return [best.get(i, Reading(0.0, -math.inf, 0, 0, "")) for i in range(len(pairs))]


def pad_batch(batch: Sequence[Window], pad: int) -> tuple[Any, Any, Any]:
    """``(input ids, attention mask, passage-token mask)`` tensors, right-padded."""
    import torch

    width = max(len(w) for w in batch)
    ids = torch.full((len(batch), width), pad, dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    passage = torch.zeros((len(batch), width), dtype=torch.bool)
    for row, window in enumerate(batch):
        ids[row, :len(window)] = torch.tensor(window.input_ids)
        mask[row, :len(window)] = 1
        passage[row, :len(window)] = torch.tensor(
            [o is not None and o[1] > o[0] for o in window.offsets])
    return ids, mask, passage


def open_reader(base_path: Path, base_weights_sha256: str, folder: Path = DEFAULT_DIR
                ) -> Reader:
    """The reader in ``folder`` over the base model at ``base_path``; refused (our errors)
    when absent, damaged, or trained over other base weights."""
    from ragqa.index.reading.model import ReaderTop, load_base
    from transformers import AutoTokenizer

    card = read_card(folder)
    if card.base_weights_sha256 != base_weights_sha256:
        raise ReaderUnavailableError(
            f"the reader in {folder} completes {card.base_model} with weights "
            f"{card.base_weights_sha256[:16]}..., not the loaded model's "
            f"{base_weights_sha256[:16]}...; rebuild it with `python -m ragqa.eval.reader_train`")
    base = load_base(base_path)
    top = ReaderTop(base, card.split_layer, card.head, card.norm)
    tensors = read_tensors(folder)
    if card.delta_rank:
        from ragqa.index.reading.delta import expand

        try:
            tensors = expand(tensors, top.state_dict())
        except KeyError as exc:
            raise ReaderCorruptError(f"{folder}: a low-rank delta lacks its pair or its base "
                                     f"weight ({exc})") from None
    missing, unexpected = top.load_state_dict(tensors, strict=False)
    if missing or unexpected:
        raise ReaderCorruptError(f"{folder}: tensors do not fit the reader (missing "
                                 f"{missing[:3]}, unexpected {unexpected[:3]})")
    top.eval()
    tokenizer = AutoTokenizer.from_pretrained(str(base_path), local_files_only=True)
    return Reader(base, top, tokenizer, card)


def reader_or_none(base_path: Path, base_weights_sha256: str, folder: Path = DEFAULT_DIR
                   ) -> Reader | None:
    """:func:`open_reader`, or ``None`` with one warning saying why: the caller then ranks
    and highlights without a reader, as before it existed."""
    try:
        return open_reader(base_path, base_weights_sha256, folder)
    except ReaderUnavailableError as exc:
        logger.warning("reading without the trained reader: %s", exc)
        return None
