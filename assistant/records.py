"""Typed records passed between the stages."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class Article(BaseModel):
    """A clean article, as parsed (``id`` is filled in by ingestion)."""

    id: str = ""
    title: str
    text: str
    published_at: datetime | None = None
    author: str | None = None
    source: str | None = None
    url: str | None = None
    origin: str = ""  # the file or URL it came from
    # set by ingestion
    content_hash: str = ""
    dup_group: str = ""

    @property
    def published_ymd(self) -> int | None:
        d = self.published_at
        return d.year * 10000 + d.month * 100 + d.day if d else None


class Chunk(BaseModel):
    id: str  # "<article_id>:<n>"
    article_id: str
    index: int
    text: str  # == article.text[start:end]
    start: int
    end: int
    tokens: int


class StoredArticle(BaseModel):
    """An article as listed from the store."""

    id: str
    title: str
    published_at: str | None = None
    source: str | None = None
    url: str | None = None
    author: str | None = None
    chunks: int = 0
    dup_group: str = ""
    canonical: bool = True
    text: str | None = None


class IngestError(BaseModel):
    path: str
    error: str


class IngestReport(BaseModel):
    articles_added: int = 0
    duplicates: int = 0
    chunks_added: int = 0
    errors: list[IngestError] = Field(default_factory=list)
    near_duplicates: int = 0  # added, but grouped with an existing story
    article_ids: list[str] = Field(default_factory=list)

    def public(self) -> dict:
        """Exactly the keys `assistant ingest --json` prints."""
        return self.model_dump(include={"articles_added", "duplicates", "chunks_added", "errors"})


class Citation(BaseModel):
    """A numbered source of an answer, brief or summary, with the span that supports it."""

    n: int
    article_id: str
    title: str
    published_at: str | None = None
    url: str | None = None
    source: str | None = None
    chunk_id: str
    quote: str
    start: int  # character offsets of the quote in the stored article text
    end: int


class SentenceQuote(BaseModel):
    n: int
    quote: str
    start: int
    end: int
    score: float


class AnswerSentence(BaseModel):
    text: str
    citations: list[int] = Field(default_factory=list)
    supported: bool
    support: float
    attributed: bool = False  # citation found by the verifier, not written by the model
    quotes: list[SentenceQuote] = Field(default_factory=list)


class Answer(BaseModel):
    question: str
    answer: str
    answerable: bool
    sentences: list[AnswerSentence] = Field(default_factory=list)
    citations: list[Citation] = Field(default_factory=list)
    backend: str
    fallback_used: bool = False
    fallback_reason: str | None = None
    standalone_question: str | None = None
    dropped_citations: list[int] = Field(default_factory=list)
    generated: str | None = None  # the model's text before verification (None: no model ran)
    generated_supported: float | None = None  # share of its sentences the verifier supported
    timings: dict = Field(default_factory=dict)
    usage: dict = Field(default_factory=dict)
    settings_hash: str = ""
    route: str = "answer"  # "answer" or "summary" (chat requests routed to summarization)


class Summary(BaseModel):
    text: str
    sentences: list[AnswerSentence] = Field(default_factory=list)
    citations: list[Citation] = Field(default_factory=list)
    article_ids: list[str] = Field(default_factory=list)  # the articles that were read
    backend: str
    fallback_used: bool = False
    fallback_reason: str | None = None
    length: str = "short"
    query: str | None = None
    since: str | None = None
    until: str | None = None
    parts: int = 0  # model calls of the map-reduce
    timings: dict = Field(default_factory=dict)
    settings_hash: str = ""


class Story(BaseModel):
    headline: str
    summary: str
    sentences: list[AnswerSentence] = Field(default_factory=list)
    citations: list[int] = Field(default_factory=list)  # numbers in Brief.citations
    article_ids: list[str] = Field(default_factory=list)  # one per distinct article (primaries)
    duplicates: list[str] = Field(default_factory=list)  # near-duplicate copies folded into them
    also_reported_by: list[str] = Field(default_factory=list)  # outlets of those copies
    key_figures: list[dict] = Field(default_factory=list)
    published_at: str | None = None  # latest article of the story


class Brief(BaseModel):
    date: str | None = None
    since: str | None = None
    until: str | None = None
    chosen: str | None = None  # why this window ("latest day with articles")
    stories: list[Story] = Field(default_factory=list)
    citations: list[Citation] = Field(default_factory=list)
    undated: list[dict] = Field(default_factory=list)  # {id, title}: left out, no date
    articles: int = 0
    backend: str = ""
    fallback_used: bool = False
    timings: dict = Field(default_factory=dict)
    settings_hash: str = ""
