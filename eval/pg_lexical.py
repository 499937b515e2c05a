"""Lexical search in PostgreSQL against the files store's BM25 (decision data, issue 17).

For each question set, the project's own pipeline builds a BM25-only index (the real
builder, chunker and analyzer; a constant stand-in for the embedding model, which BM25
never uses), and the same passages are written to PostgreSQL through
:func:`ragqa.index.pg.writes.replace_document`. Every variant is then run through the service's
own :class:`~ragqa.index.search.retriever.Retriever` and :func:`ragqa.eval.runner.run_questions`: only the
``lexical`` part of the loaded index is swapped for one that asks PostgreSQL, so
near-duplicate removal, hit building and metrics are identical, and latency is what a
``bm25`` search through the service would take (SQL round trip included).

Variants:

* ``bm25s`` — the files store (what ``ragqa eval --modes bm25`` reports).
* ``fts_and_cd`` — PostgreSQL full-text search, ``french`` configuration, over the same
  passage text, ``plainto_tsquery`` (every term required), ranked by ``ts_rank_cd``.
* ``fts_or_cd`` / ``fts_or_rank`` — the same with the query's terms OR-ed, ranked by
  ``ts_rank_cd`` / ``ts_rank``.
* ``ours_or_cd`` — ``ts_rank_cd`` over *our* analysed terms (stored as a ``tsvector`` with
  their positions), OR-ed: separates the effect of the analysis from that of the ranking.
* ``bm25_sql`` — BM25 scored in SQL over postings (:func:`ragqa.index.pg.search.bm25_search`).

``--scale N`` then grows the PIAF database to about N passages (copies of its documents
under other ids) and times 300 of the questions again (the raw top-100 query) for
``bm25s``, ``fts_or_rank``, ``bm25_sql`` and ``bm25_sql`` without index-only scans (latency
only: copies make recall meaningless).

    nice -n 10 python -m ragqa.eval.pg_lexical --out eval/results/pg-lexical.md [--scale 100000]

Without ``--database-url`` a throw-away PostgreSQL 16 + pgvector is started with pgserver.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import psycopg

from ragqa.eval.metrics import percentile
from ragqa.eval.pg_server import database_server, fresh_database
from ragqa.eval.questions import Question, load_questions, select
from ragqa.eval.report import markdown_table
from ragqa.eval.runner import run_questions, summarise
from ragqa.eval.squad import load_squad, materialise
from ragqa.index.search.analysis import Analyzer
from ragqa.index.files.builder import IndexConfig, update_index
from ragqa.index.documents.processing import bm25_text
from ragqa.index.files.lexical import LexicalIndex
from ragqa.index.embedding.identity import VectorIdentity
from ragqa.index.embedding.models import ResolvedModel
from ragqa.index.pg.connect import connect
from ragqa.index.pg.migrations import migrate
from ragqa.index.pg.search import bm25_search
from ragqa.index.pg.writes import DocumentWrite, PassageRow, replace_document
from ragqa.index.search.retriever import RetrievalParams, Retriever
from ragqa.index.files.generations import LoadedIndex, load_index

VARIANTS = ("bm25s", "fts_and_cd", "fts_or_cd", "fts_or_rank", "ours_or_cd", "bm25_sql")
SCRATCH = Path(".ragqa/pg-lexical")
PIAF = Path("../shared/benchmarks/piaf/piaf-v1.0.json")

_FTS = """SELECT id, {rank}({column}, s.q) AS score
FROM passages, (SELECT {query} AS q) AS s WHERE {column} @@ s.q ORDER BY score DESC, id LIMIT %s"""
_FRENCH_AND = "plainto_tsquery('french', %s)"
_FRENCH_OR = "replace(plainto_tsquery('french', %s)::text, ' & ', ' | ')::tsquery"
_MAX_POSITION = 16383  # tsvector positions stop there


class _ConstantEmbedder:
    """Stands in for the embedding model: BM25 never reads the vectors."""

    dimension = 8
    identity = VectorIdentity(weights_sha256="constant")

    def encode_passages(self, texts, *, progress: bool = False) -> np.ndarray:
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        vectors[:, 0] = 1.0
        return vectors


class SqlLexical:
    """The ``lexical`` part of a loaded index, answered by PostgreSQL.

    ``search`` has :meth:`ragqa.index.files.lexical.LexicalIndex.search`'s contract (rows of the loaded
    index, best first); idf and the analyzer (for the low-relevance signal) stay bm25s's.
    """

    def __init__(self, base: LexicalIndex, rows: dict[int, int],
                 fetch: Callable[[str, int], list[tuple[int, float]]]) -> None:
        self.analyzer = base.analyzer
        self.idf = base.idf
        self.size = base.size
        self._rows = rows
        self._fetch = fetch

    def search(self, query: str, k: int, mask: np.ndarray | None = None):
        found = [(self._rows[pid], score) for pid, score in self._fetch(query, k)]
        if mask is not None:
            found = [(row, score) for row, score in found if mask[row] > 0]
        found = [(row, score) for row, score in found if score > 0]
        return (np.array([r for r, _ in found], dtype=np.int64),
                np.array([s for _, s in found], dtype=np.float32))


def build_bm25_index(corpus: Path, folder: Path) -> LoadedIndex:
    """The project's index of ``corpus`` with default settings (BM25 side real)."""
    model_dir = folder / "constant-model"
    model_dir.mkdir(parents=True, exist_ok=True)
    (model_dir / "config.json").write_text('{"constant": true}', "utf-8")
    model = ResolvedModel("constant", "constant", model_dir, fallback=False)
    update_index(corpus, folder / "index", model=model, identity=_ConstantEmbedder.identity,
                 load_embedder=_ConstantEmbedder,
                 config=IndexConfig(sentence_vectors=False, token_vectors=False))  # BM25 only
    return load_index(folder / "index")


