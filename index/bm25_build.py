"""Building the BM25 matrix of index/bm25.py from token lists: term counts, then rank_bm25's weights.

Imported by ``BM25.build`` only when an index is built (it needs scipy; searching does not). The scoring formula
and the on-disk layout are described in index/bm25.py.
"""

from __future__ import annotations

import array
from collections import defaultdict
from collections.abc import Iterable, Sequence

import numpy as np
import scipy.sparse as sp

# Tokens are counted in chunks of about this many (bounded build memory).
CHUNK_TOKENS = 1 << 23


def _cat(xs: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(xs) if xs else np.zeros(0, np.int32)


class TermCounts:
    """The term counts of documents read one at a time: a vocabulary (term -> id, in order of first use), each
    document's length, and per chunk of documents doc-major (terms sorted, tf summed) pieces."""

    def __init__(self) -> None:
        self.vocab: defaultdict[str, int] = defaultdict()
        self.vocab.default_factory = self.vocab.__len__  # new term -> next id (C speed)
        self.doc_len = array.array("q")
        self.ids = array.array("i")  # term ids of the current chunk's documents, in order
        # per chunk of documents: doc-major (terms sorted, tf summed) pieces
        self.chunk_nnz: list[np.ndarray] = []  # entries per document
        self.chunk_terms: list[np.ndarray] = []
        self.chunk_tfs: list[np.ndarray] = []
        self.chunk_start = 0  # first doc of the current chunk
        self.n_docs = 0

    def read(self, token_lists: Iterable[Sequence[str]]) -> TermCounts:
        """Count ``token_lists`` (consumed once), flushing a chunk every CHUNK_TOKENS tokens."""
        term_of = self.vocab.__getitem__
        doc_len = self.doc_len
        n = 0
        for doc in token_lists:
            if isinstance(doc, str):
                raise TypeError(
                    "BM25.build expects an iterable of token lists, got a str document; tokenize it first (index.tokenize.tokenize)"
                )
            ids = self.ids
            before = len(ids)
            ids.extend(map(term_of, doc))
            doc_len.append(len(ids) - before)
            n += 1
            if len(ids) >= CHUNK_TOKENS:
                self.flush(n)
        self.flush(n)
        self.n_docs = n
        return self

    def flush(self, end: int) -> None:
        """Turn the documents from chunk_start to ``end`` into a doc-major piece and start a new chunk."""
        # Count (term, doc) pairs with two O(n) counting sorts (scipy's
        # coo->csr then csr->csc) instead of a comparison sort.
        n_chunk = end - self.chunk_start
        if n_chunk:
            lens = np.frombuffer(self.doc_len, dtype=np.int64)[self.chunk_start : end]
            tid = np.frombuffer(self.ids, dtype=np.int32) if len(self.ids) else np.zeros(0, np.int32)
            did = np.repeat(np.arange(n_chunk, dtype=np.int32), lens)
            by_term = sp.coo_matrix(
                (np.ones(tid.shape[0], dtype=np.int32), (tid, did)),
                shape=(len(self.vocab), n_chunk),
            ).tocsr()  # sums duplicates: data = tf
            by_doc = by_term.tocsc()
            self.chunk_nnz.append(np.diff(by_doc.indptr))
            self.chunk_terms.append(by_doc.indices.astype(np.int32, copy=False))
            self.chunk_tfs.append(by_doc.data.astype(np.int32, copy=False))
            del lens, tid, did, by_term, by_doc
        self.ids = array.array("i")
        self.chunk_start = end

    def term_major(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(tf float64, document indices int32, indptr int64) of the term x document matrix; the chunks are
        released on the way."""
        # all chunks -> one doc-major CSR -> term-major (counting sort again;
        # documents stay ascending within each term)
        doc_indptr = np.zeros(self.n_docs + 1, dtype=np.int64)
        if self.chunk_nnz:
            np.cumsum(np.concatenate(self.chunk_nnz), out=doc_indptr[1:])
        by_doc = sp.csr_matrix(
            (_cat(self.chunk_tfs), _cat(self.chunk_terms), doc_indptr),
            shape=(self.n_docs, len(self.vocab)),
            copy=False,
        )
        self.chunk_nnz, self.chunk_terms, self.chunk_tfs = [], [], []
        by_term = by_doc.tocsc()  # csc of (docs x terms) == csr of (terms x docs)
        del by_doc
        tf = by_term.data.astype(np.float64)
        indices = by_term.indices.astype(np.int32, copy=False)
        indptr = by_term.indptr.astype(np.int64, copy=False)
        del by_term
        return tf, indices, indptr


def bm25_weights(
    tf: np.ndarray, indices: np.ndarray, indptr: np.ndarray, dl: np.ndarray, avgdl: float, n_docs: int, k1: float, b: float, epsilon: float
) -> tuple[np.ndarray, float]:
    """(w(t, d) of every entry as float32, average_idf); ``tf`` (float64) is overwritten."""
    n_terms = indptr.shape[0] - 1
    # idf exactly as rank_bm25.BM25Okapi._calc_idf
    df_int = np.diff(indptr)
    df = df_int.astype(np.float64)
    idf = np.log(n_docs - df + 0.5) - np.log(df + 0.5)
    average_idf = float(idf.sum() / n_terms) if n_terms else 0.0
    idf[idf < 0] = epsilon * average_idf

    if n_terms:
        doc_norm = k1 * (1.0 - b + b * dl / avgdl)
        w = tf * (k1 + 1.0)
        tf += doc_norm[indices]
        w /= tf
        w *= np.repeat(idf, df_int)
        data = w.astype(np.float32)
        del w, tf
    else:
        data = np.zeros(0, dtype=np.float32)
    return data, average_idf


def build_matrix(
    token_lists: Iterable[Sequence[str]], k1: float, b: float, epsilon: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, int], dict]:
    """(data, indices, indptr, vocab, {n_docs, avgdl, average_idf}) of the BM25 index of ``token_lists``."""
    counts = TermCounts().read(token_lists)
    n_docs = counts.n_docs
    n_terms = len(counts.vocab)
    if n_terms >= 2**31 or n_docs >= 2**31:
        raise ValueError("corpus too large for int32 indices")
    dl = np.frombuffer(counts.doc_len, dtype=np.int64).astype(np.float64)
    avgdl = float(dl.sum() / n_docs) if n_docs else 0.0
    tf, indices, indptr = counts.term_major()
    data, average_idf = bm25_weights(tf, indices, indptr, dl, avgdl, n_docs, k1, b, epsilon)
    return data, indices, indptr, dict(counts.vocab), {"n_docs": n_docs, "avgdl": avgdl, "average_idf": average_idf}
