"""Retrieval core: corpus documents → passages → FAISS + BM25 index directory → search.

Nothing here reads settings or environment variables; callers pass arguments.
"""

__version__ = "0.1.0"
