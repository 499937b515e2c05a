"""The stored :class:`~ragqa.index.documents.processing.CorpusContext`: what a bulk index found over
the whole corpus (boilerplate lines, generic headings, title chrome), applied to documents
uploaded one at a time."""

from __future__ import annotations

import json

import psycopg

from ragqa.index.documents.processing import CorpusContext


def read_context(conn: psycopg.Connection) -> CorpusContext:
    """The stored context; an empty one before the first bulk index."""
    row = conn.execute("SELECT context FROM corpus_context").fetchone()
    return CorpusContext.from_json(row[0]) if row else CorpusContext()


def write_context(conn: psycopg.Connection, context: CorpusContext) -> bool:
    """Store ``context``; whether it differs from the one stored before."""
    data = json.dumps(context.to_json(), ensure_ascii=False, sort_keys=True)
    with conn.transaction():
        row = conn.execute("SELECT context FROM corpus_context FOR UPDATE").fetchone()
        if row is not None and CorpusContext.from_json(row[0]) == context:
            return False
        conn.execute(
            "INSERT INTO corpus_context (context) VALUES (%s::jsonb) ON CONFLICT (singleton) "
            "DO UPDATE SET context = excluded.context, updated_at = now()",
            (data,),
        )
    return True
