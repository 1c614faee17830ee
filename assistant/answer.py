"""The answer chain: condense -> retrieve -> (refuse | generate) -> verify -> renumber -> fallback."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .cite import ContextSource, compose, source_texts
from .errors import ModelError
from .extractive import Coverage, choose, rank_passages
from .llm import ChatModel
from .prompts import load_prompt
from .records import Answer
from .retrieve import Filters, Retriever
from .settings import Settings
from .verify import QUESTION_WORDS, SentenceCheck, Verifier, content_words

REFUSAL = "The sources don't contain the answer to this question."
_REFUSAL_HINT = re.compile(r"(?i)\b(cannot|can't|can not|unable to) answer\b|sources don'?t (contain|say)|"
                           r"not (mentioned|stated|provided) in the sources")
_FOLLOW_UP = re.compile(r"(?i)\b(he|she|they|them|him|his|her|hers|their|theirs|it|its|the same)\b"
                        r"|^\s*(and|also|then|what about|how about)\b")


@dataclass
class AnswerChain:
    retriever: Retriever
    verifier: Verifier
    chat: ChatModel | None
    settings: Settings
    max_sentences: int = 3
    extractive_min_score: float = 0.45

    @property
    def backend(self) -> str:
        return self.chat.name if self.chat else "extractive"

    # --- 1. condense ------------------------------------------------------------------------
    def condense(self, question: str, history: list[dict] | None) -> str:
        """A follow-up becomes a standalone query. The model rewrites it when there is one; the
        rewrite is kept only if it still carries the follow-up's own words, else (and for the
        extractive backend) the previous user turn is prepended for retrieval."""
        users = [m["content"] for m in (history or []) if m.get("role") == "user"]
        if not users or not (_FOLLOW_UP.search(question) or len(question.split()) <= 3):
            return question
        fallback = f"{users[-1]} {question}"
        if self.chat is None:
            return fallback
        convo = "\n".join(f"{m['role']}: {m['content']}" for m in (history or [])[-6:])
        messages = load_prompt("condense", self.settings.prompts_dir).render(history=convo, question=question)
        try:
            out = self.chat.complete(messages, max_tokens=60, temperature=0.0).text.strip().split("\n")[0]
        except ModelError:
            return fallback
        own = content_words(question, drop=QUESTION_WORDS)
        if not out or len(out) > 300 or (own and not own & content_words(out)):
            return fallback
        return out

    # --- 2.-6. -----------------------------------------------------------------------------
    def run(self, question: str, history: list[dict] | None = None, filters: Filters | None = None,
            k: int | None = None, on_delta: Callable[[str], None] | None = None) -> Answer:
        s = self.settings
        t0 = time.perf_counter()
        timings: dict[str, float] = {}
        standalone = self.condense(question, history)
        timings["condense_ms"] = (time.perf_counter() - t0) * 1e3
        hits = self.retriever.search(standalone, k or s.top_k, filters)
        timings["retrieve_ms"] = self.retriever.timings.get("total_ms", 0.0)
        base = dict(question=question, standalone_question=standalone if standalone != question else None,
                    backend=self.backend, settings_hash=s.fingerprint())
        if not hits or max(h.similarity for h in hits) < s.min_relevance:
            timings["total_ms"] = (time.perf_counter() - t0) * 1e3
            return Answer(answer=REFUSAL, answerable=False, timings=timings, **base)

        sources = {n: ContextSource.from_hit(h) for n, h in enumerate(hits, start=1)}
        texts = source_texts(sources)
        usage: dict = {}
        fallback_reason = None
        checks: list[SentenceCheck] = []
        dropped: list[int] = []
        generated: dict = {}
        if self.chat is not None:
            t1 = time.perf_counter()
            messages = load_prompt("answer", s.prompts_dir).render(
                sources="\n\n".join(src.block(n) for n, src in sources.items()),
                question=standalone, max_sentences=self.max_sentences, refusal=REFUSAL)
            try:
                text, usage = self._generate(messages, on_delta)
            except ModelError as e:
                text, fallback_reason = "", f"model error: {e}"
            timings["generate_ms"] = (time.perf_counter() - t1) * 1e3
            t2 = time.perf_counter()
            if text and _REFUSAL_HINT.search(text):
                generated = {"generated": text, "generated_supported": 0.0}
                fallback_reason = "the model said the sources lack the answer; checked extractively"
            elif text:
                checks = self.verifier.check_text(text, texts)
                dropped = sorted({n for c in checks for n in c.dropped})
                supported = sum(c.supported for c in checks)
                generated = {"generated": text, "generated_supported": supported / len(checks) if checks else 0.0}
                if supported < max(1, s.min_supported_sentences):
                    fallback_reason = "no generated sentence passed citation verification"
            timings["verify_ms"] = (time.perf_counter() - t2) * 1e3
        if self.chat is None or fallback_reason:
            t3 = time.perf_counter()
            checks = self.extractive(standalone, texts, {n: h.similarity for n, h in enumerate(hits, start=1)})
            timings["extractive_ms"] = (time.perf_counter() - t3) * 1e3
            if not checks:
                timings["total_ms"] = (time.perf_counter() - t0) * 1e3
                return Answer(answer=REFUSAL, answerable=False, timings=timings, usage=usage,
                              fallback_used=bool(fallback_reason), fallback_reason=fallback_reason,
                              dropped_citations=dropped, **generated, **base)
        text, sentences, citations = compose(checks, sources, s.flag_unsupported)
        timings["total_ms"] = (time.perf_counter() - t0) * 1e3
        return Answer(answer=text, answerable=True, sentences=sentences, citations=citations,
                      fallback_used=bool(fallback_reason), fallback_reason=fallback_reason,
                      dropped_citations=dropped, timings=timings, usage=usage, **generated, **base)

    def _generate(self, messages, on_delta) -> tuple[str, dict]:
        s = self.settings
        if on_delta is None:
            out = self.chat.complete(messages, max_tokens=s.llm_max_tokens, temperature=s.llm_temperature)
            return out.text, out.usage
        parts = []
        for delta in self.chat.stream(messages, max_tokens=s.llm_max_tokens, temperature=s.llm_temperature):
            parts.append(delta)
            on_delta(delta)
        return "".join(parts), dict(getattr(self.chat, "last_usage", {}) or {})

    def extractive(self, question: str, texts, similarity: dict[int, float] | None = None) -> list[SentenceCheck]:
        """Quoted source sentences, each cited and verified like generated text."""
        coverage = Coverage(question, texts)
        ranked = rank_passages(question, texts, self.verifier.embedder, coverage, similarity)
        picks = choose(question, ranked, texts, coverage, self.max_sentences + 1, self.extractive_min_score)
        out = []
        for p in picks:
            check = self.verifier.check_sentence(f"{texts[p.n].text[p.start:p.end]} [{p.n}]", texts)
            if check.supported:
                out.append(check)
        return out


def stream_answer(chain: AnswerChain, question: str, **kw) -> Iterator[str | Answer]:
    """Text deltas as the model writes them, then the verified ``Answer``."""
    import queue
    import threading

    q: queue.Queue = queue.Queue()
    result: dict = {}

    def work():
        try:
            result["answer"] = chain.run(question, on_delta=q.put, **kw)
        except BaseException as e:  # re-raised in the caller's thread
            result["error"] = e
        finally:
            q.put(None)

    threading.Thread(target=work, daemon=True).start()
    while (item := q.get()) is not None:
        yield item
    if "error" in result:
        raise result["error"]
    yield result["answer"]
