"""The embedding model: finding it offline, the bundled e5 conversion, the embedder and its backends."""
