"""Citations shared by answers, summaries and briefs: numbered context sources, verified
sentences, and the final renumbering (only cited sources, in order of first use)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .prompts import source_block
from .records import AnswerSentence, Citation, SentenceQuote
from .verify import SentenceCheck, SourceText


@dataclass
class ContextSource:
    """Source number n in a prompt: a chunk (answers) or an article's text (summaries, briefs)."""

    article_id: str
    title: str
    published_at: str | None
    url: str | None
    source: str | None
    chunk_id: str
    text: SourceText

    @classmethod
    def from_hit(cls, hit) -> "ContextSource":
        return cls(hit.article_id, hit.title, hit.published_at, hit.url, hit.source, hit.chunk_id,
                   SourceText(hit.text, hit.start))

    @classmethod
    def from_article(cls, a, text: str) -> "ContextSource":
        """A whole stored article as a source (summaries, briefs); offsets start at 0."""
        return cls(a.id, a.title, a.published_at, a.url, a.source, "", SourceText(text, 0))

    def with_text(self, text: str) -> "ContextSource":
        """The same source showing only ``text`` (a part of a long article, for a prompt)."""
        return ContextSource(self.article_id, self.title, self.published_at, self.url, self.source,
                             self.chunk_id, SourceText(text, 0))

    def block(self, n: int) -> str:
        return source_block(n, self.title, self.published_at, self.source, self.text.text)


def source_texts(sources: dict[int, ContextSource]) -> dict[int, SourceText]:
    return {n: s.text for n, s in sources.items()}


def _with_markers(claim: str, numbers: list[int], tag: str = "") -> str:
    """'Claim.' -> 'Claim [1][2].' (a tag such as '[unsupported]' goes where markers go)."""
    marks = "".join(f"[{m}]" for m in numbers) + tag
    if not marks:
        return claim
    m = re.search(r"([.!?]+['\"”’)]*)$", claim)
    if m:
        return f"{claim[:m.start()]} {marks}{claim[m.start():]}"
    return f"{claim} {marks}."


def compose(checks: list[SentenceCheck], sources: dict[int, ContextSource], flag_unsupported: bool = False,
            chunk_of=None) -> tuple[str, list[AnswerSentence], list[Citation]]:
    """Keep supported sentences (or flag the others), renumber citations by first use.

    ``chunk_of(article_id, offset)`` names the chunk holding a quote when sources are whole articles.
    """
    renumber: dict[int, int] = {}
    sentences: list[AnswerSentence] = []
    citations: list[Citation] = []
    parts: list[str] = []
    for c in checks:
        if not c.supported and not flag_unsupported:
            continue
        nums = []
        quotes = []
        for q in c.quotes:
            if q.n not in renumber:
                renumber[q.n] = len(renumber) + 1
                src = sources[q.n]
                chunk_id = src.chunk_id or (chunk_of(src.article_id, q.start) if chunk_of else "")
                citations.append(Citation(
                    n=renumber[q.n], article_id=src.article_id, title=src.title,
                    published_at=src.published_at, url=src.url, source=src.source,
                    chunk_id=chunk_id, quote=q.quote, start=q.start, end=q.end))
            if renumber[q.n] not in nums:
                nums.append(renumber[q.n])
            quotes.append(SentenceQuote(n=renumber[q.n], quote=q.quote, start=q.start, end=q.end, score=q.score))
        text = _with_markers(c.claim, nums)
        sentences.append(AnswerSentence(text=text, citations=nums, supported=c.supported,
                                        support=round(c.support, 3), attributed=c.attributed, quotes=quotes))
        parts.append(text if c.supported else _with_markers(c.claim, nums, "[unsupported]"))
    return " ".join(parts), sentences, citations
