"""Hybrid retrieval over a real store: filters, persistence of the BM25 sidecar, near-duplicate
groups counted once, and MMR."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from assistant.corpora import bbc_records, write_jsonl
from assistant.retrieve import Filters, mmr
from conftest import SAMPLES, TITLE_13, TITLE_14


@pytest.fixture(scope="module")
def bbc_store(tmp_path_factory, embedder):
    """60 BBC articles plus the samples, dated over three days."""
    from assistant.api import Assistant
    from assistant.settings import Settings

    tmp = tmp_path_factory.mktemp("bbc")
    recs = bbc_records(limit=60)
    for i, r in enumerate(recs):
        r["published_at"] = f"2024-03-0{1 + i % 3}T09:00:00Z"
    write_jsonl(recs, tmp / "bbc.jsonl")
    a = Assistant(Settings(store_dir=tmp / "store", llm="extractive"), embedder=embedder)
    a.ingest([tmp / "bbc.jsonl", SAMPLES])
    return a, recs


@pytest.mark.parametrize("mode", ["dense", "bm25", "hybrid"])
def test_each_mode_finds_the_article(bbc_store, mode):
    a, recs = bbc_store
    target = recs[7]
    hits = a.search(target["title"], k=5, mode=mode)
    assert target["id"] in [h.article_id for h in hits][:3]


def test_hybrid_has_both_signals_and_offsets(bbc_store):
    a, _ = bbc_store
    hits = a.search("coronavirus infections in Libya", k=4)
    assert hits[0].title == TITLE_14 and hits[0].similarity > 0.3 and hits[0].bm25 > 0
    art = a.article(hits[0].article_id)
    assert art.text[hits[0].start:hits[0].end] == hits[0].text


def test_date_and_source_filters(bbc_store):
    a, recs = bbc_store
    day2 = Filters(since=date(2024, 3, 2), until=date(2024, 3, 2))
    for mode in ("dense", "bm25", "hybrid"):
        hits = a.search("economy growth shares profit", k=8, filters=day2, mode=mode)
        assert hits and all(h.published_at.startswith("2024-03-02") for h in hits)
    hits = a.search("Haftar", k=5, filters=Filters(sources=["Bloomberg"]))
    assert {h.title for h in hits} <= {TITLE_13, TITLE_14} and hits
    assert a.search("Haftar", filters=Filters(since=date(2030, 1, 1))) == []


def test_index_persists_updates_on_ingest_and_removal_not_per_query(make_assistant, tmp_path):
    a = make_assistant()
    a.ingest([SAMPLES])
    meta = a.index.dir / "meta.json"
    stamp = meta.stat().st_mtime_ns
    for _ in range(3):
        a.search("Haftar")
    assert meta.stat().st_mtime_ns == stamp  # queries never rebuild it
    b = make_assistant()  # a new process: loads the index from disk
    assert len(b.index) == len(a.index) == a.store.chunk_count()
    assert b.index.bm25 is not None
    victim = next(x for x in a.articles() if x.title == TITLE_13)
    a.remove(victim.id)
    assert len(a.index) == a.store.chunk_count()
    assert all(h.article_id != victim.id for h in a.search("Sabrata Sorman capture", mode="bm25"))


def test_index_catches_up_with_writes_by_another_process(make_assistant, tmp_path):
    a = make_assistant()
    a.ingest([SAMPLES])
    write_jsonl(bbc_records(limit=3), tmp_path / "more.jsonl")
    other = make_assistant()  # writes without `a` knowing
    other.ingest([tmp_path / "more.jsonl"])
    a._index = None
    a.search("anything at all")
    assert len(a.index) == a.store.chunk_count()


def test_near_duplicate_copies_count_once(make_assistant, tmp_path):
    rec = bbc_records(limit=1)[0]
    copies = [{**rec, "id": f"c{i}", "source": f"Outlet {i}",
               "text": rec["text"] + ("" if i == 0 else f"\n\nEdited by desk {i}.")} for i in range(3)]
    write_jsonl(copies + bbc_records(limit=10)[1:], tmp_path / "c.jsonl")
    a = make_assistant()
    a.ingest([tmp_path / "c.jsonl"])
    hits = a.search(rec["title"], k=6)
    groups = [h.dup_group for h in hits]
    assert sum(g == "c0" for g in groups) >= 1
    assert len({h.article_id for h in hits if h.dup_group == "c0"}) == 1


def test_mmr_prefers_diverse_items():
    v = np.array([[1, 0], [0.99, 0.141], [0, 1]], dtype=np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    assert mmr(np.array([1.0, 0.95, 0.6]), v, 2, 0.5) == [0, 2]
    assert mmr(np.array([1.0, 0.95, 0.6]), v, 2, 1.0) == [0, 1]


class ReverseReranker:
    """A reranker of our protocol: puts the last hit first (so its effect is visible)."""

    def __init__(self):
        self.calls = 0

    def rerank(self, query, hits):
        self.calls += 1
        return list(reversed(hits))


def test_reranker_plugs_in(bbc_store):
    a, _ = bbc_store
    plain = a.search("Haftar offensive Tripoli", k=4)
    rr = ReverseReranker()
    a.reranker = rr
    try:
        reranked = a.search("Haftar offensive Tripoli", k=4)
    finally:
        a.reranker = None
    assert rr.calls == 1 and [h.chunk_id for h in reranked] == [h.chunk_id for h in reversed(plain)]


def test_recency_weighting_prefers_newer_copies_of_a_topic(make_assistant, tmp_path):
    base, other = bbc_records(limit=2)
    paras = base["text"].split("\n\n")
    old = {**base, "id": "old", "published_at": "2024-01-01T09:00:00Z"}
    new = {**base, "id": "new", "published_at": "2024-03-01T09:00:00Z",  # same lead, another ending:
           "text": "\n\n".join(paras[:2] + other["text"].split("\n\n")[2:])}  # not a near-duplicate
    write_jsonl([old, new], tmp_path / "t.jsonl")
    a = make_assistant()
    a.ingest([tmp_path / "t.jsonl"])
    assert {x.dup_group for x in a.articles()} == {"old", "new"}
    assert {h.article_id for h in a.search(base["title"], k=4)} == {"old", "new"}
    weighted = make_assistant(recency_half_life_days=7)
    assert weighted.search(base["title"], k=1)[0].article_id == "new"
