"""The Python API: one ``Assistant`` that the CLI and the UI also call.

Collaborators (embedder, chat model, store) can be injected; otherwise they are
built from ``Settings`` on first use (never at import).
"""

from __future__ import annotations

import threading
from pathlib import Path

from collections.abc import Iterator
from datetime import date

from .answer import AnswerChain, stream_answer
from .chunk import Chunker
from .embed import Embedder, build_embedder
from .index import SidecarIndex
from .ingest import Ingestor, Progress
from .llm import ChatModel, build_chat_model
from .records import Answer, IngestReport, StoredArticle
from .settings import Settings
from .retrieve import Filters, Hit, Reranker, Retriever
from .store import Store, open_store
from .verify import Verifier


class Assistant:
    def __init__(self, settings: Settings | None = None, *, embedder: Embedder | None = None,
                 store: Store | None = None, chat_model=None, **overrides):
        if settings is None:
            settings = Settings(**overrides)
        elif overrides:
            settings = settings.model_copy(update=overrides)
        self.settings = settings
        self._embedder = embedder
        self._store = store
        self._chat_model = chat_model
        self._chunker: Chunker | None = None
        self._index: SidecarIndex | None = None
        self._models: dict[str, ChatModel | None] = {}
        self.reranker: Reranker | None = None
        self._lock = threading.RLock()  # one writer at a time (UI users share an Assistant)

    # --- collaborators, built lazily ----------------------------------------------
    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = build_embedder(self.settings)
        return self._embedder

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = open_store(self.settings, self.embedder.name, self.embedder.dim)
        return self._store

    @property
    def chunker(self) -> Chunker:
        if self._chunker is None:
            s = self.settings
            self._chunker = Chunker(s.encoding, s.chunk_tokens, s.chunk_overlap)
        return self._chunker

    @property
    def index(self) -> SidecarIndex:
        if self._index is None:
            s = self.settings
            where = f"{s.chroma_host}-{s.chroma_port}-" if s.chroma_host else ""
            self._index = SidecarIndex(s.store_dir / f"sidecar-{where}{s.collection}",
                                       {**self.store.signature, "collection": s.collection})
        return self._index

    def chat_model(self, llm: str | None = None) -> ChatModel | None:
        """The chat model for a request (``None`` = extractive). An injected model is used unless
        the call names a backend; built models are cached per backend."""
        if llm is None and self._chat_model is not None:
            return self._chat_model
        llm = llm or self.settings.llm
        if llm == "extractive":
            return None
        if llm not in self._models:
            self._models[llm] = build_chat_model(self.settings.model_copy(update={"llm": llm}))
        return self._models[llm]

    def verifier(self) -> Verifier:
        return Verifier(self.embedder, self.settings.support_threshold)

    def answer_chain(self, llm: str | None = None, retrieval: str | None = None) -> AnswerChain:
        return AnswerChain(self.retriever(retrieval), self.verifier(), self.chat_model(llm), self.settings)

    def retriever(self, mode: str | None = None) -> Retriever:
        s = self.settings
        return Retriever(self.store, self.index, self.embedder, mode=mode or s.retrieval,
                         candidates=s.candidates, mmr_lambda=s.mmr_lambda,
                         recency_half_life_days=s.recency_half_life_days, reranker=self.reranker)

    def search(self, query: str, k: int | None = None, filters: Filters | None = None,
               mode: str | None = None) -> list[Hit]:
        with self._lock:
            return self.retriever(mode).search(query, k or self.settings.top_k, filters)

    # --- questions -------------------------------------------------------------------------
    def ask(self, question: str, history: list[dict] | None = None, *, since: date | None = None,
            until: date | None = None, sources: list[str] | None = None, k: int | None = None,
            llm: str | None = None, retrieval: str | None = None) -> Answer:
        """Answer ``question`` from the stored articles; every sentence cited and verified."""
        filters = Filters(since, until, sources) if (since or until or sources) else None
        return self.answer_chain(llm, retrieval).run(question, history, filters, k)

    def stream(self, question: str, history: list[dict] | None = None, *, since: date | None = None,
               until: date | None = None, sources: list[str] | None = None, k: int | None = None,
               llm: str | None = None) -> Iterator[str | Answer]:
        """Yields text deltas as the model writes, then the final verified ``Answer``."""
        filters = Filters(since, until, sources) if (since or until or sources) else None
        yield from stream_answer(self.answer_chain(llm), question, history=history, filters=filters, k=k)

    # --- ingestion -------------------------------------------------------------------
    def ingest(self, paths: list[str | Path], progress: Progress | None = None) -> IngestReport:
        s = self.settings
        with self._lock:
            ingestor = Ingestor(
                self.store, self.embedder, self.chunker,
                max_file_bytes=int(s.max_file_mb * 1e6), fetch_timeout=s.fetch_timeout,
                near_duplicate_threshold=s.near_duplicate_threshold,
                on_written=self._on_written_hooks(),
            )
            report = ingestor.run([str(p) for p in paths], progress=progress)
            self._after_change()
            return report

    def articles(self) -> list[StoredArticle]:
        return self.store.list_articles()

    def article(self, article_id: str) -> StoredArticle:
        return self.store.get_article(article_id)

    def remove(self, article_id: str) -> int:
        with self._lock:
            n = self.store.remove_article(article_id)
            self._after_change()
            return n

    # --- derived indexes (BM25, filter columns) follow every change ----------------------
    def _on_written_hooks(self) -> list:
        return []

    def _after_change(self) -> None:
        self.index.sync(self.store)
