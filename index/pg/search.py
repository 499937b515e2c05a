"""Searching the store in SQL: BM25 over postings, and nearest vectors through HNSW.

BM25 here is the files store's (bm25s, Lucene variant) computed from the same analysed
terms: ``idf = ln(1 + (N - df + 0.5) / (df + 0.5))`` and
``tf / (tf + k1 * (1 - b + b * length / avg_length))``, summed over the query's terms (a
term repeated in the query counts again, as in bm25s). ``df`` is counted from the postings
(an index-only count), ``N`` and the average length come from ``corpus_stats``, so every
replica scores alike with no cache to invalidate. A search is two statements: the term
statistics, then the scores of the passages holding any of the terms; a write committed
between them can shift scores by a hair, never return a passage that is not there.

A search with a ``scope`` (a restricted reader's allowlist) takes all three statistics
from the passages of the scope's documents only (:data:`_SCOPED_STATS`: their count and
total length, and each term's postings among them), so that documents the reader cannot
read weigh on nothing: the scores are those of a store holding only the scope.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import psycopg

_STATS = """SELECT s.passages, s.total_length, t.term, t.df
FROM corpus_stats s LEFT JOIN (
    SELECT term, count(*) AS df FROM postings WHERE term = ANY(%s) GROUP BY term
) t ON true"""

# The same row shape over the passages of some documents only (the allowed ones, read once).
_SCOPED_STATS = """WITH allowed AS MATERIALIZED (
    SELECT id, length FROM passages WHERE doc_id = ANY(%(docs)s)
)
SELECT s.passages, s.total_length, t.term, t.df
FROM (SELECT count(*) AS passages, coalesce(sum(length), 0) AS total_length FROM allowed) s
LEFT JOIN (
    SELECT po.term, count(*) AS df FROM postings po JOIN allowed a ON a.id = po.passage_id
    WHERE po.term = ANY(%(terms)s) GROUP BY po.term
) t ON true"""

# float8 throughout: with numeric operands PostgreSQL would compute in numeric, several
# times slower over thousands of postings.
_SCORE = """SELECT po.passage_id,
       sum(w.weight * po.tf / (po.tf + %(k1)s * (1 - %(b)s + %(b)s * po.length / %(avgdl)s)))
           AS score
FROM postings po JOIN unnest(%(terms)s::text[], %(weights)s::float8[]) AS w(term, weight)
     USING (term)
{restrict}
GROUP BY po.passage_id
ORDER BY score DESC, po.passage_id
LIMIT %(k)s"""
_RESTRICT = "WHERE po.passage_id IN (SELECT id FROM passages WHERE doc_id = ANY(%(docs)s))"


@dataclass(frozen=True)
class TermStats:
    """What BM25 needs besides the postings: corpus size, average length, document
    frequencies (terms no passage holds are absent)."""

    passages: int
    average_length: float
    df: dict[str, int]

    def idf(self, term: str) -> float:
        """Lucene's idf, as bm25s; a term no passage holds gets the maximum."""
        df = self.df.get(term, 0)
        return math.log(1.0 + (self.passages - df + 0.5) / (df + 0.5))


def term_stats(conn: psycopg.Connection, terms: Sequence[str],
               scope: Sequence[str] | None = None) -> TermStats:
    """The statistics of every passage, or of the passages of ``scope``'s documents."""
    wanted = list(dict.fromkeys(terms))
    if scope is None:
        rows = conn.execute(_STATS, (wanted,)).fetchall()
    else:
        rows = conn.execute(_SCOPED_STATS, {"terms": wanted, "docs": list(scope)}).fetchall()
    passages, total = (int(rows[0][0]), int(rows[0][1])) if rows else (0, 0)
    df = {row[2]: int(row[3]) for row in rows if row[2] is not None}
    return TermStats(passages, total / max(1, passages), df)


def bm25_search(
    conn: psycopg.Connection,
    terms: Sequence[str],
    k: int,
    *,
    k1: float = 1.2,
    b: float = 0.75,
    doc_ids: Sequence[str] | None = None,
    scope: Sequence[str] | None = None,
    stats: TermStats | None = None,
) -> list[tuple[int, float]]:
    """Top-``k`` ``(passage id, score)`` for analysed query ``terms``, best first.

    Passages matching no term are left out. With ``doc_ids``, only their passages are
    scored, with the whole corpus's statistics; with ``scope`` (documents holding
    ``doc_ids``; ``doc_ids`` is the scope when not given), with its passages' statistics.
    ``stats``: those statistics (of ``terms`` at least) when the caller has them already.
    """
    counts = Counter(terms)
    if not counts or k <= 0:
        return []
    if scope is not None and doc_ids is None:
        doc_ids = scope
    if stats is None:
        stats = term_stats(conn, list(counts), scope)
    present = [t for t in counts if t in stats.df]
    if not present:
        return []
    sql = _SCORE.format(restrict=_RESTRICT if doc_ids is not None else "")
    params = {"terms": present, "weights": [counts[t] * stats.idf(t) for t in present],
              "k1": float(k1), "b": float(b), "avgdl": float(stats.average_length),
              "k": k, "docs": list(doc_ids or ())}
    return [(int(r[0]), float(r[1])) for r in conn.execute(sql, params).fetchall()]


def vector_search(
    conn: psycopg.Connection,
    vector: np.ndarray,
    k: int,
    *,
    ef_search: int | None = None,
    doc_ids: Sequence[str] | None = None,
    exact: bool = False,
) -> list[tuple[int, float]]:
    """Top-``k`` ``(passage id, inner product)``, best first.

    Through the HNSW index, where ``ef_search`` (pgvector's default 40) bounds the
    candidates the graph walk keeps: it must be at least ``k`` for ``k`` results. With
    ``doc_ids``, the passages of those documents are scored exactly instead (an HNSW walk
    filtered afterwards could return fewer than ``k``, or none), and so is the whole store
    with ``exact`` (the caller's choice below a size, as the files store's: the graph is
    approximate even on small stores; on the default corpus's 454 passages it missed a
    question's true best passage at ``ef_search`` 100, and a scan of that many vectors
    costs milliseconds).
    """
    query = np.asarray(vector, dtype=np.float32)
    if k <= 0:
        return []
    if doc_ids is None and exact:
        rows = conn.execute(
            "SELECT id, -(embedding <#> %s) AS score FROM passages "
            "WHERE embedding IS NOT NULL ORDER BY score DESC, id LIMIT %s",
            (query, k),
        ).fetchall()
        return [(int(r[0]), float(r[1])) for r in rows]
    if doc_ids is not None:
        rows = conn.execute(
            "WITH chosen AS MATERIALIZED (SELECT id, embedding FROM passages "
            "WHERE doc_id = ANY(%s) AND embedding IS NOT NULL) "
            "SELECT id, -(embedding <#> %s) AS score FROM chosen ORDER BY score DESC, id LIMIT %s",
            (list(doc_ids), query, k),
        ).fetchall()
        return [(int(r[0]), float(r[1])) for r in rows]
    with conn.transaction():
        if ef_search is not None:
            conn.execute(f"SET LOCAL hnsw.ef_search = {int(ef_search)}")
        rows = conn.execute(
            "SELECT id, -(embedding <#> %s) AS score FROM passages "
            "ORDER BY embedding <#> %s LIMIT %s",
            (query, query, k),
        ).fetchall()
    return [(int(r[0]), float(r[1])) for r in rows]
