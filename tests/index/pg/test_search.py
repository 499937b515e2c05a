"""Searching in SQL: BM25 over postings agrees with bm25s (the files store's BM25), and the
HNSW search finds the nearest vectors."""

from __future__ import annotations

import numpy as np
import psycopg
import pytest

from ragqa.index.search.analysis import Analyzer, AnalyzerConfig
from ragqa.index.files.lexical import BM25Params, LexicalIndex
from ragqa.index.pg.search import bm25_search, term_stats, vector_search
from ragqa.index.pg.writes import DocumentWrite, PassageRow, delete_document, replace_document
from tests.index.pg.docs import make_document, vector_for

TEXTS = [
    "Orange Maroc lance la 5G à Casablanca en 2025 avec des antennes de nouvelle génération.",
    "Le nouveau data center de Rabat ouvrira en juin ; il hébergera des services de cloud.",
    "Nokia et le ministère signent un accord pour la fibre optique et la couverture nationale.",
    "La fibre optique arrive à Tanger : 45.000 foyers raccordés d'ici la fin de l'année.",
    "Les télécommunications marocaines investissent dans la fibre, la 5G et les data centers.",
    "L'Afrique du Nord accélère la transition numérique : e-santé, e-gouvernement, fibre.",
    "Un data center, des data centers : la donnée est au centre de la stratégie numérique.",
    "Maroc Telecom annonce des résultats en hausse au premier trimestre.",
]
QUERIES = [
    "fibre optique au Maroc", "data center Rabat", "5G Casablanca", "telecommunications",
    "combien de foyers raccordés à la fibre ?", "e-santé en Afrique", "data data center",
    "xyzzy inconnu",
]


def _store(conn: psycopg.Connection, analyzer: Analyzer) -> list[int]:
    """One document per text; the passage ids, in text order."""
    for i, text in enumerate(TEXTS):
        row = PassageRow(0, len(text), "s", None, tuple(analyzer(text)), None)
        replace_document(conn, DocumentWrite(f"d{i}.md", f"d{i}", text, f"h{i}", (row,)))
    rows = conn.execute("SELECT id FROM passages ORDER BY doc_id").fetchall()
    return [r[0] for r in rows]


@pytest.mark.parametrize("params", [BM25Params(), BM25Params(k1=1.5, b=0.3)])
def test_bm25_in_sql_matches_bm25s(conn: psycopg.Connection, params: BM25Params) -> None:
    analyzer = Analyzer(AnalyzerConfig())
    ids = _store(conn, analyzer)
    reference = LexicalIndex.build(TEXTS, analyzer, params)
    for query in QUERIES:
        rows, scores = reference.search(query, 10)
        expected = {ids[r]: s for r, s in zip(rows.tolist(), scores.tolist())}
        got = dict(bm25_search(conn, analyzer(query), 10, k1=params.k1, b=params.b))
        assert got.keys() == expected.keys(), query
        for pid, score in expected.items():
            assert got[pid] == pytest.approx(score, rel=1e-4), query


def test_term_statistics_match_bm25s_idf(conn: psycopg.Connection) -> None:
    analyzer = Analyzer(AnalyzerConfig())
    _store(conn, analyzer)
    reference = LexicalIndex.build(TEXTS, analyzer, BM25Params())
    terms = analyzer("fibre optique data center xyzzy")
    stats = term_stats(conn, terms)
    assert stats.passages == len(TEXTS)
    assert "xyzzy" not in stats.df and stats.df["fibr"] == 4
    assert [stats.idf(t) for t in terms] == pytest.approx(reference.idf(terms))


def test_bm25_follows_writes_and_doc_filter(conn: psycopg.Connection) -> None:
    analyzer = Analyzer(AnalyzerConfig())
    ids = _store(conn, analyzer)
    terms = analyzer("fibre optique")
    before = [pid for pid, _ in bm25_search(conn, terms, 10)]
    assert ids[2] in before and ids[3] in before
    delete_document(conn, "d2.md")
    after = [pid for pid, _ in bm25_search(conn, terms, 10)]
    assert ids[2] not in after and ids[3] in after
    only = bm25_search(conn, terms, 10, doc_ids=["d3.md", "d5.md"])
    assert {pid for pid, _ in only} == {ids[3], ids[5]}
    assert bm25_search(conn, [], 10) == []


