"""The Python API: one ``Assistant`` that the CLI and the UI also call.

Collaborators (embedder, chat model, store) can be injected; otherwise they are
built from ``Settings`` on first use (never at import).
"""

from __future__ import annotations

import threading
from pathlib import Path

from .chunk import Chunker
from .embed import Embedder, build_embedder
from .ingest import Ingestor, Progress
from .records import IngestReport, StoredArticle
from .settings import Settings
from .store import Store, open_store


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

    # --- hooks for derived indexes (BM25) -------------------------------------------
    def _on_written_hooks(self) -> list:
        return []

    def _after_change(self) -> None:
        pass
