"""What reclaiming the side rows costs on PostgreSQL at 100,000 passages
(``index/pg/reclaim.py``): a fresh database filled with synthetic documents (25,000 of
four 10-sentence paragraphs: 100,000 passages, a million sentence rows, and a tenth more
sentence rows no passage holds), then the reclaim timed as ``ragqa index`` runs it (a new
process: every document cut) and as a server's later syncs do (the keys its last reclaim
cut kept: nothing written since, then 100 documents rewritten).

    python -m ragqa.eval.pg_reclaim --out eval/results/pg-reclaim.json

Without ``--database-url`` a throw-away PostgreSQL 16 + pgvector is started with pgserver.
The rows are written directly (COPY, no model, no postings, no vectors): only the tables
the reclaim reads are filled.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

from ragqa.eval.pg_server import database_server, fresh_database
from ragqa.index.pg.connect import connect
from ragqa.index.pg.migrations import migrate
from ragqa.index.pg.reclaim import KeptKeys, reclaim
from ragqa.index.pg.sentences import signed
from ragqa.index.sentencetable import sentence_texts, text_keys

DIMENSION = 384
WORDS = ("réseau", "fibre", "Maroc", "câble", "ministère", "numérique", "startups",
         "programme", "Rabat", "Dakhla", "entreprise", "données", "projet", "ville", "emploi",
         "formation")


def _paragraph(rng: np.random.Generator, label: str) -> str:
    return " ".join(" ".join(WORDS[k] for k in rng.integers(0, len(WORDS), 14)).capitalize()
                    + f" {label}-{s}." for s in range(10))


def fill(conn, documents: int, paragraphs: int, seed: int = 0) -> dict[str, int]:
    """Synthetic documents and passages, every sentence row their passages hold, and a
    tenth more rows no passage holds; how many of each."""
    rng = np.random.default_rng(seed)
    docs, passages, quotes = [], [], []
    for i in range(documents):
        paras = [_paragraph(rng, f"{i}-{j}") for j in range(paragraphs)]
        text = "\n\n".join(paras) + "\n"
        offset = 0
        for j, paragraph in enumerate(paras):
            passages.append((f"d{i}", j, offset, offset + len(paragraph), "s", len(paragraph)))
            quotes.append(paragraph)
            offset += len(paragraph) + 2
        docs.append((f"d{i}", f"d{i}", hashlib.sha256(text.encode()).hexdigest(), text))
    held = np.unique(signed(text_keys([s for q in quotes for s in sentence_texts(q)])))
    stray = rng.integers(-2**62, 2**62, len(held) // 10)
    empty = bytes(2 * DIMENSION)
    with conn.cursor() as cur:
        with cur.copy("COPY documents (doc_id, title, content_hash, text) FROM STDIN") as copy:
            for row in docs:
                copy.write_row(row)
        with cur.copy("COPY passages (doc_id, ordinal, start_offset, end_offset, section, "
                      "length) FROM STDIN") as copy:
            for row in passages:
                copy.write_row(row)
        with cur.copy("COPY sentence_vectors (key, embedding) FROM STDIN") as copy:
            for key in np.concatenate([held, stray]).tolist():
                copy.write_row((key, empty))
    conn.execute("VACUUM ANALYZE")
    return {"documents": len(docs), "passages": len(passages), "sentence_rows": len(held),
            "stray_rows": len(stray)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--documents", type=int, default=25_000)
    parser.add_argument("--database-url", default=None,
                        help="an administrator URL instead of a throw-away pgserver")
    args = parser.parse_args()
    with database_server(args.database_url) as (admin, url_for):
        conn = connect(fresh_database(admin, url_for, "ragqa_reclaim"))
        try:
            migrate(conn, dimension=DIMENSION)
            started = time.perf_counter()
            filled = fill(conn, args.documents, 4)
            print(f"filled in {time.perf_counter() - started:.0f} s: {filled}", flush=True)
            memo = KeptKeys()
            runs = {}
            for name, kept in (
                    ("a process's first (ragqa index, a server's first sync): every document "
                     "cut, the stray rows deleted", memo),
                    ("a server's later sync, nothing written since", memo),
                    ("a server's later sync, 100 documents rewritten since", memo),
                    ("ragqa index again: every document cut, nothing to delete", None)):
                if "100 documents" in name:
                    for i in range(100):  # a new row version each, the same passages
                        conn.execute("UPDATE documents SET title = title || 'x' "
                                     "WHERE doc_id = %s", (f"d{i}",))
                done = reclaim(conn, memo=kept)
                runs[name] = {"seconds": round(done.seconds, 2), "rows_deleted": done.rows,
                              "complete": done.complete}
                print(name, runs[name], flush=True)
        finally:
            conn.close()
    result = {"what": __doc__.split("\n\n")[0].replace("\n", " "), "filled": filled,
              "runs": runs, "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                                        "load_average": os.getloadavg()}}
    args.out.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n",
                        encoding="utf-8")


if __name__ == "__main__":
    main()