def passage_texts(index: LoadedIndex) -> list[str]:
    """What BM25 indexes for each passage (as the builder does)."""
    out = []
    for p in index.passages:
        doc = index.documents[p.doc_id]
        out.append(bm25_text(doc.title, p.section, doc.text[p.start:p.end]))
    return out


def tsvector_literal(terms: list[str]) -> str:
    """``terms`` (in order) as a ``tsvector`` input string with 1-based positions."""
    positions: dict[str, list[int]] = {}
    for i, term in enumerate(terms, 1):
        positions.setdefault(term, []).append(min(i, _MAX_POSITION))
    return " ".join(_lexeme(term) + ":" + ",".join(map(str, dict.fromkeys(where)))
                    for term, where in positions.items())


def _lexeme(term: str) -> str:
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def load_into_postgres(conn: psycopg.Connection, index: LoadedIndex, analyzer: Analyzer,
                       texts: list[str], id_prefix: str = "") -> dict[int, int]:
    """Write every document of ``index`` (ids prefixed) and the measurement's own columns
    (``fts``: French full-text; ``ours``: our analysed terms); passage id → row of ``index``."""
    by_doc: dict[str, list[int]] = {}
    for row, p in enumerate(index.passages):
        by_doc.setdefault(p.doc_id, []).append(row)
    for doc_id, doc in index.documents.items():
        rows = by_doc.get(doc_id, [])
        replace_document(conn, DocumentWrite(
            doc_id=id_prefix + doc_id, title=doc.title, text=doc.text,
            content_hash=doc.content_hash, pages=doc.pages, sections=doc.sections,
            passages=tuple(
                PassageRow(index.passages[r].start, index.passages[r].end,
                           index.passages[r].section, index.passages[r].page,
                           tuple(analyzer(texts[r])))
                for r in rows),
        ))
    mapping: dict[int, int] = {}
    ids = conn.execute("SELECT id, doc_id, ordinal FROM passages WHERE doc_id LIKE %s",
                       (id_prefix.replace("_", "\\_") + "%",)).fetchall()
    for pid, doc_id, ordinal in ids:
        mapping[pid] = by_doc[doc_id[len(id_prefix):]][ordinal]
    with conn.transaction():
        conn.execute("CREATE TEMP TABLE bodies (id bigint, body text, ours tsvector) "
                     "ON COMMIT DROP")
        with conn.cursor().copy("COPY bodies (id, body, ours) FROM STDIN") as copy:
            for pid, row in mapping.items():
                copy.write_row((pid, texts[row], tsvector_literal(analyzer(texts[row]))))
        conn.execute("UPDATE passages p SET fts = to_tsvector('french', b.body), ours = b.ours "
                     "FROM bodies b WHERE p.id = b.id")
    return mapping