def test_vector_search_finds_the_nearest(conn: psycopg.Connection) -> None:
    for d in range(30):
        replace_document(conn, make_document(f"v{d}.md", "1", passages=4))
    rows = conn.execute("SELECT id, doc_id, ordinal FROM passages").fetchall()
    for pid, doc_id, ordinal in rows[::17]:
        query = vector_for(f"{doc_id}/1/{ordinal}")
        hits = vector_search(conn, query, 5, ef_search=64)
        assert hits[0][0] == pid
        assert hits[0][1] == pytest.approx(1.0, abs=1e-5)
        assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)
    conn.execute("SET enable_seqscan = off")  # a 120-row table: make the planner show its index
    plan = "\n".join(r[0] for r in conn.execute(
        "EXPLAIN SELECT id FROM passages ORDER BY embedding <#> %s LIMIT 5",
        (np.ones(8, dtype=np.float32),)).fetchall())
    assert "passages_embedding" in plan


def test_vector_search_scans_exactly_when_asked(conn: psycopg.Connection) -> None:
    # Random queries against 120 stored vectors: scanned, the order is exactly numpy's
    # (the graph is approximate even this small).
    for d in range(30):
        replace_document(conn, make_document(f"v{d}.md", "1", passages=4))
    ids, vectors = zip(*((pid, np.asarray(v.to_numpy() if hasattr(v, "to_numpy") else v))
                         for pid, v in conn.execute("SELECT id, embedding FROM passages")))
    matrix = np.stack(vectors).astype(np.float32)
    rng = np.random.default_rng(3)
    for _ in range(20):
        query = rng.normal(size=matrix.shape[1]).astype(np.float32)
        query /= np.linalg.norm(query)
        exact = [ids[i] for i in np.argsort(-(matrix @ query), kind="stable")[:10]]
        found = vector_search(conn, query, 10, ef_search=10, exact=True)
        assert [pid for pid, _ in found] == exact
    plan = "\n".join(r[0] for r in conn.execute(
        "EXPLAIN SELECT id, -(embedding <#> %s) AS score FROM passages "
        "WHERE embedding IS NOT NULL ORDER BY score DESC, id LIMIT 10",
        (np.ones(matrix.shape[1], dtype=np.float32),)).fetchall())
    assert "passages_embedding" not in plan  # a scan, not the graph


def test_bm25_with_a_scope_scores_as_a_store_of_only_its_documents(
        conn: psycopg.Connection) -> None:
    """A reader's allowlist (issue 29): the passage count, average length and document
    frequencies are the allowed documents' own, as if the store held nothing else."""
    analyzer = Analyzer(AnalyzerConfig())
    ids = _store(conn, analyzer)
    allowed = ["d1.md", "d3.md", "d4.md", "d6.md"]
    terms = analyzer("fibre optique data center xyzzy")
    stats = term_stats(conn, terms, allowed)
    assert stats.passages == len(allowed) and stats.df["fibr"] == 2
    whole = term_stats(conn, terms)
    assert whole.passages == len(TEXTS) and whole.df["fibr"] == 4  # unchanged without one
    scoped = {query: bm25_search(conn, analyzer(query), 10, scope=allowed) for query in QUERIES}
    some = bm25_search(conn, analyzer("fibre optique"), 10, doc_ids=["d3.md"], scope=allowed)
    assert [pid for pid, _ in some] == [ids[3]]
    # The scores bm25s gives on an index of the allowed texts alone...
    reference = LexicalIndex.build([TEXTS[int(d[1])] for d in allowed], analyzer, BM25Params())
    for query, found in scoped.items():
        rows, scores = reference.search(query, 10)
        expected = {ids[int(allowed[r][1])]: s for r, s in zip(rows.tolist(), scores.tolist())}
        assert dict(found).keys() == expected.keys(), query
        for pid, score in found:
            assert score == pytest.approx(expected[pid], rel=1e-4), query
    assert dict(some)[ids[3]] == dict(bm25_search(conn, analyzer("fibre optique"), 10,
                                                  scope=allowed))[ids[3]]
    # ...and exactly what the store answers once the other documents are gone.
    for doc_id in {f"d{i}.md" for i in range(len(TEXTS))} - set(allowed):
        delete_document(conn, doc_id)
    for query, found in scoped.items():
        assert bm25_search(conn, analyzer(query), 10) == found, query
    assert term_stats(conn, terms) == stats
