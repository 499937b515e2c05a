"""Searching the store in SQL: BM25 over postings, and nearest vectors through HNSW.

BM25 here is the files store's (bm25s, Lucene variant) computed from the same analysed
terms: ``idf = ln(1 + (N - df + 0.5) / (df + 0.5))`` and
``tf / (tf + k1 * (1 - b + b * length / avg_length))``, summed over the query's terms (a
term repeated in the query counts again, as in bm25s). ``df`` is counted from the postings
read anyway, ``N`` and the average length come from ``corpus_stats``, so every replica
scores alike with no cache to invalidate.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
import psycopg

_BM25 = """
WITH q(term, qtf) AS (SELECT * FROM unnest(%(terms)s::text[], %(counts)s::int[])),
s AS (SELECT passages AS n, total_length::float8 / greatest(passages, 1) AS avgdl
      FROM corpus_stats),
hits AS MATERIALIZED (
    SELECT po.term, po.passage_id, po.tf, po.length FROM postings po JOIN q USING (term)
    {restrict}),
w AS (SELECT q.term, q.qtf * ln(1 + (s.n - d.df + 0.5) / (d.df + 0.5)) AS idf
      FROM q JOIN (SELECT term, count(*) AS df FROM hits GROUP BY term) d USING (term), s)
SELECT h.passage_id,
       sum(w.idf * h.tf / (h.tf + %(k1)s * (1 - %(b)s + %(b)s * h.length / s.avgdl))) AS score
FROM hits h JOIN w USING (term), s
GROUP BY h.passage_id
ORDER BY score DESC, h.passage_id
LIMIT %(k)s
"""
_RESTRICT = "WHERE po.passage_id IN (SELECT id FROM passages WHERE doc_id = ANY(%(docs)s))"


def bm25_search(
    conn: psycopg.Connection,
    terms: Sequence[str],
    k: int,
    *,
    k1: float = 1.2,
    b: float = 0.75,
    doc_ids: Sequence[str] | None = None,
) -> list[tuple[int, float]]:
    """Top-``k`` ``(passage id, score)`` for analysed query ``terms``, best first.

    Passages matching no term are left out. With ``doc_ids``, only their passages are
    scored (``df`` then counts only those too, as a restricted files-store search does not:
    scores differ, the order of what matches hardly).
    """
    counts = Counter(terms)
    if not counts or k <= 0:
        return []
    sql = _BM25.format(restrict=_RESTRICT if doc_ids is not None else "")
    params = {"terms": list(counts), "counts": list(counts.values()), "k1": k1, "b": b,
              "k": k, "docs": list(doc_ids or ())}
    return [(int(r[0]), float(r[1])) for r in conn.execute(sql, params).fetchall()]


def vector_search(
    conn: psycopg.Connection, vector: np.ndarray, k: int, *, ef_search: int | None = None
) -> list[tuple[int, float]]:
    """Top-``k`` ``(passage id, inner product)`` through the HNSW index, best first.

    ``ef_search`` (pgvector's default 40) bounds the candidates the graph walk keeps; it
    must be at least ``k`` for ``k`` results.
    """
    query = np.asarray(vector, dtype=np.float32)
    with conn.transaction():
        if ef_search is not None:
            conn.execute(f"SET LOCAL hnsw.ef_search = {int(ef_search)}")
        rows = conn.execute(
            "SELECT id, -(embedding <#> %s) AS score FROM passages "
            "ORDER BY embedding <#> %s LIMIT %s",
            (query, query, k),
        ).fetchall()
    return [(int(r[0]), float(r[1])) for r in rows]
