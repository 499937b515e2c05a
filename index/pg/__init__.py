"""PostgreSQL + pgvector as a shared store: schema, migrations, per-document writes and
searches in SQL.

Optional: needs the ``postgres`` extra (``psycopg``, ``pgvector``). Nothing here is imported
by the files store, and nothing here reads settings: callers pass a connection.
"""
