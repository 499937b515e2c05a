"""The reader's artifact: written with its hash, refused when damaged or absent (our own
error types, a message naming the file and what to do), and the committed one verifies."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import torch
from ragqa.index.errors import RagqaError
from ragqa.index.reading.artifact import (
    CARD,
    DEFAULT_DIR,
    WEIGHTS,
    ReaderCard,
    ReaderCorruptError,
    ReaderUnavailableError,
    read_card,
    read_tensors,
    write_artifact,
)
from ragqa.index.reading.reader import reader_or_none


def _card() -> ReaderCard:
    return ReaderCard(base_model="m", base_weights_sha256="0" * 64, split_layer=11,
                      max_len=128, stride=32, weights_sha256="", weights_bytes=0, seed=3)


def test_written_artifact_reads_back_with_its_hash(tmp_path: Path) -> None:
    tensors = {"span.weight": torch.randn(2, 4), "span.bias": torch.randn(2)}
    card = write_artifact(tmp_path, tensors, _card())
    assert card.weights_bytes == (tmp_path / WEIGHTS).stat().st_size
    assert read_card(tmp_path) == card
    back = read_tensors(tmp_path)
    assert torch.allclose(back["span.weight"], tensors["span.weight"].half().float())
    assert not list(tmp_path.glob(".*tmp"))  # no staging file left


def test_a_changed_byte_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    write_artifact(tmp_path, {"span.weight": torch.ones(2, 4)}, _card())
    data = bytearray((tmp_path / WEIGHTS).read_bytes())
    data[-3] ^= 0x01
    (tmp_path / WEIGHTS).write_bytes(bytes(data))
    with pytest.raises(ReaderCorruptError, match="does not match its card") as caught:
        read_card(tmp_path)
    assert str(tmp_path / WEIGHTS) in str(caught.value)
    assert isinstance(caught.value, RagqaError)


def test_an_unreadable_card_is_refused(tmp_path: Path) -> None:
    write_artifact(tmp_path, {"span.weight": torch.ones(2, 4)}, _card())
    (tmp_path / CARD).write_text("{not json", encoding="utf-8")
    with pytest.raises(ReaderCorruptError, match="not a readable reader card"):
        read_card(tmp_path)


def test_absent_artifact_says_how_to_build_one(tmp_path: Path) -> None:
    with pytest.raises(ReaderUnavailableError, match="reader_train"):
        read_card(tmp_path / "nothing")


def test_fallback_when_absent_is_none_with_one_warning(tmp_path: Path,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        assert reader_or_none(tmp_path, "0" * 64, tmp_path / "nothing") is None
    assert [r.message for r in caplog.records if "without the trained reader" in r.message]


def test_committed_artifact_verifies() -> None:
    if not (DEFAULT_DIR / CARD).exists():
        pytest.skip("no reader committed yet")
    card = read_card(DEFAULT_DIR)
    assert card.weights_bytes < 8_000_000  # adapter-sized
    assert card.dev and card.data and card.seed is not None
