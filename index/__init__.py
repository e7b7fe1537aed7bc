"""Indexes over the passage store: BM25, dense vectors, hybrid search, answers."""
