"""The input features of texts for a sentence-transformers model, tokenised its own way
(shared by the backends that run the model and the export that traces it)."""

from __future__ import annotations

from collections.abc import Sequence

# The transformer's inputs, in the order the exported graph takes them.
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")


def model_inputs(st_model, texts: Sequence[str]) -> dict:
    """The input features of ``texts`` for ``st_model``, tokenised its own way:
    ``preprocess`` in sentence-transformers 6, ``tokenize`` in 5 (deprecated, with a logged
    warning, in 6)."""
    preprocess = getattr(st_model, "preprocess", None)
    if preprocess is not None:
        return preprocess(list(texts))
    return st_model.tokenize(list(texts))
