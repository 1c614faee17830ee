"""The Python API: one ``Assistant`` that the CLI and the UI also call.

Collaborators (embedder, chat model, store) can be injected; otherwise they are
built from ``Settings`` on first use (never at import).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from .answer import AnswerChain, stream_answer
from .brief import build_brief, latest_day
from .chunk import Chunker
from .cite import ContextSource
from .embed import Embedder, build_embedder
from .errors import NotFoundError
from .index import SidecarIndex
from .ingest import Ingestor, Progress
from .llm import ChatModel, build_chat_model
from .records import Answer, Brief, IngestReport, StoredArticle, Summary
from .retrieve import Filters, Hit, Reranker, Retriever
from .routing import route
from .settings import Settings
from .store import Store, open_store
from .summarize import LENGTHS, Summarizer
from .verify import QUESTION_WORDS, Verifier, content_words


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

    # --- summaries and briefs ---------------------------------------------------------------
    def summarizer(self, llm: str | None = None) -> Summarizer:
        s = self.settings
        chat = self.chat_model(llm)
        context = s.local_n_ctx - s.llm_max_tokens - 200 if (llm or s.llm) == "local" else s.summary_context_tokens
        return Summarizer(self.verifier(), chat, s.prompts_dir, self.chunker.count, context_tokens=context,
                          max_tokens=s.llm_max_tokens, temperature=s.llm_temperature,
                          min_supported=max(1, s.min_supported_sentences), chunk_of=self.store.chunk_of)

    def select_articles(self, ids: list[str] | None = None, query: str | None = None,
                        since: date | None = None, until: date | None = None,
                        sources: list[str] | None = None, limit: int = 60) -> list[StoredArticle]:
        """Articles to summarize: by id; or matching a topic; or in a time window (optionally with a
        topic and outlets). One article per near-duplicate group (the earliest)."""
        if ids:
            found = self.store.get_articles(ids)
            missing = [i for i in ids if i not in found]
            if missing:
                raise NotFoundError(f"no article with id {', '.join(map(repr, missing))} in the store")
            chosen = [found[i] for i in ids]
        else:
            everything = self.articles()
            if query:
                filters = Filters(since, until, sources) if (since or until or sources) else None
                hits = self.retriever().search(query, self.settings.candidates, filters)
                best: dict[str, float] = {}
                for h in hits:
                    best[h.article_id] = max(best.get(h.article_id, 0.0), h.similarity)
                top = max(best.values(), default=0.0)
                keep = {a for a, v in best.items() if v >= max(self.settings.min_relevance + 0.1, 0.7 * top)}
                # ... or it names every content word of the topic ("Haftar", "fighting around Tripoli")
                topic = content_words(query, drop=QUESTION_WORDS)
                if topic:
                    texts = self.store.get_articles([a for a in best if a not in keep])
                    keep |= {i for i, t in texts.items() if topic <= content_words(f"{t.title} {t.text}")}
                chosen = [a for a in everything if a.id in keep]
            else:
                lo, hi = since.isoformat() if since else "", until.isoformat() if until else "9999"
                wanted = {x.lower() for x in sources} if sources else None
                chosen = [a for a in everything if a.published_at and lo <= a.published_at[:10] <= hi
                          and (wanted is None or (a.source or "").lower() in wanted)]
        by_group: dict[str, StoredArticle] = {}
        for a in sorted(chosen, key=lambda a: (a.published_at or "9999", a.id)):
            by_group.setdefault(a.dup_group or a.id, a)
        return sorted(by_group.values(), key=lambda a: (a.published_at or "", a.id))[:limit]

    def summarize(self, ids: list[str] | None = None, *, query: str | None = None, since: date | None = None,
                  until: date | None = None, sources: list[str] | None = None, length: str = "short",
                  llm: str | None = None) -> Summary:
        """Summarize whole articles (by id, topic and/or time window), every sentence cited."""
        if length not in LENGTHS:
            raise ValueError(f"length must be one of {', '.join(LENGTHS)}")
        picked = self.select_articles(ids, query, since, until, sources)
        base = dict(length=length, query=query, since=since.isoformat() if since else None,
                    until=until.isoformat() if until else None, settings_hash=self.settings.fingerprint())
        summarizer = self.summarizer(llm)
        if not picked:
            return Summary(text="No stored articles match this request.", backend=summarizer.backend, **base)
        full = self.store.get_articles([a.id for a in picked])
        srcs = {n: ContextSource.from_article(a, full[a.id].text or "") for n, a in enumerate(picked, start=1)}
        draft = summarizer.summarize(srcs, LENGTHS[length], focus=query)
        text = draft.text
        if length == "bullets":
            text = "\n".join(f"- {s.text}" for s in draft.sentences)
        return Summary(text=text, sentences=draft.sentences, citations=draft.citations,
                       article_ids=[a.id for a in picked], backend=draft.backend,
                       fallback_used=draft.fallback_used, fallback_reason=draft.fallback_reason,
                       parts=draft.parts, timings=draft.timings, **base)

    def brief(self, date: date | None = None, *, since: date | None = None, until: date | None = None,
              llm: str | None = None) -> Brief:
        """The day's stories, clustered, de-duplicated and cited. Without a date: the latest day
        that has articles (the brief says so)."""
        chosen = None
        articles = self.articles()
        if date:
            since = until = date
        elif not (since or until):
            since = until = latest_day(articles)
            chosen = "the latest day with articles" if since else "no dated articles in the store"
        if since is None and until is None:
            return Brief(chosen=chosen, backend=self.summarizer(llm).backend)
        since, until = since or until, until or since
        b = build_brief(self.store, self.summarizer(llm), since, until, chosen=chosen, all_articles=articles)
        b.settings_hash = self.settings.fingerprint()
        return b

    def chat(self, message: str, history: list[dict] | None = None, *, llm: str | None = None,
             since: date | None = None, until: date | None = None, sources: list[str] | None = None,
             today: date | None = None) -> Answer:
        """The chat entry point: summary requests are routed to ``summarize``, the rest to ``ask``.
        A routed summary comes back in the ``Answer`` shape with ``route="summary"``."""
        r = route(message, today=today)
        if r.kind == "answer":
            return self.ask(message, history, since=since, until=until, sources=sources, llm=llm)
        summ = self.summarize(query=r.query, since=r.since or since, until=r.until or until, sources=sources, llm=llm)
        return Answer(question=message, answer=summ.text, answerable=bool(summ.citations), sentences=summ.sentences,
                      citations=summ.citations, backend=summ.backend, fallback_used=summ.fallback_used,
                      fallback_reason=summ.fallback_reason, timings=summ.timings, settings_hash=summ.settings_hash,
                      route="summary", standalone_question=_describe(r))

    # --- ingestion -------------------------------------------------------------------
    def ingest(self, paths: list[str | Path], progress: Progress | None = None) -> IngestReport:
        s = self.settings
        with self._lock:
            ingestor = Ingestor(
                self.store, self.embedder, self.chunker,
                max_file_bytes=int(s.max_file_mb * 1e6), fetch_timeout=s.fetch_timeout,
                near_duplicate_threshold=s.near_duplicate_threshold,
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
    def _after_change(self) -> None:
        self.index.sync(self.store)


def _describe(r) -> str:
    what = f"articles about {r.query!r}" if r.query else "all articles"
    if r.since and r.until and r.since == r.until:
        what += f" published on {r.since.isoformat()}"
    elif r.since or r.until:
        what += f" published {r.since or '…'} to {r.until or '…'}"
    return f"summary of {what}"
