"""The automatic FAISS index: exact up to a limit, IVF beyond, checked against exact search
on seeded clustered vectors (the faiss contrib way)."""

from __future__ import annotations

import faiss
import numpy as np

from ragqa.index.search.synthetic import exact_top, synthetic_vectors
from ragqa.index.files.dense import all_vectors, build_dense, load_dense, save_dense, search_dense


def test_small_collections_are_searched_exactly():
    vectors = synthetic_vectors(500, clusters=20, seed=3)
    index = build_dense(vectors)
    assert isinstance(index, faiss.IndexFlatIP)


def test_large_collections_get_an_ivf_index_with_high_recall(tmp_path):
    vectors = synthetic_vectors(20_000 + 50, clusters=100, seed=1)
    xb, xq = vectors[:20_000], vectors[20_000:]
    index = build_dense(xb, exact_limit=1_000)
    assert isinstance(index, faiss.IndexIVFFlat)
    truth = exact_top(xb, xq, 10)
    found = [search_dense(index, q, 10)[0] for q in xq]
    recall = np.mean([len(set(f.tolist()) & set(t.tolist())) / 10 for f, t in zip(found, truth)])
    assert recall >= 0.95
    # Stored vectors stay reconstructible after a round trip (reused by the next build).
    save_dense(index, tmp_path / "dense.faiss")
    loaded = load_dense(tmp_path / "dense.faiss")
    np.testing.assert_array_equal(all_vectors(loaded), xb)
    np.testing.assert_array_equal(loaded.reconstruct(123), xb[123])


def test_a_document_filter_on_an_ivf_index_is_exact():
    vectors = synthetic_vectors(5_000, clusters=50, seed=2)
    index = build_dense(vectors, exact_limit=100)
    allowed = {7, 4000, 4999, 1234}
    ids, scores = search_dense(index, vectors[0], 3, np.array(sorted(allowed), np.int64))
    expected = sorted(allowed, key=lambda row: -float(vectors[row] @ vectors[0]))[:3]
    assert ids.tolist() == expected
    np.testing.assert_allclose(scores, [vectors[r] @ vectors[0] for r in expected], rtol=1e-5)
