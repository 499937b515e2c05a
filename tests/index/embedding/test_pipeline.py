"""The torch-free tokenisation and pooling around an exported graph
(index/embedding/pipeline.py) against sentence-transformers' own, which the torch backend and
the folders the pipeline cannot read still use: the same features, spans and pieces (equal),
the same token vectors (equal) and the same pooled vectors of queries, passages and
sentences (max abs difference under 1e-6: torch sums a text's tokens in another order), the
e5 prefixes and the 512-token truncation included."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

import ragqa.index.embedding.embedder as embedder_module
from ragqa.index.embedding.embedder import Embedder
from ragqa.index.embedding.identity import vector_identity
from ragqa.index.embedding.models import BUNDLED_MODEL_NAME, ResolvedModel
from ragqa.index.embedding.pipeline import (FolderPipeline, SentenceTransformerPipeline,
                                            folder_pipeline)

CORPUS = Path(__file__).resolve().parents[3] / "corpus"
# Pooled vectors: the largest difference allowed (measured: at most 4.5e-8).
POOLED_ATOL = 1e-6


def _assert_close(got: np.ndarray, expected: np.ndarray, what: str) -> None:
    assert got.shape == expected.shape and got.dtype == expected.dtype, what
    assert np.abs(got - expected).max() < POOLED_ATOL, (what, np.abs(got - expected).max())


def _texts() -> list[str]:
    """Short and long (cut at the model's maximum length), accents, digits, punctuation,
    control characters, runs of spaces, emoji, other scripts, a character outside the
    vocabulary, nothing at all."""
    long_text = (CORPUS / min(p.name for p in CORPUS.glob("*.txt"))).read_text(
        encoding="utf-8")[:6000]
    return ["Combien de visiteurs au Gitex Africa 2025 ?", "x", "", "  deux  espaces\tet\n",
            ("L'Agence de développement du digital (ADD) — « Maroc Digital 2030 » : 240 000 "
             "emplois, 1,2 Md€."), "query: déjà préfixé", "5G 🚀 في المغرب 中文 \x07\u200b",
            "\U000f0001 \ufffd", long_text, long_text[:1500]]


@pytest.fixture(scope="module")
def e5(converted: Path) -> ResolvedModel:
    return ResolvedModel(BUNDLED_MODEL_NAME, BUNDLED_MODEL_NAME, converted, False)


@pytest.fixture(params=["minilm", "e5"])
def loaded(request) -> Embedder:
    """A torch embedder (sentence-transformers loaded) of each bundled model."""
    return request.getfixturevalue("embedder" if request.param == "minilm" else "e5_embedder")


def test_the_folder_tokenises_as_sentence_transformers(loaded: Embedder):
    folder = folder_pipeline(loaded.model.path)
    assert isinstance(folder, FolderPipeline)
    own = SentenceTransformerPipeline(loaded._model)
    assert folder.max_length == loaded._model.max_seq_length
    assert folder.special_ids == own.special_ids and folder.padding_side == own.padding_side
    assert folder.dimension == own.dimension == loaded.dimension
    texts = _texts()
    for prefix in ("", loaded.query_prefix, loaded.passage_prefix):
        batch = [prefix + t for t in texts]
        expected = own.inputs(batch)
        got = folder.inputs(batch)
        assert expected.keys() <= got.keys()
        for name, value in expected.items():
            np.testing.assert_array_equal(got[name], value, err_msg=name)
        assert got["input_ids"].shape[1] == folder.max_length  # the long text is cut there
        for text, ids in zip(batch, expected["input_ids"].tolist()):
            assert folder.spans(text) == [tuple(s) for s in own.spans(text)]
            assert folder.pieces(ids) == own.pieces(ids)


def test_the_folder_pools_as_sentence_transformers(loaded: Embedder):
    """Mean pooling over the attended tokens and normalisation, on the model's own states
    of a padded batch."""
    import torch

    folder = folder_pipeline(loaded.model.path)
    own = SentenceTransformerPipeline(loaded._model)
    features = own.inputs([loaded.passage_prefix + t for t in _texts()])
    with torch.no_grad():
        states = loaded._model[0]({k: torch.from_numpy(v) for k, v in features.items()}
                                  )["token_embeddings"].numpy()
    _assert_close(folder.pool(features, states), own.pool(features, states), "pooled")


class FakeGraph:
    """A deterministic stand-in for an exported transformer (what is compared here is what
    runs around it): each token's row of a random table plus the mean of the attended ones."""

    names = ("input_ids", "attention_mask")
    backend = "onnx"
    path = Path("fake.onnx")

    def __init__(self, vocabulary: int, dim: int = 384) -> None:
        self.table = np.random.default_rng(0).standard_normal((vocabulary, dim), np.float32)

    def __call__(self, feed: dict[str, np.ndarray]) -> np.ndarray:
        mask = feed["attention_mask"][:, :, None].astype(np.float32)
        rows = self.table[feed["input_ids"]]
        return rows + (rows * mask).sum(axis=1, keepdims=True) / mask.sum(axis=1, keepdims=True)


def _pair(model: ResolvedModel, monkeypatch, **kwargs) -> tuple[Embedder, Embedder]:
    """The same model and graph tokenised and pooled without torch, and by
    sentence-transformers (as for a folder the pipeline cannot read)."""
    light = Embedder(model, **kwargs)
    assert light._model is None
    with monkeypatch.context() as patched:
        patched.setattr(embedder_module, "folder_pipeline", lambda folder: None)
        slow = Embedder(model, **kwargs)
    assert isinstance(slow._text, SentenceTransformerPipeline)
    return light, slow


def _assert_same_vectors(light: Embedder, slow: Embedder) -> None:
    texts = _texts()
    for name in ("encode_queries", "encode_passages", "encode_sentences"):
        _assert_close(getattr(light, name)(texts), getattr(slow, name)(texts), name)
    for text in texts:
        for query in (True, False):
            np.testing.assert_array_equal(light.token_vectors(text, query=query),
                                          slow.token_vectors(text, query=query))


def test_e5_vectors_without_torch_are_sentence_transformers_own(e5: ResolvedModel,
                                                                monkeypatch):
    """The bundled e5 with its "query: " / "passage: " prefixes, through every path of the
    embedder (batched encoding, the question's token vectors kept from its pass, a
    passage's token vectors from a pass of its own), around a stand-in graph."""
    graph = FakeGraph(250_037)
    monkeypatch.setattr(embedder_module, "open_backend", lambda *a: ("onnx", graph))
    light, slow = _pair(e5, monkeypatch, backend="onnx", query_tokens=True)
    assert (light.query_prefix, light.passage_prefix) == ("query: ", "passage: ")
    _assert_same_vectors(light, slow)


def test_minilm_onnx_vectors_without_torch_are_sentence_transformers_own(
        minilm: ResolvedModel, tmp_path_factory, monkeypatch):
    """The real exported graph (fp32 ONNX), with prefixes as e5's."""
    pytest.importorskip("onnxruntime")
    export = tmp_path_factory.mktemp("onnx-export")
    identity = vector_identity(minilm, backend="onnx", query_prefix="query: ",
                               passage_prefix="passage: ")
    light, slow = _pair(minilm, monkeypatch, identity=identity, backend="onnx",
                        export_dir=export, query_tokens=True)
    _assert_same_vectors(light, slow)


@pytest.mark.heavy
def test_the_served_e5_int8_vectors_without_torch_are_sentence_transformers_own(
        e5: ResolvedModel, tmp_path, monkeypatch):
    """What ``auto`` serves for the bundled e5 (ragqa's int8 export, made here: about a
    minute)."""
    pytest.importorskip("onnxruntime")
    light, slow = _pair(e5, monkeypatch, backend="auto", export_dir=tmp_path,
                        query_tokens=True)
    assert light.backend == slow.backend == "onnx-int8"
    _assert_same_vectors(light, slow)


@pytest.mark.parametrize("change", ["pooling", "dense", "lower", "no-tokenizer"])
def test_folders_it_cannot_compute_are_left_to_sentence_transformers(minilm: ResolvedModel,
                                                                     tmp_path, change):
    folder = shutil.copytree(minilm.path, tmp_path / "model")
    assert folder_pipeline(folder) is not None
    if change == "pooling":
        (folder / "1_Pooling" / "config.json").write_text(json.dumps(
            {"word_embedding_dimension": 384, "pooling_mode_max_tokens": True}))
    elif change == "dense":
        modules = json.loads((folder / "modules.json").read_text())
        modules.insert(2, {"idx": 2, "name": "2", "path": "2_Dense",
                           "type": "sentence_transformers.models.Dense"})
        (folder / "modules.json").write_text(json.dumps(modules))
    elif change == "lower":
        (folder / "sentence_bert_config.json").write_text(json.dumps(
            {"max_seq_length": 256, "do_lower_case": True}))
    else:
        (folder / "tokenizer.json").unlink()
    assert folder_pipeline(folder) is None
