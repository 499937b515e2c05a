import logging
import socket

import pytest

from ragqa.index.errors import ModelUnavailableError
from ragqa.index.embedding.models import FALLBACK_MODEL_NAME, resolve_model


@pytest.fixture
def no_network(monkeypatch):
    """Any connection attempt fails the test: resolution must stay offline here."""

    def refuse(*args, **kwargs):
        raise AssertionError("network was touched")

    monkeypatch.setattr(socket, "create_connection", refuse)


def test_local_folder_is_used_as_is(minilm, no_network):
    resolved = resolve_model(str(minilm.path), offline=True)
    assert resolved.path == minilm.path.resolve() and not resolved.fallback


def test_missing_model_offline_falls_back_loudly(no_network, caplog):
    with caplog.at_level(logging.WARNING):
        resolved = resolve_model("intfloat/multilingual-e5-small", offline=True)
    assert resolved.fallback and resolved.name == FALLBACK_MODEL_NAME
    assert resolved.requested == "intfloat/multilingual-e5-small"
    warning = caplog.text
    assert "intfloat/multilingual-e5-small" in warning and "RAGQA_EMBED_MODEL" in warning


def test_missing_local_path_falls_back(tmp_path, no_network):
    resolved = resolve_model(str(tmp_path / "no-such-model"), offline=False)
    assert resolved.fallback and "no model folder" in resolved.reason


def test_unreachable_hub_gives_up_fast(monkeypatch):
    calls = []

    def unreachable(address, timeout=None):
        calls.append((address, timeout))
        raise OSError("Network is unreachable")

    monkeypatch.setattr(socket, "create_connection", unreachable)
    resolved = resolve_model("someone/unknown-model", offline=False, download_timeout=2)
    assert resolved.fallback and "not reachable" in resolved.reason
    assert calls and calls[0][1] == 2


def test_without_fallback_the_error_says_how_to_provide(no_network):
    with pytest.raises(ModelUnavailableError, match="huggingface-cli download"):
        resolve_model("intfloat/multilingual-e5-small", offline=True, allow_fallback=False)


def test_e5_prefixes_are_known_by_exact_name():
    from ragqa.index.embedding.models import KNOWN_PREFIXES

    assert KNOWN_PREFIXES["intfloat/multilingual-e5-small"] == ("query: ", "passage: ")
    assert FALLBACK_MODEL_NAME not in KNOWN_PREFIXES


def test_embeddings_are_normalised(embedder):
    vectors = embedder.encode_passages(["Le Maroc numérique", "Orange lance la 5G"])
    assert vectors.shape == (2, 384)
    assert abs(float((vectors**2).sum(axis=1)[0]) - 1.0) < 1e-4
    assert embedder.query_prefix == "" and embedder.passage_prefix == ""
