"""Searching a store: the retriever, BM25 text analysis, fusion, highlights, the relevance signal."""
