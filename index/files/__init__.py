"""The embedded files store: generations on disk, manifest, builder, FAISS and BM25 indexes."""
