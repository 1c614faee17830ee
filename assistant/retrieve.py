"""Retrieve stage: dense (Chroma HNSW, or exact over filtered rows) + BM25 (bm25s),
fused by reciprocal-rank fusion, one article per near-duplicate group, optional
recency weighting, then MMR for diversity. A reranker can be plugged in.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

import numpy as np
from pydantic import BaseModel

from .embed import Embedder
from .index import SidecarIndex
from .store import Store

RRF_K = 60


class Hit(BaseModel):
    chunk_id: str
    article_id: str
    title: str
    text: str
    start: int
    end: int
    published_at: str | None = None
    source: str | None = None
    url: str | None = None
    dup_group: str = ""
    similarity: float = 0.0  # cosine(query, chunk)
    bm25: float = 0.0
    score: float = 0.0  # fused (and reranked) score


class Reranker(Protocol):
    def rerank(self, query: str, hits: list[Hit]) -> list[Hit]: ...


@dataclass
class Filters:
    since: date | None = None
    until: date | None = None
    sources: list[str] | None = None

    @staticmethod
    def _ymd(d: date | None) -> int | None:
        return d.year * 10000 + d.month * 100 + d.day if d else None

    def as_mask_args(self) -> dict:
        return {"since": self._ymd(self.since), "until": self._ymd(self.until), "sources": self.sources}

    def chroma_where(self) -> dict | None:
        """The same filter as a Chroma ``where`` (the baseline the benchmark compares against)."""
        conds = []
        if self.since:
            conds.append({"published_ymd": {"$gte": self._ymd(self.since)}})
        if self.until:
            conds.append({"published_ymd": {"$lte": self._ymd(self.until)}})
        if self.sources:
            conds.append({"source": {"$in": list(self.sources)}})
        if not conds:
            return None
        return conds[0] if len(conds) == 1 else {"$and": conds}


@dataclass
class Retriever:
    store: Store
    index: SidecarIndex
    embedder: Embedder
    mode: str = "hybrid"  # hybrid | dense | bm25
    candidates: int = 40
    mmr_lambda: float = 0.7
    recency_half_life_days: float | None = None
    reranker: Reranker | None = None
    timings: dict = field(default_factory=dict)

    def ensure_current(self) -> None:
        if not self.index.is_current(self.store):
            self.index.sync(self.store)

    def _dense(self, qvec: np.ndarray, mask: np.ndarray | None) -> list[tuple[int, float]]:
        if mask is not None:
            return self.index.dense_search(qvec, self.candidates, mask)
        n = min(self.candidates, len(self.index))
        res = self.store.chunks.query(query_embeddings=[qvec], n_results=n, include=["distances"])
        return [(self.index.row_of[cid], 1.0 - d) for cid, d in zip(res["ids"][0], res["distances"][0])
                if cid in self.index.row_of]

    def search(self, query: str, k: int = 6, filters: Filters | None = None,
               mode: str | None = None) -> list[Hit]:
        with self.index.lock:
            return self._search(query, k, filters, mode)

    def _search(self, query: str, k: int, filters: Filters | None, mode: str | None) -> list[Hit]:
        mode = mode or self.mode
        t0 = time.perf_counter()
        self.ensure_current()
        if not len(self.index):
            return []
        qvec = self.embedder.embed_batch([query])[0]
        t1 = time.perf_counter()
        mask = self.index.mask(**filters.as_mask_args()) if filters else None
        if mask is not None and not mask.any():
            return []
        ranked: list[list[tuple[int, float]]] = []
        if mode in ("hybrid", "dense"):
            ranked.append(self._dense(qvec, mask))
        if mode in ("hybrid", "bm25"):
            ranked.append(self.index.bm25_search(query, self.candidates, mask))
        t2 = time.perf_counter()
        fused: dict[int, float] = {}
        bm25_score: dict[int, float] = {}
        for lst in ranked:
            for rank, (row, _) in enumerate(lst):
                fused[row] = fused.get(row, 0.0) + 1.0 / (RRF_K + rank + 1)
        if mode in ("hybrid", "bm25"):
            bm25_score = dict(ranked[-1])
        rows = sorted(fused, key=fused.get, reverse=True)
        rows = self._one_article_per_group(rows)
        if not rows:
            return []
        vecs = np.asarray(self.index.vectors[rows])
        sims = vecs @ qvec
        rel = np.asarray([fused[r] for r in rows])
        if self.recency_half_life_days:
            rel = rel * self._recency(rows)
        chosen = mmr(rel / rel.max(), vecs, k, self.mmr_lambda)
        hits = self._hits([rows[i] for i in chosen], {rows[i]: float(sims[i]) for i in chosen},
                          bm25_score, {rows[i]: float(rel[i]) for i in chosen})
        if self.reranker is not None:
            hits = self.reranker.rerank(query, hits)
        t3 = time.perf_counter()
        self.timings = {"embed_ms": (t1 - t0) * 1e3, "search_ms": (t2 - t1) * 1e3,
                        "fuse_ms": (t3 - t2) * 1e3, "total_ms": (t3 - t0) * 1e3}
        return hits

    def _one_article_per_group(self, rows: list[int]) -> list[int]:
        """Near-duplicate copies count once: keep chunks of the first article seen per group."""
        chosen_article: dict[str, str] = {}
        out = []
        for r in rows:
            g, a = self.index.groups[r], self.index.article_ids[r]
            if chosen_article.setdefault(g, a) == a:
                out.append(r)
        return out

    def _recency(self, rows: list[int]) -> np.ndarray:
        ymd = self.index.ymd[rows]
        newest = int(self.index.ymd.max())
        def days(v: int) -> float:
            if v <= 0:
                return 3650.0
            d = date(v // 10000, v // 100 % 100, v % 100)
            return (date(newest // 10000, newest // 100 % 100, newest % 100) - d).days
        return np.asarray([0.5 ** (days(int(v)) / self.recency_half_life_days) for v in ymd])

    def _hits(self, rows: list[int], sims: dict, bm25: dict, scores: dict) -> list[Hit]:
        ids = [self.index.ids[r] for r in rows]
        res = self.store.chunks.get(ids=ids, include=["documents", "metadatas"])
        by_id = {cid: (doc, m) for cid, doc, m in zip(res["ids"], res["documents"], res["metadatas"])}
        hits = []
        for r, cid in zip(rows, ids):
            if cid not in by_id:
                continue
            doc, m = by_id[cid]
            hits.append(Hit(
                chunk_id=cid, article_id=m["article_id"], title=m.get("title", ""), text=doc,
                start=m["start"], end=m["end"], published_at=m.get("published_at"),
                source=m.get("source"), url=m.get("url"), dup_group=m.get("dup_group", ""),
                similarity=sims[r], bm25=bm25.get(r, 0.0), score=scores[r],
            ))
        return hits


def mmr(relevance: np.ndarray, vectors: np.ndarray, k: int, lam: float) -> list[int]:
    """Maximal marginal relevance: indices of ``k`` items, relevant but not redundant."""
    n = len(relevance)
    if n == 0:
        return []
    chosen = [int(np.argmax(relevance))]
    max_sim = vectors @ vectors[chosen[0]]
    while len(chosen) < min(k, n):
        score = lam * relevance - (1 - lam) * max_sim
        score[chosen] = -np.inf
        nxt = int(np.argmax(score))
        chosen.append(nxt)
        max_sim = np.maximum(max_sim, vectors @ vectors[nxt])
    return chosen
