"""The reader's artifact: ``reader.safetensors`` (the trained top layers, whole or as
low-rank deltas over the base's (:mod:`~ragqa.index.reading.delta`), and heads, fp16)
and ``reader.json``, its card: what it was trained from (data, split, seed), its dev
metrics, the base model it completes, and the weights file's SHA-256, checked at load.

Written to temporary names then renamed, card last, so a reader of the folder sees either
the old pair or the new one.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ragqa.index.errors import RagqaError

CARD = "reader.json"
WEIGHTS = "reader.safetensors"
FORMAT = 1
DEFAULT_DIR = Path(__file__).resolve().parent / "weights"


class ReaderUnavailableError(RagqaError):
    """No usable reader: its artifact is absent, or it does not complete the loaded model."""


class ReaderCorruptError(ReaderUnavailableError):
    """The reader's artifact is unreadable or its weights do not match their recorded hash."""


@dataclass(frozen=True)
class ReaderCard:
    """Everything needed to rebuild and to trust one trained reader."""

    base_model: str  # the embedding model's name
    base_weights_sha256: str  # ResolvedModel.weights_sha256() of the folder it completes
    split_layer: int  # layers [0, split_layer) are the base's, frozen
    max_len: int
    stride: int
    weights_sha256: str
    weights_bytes: int
    seed: int
    data: dict[str, Any] = field(default_factory=dict)  # sources, splits, pair counts
    training: dict[str, Any] = field(default_factory=dict)  # hyper-parameters, time, steps/s
    dev: dict[str, Any] = field(default_factory=dict)  # dev metrics
    command: str = ""
    head: str = "cls"  # the answerability head's inputs (ReaderTop's head)
    norm: bool = False  # a fresh LayerNorm before the heads (ReaderTop's norm)
    delta_rank: int = 0  # > 0: trained weight matrices stored as low-rank deltas (delta.py)
    format: int = FORMAT


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_card(folder: Path) -> ReaderCard:
    """The card of the artifact in ``folder``, its weights checked against their hash."""
    card_path, weights = folder / CARD, folder / WEIGHTS
    if not card_path.is_file() or not weights.is_file():
        raise ReaderUnavailableError(
            f"no trained reader in {folder} (expected {CARD} and {WEIGHTS}); build one with "
            f"`python -m ragqa.eval.reader_train`")
    try:
        raw = json.loads(card_path.read_text(encoding="utf-8"))
        card = ReaderCard(**raw)
    except (OSError, ValueError, TypeError) as exc:
        raise ReaderCorruptError(f"{card_path}: not a readable reader card ({exc})") from None
    if card.format != FORMAT:
        raise ReaderCorruptError(f"{card_path}: format {card.format}, this ragqa reads {FORMAT}")
    actual = sha256_file(weights)
    if actual != card.weights_sha256:
        raise ReaderCorruptError(
            f"{weights} does not match its card (sha256 {actual[:16]}..., recorded "
            f"{card.weights_sha256[:16]}...): the file is damaged or was changed; rebuild it "
            f"with `python -m ragqa.eval.reader_train` or restore it from the repository")
    return card


def write_artifact(folder: Path, tensors: dict[str, Any], card: ReaderCard) -> ReaderCard:
    """Write ``tensors`` (fp16) and ``card`` (its hash and size filled in) into ``folder``."""
    import torch
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    staging = folder / f".{WEIGHTS}.tmp"
    save_file({k: v.detach().cpu().to(torch.float16).contiguous() for k, v in tensors.items()},
              str(staging))
    card = ReaderCard(**{**asdict(card), "weights_sha256": sha256_file(staging),
                         "weights_bytes": staging.stat().st_size})
    card_staging = folder / f".{CARD}.tmp"
    card_staging.write_text(json.dumps(asdict(card), indent=1, ensure_ascii=False) + "\n",
                            encoding="utf-8")
    os.replace(staging, folder / WEIGHTS)
    os.replace(card_staging, folder / CARD)
    return card


def read_tensors(folder: Path) -> dict[str, Any]:
    """The artifact's tensors in fp32 (call after :func:`read_card` checked them)."""
    from safetensors.torch import load_file

    try:
        return {k: v.float() for k, v in load_file(str(folder / WEIGHTS)).items()}
    except Exception as exc:  # noqa: BLE001 - any parse failure of a checked file
        raise ReaderCorruptError(f"{folder / WEIGHTS}: unreadable ({exc})") from None
