"""Summaries of whole articles (never top-k fragments), cited and verified like answers.

With a model: the selected articles are packed into parts that fit the model's context
(tiktoken counts; an article longer than a part is split at paragraph boundaries), each
part is summarized (map), the verified part summaries are merged (reduce), and every
sentence of the result is verified against the whole article texts. With no model, or
when too little survives verification: an extractive summary of the most central
sentences (TF-IDF degree centrality + lead position + topic focus), one story told once
across near-duplicate copies.
"""

from __future__ import annotations

import math
import re
import time
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from .cite import ContextSource, compose, source_texts
from .errors import ModelError
from .llm import ChatModel
from .prompts import load_prompt
from .records import AnswerSentence, Citation
from .verify import QUESTION_WORDS, SentenceCheck, SourceText, Verifier, content_words

LENGTHS = {"short": 3, "medium": 6, "long": 12, "bullets": 5}
PROMPT_OVERHEAD_TOKENS = 350  # system prompt, separators, numbering


@dataclass
class SummaryDraft:
    text: str
    sentences: list[AnswerSentence]
    citations: list[Citation]
    backend: str
    fallback_used: bool = False
    fallback_reason: str | None = None
    parts: int = 0  # map calls
    timings: dict = field(default_factory=dict)


@dataclass
class Summarizer:
    verifier: Verifier
    chat: ChatModel | None
    prompts_dir: object
    count_tokens: object  # str -> int (tiktoken)
    context_tokens: int = 3000  # room for sources in one model call
    max_tokens: int = 300
    temperature: float = 0.0
    min_supported: int = 1
    chunk_of: object = None  # (article_id, offset) -> chunk id

    @property
    def backend(self) -> str:
        return self.chat.name if self.chat else "extractive"

    def summarize(self, sources: dict[int, ContextSource], max_sentences: int, focus: str | None = None,
                  map_prompt: str = "summarize_map") -> SummaryDraft:
        t0 = time.perf_counter()
        texts = source_texts(sources)
        reason = None
        parts = 0
        checks: list[SentenceCheck] = []
        if self.chat is not None:
            try:
                checks, parts = self._map_reduce(sources, max_sentences, focus, map_prompt)
                if sum(c.supported for c in checks) < self.min_supported:
                    reason = "no generated sentence passed citation verification"
            except ModelError as e:
                reason = f"model error: {e}"
        if self.chat is None or reason:
            checks = self.extractive(texts, max_sentences, focus)
        text, sentences, citations = compose(checks, sources, chunk_of=self.chunk_of)
        return SummaryDraft(text, sentences, citations, self.backend, fallback_used=bool(reason),
                            fallback_reason=reason, parts=parts,
                            timings={"total_ms": (time.perf_counter() - t0) * 1e3})

    # --- model path ---------------------------------------------------------------------------
    def _parts(self, sources: dict[int, ContextSource]) -> list[list[tuple[int, str]]]:
        """Pack (source number, text segment) pairs into parts within the token budget."""
        budget = max(200, self.context_tokens - PROMPT_OVERHEAD_TOKENS)
        segments: list[tuple[int, str, int]] = []
        for n, src in sources.items():
            paras, cur, cur_tokens = src.text.text.split("\n\n"), [], 0
            for p in paras:
                t = self.count_tokens(p) + 2
                if cur and cur_tokens + t > budget:
                    segments.append((n, "\n\n".join(cur), cur_tokens))
                    cur, cur_tokens = [], 0
                cur.append(p[: budget * 3])  # a single giant paragraph is cut
                cur_tokens += min(t, budget)
            if cur:
                segments.append((n, "\n\n".join(cur), cur_tokens))
        parts: list[list[tuple[int, str]]] = []
        used = budget + 1
        for n, seg, t in segments:
            if used + t + 30 > budget:
                parts.append([])
                used = 0
            parts[-1].append((n, seg))
            used += t + 30
        return parts

    def _map_reduce(self, sources, max_sentences, focus, map_prompt) -> tuple[list[SentenceCheck], int]:
        texts = source_texts(sources)
        focus_line = (f"Focus on: {focus}." if focus else "Cover the most important facts.")
        partials: list[str] = []
        parts = self._parts(sources)
        for part in parts:
            blocks = "\n\n".join(sources[n].with_text(seg).block(n) for n, seg in part)
            values = {"sources": blocks, "max_sentences": max_sentences}
            if map_prompt != "brief_story":
                values["focus"] = focus_line
            messages = load_prompt(map_prompt, self.prompts_dir).render(**values)
            out = self.chat.complete(messages, max_tokens=self.max_tokens, temperature=self.temperature)
            kept = [c for c in self.verifier.check_text(out.text, texts) if c.supported]
            partials.extend(_cited_sentence(c) for c in kept)
        if len(parts) > 1 and partials:
            messages = load_prompt("summarize_reduce", self.prompts_dir).render(
                summaries="\n".join(f"- {p}" for p in partials), max_sentences=max_sentences, focus=focus_line)
            out = self.chat.complete(messages, max_tokens=self.max_tokens, temperature=self.temperature)
            checks = [c for c in self.verifier.check_text(out.text, texts) if c.supported]
            if not checks:  # the merge broke the citations: keep the verified part summaries
                checks = [c for c in self.verifier.check_text(" ".join(partials), texts) if c.supported]
        else:
            checks = [c for c in self.verifier.check_text(" ".join(partials), texts) if c.supported]
        return _dedupe(checks)[:max_sentences], len(parts) + (1 if len(parts) > 1 else 0)

    # --- extractive path ----------------------------------------------------------------------
    def extractive(self, texts: dict[int, SourceText], max_sentences: int, focus: str | None = None) -> list[SentenceCheck]:
        cands = [(n, s, e) for n, src in texts.items() for s, e in src.sentences
                 if len(src.text[s:e].split()) >= 6]
        if not cands:
            return []
        scores, sim = centrality([texts[n].text[s:e] for n, s, e in cands])
        position: dict[int, int] = Counter()
        for i, (n, s, e) in enumerate(cands):
            pos = position[n]
            position[n] += 1
            scores[i] += 0.15 / (1 + pos)  # news puts the essentials first
        if focus:
            fw = content_words(focus, drop=QUESTION_WORDS)
            if fw:
                cov = np.array([len(fw & content_words(texts[n].text[s:e])) / len(fw) for n, s, e in cands])
                scores = scores * (0.3 + cov)
        order = list(np.argsort(-scores))
        chosen: list[int] = []
        # one sentence from each of the best sources first (a multi-article summary covers them), then fill
        per_source_best: dict[int, int] = {}
        for i in order:
            per_source_best.setdefault(cands[i][0], i)
        firsts = sorted(per_source_best.values(), key=lambda i: -scores[i])
        for i in firsts + order:
            if len(chosen) >= max_sentences:
                break
            if i in chosen or any(sim[i, j] > 0.5 for j in chosen):
                continue
            chosen.append(i)
        picks = sorted(chosen, key=lambda i: (list(texts).index(cands[i][0]), cands[i][1]))
        out = []
        for i in picks:
            n, s, e = cands[i]
            check = self.verifier.check_sentence(f"{texts[n].text[s:e]} [{n}]", texts)
            if check.supported:
                out.append(check)
        return out


