"""The vector identity is computed without loading the model, from settings and the folder."""

import json
from pathlib import Path

from ragqa.index.embedding.backends import INT8_VARIANT
from ragqa.index.embedding.identity import model_prefixes, vector_identity
from ragqa.index.embedding.models import ResolvedModel


def _model(folder: Path, name: str = "local/model", prompts: dict | None = None) -> ResolvedModel:
    folder.mkdir()
    (folder / "model.safetensors").write_bytes(b"weights")
    if prompts is not None:
        (folder / "config_sentence_transformers.json").write_text(json.dumps({"prompts": prompts}))
    return ResolvedModel(name, name, folder, fallback=False)


def test_prefixes_come_from_the_folder_then_the_card_then_none(tmp_path):
    assert model_prefixes(_model(tmp_path / "a", prompts={"query": "q: ", "document": "d: "})) \
        == ("q: ", "d: ")
    assert model_prefixes(_model(tmp_path / "b", prompts={"query": "", "passage": "p: "})) \
        == ("", "p: ")
    e5 = _model(tmp_path / "c", name="intfloat/multilingual-e5-small")
    assert model_prefixes(e5) == ("query: ", "passage: ")
    assert model_prefixes(_model(tmp_path / "d")) == ("", "")


def test_settings_override_the_prefixes_and_every_part_counts(tmp_path):
    model = _model(tmp_path / "m", name="intfloat/multilingual-e5-small")
    default = vector_identity(model)
    assert (default.query_prefix, default.passage_prefix, default.variant) == (
        "query: ", "passage: ", "")
    bare = vector_identity(model, query_prefix="", passage_prefix="")
    assert (bare.query_prefix, bare.passage_prefix) == ("", "")
    assert bare.differences(default) == ["query prefix (RAGQA_QUERY_PREFIX)",
                                         "passage prefix (RAGQA_PASSAGE_PREFIX)"]
    assert vector_identity(model, backend="onnx") == default  # fp32 backends: same vectors
    assert vector_identity(model, backend="onnx-int8").variant == INT8_VARIANT
    assert vector_identity(model, backend="auto") == default  # auto: onnx for this model
    assert vector_identity(model, embed_context=False) != default
    (tmp_path / "m2").mkdir()
    (tmp_path / "m2" / "model.safetensors").write_bytes(b"other weights")
    other = ResolvedModel(model.name, model.name, tmp_path / "m2", fallback=False)
    assert vector_identity(other).weights_sha256 != default.weights_sha256


def test_auto_names_the_backend_measured_for_the_model(tmp_path):
    """The bundled e5's measured default is int8 (its own vectors); other models: fp32."""
    from ragqa.index.embedding.backends import resolve_backend
    from ragqa.index.embedding.models import BUNDLED_MODEL_NAME, FALLBACK_MODEL_NAME

    bundled = _model(tmp_path / "e5", name=BUNDLED_MODEL_NAME)
    assert resolve_backend("auto", BUNDLED_MODEL_NAME) == "onnx-int8"
    assert resolve_backend("auto", FALLBACK_MODEL_NAME) == "onnx"
    assert resolve_backend("onnx", BUNDLED_MODEL_NAME) == "onnx"
    assert vector_identity(bundled, backend="auto").variant == INT8_VARIANT
    assert vector_identity(bundled, backend="onnx").variant == ""
