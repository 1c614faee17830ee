"""Brief stage: the day's (or window's) articles as ranked stories, each a cited paragraph.

1. Articles published in the window; undated ones are left out and listed.
2. Near-duplicate copies (the ingestion groups) fold into their earliest member.
3. The remaining articles cluster into stories: single-link over article vectors (mean of
   chunk vectors) with title overlap as a second signal.
4. Stories rank by how many articles cover them (copies included), then recency.
5. Each story is summarized from its articles' whole texts (``Summarizer``, prompt
   ``brief_story``), verified, and renumbered into one citation list for the brief.
"""

from __future__ import annotations

import re
import time
from datetime import date

import numpy as np

from .cite import ContextSource
from .records import Brief, Citation, Story, StoredArticle
from .store import Store
from .summarize import Summarizer, key_figures
from .verify import content_words

LINK_COSINE = 0.78  # articles this similar are one story
LINK_COSINE_WITH_TITLE = 0.55  # ... or this similar with overlapping titles
TITLE_OVERLAP = 0.25


def day_of(a: StoredArticle) -> str | None:
    return a.published_at[:10] if a.published_at else None


def latest_day(articles: list[StoredArticle]) -> date | None:
    days = [day_of(a) for a in articles if a.published_at]
    return date.fromisoformat(max(days)) if days else None


def _title_overlap(a: str, b: str) -> float:
    wa, wb = content_words(a), content_words(b)
    return len(wa & wb) / len(wa | wb) if wa and wb else 0.0


def cluster(primaries: list[StoredArticle], vectors: dict[str, np.ndarray]) -> list[list[StoredArticle]]:
    parent = list(range(len(primaries)))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(primaries)):
        for j in range(i + 1, len(primaries)):
            vi, vj = vectors.get(primaries[i].id), vectors.get(primaries[j].id)
            cos = float(vi @ vj) if vi is not None and vj is not None else 0.0
            if cos >= LINK_COSINE or (cos >= LINK_COSINE_WITH_TITLE and
                                      _title_overlap(primaries[i].title, primaries[j].title) >= TITLE_OVERLAP):
                parent[find(i)] = find(j)
    groups: dict[int, list[StoredArticle]] = {}
    for i, a in enumerate(primaries):
        groups.setdefault(find(i), []).append(a)
    return list(groups.values())


def build_brief(store: Store, summarizer: Summarizer, since: date, until: date,
                chosen: str | None = None, max_sentences: int = 3,
                all_articles: list[StoredArticle] | None = None) -> Brief:
    t0 = time.perf_counter()
    if all_articles is None:
        all_articles = store.list_articles()
    lo, hi = since.isoformat(), until.isoformat()
    window = [a for a in all_articles if a.published_at and lo <= day_of(a) <= hi]
    brief = Brief(since=lo, until=hi, date=lo if lo == hi else None, chosen=chosen,
                  undated=[{"id": a.id, "title": a.title} for a in all_articles if not a.published_at],
                  articles=len(window), backend=summarizer.backend)
    # near-duplicate copies fold into the earliest member within the window
    groups: dict[str, list[StoredArticle]] = {}
    for a in sorted(window, key=lambda a: (a.published_at, a.id)):
        groups.setdefault(a.dup_group, []).append(a)
    primaries = [g[0] for g in groups.values()]
    copies = {g[0].id: g[1:] for g in groups.values()}
    vectors = store.article_vectors([a.id for a in primaries])
    stories = cluster(primaries, vectors)
    stories.sort(key=lambda s: (-sum(1 + len(copies[a.id]) for a in s), -max(_ts(a) for a in s)))
    texts = store.get_articles([a.id for a in primaries])
    key_to_n: dict[tuple, int] = {}
    for members in stories:
        members.sort(key=lambda a: a.published_at)
        sources = {n: ContextSource.from_article(a, texts[a.id].text or "") for n, a in enumerate(members, start=1)}
        draft = summarizer.summarize(sources, max_sentences, map_prompt="brief_story")
        brief.fallback_used |= draft.fallback_used
        local_to_global = {}
        for c in draft.citations:
            key = (c.article_id, c.start, c.end)
            if key not in key_to_n:
                key_to_n[key] = len(brief.citations) + 1
                brief.citations.append(Citation(**{**c.model_dump(), "n": key_to_n[key]}))
            local_to_global[c.n] = key_to_n[key]
        renumber = lambda m: f"[{local_to_global.get(int(m.group(1)), m.group(1))}]"  # noqa: E731
        sentences = [s.model_copy(update={
            "text": re.sub(r"\[(\d+)\]", renumber, s.text),
            "citations": [local_to_global[n] for n in s.citations],
            "quotes": [q.model_copy(update={"n": local_to_global[q.n]}) for q in s.quotes]}) for s in draft.sentences]
        dups = [c for a in members for c in copies[a.id]]
        vecs = [vectors[a.id] for a in members if a.id in vectors]
        lead = members[0]
        if len(vecs) > 1:
            centroid = np.mean(vecs, axis=0)
            lead = max(members, key=lambda a: float(vectors[a.id] @ centroid) if a.id in vectors else -1)
        brief.stories.append(Story(
            headline=lead.title, summary=re.sub(r"\[(\d+)\]", renumber, draft.text), sentences=sentences,
            citations=sorted({n for s in sentences for n in s.citations}),
            article_ids=[a.id for a in members], duplicates=[d.id for d in dups],
            also_reported_by=[d.source or d.id for d in dups], key_figures=[
                {**f, "citation": local_to_global.get(f["citation"], f["citation"])}
                for f in key_figures(draft.sentences)],
            published_at=max(a.published_at for a in members),
        ))
    brief.timings = {"total_ms": (time.perf_counter() - t0) * 1e3}
    return brief


def _ts(a: StoredArticle) -> float:
    from datetime import datetime

    try:
        return datetime.fromisoformat(a.published_at).timestamp()
    except (TypeError, ValueError):
        return 0.0