def fetchers(conn: psycopg.Connection, analyzer: Analyzer) -> dict[str, Callable]:
    def fts(rank: str, query: str) -> Callable[[str, int], list[tuple[int, float]]]:
        sql = _FTS.format(rank=rank, query=query, column="fts")
        return lambda q, k: conn.execute(sql, (q, k)).fetchall()

    def ours(q: str, k: int) -> list[tuple[int, float]]:
        terms = list(dict.fromkeys(analyzer(q)))
        if not terms:
            return []
        tsquery = " | ".join(_lexeme(t) for t in terms)
        return conn.execute(_FTS.format(rank="ts_rank_cd", query="%s::tsquery", column="ours"),
                            (tsquery, k)).fetchall()

    return {
        "fts_and_cd": fts("ts_rank_cd", _FRENCH_AND),
        "fts_or_cd": fts("ts_rank_cd", _FRENCH_OR),
        "fts_or_rank": fts("ts_rank", _FRENCH_OR),
        "ours_or_cd": ours,
        "bm25_sql": lambda q, k: bm25_search(conn, analyzer(q), k),
    }


def measure(index: LoadedIndex, mapping: dict[int, int], conn: psycopg.Connection,
            questions: list[Question], variants: tuple[str, ...]) -> dict[str, float]:
    """Each variant through the real Retriever; one flat dict keyed ``variant.metric``."""
    metrics: dict[str, float] = {}
    sql = fetchers(conn, index.lexical.analyzer)
    for variant in variants:
        lexical = index.lexical if variant == "bm25s" else SqlLexical(index.lexical, mapping,
                                                                      sql[variant])
        retriever = Retriever(dataclasses.replace(index, lexical=lexical), None,
                              RetrievalParams(mode="bm25", question_typos=False))
        started = time.perf_counter()
        summary = summarise(run_questions(retriever, questions, ["bm25"]))
        print(f"  {variant}: {time.perf_counter() - started:.1f} s, "
              f"R@5 {summary['bm25.recall@5']}, MRR@10 {summary['bm25.mrr@10']}", flush=True)
        metrics.update({f"{variant}.{key[5:]}": value for key, value in summary.items()
                        if key.startswith("bm25.")})
    return metrics


def prepare(conn: psycopg.Connection) -> None:
    migrate(conn, dimension=_ConstantEmbedder.dimension)
    conn.execute("ALTER TABLE passages ADD COLUMN IF NOT EXISTS fts tsvector, "
                 "ADD COLUMN IF NOT EXISTS ours tsvector")


def finish(conn: psycopg.Connection) -> None:
    conn.execute("CREATE INDEX IF NOT EXISTS passages_fts ON passages USING gin (fts)")
    conn.execute("CREATE INDEX IF NOT EXISTS passages_ours ON passages USING gin (ours)")
    conn.execute("VACUUM ANALYZE")


