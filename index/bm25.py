"""Sparse-matrix BM25 that ranks exactly like ``rank_bm25.BM25Okapi``.

Scoring (identical to rank_bm25 0.2.2, quirks included)::

    idf(t)   = log(N - n_t + 0.5) - log(n_t + 0.5)
               where N = number of documents, n_t = documents containing t;
               average_idf = mean of these raw idfs over the vocabulary;
               every NEGATIVE idf (not zero) is replaced by
               epsilon * average_idf (which is itself negative when
               average_idf < 0, as in rank_bm25)
    w(t, d)  = idf(t) * tf * (k1 + 1) / (tf + k1 * (1 - b + b * |d| / avgdl))
    score(q, d) = sum over query tokens t (repeats count again) of w(t, d)
                  (unknown tokens contribute 0)

``w`` is precomputed (in float64, stored as float32; index/bm25_build.py) into
a CSR matrix of shape ``(n_terms, n_docs)``; a query sums the rows of its terms
(``np.add.at`` in query-term order, float32), so its cost is the postings of
the query terms plus a few vectorised O(n_docs) passes.  ``top_k`` avoids a
full ``argpartition`` of n_docs scores: the k-th largest of the per-block
(64 docs) maxima bounds the k-th score from below, so only the documents at
or above it are partitioned exactly (see ``_top_candidates``).

``top_k`` returns only documents that CONTAIN at least one query term
(whatever their score: with rank_bm25's formula a term whose idf is exactly
0, or a negative epsilon floor on tiny corpora, can give a matching document
a score <= 0), sorted by score descending, ties broken by lower document
index.  An optional boolean ``mask`` restricts the candidates before the
cut, so a mask that leaves 3 matching documents returns those 3.

On disk (``save``/``load``) the index is plain files -- never pickle::

    bm25_data.npy     float32 (nnz,)      precomputed w(t, d)
    bm25_indices.npy  int32   (nnz,)      document index of each entry
    bm25_indptr.npy   int64   (n_terms+1,) row t is data[indptr[t]:indptr[t+1]]
    bm25_vocab.json   JSON list of terms; term at position i is row i
    bm25_params.json  {format, version, k1, b, epsilon, n_docs, n_terms,
                       nnz, avgdl, average_idf}
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Literal

import numpy as np

__all__ = ["BM25", "FORMAT_VERSION"]

FORMAT = "boardpapers-bm25"
FORMAT_VERSION = 1
FILES = (
    "bm25_data.npy",
    "bm25_indices.npy",
    "bm25_indptr.npy",
    "bm25_vocab.json",
    "bm25_params.json",
)


class BM25:
    """BM25 (Okapi, rank_bm25-compatible) over a term x document CSR matrix.

    Build with :meth:`build`, query with :meth:`scores` / :meth:`top_k`,
    persist with :meth:`save` / :meth:`load`.
    """

    def __init__(
        self,
        data: np.ndarray,
        indices: np.ndarray,
        indptr: np.ndarray,
        vocab: dict[str, int],
        *,
        n_docs: int,
        avgdl: float,
        k1: float,
        b: float,
        epsilon: float,
        average_idf: float = float("nan"),
    ) -> None:
        self.data = data
        self.indices = indices
        self.indptr = indptr
        self.vocab = vocab
        self.n_docs = int(n_docs)
        self.avgdl = float(avgdl)
        self.k1 = float(k1)
        self.b = float(b)
        self.epsilon = float(epsilon)
        self.average_idf = float(average_idf)

    # ------------------------------------------------------------------ build
    @classmethod
    def build(
        cls,
        token_lists: Iterable[Sequence[str]],
        k1: float = 1.5,
        b: float = 0.75,
        epsilon: float = 0.25,
    ) -> BM25:
        """Index ``token_lists`` (one list of tokens per document, in order;
        may be a generator -- it is consumed once)."""
        # here, not at module level: searching needs no scipy (cold start of info / bm25 search)
        from .bm25_build import build_matrix

        data, indices, indptr, vocab, stats = build_matrix(token_lists, k1, b, epsilon)
        return cls(data, indices, indptr, vocab, k1=k1, b=b, epsilon=epsilon, **stats)

    # ------------------------------------------------------------------ query
    @property
    def n_terms(self) -> int:
        return len(self.vocab)

    @property
    def nnz(self) -> int:
        return int(self.data.shape[0])

    def _rows(self, query_tokens: Iterable[str]):
        if isinstance(query_tokens, str):
            raise TypeError("query_tokens must be a list of tokens, not a str; use index.tokenize.tokenize_query(text)")
        get = self.vocab.get
        for t in query_tokens:
            r = get(t)
            if r is not None:
                s, e = int(self.indptr[r]), int(self.indptr[r + 1])
                if e > s:
                    yield s, e

    def scores(self, query_tokens: Iterable[str]) -> np.ndarray:
        """BM25 score of every document, float32 array of shape (n_docs,).
        Repeated query tokens count once per occurrence; unknown ones add 0."""
        return self._accumulate(list(self._rows(query_tokens)))

    def _accumulate(self, rows: list[tuple[int, int]]) -> np.ndarray:
        scores = np.zeros(self.n_docs, dtype=np.float32)
        for s, e in rows:  # query-term order, like rank_bm25
            np.add.at(scores, self.indices[s:e], self.data[s:e])
        return scores

    def top_k(
        self,
        query_tokens: Iterable[str],
        k: int,
        mask: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` best documents that contain at least one query term.

        Returns ``(indices int64, scores float32)`` sorted by score
        descending (ties: lower index first).  ``mask`` (bool, shape
        (n_docs,)) keeps only documents where it is True, applied before the
        cut.  Fewer than ``k`` results when fewer documents match.
        """
        if mask is not None:
            mask = np.asarray(mask)
            if mask.dtype != np.bool_ or mask.shape != (self.n_docs,):
                raise ValueError(f"mask must be a bool array of shape ({self.n_docs},), got {mask.dtype} {mask.shape}")
        k = int(k)
        empty = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))
        rows = list(self._rows(query_tokens))
        if k <= 0 or not rows:
            return empty
        scores = self._accumulate(rows)

        # Documents eligible for the result: those containing a query term.
        # A row's entries all share the sign of its idf; when every query row
        # is positive, "contains a term" is simply "score > 0".
        if all(self.data[s] > 0 for s, _ in rows):
            eligible = scores > 0
        else:
            eligible = np.zeros(self.n_docs, dtype=np.bool_)
            for s, e in rows:
                eligible[self.indices[s:e]] = True
        if mask is not None:
            eligible &= mask
        cand = _top_candidates(scores, eligible, k)
        if cand.size == 0:
            return empty
        cs = scores[cand]
        if cand.size > k:
            # exact cut: everything above the k-th score, then the
            # lowest-index documents tied with it (deterministic)
            kth = np.partition(cs, cs.size - k)[cs.size - k]
            above = np.flatnonzero(cs > kth)
            tied = np.flatnonzero(cs == kth)[: k - above.size]
            sel = np.concatenate([above, tied])
            cand, cs = cand[sel], cs[sel]
        order = np.lexsort((cand, -cs))
        return cand[order].astype(np.int64, copy=False), cs[order]

    # ---------------------------------------------------------------- persist
    def save(self, directory: str | os.PathLike) -> Path:
        """Write the index as plain .npy/.json files into ``directory``
        (created if needed; existing index files are replaced)."""
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        terms = [""] * len(self.vocab)
        for t, r in self.vocab.items():
            terms[r] = t
        params = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "k1": self.k1,
            "b": self.b,
            "epsilon": self.epsilon,
            "n_docs": self.n_docs,
            "n_terms": len(terms),
            "nnz": self.nnz,
            "avgdl": self.avgdl,
            "average_idf": self.average_idf,
        }
        arrays: dict[str, np.ndarray] = {
            "bm25_data.npy": np.ascontiguousarray(self.data, dtype=np.float32),
            "bm25_indices.npy": np.ascontiguousarray(self.indices, dtype=np.int32),
            "bm25_indptr.npy": np.ascontiguousarray(self.indptr, dtype=np.int64),
        }
        tmp_paths = []
        for name, arr in arrays.items():
            tmp = d / (name + ".tmp")
            with open(tmp, "wb") as f:
                np.save(f, arr, allow_pickle=False)
            tmp_paths.append((tmp, d / name))
        for name, obj in (("bm25_vocab.json", terms), ("bm25_params.json", params)):
            tmp = d / (name + ".tmp")
            # ensure_ascii: terms are arbitrary strings (even lone surrogates)
            tmp.write_text(json.dumps(obj, ensure_ascii=True), encoding="ascii")
            tmp_paths.append((tmp, d / name))
        # params last, so a complete params file implies complete arrays
        for tmp, final in tmp_paths:
            os.replace(tmp, final)
        return d

    @classmethod
    def load(cls, directory: str | os.PathLike, mmap: bool = True) -> BM25:
        """Load an index written by :meth:`save`.  With ``mmap`` (default) the
        arrays are memory-mapped read-only instead of read into memory."""
        d = Path(directory)
        missing = [name for name in FILES if not (d / name).is_file()]
        if missing:
            raise FileNotFoundError(
                f"BM25 index in {str(d)!r} is missing {', '.join(missing)}; "
                "build it first (BM25.build(token_lists).save(dir)) or point "
                "to the directory that holds the bm25_*.npy/json files"
            )
        try:
            params = json.loads((d / "bm25_params.json").read_text(encoding="utf-8"))
            terms = json.loads((d / "bm25_vocab.json").read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise ValueError(f"corrupt BM25 index metadata in {str(d)!r}: {e}") from e
        if not isinstance(params, dict) or params.get("format") != FORMAT:
            raise ValueError(f"{d / 'bm25_params.json'} is not a {FORMAT} index")
        if params.get("version") != FORMAT_VERSION:
            raise ValueError(
                f"BM25 index in {str(d)!r} has format version {params.get('version')}, this code reads {FORMAT_VERSION}; rebuild the index"
            )
        mode: Literal["r"] | None = "r" if mmap else None
        data = np.load(d / "bm25_data.npy", mmap_mode=mode, allow_pickle=False)
        indices = np.load(d / "bm25_indices.npy", mmap_mode=mode, allow_pickle=False)
        indptr = np.load(d / "bm25_indptr.npy", mmap_mode=mode, allow_pickle=False)
        n_terms = len(terms)
        if (
            not isinstance(terms, list)
            or indptr.shape != (n_terms + 1,)
            or data.shape != indices.shape
            or data.shape != (int(params["nnz"]),)
            or n_terms != int(params["n_terms"])
            or (n_terms and int(indptr[-1]) != data.shape[0])
        ):
            raise ValueError(f"BM25 index in {str(d)!r} is inconsistent (files from different builds?); rebuild it")
        vocab = {t: i for i, t in enumerate(terms)}
        return cls(
            data,
            indices,
            indptr,
            vocab,
            n_docs=params["n_docs"],
            avgdl=params["avgdl"],
            k1=params["k1"],
            b=params["b"],
            epsilon=params["epsilon"],
            average_idf=params.get("average_idf", float("nan")),
        )

    def __repr__(self) -> str:
        return f"BM25(n_docs={self.n_docs}, n_terms={self.n_terms}, nnz={self.nnz}, k1={self.k1}, b={self.b}, epsilon={self.epsilon})"


_BLOCK = 64


def _top_candidates(scores: np.ndarray, eligible: np.ndarray, k: int) -> np.ndarray:
    """Ascending indices of a superset of the top-``k`` eligible documents
    (all of them when there are at most ``k``), including every document tied
    with the k-th score.

    Instead of partitioning all n scores (slow for n ~ 1e5..1e6), take the
    maximum of each block of ``_BLOCK`` documents; the k-th largest block
    maximum ``tau`` is <= the k-th largest score (k distinct blocks each hold
    a score >= tau), so ``scores >= tau`` keeps every top-k document and is
    usually only a little larger than k.
    """
    n = scores.shape[0]
    if n <= 8 * _BLOCK or k * _BLOCK * 4 > n:
        return np.flatnonzero(eligible)
    eff = np.where(eligible, scores, np.float32(-np.inf))
    nb = -(-n // _BLOCK)
    if nb * _BLOCK != n:
        eff = np.concatenate([eff, np.full(nb * _BLOCK - n, -np.inf, np.float32)])
    bmax = eff.reshape(nb, _BLOCK).max(axis=1)
    tau = np.partition(bmax, nb - k)[nb - k]
    if tau == -np.inf:  # fewer than k blocks hold an eligible document
        return np.flatnonzero(eligible)
    return np.flatnonzero(eff[:n] >= tau)
