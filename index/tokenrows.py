"""Token vectors as int8 rows, and when a store makes them: what both stores use.

The relevance signal's token match, and the reorder of a search's top passages, compare the
question's tokens with a passage's as the model reads the passage alone. Both stores make a
passage's token vectors when it is written, under ``token_vectors`` (:func:`wanted`), and
keep them as int8 rows (:func:`quantise`), read back normalised (:func:`normalised`). Where
each keeps them is its own business (:mod:`ragqa.index.files.tokens`,
:mod:`ragqa.index.pg.tokens`).
"""

from __future__ import annotations

import numpy as np

# ``token_vectors="auto"`` makes them for a store of at most this many passages: about 620 MB
# for passages of 1,000 characters (62 kB each; a passage cut at the model's 512 tokens costs
# up to 200 kB), held in memory once while a files generation is written; a larger corpus
# keeps the token match's pass at query time unless ``RAGQA_TOKEN_VECTORS=true``. A files
# store's segments follow their generation until the next merge.
AUTO_LIMIT = 10_000


def wanted(setting: bool | str, passages: int, model_name: str | None = None) -> bool:
    """Whether a store of ``passages`` passages gets token vectors under ``setting``
    (``True``, ``False`` or ``"auto"``: when the relevance signal measured for ``model_name``
    uses the token match, as the bundled e5's does and MiniLM's does not)."""
    if setting is True:
        return True
    if setting != "auto" or passages > AUTO_LIMIT:
        return False
    from ragqa.index.search.relevance import default_relevance

    return model_name is None or default_relevance(model_name).uses_token_match()


def quantise(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(int8 rows, float32 scales)`` of float rows: row i ≈ int8[i] * scale[i]."""
    vectors = np.asarray(vectors, dtype=np.float32)
    scales = np.abs(vectors).max(axis=1) / 127 if len(vectors) else np.zeros(0, np.float32)
    scales = np.where(scales > 0, scales, 1.0).astype(np.float32)
    return np.round(vectors / scales[:, None]).astype(np.int8), scales


def dequantise(rows: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """Normalised float32 rows back from :func:`quantise`'s."""
    vectors = rows.astype(np.float32) * scales[:, None]
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    return vectors


def normalised(rows: np.ndarray) -> np.ndarray:
    """:func:`dequantise` without the scales: a row's one scale cancels when the row is
    normalised (the same vectors to float32 rounding), so a search reads the int8 rows
    alone."""
    vectors = rows.astype(np.float32)
    vectors /= np.maximum(np.sqrt(np.einsum("ij,ij->i", vectors, vectors))[:, None], 1e-12)
    return vectors