def scale_latency(index: LoadedIndex, conn: psycopg.Connection, questions: list[Question],
                  target: int, texts: list[str]) -> tuple[int, dict[str, tuple[float, float]]]:
    """Grow the database with copies of ``index``'s documents to about ``target`` passages;
    p50/p95 ms of the raw top-100 query per variant (bm25s over the same copies)."""
    analyzer = index.lexical.analyzer
    copies = max(0, -(-target // max(1, len(index.passages))) - 1)
    for n in range(copies):
        load_into_postgres(conn, index, analyzer, texts, id_prefix=f"copy{n:03d}/")
    finish(conn)
    total = conn.execute("SELECT count(*) FROM passages").fetchone()[0]
    big = LexicalIndex.build(texts * (copies + 1), analyzer, IndexConfig().bm25)
    sql = fetchers(conn, analyzer)
    timed = {"bm25s": lambda q, k: big.search(q, k), "fts_or_rank": sql["fts_or_rank"],
             "bm25_sql": sql["bm25_sql"], "bm25_sql, no index-only scans": sql["bm25_sql"]}
    sample = questions[:: max(1, len(questions) // 300)][:300]
    out = {}
    for name, fetch in timed.items():
        conn.execute(f"SET enable_indexonlyscan = {'off' if 'no index-only' in name else 'on'}")
        fetch(sample[0].question, 100)  # warm
        times = []
        for q in sample:
            started = time.perf_counter()
            fetch(q.question, 100)
            times.append((time.perf_counter() - started) * 1000)
        out[name] = (percentile(times, 50), percentile(times, 95))
        print(f"  scale {total}: {name} p50 {out[name][0]:.1f} ms", flush=True)
    conn.execute("SET enable_indexonlyscan = on")
    return total, out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="a superuser URL on a PostgreSQL with pgvector")
    parser.add_argument("--split", default="dev", choices=["dev", "test", "all"])
    parser.add_argument("--piaf", type=Path, default=PIAF)
    parser.add_argument("--scale", type=int, default=0, help="also time PIAF grown to N passages")
    parser.add_argument("--out", type=Path, help="write the tables (markdown) here")
    args = parser.parse_args(argv)
    sections: list[str] = []
    results: dict = {}
    with database_server(args.database_url) as (admin_url, url_for):
        for name, corpus, squad in [("project", Path("corpus"), None), ("piaf", None, args.piaf)]:
            print(f"{name}: building", flush=True)
            external = None
            if squad is not None:
                documents, external = load_squad(squad)
                corpus = materialise(documents, SCRATCH / "squad")
            index = build_bm25_index(corpus, SCRATCH / name)
            texts = passage_texts(index)
            url = fresh_database(admin_url, url_for, f"ragqa_pg_lexical_{name}")
            with connect(url) as conn:
                prepare(conn)
                started = time.perf_counter()
                mapping = load_into_postgres(conn, index, index.lexical.analyzer, texts)
                load_s = time.perf_counter() - started
                finish(conn)
                loaded = external if external is not None else load_questions(
                    Path("eval/questions.jsonl"),
                    {d: doc.text for d, doc in index.documents.items()})
                questions = select(loaded, args.split)
                answerable = sum(q.answerable for q in questions)
                print(f"{name}: {len(index.documents)} documents, {len(index.passages)} "
                      f"passages (loaded in {load_s:.1f} s), {answerable} questions", flush=True)
                metrics = measure(index, mapping, conn, questions, VARIANTS)
                results[name] = {"documents": len(index.documents),
                                 "passages": len(index.passages), "load_s": round(load_s, 2),
                                 "metrics": metrics}
                sections.append(
                    f"**{name}** ({len(index.documents)} documents, {len(index.passages)} "
                    f"passages, split `{args.split}`, {answerable} answerable questions; "
                    f"written to PostgreSQL in {load_s:.1f} s)\n\n"
                    + markdown_table(metrics, list(VARIANTS)))
                if name == "piaf" and args.scale:
                    total, times = scale_latency(index, conn, questions, args.scale, texts)
                    results["scale"] = {"passages": total, "latency_ms": times}
                    rows = "\n".join(f"| {v} | {p50:.1f} | {p95:.1f} |"
                                     for v, (p50, p95) in times.items())
                    sections.append(
                        f"**Latency at {total:,} passages** (PIAF's documents copied; "
                        f"{min(300, len(questions))} dev questions, top 100, query only)\n\n"
                        f"| variant | p50 ms | p95 ms |\n|---|---|---|\n{rows}")
    header = (f"`python -m ragqa.eval.pg_lexical --split {args.split}"
              f"{f' --scale {args.scale}' if args.scale else ''}` on {platform.node()} "
              f"({time.strftime('%Y-%m-%d')}); latencies per search through the Retriever, "
              "PostgreSQL on the same machine over a Unix socket.")
    text = header + "\n\n" + "\n\n".join(sections) + "\n"
    print(text)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, "utf-8")
        args.out.with_suffix(".json").write_text(json.dumps(results, indent=1), "utf-8")


if __name__ == "__main__":
    main()
