"""Verify stage: every sentence must cite a source in the context that contains a supporting span.

Support score (our own measure, not an entailment model): for a claim and a candidate span
(one to three consecutive sentences of the cited source),
- every number and every named entity of the claim must appear in the span (numbers
  exactly), else the score is 0; when no single span holds them all, a span joined with one
  more sentence holding the rest may support the claim together (both are quoted);
- 0.5 × content-word recall (the claim's content words found in the span, stemmed)
  + 0.2 × named-entity recall (capitalised words, not sentence-initial)
  + 0.3 × cosine similarity of the two embeddings (clipped at 0).
A verbatim sentence scores 1.0. The best span becomes the citation's quote, with its
character offsets in the stored article text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import Stemmer
from pydantic import BaseModel

from .embed import Embedder
from .sentences import split_sentences

STOPWORDS = set("""a about above after again against all also am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further had has have having he
her here hers herself him himself his how i if in into is it its itself just me more most my myself no nor not now of
off on once only or other our ours ourselves out over own same she should so some such than that the their theirs
them themselves then there these they this those through to too under until up very was we were what when where
which while who whom why will with would you your yours yourself yourselves said says say told according also
would could may might must shall one ones per via yet s t d ll re ve m don didn doesn isn wasn weren aren won""".split())
QUESTION_WORDS = frozenset({"what", "which", "who", "whom", "whose", "when", "where", "why", "how", "many", "much",
                            "did", "does", "do", "is", "are", "was", "were", "tell", "me", "about", "name", "list"})

_WORD = re.compile(r"[A-Za-z][A-Za-z'’\-]*|\d[\d,]*(?:\.\d+)?")
_NUMBER = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?")
MIN_CLAIM_WORDS = 3  # fewer content words than this is not a statement a source can support
MARKERS = re.compile(r"\s*\[(\d+(?:\s*[,;]\s*\d+)*)\]")


_STEMMER = Stemmer.Stemmer("english")


@lru_cache(maxsize=100_000)
def stem(word: str) -> str:
    """Snowball stem of a lower-cased word without its possessive ("Haftar's" -> "haftar")."""
    w = re.sub(r"['’]s?$", "", word.lower())
    return _STEMMER.stemWord(w)


@lru_cache(maxsize=65536)
def content_words(text: str, drop: frozenset[str] = frozenset()) -> frozenset[str]:
    return frozenset(stem(w) for w in _WORD.findall(text)
                     if w.lower() not in STOPWORDS and w.lower() not in drop and not w[0].isdigit())


@lru_cache(maxsize=65536)
def numbers(text: str) -> frozenset[str]:
    out = set()
    for n in _NUMBER.findall(text):
        n = n.replace(",", "").rstrip(".")
        if "." in n:
            n = n.rstrip("0").rstrip(".")
        out.add(n)
    return frozenset(out)


@lru_cache(maxsize=65536)
def entities(text: str) -> frozenset[str]:
    """Capitalised words that do not start a sentence: a cheap stand-in for named entities."""
    words = _WORD.findall(text)
    out = set()
    for i, w in enumerate(words):
        if w[0].isupper() and i > 0 and w.lower() not in STOPWORDS:
            out.add(stem(w))
    return frozenset(out)


def strip_markers(sentence: str) -> str:
    s = MARKERS.sub("", sentence)
    return re.sub(r"\s+([.,;:!?])", r"\1", s).strip()


def normalize_markers(text: str) -> str:
    """'Claim. [1] Next' -> 'Claim [1]. Next' so a marker stays with the sentence it follows."""
    return re.sub(r"([.!?])((?:\s*\[\d+(?:\s*[,;]\s*\d+)*\])+)", lambda m: m.group(2) + m.group(1), text)


def marker_numbers(sentence: str) -> list[int]:
    out: list[int] = []
    for group in MARKERS.findall(sentence):
        for n in re.split(r"\s*[,;]\s*", group):
            if int(n) not in out:
                out.append(int(n))
    return out


class Quote(BaseModel):
    n: int  # the context source number it was checked against
    quote: str
    start: int  # offsets in the stored article text
    end: int
    score: float


class SentenceCheck(BaseModel):
    text: str  # the sentence as shown (markers renumbered later)
    claim: str  # without markers
    cited: list[int] = []  # context numbers the model cited
    dropped: list[int] = []  # cited numbers outside the context
    quotes: list[Quote] = []  # supporting spans, one per supported citation
    support: float = 0.0
    supported: bool = False
    attributed: bool = False  # the model gave no marker; the verifier found the supporting source


@dataclass
class SourceText:
    """A context source: its text and where that text starts in the stored article."""

    text: str
    offset: int
    sentences: list[tuple[int, int]] = field(default_factory=list)
    spans: list[tuple[int, int]] = field(default_factory=list)  # runs of 1-3 sentences

    def __post_init__(self):
        self.sentences = sents = split_sentences(self.text)
        self.spans = [(sents[i][0], sents[i + w - 1][1]) for w in (1, 2, 3) for i in range(len(sents) - w + 1)]


class Verifier:
    def __init__(self, embedder: Embedder | None, threshold: float = 0.55, candidates: int = 3):
        self.embedder = embedder
        self.threshold = threshold
        self.candidates = candidates
        self._vec_cache: dict[str, np.ndarray] = {}

    def _vectors(self, texts: list[str]) -> list[np.ndarray]:
        todo = [t for t in dict.fromkeys(texts) if t not in self._vec_cache]
        if todo and self.embedder is not None:
            for t, v in zip(todo, self.embedder.embed_batch(todo)):
                self._vec_cache[t] = v
        return [self._vec_cache.get(t) for t in texts]

    @staticmethod
    def missing(claim: str, span: str) -> set[str]:
        """Numbers and named entities of the claim that the span lacks (each must be there)."""
        return (numbers(claim) - numbers(span)) | (entities(claim) - content_words(span))

    @staticmethod
    def lexical(claim: str, span: str) -> float | None:
        """Lexical part of the score; None when a number or entity of the claim is missing."""
        if Verifier.missing(claim, span):
            return None
        cw = content_words(claim)
        lex = len(cw & content_words(span)) / len(cw) if cw else 0.0
        return 0.5 * lex + 0.2 * (1.0 if entities(claim) else lex)

    def score(self, claim: str, span: str) -> float:
        lex = self.lexical(claim, span)
        if lex is None:
            return 0.0
        if _norm(claim) == _norm(span):
            return 1.0
        cv, sv = self._vectors([claim, span])
        sim = float(np.dot(cv, sv)) if cv is not None and sv is not None else 0.0
        return lex + 0.3 * max(sim, 0.0)

    def best_support(self, claim: str, source: SourceText,
                     extra: list[SourceText] | None = None) -> tuple[float, list[tuple[SourceText, int, int]]]:
        """(score, spans) of the best support in ``source``: one span, or when no single span holds
        every number and entity of the claim, that span joined with one more sentence (of
        ``source`` or of ``extra`` sources) holding the rest."""
        scored, partial = [], []
        needed = len(self.missing(claim, ""))
        for s, e in source.spans:
            text = source.text[s:e]
            lex = self.lexical(claim, text)
            if lex is not None:
                scored.append((lex, s, e))
            elif len(self.missing(claim, text)) < needed:
                partial.append((s, e))
        best: tuple[float, list] = (0.0, [])
        scored.sort(key=lambda x: (-x[0], x[2] - x[1]))
        for _, s, e in scored[: self.candidates]:
            sc = self.score(claim, source.text[s:e])
            if sc > best[0] + 1e-9:
                best = (sc, [(source, s, e)])
        if best[1]:
            return best
        # joint support: a partial span of this source + one sentence covering what it lacks
        pool = [(src, s, e) for src in [source] + list(extra or []) for s, e in src.sentences]
        partial.sort(key=lambda se: (len(self.missing(claim, source.text[se[0]:se[1]])), se[1] - se[0]))
        for s, e in partial[: self.candidates]:
            lacking = self.missing(claim, source.text[s:e])
            for src2, s2, e2 in pool:
                if src2 is source and s2 < e and s < e2:
                    continue
                if self.missing(claim, src2.text[s2:e2]) & lacking == lacking:
                    continue
                joined = source.text[s:e] + " " + src2.text[s2:e2]
                sc = self.score(claim, joined)
                if sc > best[0] + 1e-9:
                    best = (sc, [(source, s, e), (src2, s2, e2)])
        return best

    def check_sentence(self, sentence: str, sources: dict[int, SourceText]) -> SentenceCheck:
        cited = marker_numbers(sentence)
        claim = strip_markers(sentence)
        check = SentenceCheck(text=sentence, claim=claim,
                              cited=[n for n in cited if n in sources],
                              dropped=[n for n in cited if n not in sources])
        if len(content_words(claim)) < MIN_CLAIM_WORDS:  # "PWNED", "Yes." : nothing to check
            return check
        cited_texts = [sources[n] for n in check.cited]
        for n in check.cited:
            sc, spans = self.best_support(claim, sources[n], [t for t in cited_texts if t is not sources[n]])
            check.support = max(check.support, sc)
            if sc >= self.threshold:
                self._add_quotes(check, sources, spans, sc)
        if not cited and not check.dropped:
            self._attribute(check, sources)
        check.supported = bool(check.quotes)
        return check

    def _attribute(self, check: SentenceCheck, sources: dict[int, SourceText]) -> None:
        """A sentence the model left uncited gets the best supporting source, if one passes."""
        best: tuple[float, list] = (0.0, [])
        for src in sources.values():
            sc, spans = self.best_support(check.claim, src, [t for t in sources.values() if t is not src])
            if sc > best[0]:
                best = (sc, spans)
        check.support = best[0]
        if best[0] >= self.threshold:
            self._add_quotes(check, sources, best[1], best[0])
            check.attributed = True

    @staticmethod
    def _add_quotes(check: SentenceCheck, sources: dict[int, SourceText], spans, score: float) -> None:
        number_of = {id(t): n for n, t in sources.items()}
        for src, s, e in spans:
            n = number_of[id(src)]
            if not any(q.n == n and q.start == src.offset + s for q in check.quotes):
                check.quotes.append(Quote(n=n, quote=src.text[s:e], start=src.offset + s,
                                          end=src.offset + e, score=round(score, 3)))

    def check_text(self, text: str, sources: dict[int, SourceText]) -> list[SentenceCheck]:
        text = normalize_markers(text.strip())
        return [self.check_sentence(text[s:e], sources) for s, e in split_sentences(text)
                if strip_markers(text[s:e])]


def _norm(s: str) -> str:
    return " ".join(re.findall(r"\w+", s.lower()))