def _cited_sentence(c: SentenceCheck) -> str:
    nums = "".join(f"[{q.n}]" for q in c.quotes)
    return re.sub(r"([.!?]?)$", lambda m: f" {nums}{m.group(1) or '.'}", c.claim, count=1)


def _dedupe(checks: list[SentenceCheck]) -> list[SentenceCheck]:
    seen, out = set(), []
    for c in checks:
        key = frozenset(content_words(c.claim))
        if key in seen:
            continue
        seen.add(key)
        out.append(c)
    return out


def centrality(sentences: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """TF-IDF degree centrality (LexRank without the random walk) and the similarity matrix."""
    words = [Counter(content_words(s)) for s in sentences]
    df = Counter(w for ws in words for w in ws)
    vocab = {w: i for i, w in enumerate(df)}
    n = len(sentences)
    m = np.zeros((n, len(vocab)), dtype=np.float32)
    for i, ws in enumerate(words):
        for w, c in ws.items():
            m[i, vocab[w]] = c * math.log(1 + n / df[w])
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    m /= np.where(norms == 0, 1, norms)
    sim = m @ m.T
    np.fill_diagonal(sim, 0)
    degree = (sim > 0.1).sum(axis=1).astype(np.float32)
    return degree / max(1.0, degree.max()), sim


def key_figures(sentences: list[AnswerSentence], limit: int = 3) -> list[dict]:
    """Numbers with the words that say what they count, from the verified quotes."""
    out, seen = [], set()
    pat = re.compile(r"((?:[$£€])?\d[\d,.]*%?(?:\s?(?:million|billion|thousand|bn|m))?)\s+((?:[A-Za-z][\w-]*\s?){1,3})")
    for s in sentences:
        for q in s.quotes:
            for m in pat.finditer(q.quote):
                fig = f"{m.group(1)} {m.group(2).strip()}"
                if m.group(1) in seen or re.fullmatch(r"(19|20)\d\d", m.group(1)):
                    continue
                seen.add(m.group(1))
                out.append({"figure": fig, "citation": q.n})
                if len(out) >= limit:
                    return out
    return out
