"""Settings turn into the library's parameter objects."""

from index.relevance import GENERIC, default_relevance
from ragqa.settings import Settings

MINILM = "sentence-transformers/all-MiniLM-L6-v2"


def test_low_relevance_threshold_defaults_to_the_measured_one_and_can_be_set(monkeypatch):
    monkeypatch.delenv("RAGQA_LOW_RELEVANCE_THRESHOLD", raising=False)
    params = Settings(_env_file=None).retrieval_params(MINILM)
    assert params.relevance == default_relevance(MINILM)
    assert params.relevance_lexical == GENERIC
    monkeypatch.setenv("RAGQA_LOW_RELEVANCE_THRESHOLD", "0")
    params = Settings(_env_file=None).retrieval_params(MINILM)
    assert params.relevance.threshold == 0 and params.relevance_lexical.threshold == 0
