"""Store stage: Chroma, embedded on disk (``PersistentClient``) or a server (``HttpClient``).

Two collections:
- ``<name>-chunks``: one record per chunk (id ``<article_id>:<n>``), its vector, its
  text and metadata (article_id, title, source, url, published_at, published_ymd,
  chunk, start, end, dup_group).
- ``<name>-articles``: one record per article: the full stored text (quotes are
  checked against it), metadata, and the mean of its chunk vectors.

An article's chunks are written before its article record; the article record is
the commit marker. A re-run after a crash rewrites the same chunk ids (upsert),
so the store ends exactly as after an uninterrupted run.

Both collections carry the signature of the embedder and chunking that built
them; opening them with other settings raises ``IndexMismatchError``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import chromadb
import numpy as np
from chromadb.config import Settings as ChromaSettings

from .errors import IndexMismatchError, NotFoundError, StoreError
from .records import Article, Chunk, StoredArticle

SIGNATURE_KEYS = ("embedder", "dim", "encoding", "chunk_tokens", "chunk_overlap", "chunker")
_BATCH = 2000  # below Chroma's max batch size (5,461)


def make_client(settings) -> chromadb.api.ClientAPI:
    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    try:
        if settings.chroma_host:
            return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port,
                                       settings=chroma_settings)
        settings.store_dir.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(settings.store_dir), settings=chroma_settings)
    except Exception as e:  # chromadb raises ValueError/ConnectionError/... depending on backend
        where = (f"Chroma server {settings.chroma_host}:{settings.chroma_port}"
                 if settings.chroma_host else f"store {settings.store_dir}")
        raise StoreError(f"cannot open {where}: {e}") from e


def _clean_meta(meta: dict) -> dict:
    """Chroma metadata values must be str/int/float/bool: drop the empty ones."""
    return {k: v for k, v in meta.items() if v is not None and v != ""}


@dataclass
class ArticleKey:
    """What duplicate detection needs to know about a stored article."""

    id: str
    content_hash: str
    dup_group: str
    minhash: str
    published_at: str | None
    ingested_at: float


class Store:
    def __init__(self, client, name: str, signature: dict):
        self.client = client
        self.name = name
        self.signature = {k: signature[k] for k in SIGNATURE_KEYS}
        try:
            self.chunks = self._collection(f"{name}-chunks")
            self.articles = self._collection(f"{name}-articles")
        except IndexMismatchError:
            raise
        except Exception as e:
            raise StoreError(f"cannot open collections `{name}-*`: {e}") from e

    def _collection(self, cname: str):
        col = self.client.get_or_create_collection(
            cname, configuration={"hnsw": {"space": "cosine"}},
            metadata={"built_with": "news-assistant", **self.signature}, embedding_function=None,
        )
        found = {k: (col.metadata or {}).get(k) for k in SIGNATURE_KEYS}
        if found != self.signature:
            if col.count() == 0:  # an empty index can take new settings
                col.modify(metadata={"built_with": "news-assistant", **self.signature})
                return col
            diff = ", ".join(f"{k}: index has {found[k]!r}, settings say {self.signature[k]!r}"
                             for k in SIGNATURE_KEYS if found[k] != self.signature[k])
            raise IndexMismatchError(
                f"collection `{cname}` was built with other settings ({diff}). Use the settings "
                "it was built with, or another store (--store DIR / ASSISTANT_STORE_DIR) or "
                "collection (ASSISTANT_COLLECTION) for the new ones; vectors are never mixed."
            )
        return col

    # --- reading -------------------------------------------------------------
    def article_count(self) -> int:
        return self.articles.count()

    def chunk_count(self) -> int:
        return self.chunks.count()

    def article_keys(self) -> list[ArticleKey]:
        res = self.articles.get(include=["metadatas"])
        return [ArticleKey(i, m.get("content_hash", ""), m.get("dup_group", i), m.get("minhash", ""),
                           m.get("published_at"), float(m.get("ingested_at", 0)))
                for i, m in zip(res["ids"], res["metadatas"])]

    @staticmethod
    def _stored(aid: str, m: dict, text: str | None = None) -> StoredArticle:
        return StoredArticle(
            id=aid, title=m.get("title", ""), published_at=m.get("published_at"),
            source=m.get("source"), url=m.get("url"), author=m.get("author"),
            chunks=int(m.get("n_chunks", 0)), dup_group=m.get("dup_group", aid), text=text,
        )

    def list_articles(self) -> list[StoredArticle]:
        res = self.articles.get(include=["metadatas"])
        items = [self._stored(i, m) for i, m in zip(res["ids"], res["metadatas"])]
        canon = canonical_members(
            (a.id, a.dup_group, a.published_at, float(m.get("ingested_at", 0)))
            for a, m in zip(items, res["metadatas"])
        )
        for a in items:
            a.canonical = canon.get(a.dup_group) == a.id
        items.sort(key=lambda a: (a.published_at or "", a.title), reverse=True)
        return items

    def get_articles(self, ids: list[str]) -> dict[str, StoredArticle]:
        if not ids:
            return {}
        res = self.articles.get(ids=list(dict.fromkeys(ids)), include=["metadatas", "documents"])
        return {i: self._stored(i, m, d) for i, m, d in zip(res["ids"], res["metadatas"], res["documents"])}

    def get_article(self, aid: str) -> StoredArticle:
        found = self.get_articles([aid])
        if aid not in found:
            raise NotFoundError(f"no article with id {aid!r} in the store")
        return found[aid]

    def article_vectors(self, ids: list[str]) -> dict[str, np.ndarray]:
        if not ids:
            return {}
        res = self.articles.get(ids=ids, include=["embeddings"])
        return {i: np.asarray(e, dtype=np.float32) for i, e in zip(res["ids"], res["embeddings"])}

    def chunk_of(self, aid: str, offset: int) -> str:
        """Id of the chunk of article ``aid`` that holds character ``offset``."""
        res = self.chunks.get(where={"article_id": aid}, include=["metadatas"])
        best = ""
        for cid, m in sorted(zip(res["ids"], res["metadatas"]), key=lambda x: x[1]["start"]):
            if m["start"] <= offset < m["end"]:
                return cid
            if m["start"] <= offset:
                best = cid
        return best

    def iter_chunks(self, include_embeddings: bool = False, page: int = 5000) -> Iterator[dict]:
        """Every chunk: id, text, metadata (and vector), page by page."""
        include = ["documents", "metadatas"] + (["embeddings"] if include_embeddings else [])
        offset = 0
        while True:
            res = self.chunks.get(include=include, limit=page, offset=offset)
            if not res["ids"]:
                return
            for n, cid in enumerate(res["ids"]):
                yield {"id": cid, "text": res["documents"][n], "meta": res["metadatas"][n],
                       "embedding": res["embeddings"][n] if include_embeddings else None}
            offset += len(res["ids"])

    # --- writing -------------------------------------------------------------
    def add_articles(self, items: list[tuple[Article, list[Chunk], np.ndarray, str]]) -> None:
        """Write articles: all their chunks first, then the article records (the commit markers).

        ``items`` holds ``(article, chunks, chunk_vectors, minhash)``; one batched upsert per
        collection keeps Chroma's per-call cost (index update, commit) off the per-article path.
        """
        ids, docs, vecs, metas = [], [], [], []
        a_ids, a_docs, a_vecs, a_metas = [], [], [], []
        now = time.time()
        for article, chunks, vectors, minhash in items:
            base = _clean_meta({
                "article_id": article.id, "title": article.title, "source": article.source,
                "url": article.url,
                "published_at": article.published_at.isoformat() if article.published_at else None,
                "published_ymd": article.published_ymd, "dup_group": article.dup_group,
            })
            for c, v in zip(chunks, vectors):
                ids.append(c.id)
                docs.append(c.text)
                vecs.append(v)
                metas.append({**base, "chunk": c.index, "start": c.start, "end": c.end, "tokens": c.tokens})
            mean = vectors.mean(axis=0)
            a_ids.append(article.id)
            a_docs.append(article.text)
            a_vecs.append(mean / (np.linalg.norm(mean) or 1.0))
            a_metas.append({**base, **_clean_meta({
                "author": article.author, "origin": article.origin,
                "content_hash": article.content_hash, "minhash": minhash,
                "n_chunks": len(chunks), "ingested_at": now,
            })})
        try:
            for b in range(0, len(ids), _BATCH):
                self.chunks.upsert(ids=ids[b:b + _BATCH], documents=docs[b:b + _BATCH],
                                   embeddings=np.asarray(vecs[b:b + _BATCH]), metadatas=metas[b:b + _BATCH])
            for b in range(0, len(a_ids), _BATCH):
                self.articles.upsert(ids=a_ids[b:b + _BATCH], documents=a_docs[b:b + _BATCH],
                                     embeddings=np.asarray(a_vecs[b:b + _BATCH]),
                                     metadatas=a_metas[b:b + _BATCH])
        except Exception as e:
            raise StoreError(f"writing {len(a_ids)} article(s) failed: {e}") from e

    def remove_article(self, aid: str) -> int:
        """Delete an article and its chunks; returns the number of chunks removed."""
        if not self.articles.get(ids=[aid], include=[])["ids"]:
            raise NotFoundError(f"no article with id {aid!r} in the store")
        ids = self.chunks.get(where={"article_id": aid}, include=[])["ids"]
        if ids:
            self.chunks.delete(ids=ids)
        self.articles.delete(ids=[aid])
        return len(ids)


def canonical_members(rows) -> dict[str, str]:
    """group -> id of its canonical member: earliest published, then first ingested."""
    best: dict[str, tuple] = {}
    for aid, group, published, ingested in rows:
        key = (published is None, published or "", ingested, aid)
        if group not in best or key < best[group][0]:
            best[group] = (key, aid)
    return {g: v[1] for g, v in best.items()}


def open_store(settings, embedder_name: str, dim: int) -> Store:
    signature = {"embedder": embedder_name, "dim": dim, **settings.chunking_signature()}
    return Store(make_client(settings), settings.collection, signature)
