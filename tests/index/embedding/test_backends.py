"""ONNX Runtime backends of the embedding model (index/embedding/backends.py), exported offline
from the bundled model, in a child process (index/embedding/onnx_export.py)."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from ragqa.index.embedding.backends import INT8_VARIANT, token_batches
from ragqa.index.embedding.embedder import Embedder
from ragqa.index.embedding.models import ResolvedModel
from ragqa.index.embedding.onnx_export import FP32_FILE, INT8_FILE
from ragqa.index.errors import ModelUnavailableError

pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

TEXTS = ["Combien de visiteurs au Gitex Africa 2025 ?", "x",
         "Nokia et le ministère signent un accord pour la fibre optique. " * 20]


@pytest.fixture(scope="module")
def export_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("onnx-export")


def test_onnx_backend_matches_torch_and_shares_its_identity(embedder, minilm: ResolvedModel,
                                                            export_dir: Path):
    onnx = Embedder(minilm, backend="onnx", export_dir=export_dir)
    np.testing.assert_allclose(onnx.encode_passages(TEXTS), embedder.encode_passages(TEXTS),
                               atol=1e-4)
    assert onnx.identity == embedder.identity
    assert (export_dir / FP32_FILE).exists()
    # The token vectors of the relevance signal's token match, too (the served backend is
    # onnx where it can be). They are not normalised: two runtimes agree to 0.1 % of each
    # value (onnxruntime 1.32 differs from torch by 1.2e-4 on one of 91,392 values of 0.13).
    for text in TEXTS:
        for query in (True, False):
            np.testing.assert_allclose(onnx.token_vectors(text, query=query),
                                       embedder.token_vectors(text, query=query), atol=1e-4,
                                       rtol=2e-3)


def test_onnx_threads_do_not_spin_after_a_run():
    """Spinning threads take the cores from the rest of a search (README, "Performance")."""
    from ragqa.index.embedding.backends import onnx_session_options

    options = onnx_session_options()
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"


def test_model_inputs_tokenise_without_the_deprecated_call(minilm: ResolvedModel, caplog):
    """sentence-transformers 6 logs a deprecation warning for `tokenize`: a server's log
    would show it on the first question."""
    from sentence_transformers import SentenceTransformer

    from ragqa.index.embedding.inputs import model_inputs

    model = SentenceTransformer(str(minilm.path), device="cpu")
    with caplog.at_level(logging.WARNING):
        features = model_inputs(model, TEXTS)
    assert not [r for r in caplog.records if "deprecated" in r.getMessage()]
    assert features["input_ids"].shape[0] == len(TEXTS)


def test_a_question_s_token_vectors_come_from_the_pass_that_embeds_it(
        minilm: ResolvedModel, export_dir: Path, monkeypatch):
    """With ``query_tokens`` (the served relevance signal reads them), embedding questions
    keeps their token vectors from the same batched pass: the token match then makes no
    pass of its own, and gets what a pass of its own gives (a prefix, as e5's, included)."""
    from ragqa.index.embedding.identity import vector_identity

    identity = vector_identity(minilm, backend="onnx", query_prefix="query: ")
    keeping = Embedder(minilm, identity=identity, backend="onnx", export_dir=export_dir,
                       query_tokens=True)
    alone = Embedder(minilm, identity=identity, backend="onnx", export_dir=export_dir)
    questions = [TEXTS[0], "Qui a signé avec Nokia ?", "x"]
    np.testing.assert_allclose(keeping.encode_queries(questions),
                               alone.encode_queries(questions), atol=1e-5)
    calls = []
    real = keeping._exported.token_states
    monkeypatch.setattr(keeping._exported, "token_states",
                        lambda *a: calls.append(a) or real(*a))
    for question in questions:
        np.testing.assert_allclose(keeping.token_vectors(question, query=True),
                                   alone.token_vectors(question, query=True), atol=2e-3)
    assert calls == []
    keeping.token_vectors(questions[1], query=False)  # a passage: a pass of its own
    assert len(calls) == 1


def test_int8_backend_has_its_own_identity(embedder, minilm: ResolvedModel, export_dir: Path):
    int8 = Embedder(minilm, backend="onnx-int8", export_dir=export_dir)
    assert (export_dir / INT8_FILE).exists()
    vectors = int8.encode_queries(TEXTS)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    assert np.min(np.sum(vectors * embedder.encode_queries(TEXTS), axis=1)) > 0.95
    # Different vectors, different identity: an index built with one refuses the other, and
    # one built with the earlier int8 recipe ("int8") too.
    assert int8.identity != embedder.identity
    assert int8.identity.differences(embedder.identity) == ["backend variant (RAGQA_EMBED_BACKEND)"]
    assert int8.identity.variant == INT8_VARIANT != "int8"


def test_batches_bound_texts_and_padded_tokens():
    lengths = [10, 300, 20, 300, 5, 1200, 40]
    batches = list(token_batches(lengths, 3, budget=1024))
    assert batches == [[5], [1, 3, 6], [2, 0, 4]]  # longest first; too long for any: alone
    assert sorted(i for batch in batches for i in batch) == list(range(len(lengths)))
    assert list(token_batches([], 32)) == []


def test_batching_does_not_change_fp32_vectors(minilm: ResolvedModel, export_dir: Path):
    """Texts are tokenised once and run longest first in batches cut to their longest text:
    each text gets the vector it gets alone (and the padding left out costs nothing)."""
    onnx = Embedder(minilm, backend="onnx", export_dir=export_dir, batch_size=2)
    texts = [TEXTS[2], "Le Maroc numérique", TEXTS[0], "x", TEXTS[2][:300], "Orange lance la 5G"]
    together = onnx.encode(texts)
    alone = np.concatenate([onnx.encode([text]) for text in texts])
    np.testing.assert_allclose(together, alone, atol=1e-5)


def test_the_export_runs_in_a_child_process(minilm: ResolvedModel, tmp_path, monkeypatch):
    """The serving process never holds the torch model that is exported (its memory would
    stay taken), nor torch at all: the folder is tokenised and pooled without it
    (index/embedding/pipeline.py)."""
    import ragqa.index.embedding.onnx_export as onnx_export

    def here(*args):
        raise AssertionError("the model was exported in the serving process")

    monkeypatch.setattr(onnx_export, "_export_fp32", here)  # the child imports its own
    onnx = Embedder(minilm, backend="onnx", export_dir=tmp_path / "export")
    assert onnx.backend == "onnx" and (tmp_path / "export" / FP32_FILE).is_file()
    assert onnx._model is None


def test_a_folder_only_sentence_transformers_reads_keeps_no_torch_weights(
        minilm: ResolvedModel, export_dir: Path, monkeypatch):
    """Tokenised and pooled by sentence-transformers (a folder the torch-free pipeline cannot
    compute), the transformer's torch weights are still dropped: the export runs it."""
    import ragqa.index.embedding.embedder as embedder_module

    monkeypatch.setattr(embedder_module, "folder_pipeline", lambda folder: None)
    onnx = Embedder(minilm, backend="onnx", export_dir=export_dir)
    assert {p.device.type for p in onnx._model[0].auto_model.parameters()} == {"meta"}


def test_unknown_backend_is_refused(minilm: ResolvedModel):
    with pytest.raises(ValueError, match="torch, onnx"):
        Embedder(minilm, backend="tensorrt")


def test_auto_uses_onnx_when_it_can(embedder, minilm: ResolvedModel, export_dir: Path):
    auto = Embedder(minilm, backend="auto", export_dir=export_dir)
    assert auto.backend == "onnx"
    assert auto.identity == embedder.identity  # same vectors, same identity: no re-index
    np.testing.assert_allclose(auto.encode_queries(TEXTS), embedder.encode_queries(TEXTS),
                               atol=1e-4)


def test_auto_falls_back_to_torch_with_a_warning(embedder, minilm: ResolvedModel, tmp_path,
                                                 caplog):
    # An export folder that cannot be created (a file is in the way): a real failure.
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    with caplog.at_level("WARNING", logger="ragqa.index.embedding.embedder"):
        auto = Embedder(minilm, backend="auto", export_dir=blocked / "exports")
    assert auto.backend == "torch" and "torch, not ONNX Runtime" in caplog.text
    np.testing.assert_allclose(auto.encode_queries(TEXTS), embedder.encode_queries(TEXTS),
                               atol=1e-6)
    assert Embedder(minilm, backend="auto").backend == "torch"  # no export folder given
    # Asked for explicitly, the same failure is an error that says what to set.
    with pytest.raises(ModelUnavailableError, match="RAGQA_EXPORT_DIR"):
        Embedder(minilm, backend="onnx", export_dir=blocked / "exports")
