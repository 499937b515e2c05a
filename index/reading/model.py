"""The reader's network: the bundled e5 (a BERT encoder) read to layer ``split`` frozen,
its top layers trained, and two heads on the last states: answerability (from the first
token) and start/end logits over the passage's tokens.

The frozen part is run apart (:func:`frozen_states`) so training can cache its output once.
"""

from __future__ import annotations

import copy
from typing import Any

import torch
from torch import nn

NEG = -1e4  # additive mask value: exp() of it is 0 in fp32 and bf16


def additive_mask(mask: torch.Tensor) -> torch.Tensor:
    """``(batch, 1, 1, tokens)`` float mask for the attention: 0 kept, ``NEG`` padding."""
    return (1.0 - mask[:, None, None, :].float()) * NEG


def run_layers(layers: Any, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    extended = additive_mask(mask)
    for layer in layers:
        hidden = layer(hidden, extended)
        hidden = hidden[0] if isinstance(hidden, tuple) else hidden
    return hidden


def frozen_states(base: Any, input_ids: torch.Tensor, mask: torch.Tensor, split: int
                  ) -> torch.Tensor:
    """The base model's hidden states after its first ``split`` layers (no gradient)."""
    with torch.inference_mode():
        hidden = base.embeddings(input_ids=input_ids,
                                 token_type_ids=torch.zeros_like(input_ids))
        return run_layers(base.encoder.layer[:split], hidden, mask)


class ReaderTop(nn.Module):
    """The trained part: copies of the base's top layers, and the two heads."""

    def __init__(self, base: Any, split: int, head: str = "cls", norm: bool = False) -> None:
        super().__init__()
        size = base.config.hidden_size
        self.head = head
        self.layers = nn.ModuleList(copy.deepcopy(layer) for layer in base.encoder.layer[split:])
        # "cls": answerability from the first token's state; "span": from it and the states
        # the start and end logits point at (softmax-weighted, the first token standing for
        # "no answer" as in SQuAD 2.0 readers), so the verdict reads the answer it found.
        width = size * (3 if head == "span" else 1)
        self.answer = nn.Sequential(nn.Linear(width, size), nn.Tanh(), nn.Linear(size, 1))
        self.span = nn.Linear(size, 2)
        # e5's last LayerNorm leaves small states (|x| <= 1, per-dimension spread about 0.1
        # across tokens): a fresh one restores unit scale, or the heads barely move from
        # their prior in a few hundred steps.
        self.norm = nn.LayerNorm(size) if norm else None

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor, passage: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(answerability logits (batch,), start logits, end logits (batch, tokens))``;
        tokens outside the passage (``passage`` False) get ``NEG``."""
        hidden = run_layers(self.layers, hidden, mask).float()
        if self.norm is not None:
            hidden = self.norm(hidden)
        start, end = self.span(hidden).unbind(-1)
        outside = ~passage
        if self.head == "span":  # the first token is the "no answer here" position
            outside = outside.clone()
            outside[:, 0] = False
        start, end = start.masked_fill(outside, NEG), end.masked_fill(outside, NEG)
        features = hidden[:, 0]
        if self.head == "span":
            at_start = torch.softmax(start, -1).unsqueeze(1) @ hidden
            at_end = torch.softmax(end, -1).unsqueeze(1) @ hidden
            features = torch.cat([features, at_start.squeeze(1), at_end.squeeze(1)], -1)
        return self.answer(features).squeeze(-1), start, end


def load_base(path: Any) -> Any:
    """The bundled e5 folder's BERT encoder, in eval mode (its dropout off)."""
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # "Loading weights" bars are noise in a CLI or server
    return AutoModel.from_pretrained(str(path), local_files_only=True).eval()
