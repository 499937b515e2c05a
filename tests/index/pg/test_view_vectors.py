"""The PostgreSQL view reads several passages' vectors in one statement (the reorder
measures a search's top 5 with them): the same vectors as one at a time, in the order asked,
zeros for a passage deleted meanwhile."""

from __future__ import annotations

import numpy as np

from tests.index.pg.models import CountingEmbedder
from tests.index.pg.test_sentences import _sync, _view


def test_passage_vectors_read_together_are_those_read_one_by_one(
        store_conn, pg_url, small_corpus, minilm, embedder):
    conn, found = store_conn
    _sync(conn, small_corpus, CountingEmbedder(embedder))
    rows = [r for (r,) in conn.execute("SELECT id FROM passages ORDER BY id DESC").fetchall()]
    assert len(rows) > 2
    gone = max(rows) + 1000  # no such passage
    view = _view(pg_url, found, minilm, embedder)
    try:
        asked = [rows[1], gone, rows[0], *rows[2:]]
        together = view.vectors(asked)
        one_by_one = np.stack([view.vector(r) for r in asked])
        assert view.vectors([]).shape == (0, together.shape[1])
    finally:
        view.close()
    assert together.dtype == np.float32 and together.shape == (len(asked), one_by_one.shape[1])
    assert np.array_equal(together, one_by_one)
    assert not together[1].any() and all(together[i].any() for i in (0, 2))
