"""Ingestion: inputs -> parse -> ids/dedup -> chunk -> embed -> store.

One bad file, record or URL is reported in ``IngestReport.errors`` and the rest
of the batch goes on. Chunks are embedded in batches that span articles (the
model runs on full, length-sorted batches), then written article by article.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from .chunk import Chunker
from .dedup import DuplicateIndex, article_id, content_hash, encode_minhash, minhash
from .embed import Embedder
from .errors import InputError
from .parse import expand_inputs, parse_source
from .records import Article, Chunk, IngestError, IngestReport
from .store import Store

log = logging.getLogger(__name__)
Progress = Callable[[str, int, int], None]  # (current input, done, total)


def embed_input(title: str, chunk_text: str) -> str:
    """What is embedded for a chunk: the article title gives each chunk its context."""
    return f"{title}\n{chunk_text}"


@dataclass
class _Pending:
    article: Article
    chunks: list[Chunk]
    minhash: str


@dataclass
class Ingestor:
    store: Store
    embedder: Embedder
    chunker: Chunker
    max_file_bytes: int = 20_000_000
    fetch_timeout: float = 15.0
    near_duplicate_threshold: float = 0.6
    flush_chunks: int = 256

    def run(self, inputs: list[str], progress: Progress | None = None) -> IngestReport:
        """Parse, chunk and write in this thread while one worker embeds the previous batch
        (onnxruntime releases the GIL): embedding overlaps everything else. Batches are
        written in order, so a crash leaves the same state as the sequential pipeline."""
        report = IngestReport()
        dups = DuplicateIndex.from_keys(self.store.article_keys(), self.near_duplicate_threshold)
        sources = list(expand_inputs(inputs))
        pending: list[_Pending] = []
        in_flight: tuple[list[_Pending], Future] | None = None
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="embed") as pool:
            def submit(batch: list[_Pending]) -> None:
                nonlocal in_flight
                texts = [embed_input(p.article.title, c.text) for p in batch for c in p.chunks]
                nxt = (batch, pool.submit(self.embedder.embed_batch, texts)) if batch else None
                if in_flight:
                    self._write(*in_flight, report)
                in_flight = nxt

            for n, src in enumerate(sources):
                if progress:
                    progress(src, n, len(sources))
                parsed = parse_source(src, self.max_file_bytes, self.fetch_timeout)
                report.errors.extend(IngestError(path=e.path, error=e.reason) for e in parsed.errors)
                for art in parsed.articles:
                    if self._prepare(art, dups, report, pending) and \
                            sum(len(p.chunks) for p in pending) >= self.flush_chunks:
                        submit(pending)
                        pending = []
            submit(pending)
            submit([])  # write the last batch
        if progress:
            progress("", len(sources), len(sources))
        if not sources:
            report.errors.append(IngestError(path=" ".join(inputs) or "(none)",
                                             error="no input files found"))
        return report

    def _prepare(self, art: Article, dups: DuplicateIndex, report: IngestReport,
                 pending: list[_Pending]) -> bool:
        art.content_hash = content_hash(art.text)
        art.id = article_id(art.id, art.url, art.text)
        if dups.is_exact_duplicate(art.id, art.content_hash):
            report.duplicates += 1
            return False
        m = minhash(art.text)
        group = dups.group_for(m)
        if group:
            report.near_duplicates += 1
        art.dup_group = group or art.id
        dups.add(art.id, art.content_hash, art.dup_group, m)
        chunks = self.chunker.chunk(art.id, art.text)
        if not chunks:
            report.errors.append(IngestError(path=art.origin, error="article has no text to index"))
            return False
        pending.append(_Pending(art, chunks, encode_minhash(m)))
        return True

    def _write(self, batch: list[_Pending], vectors: Future, report: IngestReport) -> None:
        vecs = vectors.result()
        items, pos = [], 0
        for p in batch:
            items.append((p.article, p.chunks, vecs[pos:pos + len(p.chunks)], p.minhash))
            pos += len(p.chunks)
        self.store.add_articles(items)
        report.articles_added += len(batch)
        report.chunks_added += pos
        report.article_ids.extend(p.article.id for p in batch)


__all__ = ["Ingestor", "InputError", "embed_input"]
