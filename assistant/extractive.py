"""The extractive backend (and every fallback): quote the source sentences that best answer
the question. No model writes anything, so nothing can be invented; the sentences still
go through the verifier like any answer.

Passages (runs of one to three consecutive sentences) are scored against the question:
0.5 × IDF-weighted share of the question's content words the passage contains
+ 0.35 × cosine(question, passage), plus a small boost when the question's type asks for
what the passage has (a number for "how many", a date for "when"), minus a little per
extra sentence.
Answers often span neighbouring sentences ("The capture of Sabrata was announced …
Konunu also said they took the town of Sorman"), which a per-sentence score misses.
From the best passages, the sentences that carry the question's words are quoted.
Below ``min_score`` nothing is relevant enough and the caller refuses.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from .embed import Embedder
from .verify import QUESTION_WORDS, SourceText, content_words, entities, numbers

_DATE_WORDS = re.compile(r"(?i)\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday|january|february|"
                         r"march|april|may|june|july|august|september|october|november|december|\d{4}|"
                         r"yesterday|today|last (?:week|month|year))\b")
MAX_PASSAGE = 3


@dataclass
class Pick:
    n: int  # context source number
    start: int  # offsets within the source text
    end: int
    score: float


@dataclass
class Passage:
    n: int
    sentences: list[tuple[int, int]]
    score: float = 0.0


def wants(question: str) -> str | None:
    q = question.lower()
    if re.search(r"\bhow (many|much)\b|\bwhat (number|percentage|share)\b", q):
        return "number"
    if q.startswith("when") or "what date" in q or "what day" in q:
        return "date"
    if q.startswith(("who", "whom")):
        return "entity"
    return None


def _has(kind: str | None, text: str) -> bool:
    if kind == "number":
        return bool(numbers(text))
    if kind == "date":
        return bool(_DATE_WORDS.search(text))
    if kind == "entity":
        return bool(entities(text))
    return False


class Coverage:
    """IDF-weighted share of the question's content words in a text (IDF over the context's sentences)."""

    def __init__(self, question: str, sources: dict[int, SourceText]):
        self.qwords = content_words(question, drop=QUESTION_WORDS)
        sent_words = [content_words(src.text[s:e]) for src in sources.values() for s, e in src.sentences]
        n = max(1, len(sent_words))
        self.idf = {w: math.log(1 + n / (1 + sum(w in ws for ws in sent_words))) for w in self.qwords}
        self.total = sum(self.idf.values()) or 1.0

    def __call__(self, text: str) -> float:
        return sum(self.idf[w] for w in self.qwords & content_words(text)) / self.total


def windows(n: int, src: SourceText) -> list[Passage]:
    """Every run of one to three consecutive sentences of a source (across paragraphs:
    an anaphoric paragraph, "The securing of the cities …", needs the one before it)."""
    sents = src.sentences
    return [Passage(n, sents[i:i + w]) for w in range(1, MAX_PASSAGE + 1) for i in range(len(sents) - w + 1)]


def rank_passages(question: str, sources: dict[int, SourceText], embedder: Embedder, coverage: Coverage,
                  source_similarity: dict[int, float] | None = None, shortlist: int = 6) -> list[Passage]:
    """Two stages: all windows scored by IDF-weighted coverage of the question's words (IDF over
    the context's sentences) and their chunk's similarity (known from retrieval); then the
    ``shortlist`` best re-scored with their own embedding (embedding is the costly part)."""
    kind = wants(question)
    sims = source_similarity or {}
    cands: list[tuple[Passage, str, float]] = []
    for n, src in sources.items():
        for p in windows(n, src):
            text = src.text[p.sentences[0][0]:p.sentences[-1][1]]
            cov = coverage(text)
            boost = (0.1 if _has(kind, text) else (-0.05 if kind == "number" else 0.0)) if kind else 0.0
            extra = 0.5 * cov + boost - 0.05 * (len(p.sentences) - 1)
            p.score = 0.3 * sims.get(n, 0.5) + extra
            cands.append((p, text, extra))
    if not cands:
        return []
    cands.sort(key=lambda c: -c[0].score)
    top = cands[:shortlist]
    # overlapping windows share sentences: embed each sentence once, a window is their mean
    unique = list(dict.fromkeys((p.n, s, e) for p, _, _ in top for s, e in p.sentences))
    vecs = embedder.embed_batch([question] + [sources[n].text[s:e] for n, s, e in unique])
    vec_of = dict(zip(unique, vecs[1:]))
    for p, _, extra in top:
        v = np.mean([vec_of[(p.n, s, e)] for s, e in p.sentences], axis=0)
        p.score = 0.35 * float(v @ vecs[0] / (np.linalg.norm(v) or 1.0)) + extra
    return sorted((p for p, _, _ in top), key=lambda p: -p.score)


def choose(question: str, ranked: list[Passage], sources: dict[int, SourceText], coverage: Coverage,
           max_sentences: int, min_score: float, relative: float = 0.85, max_passages: int = 2) -> list[Pick]:
    """Sentences of the best passages that carry the question's words (or the asked-for kind)."""
    if not ranked or ranked[0].score < min_score:
        return []
    kind = wants(question)
    best = ranked[0].score
    picks: list[Pick] = []
    seen: set[tuple[int, int, int]] = set()
    seen_text: set[str] = set()
    used = 0
    for p in ranked:
        if used >= max_passages or p.score < max(min_score, relative * best):
            break
        src = sources[p.n]
        cov = {(s, e): coverage(src.text[s:e]) for s, e in p.sentences}
        top = max(cov.values())
        kept = [(s, e) for s, e in p.sentences
                if (cov[(s, e)] > 0 and cov[(s, e)] >= 0.5 * top) or _has(kind, src.text[s:e])]
        kept = [(s, e) for s, e in kept if (p.n, s, e) not in seen]
        if not kept:
            continue
        used += 1
        for s, e in kept:
            key = " ".join(sorted(content_words(src.text[s:e])))
            if key in seen_text:
                continue
            seen.add((p.n, s, e))
            seen_text.add(key)
            picks.append(Pick(p.n, s, e, p.score))
    picks = picks[:max_sentences]
    order = {n: i for i, n in enumerate(dict.fromkeys(p.n for p in picks))}
    return sorted(picks, key=lambda p: (order[p.n], p.start))
