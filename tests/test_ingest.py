"""Ingestion into a real Chroma store (temp dirs) with the real embedded model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from assistant.chunk import Chunker
from assistant.cli import main as cli_main
from assistant.corpora import bbc_records, write_jsonl
from assistant.errors import IndexMismatchError, NotFoundError
from conftest import ROOT, SAMPLES, TITLE_13, TITLE_14, free_port, running_server

BOILERPLATE = ["Terms of Service", "Do Not Sell My Info", "WTI Crude", "FACEBOOK INC-A", "Photographer:"]


def snapshot(assistant) -> dict:
    """Everything stored, for exact before/after comparisons."""
    st = assistant.store
    chunks = st.chunks.get(include=["documents", "metadatas"])
    arts = st.articles.get(include=["documents", "metadatas"])
    strip = lambda m: json.dumps({k: v for k, v in m.items() if k != "ingested_at"}, sort_keys=True)  # noqa: E731
    return {
        "chunks": sorted(zip(chunks["ids"], chunks["documents"], map(strip, chunks["metadatas"]))),
        "articles": sorted(zip(arts["ids"], arts["documents"], map(strip, arts["metadatas"]))),
    }


def test_samples_are_stored_clean_with_metadata(samples_assistant):
    a = samples_assistant
    listed = {x.title: x for x in a.articles()}
    assert set(listed) == {TITLE_14, TITLE_13}
    assert listed[TITLE_14].published_at.startswith("2020-04-14")
    assert listed[TITLE_14].author == "Samer Al-Atrush" and listed[TITLE_13].author == "Mohammed Abdusamee"
    for item in listed.values():
        stored = a.article(item.id)
        for junk in BOILERPLATE:
            assert junk not in stored.text
        assert item.chunks >= 1
    # chunk metadata: offsets index the stored article text exactly, yyyymmdd for range filters
    got = a.store.chunks.get(include=["documents", "metadatas"])
    texts = {x.id: a.article(x.id).text for x in listed.values()}
    for doc, m in zip(got["documents"], got["metadatas"]):
        assert texts[m["article_id"]][m["start"]:m["end"]] == doc
        assert m["published_ymd"] in (20200413, 20200414) and m["published_at"][:4] == "2020"
        assert m["source"] == "Bloomberg" and m["dup_group"] == m["article_id"]


def test_reingest_adds_nothing(samples_assistant):
    before = snapshot(samples_assistant)
    report = samples_assistant.ingest([SAMPLES])
    assert (report.articles_added, report.chunks_added, report.duplicates) == (0, 0, 2)
    assert snapshot(samples_assistant) == before


def test_ids_are_stable_across_stores(make_assistant, tmp_path):
    a = make_assistant(tmp_path / "s1")
    b = make_assistant(tmp_path / "s2")
    a.ingest([SAMPLES])
    b.ingest([SAMPLES])
    assert sorted(x.id for x in a.articles()) == sorted(x.id for x in b.articles())


def _copies(base: dict, n: int) -> list[dict]:
    """Syndicated copies: small edits, another outlet, one copy with an extra paragraph."""
    out = []
    for i in range(n):
        text = base["text"].replace("said", "told reporters", 1) if i == 1 else base["text"]
        if i == 2:
            text += "\n\nThe company did not respond to a request for comment."
        out.append({**base, "id": f"copy{i}", "source": f"Outlet {i}", "url": f"https://o{i}.example/s",
                    "published_at": f"2024-05-0{i + 2}T08:00:00Z"})
        out[-1]["text"] = text
    return out


def test_exact_and_near_duplicates(make_assistant, tmp_path):
    rec = bbc_records(limit=1)[0]
    copies = _copies(rec, 3)
    exact = {**copies[0], "id": "", "url": ""}  # same text, no id: caught by the content hash
    write_jsonl(copies + [exact], tmp_path / "copies.jsonl")
    a = make_assistant()
    report = a.ingest([tmp_path / "copies.jsonl"])
    assert (report.articles_added, report.duplicates, report.near_duplicates) == (3, 1, 2)
    arts = a.articles()
    assert {x.dup_group for x in arts} == {"copy0"}
    assert [x.id for x in arts if x.canonical] == ["copy0"]  # the earliest is the canonical copy
    # an unrelated article stays in its own group
    write_jsonl([{**bbc_records(limit=2)[1], "id": "other"}], tmp_path / "other.jsonl")
    a.ingest([tmp_path / "other.jsonl"])
    assert {x.id: x.dup_group for x in a.articles()}["other"] == "other"


def test_every_format_and_directory_recursion(make_assistant, tmp_path):
    from test_parse import ATOM, HTML, RSS

    d = tmp_path / "in" / "nested"
    d.mkdir(parents=True)
    (d / "page.html").write_bytes(HTML)
    (d / "feed.xml").write_bytes(RSS)
    (d / "feed.atom").write_bytes(ATOM)
    write_jsonl([{**r, "id": r["id"]} for r in bbc_records(limit=3)], d / "bbc.jsonl")
    (d / "one.json").write_text(json.dumps({"title": "Solo", "text": "A solo record with enough text to index.",
                                            "date": "2024-02-02"}))
    (tmp_path / "in" / "dump.txt").write_bytes((SAMPLES / "bloomberg-libya-2020-04-13_14.txt").read_bytes())
    (tmp_path / "in" / ".hidden.txt").write_text("Hidden\n\nShould not be read.")
    a = make_assistant()
    report = a.ingest([tmp_path / "in"])
    assert not report.errors
    assert report.articles_added == 1 + 2 + 1 + 3 + 1 + 2
    assert report.chunks_added == sum(x.chunks for x in a.articles())
    assert "Storm hits coast" in {x.title for x in a.articles()} | {x.title.split(" |")[0] for x in a.articles()}


def test_bad_inputs_reported_rest_ingested_nothing_lost(samples_assistant, tmp_path):
    a = samples_assistant
    before = snapshot(a)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "empty.txt").write_bytes(b"")
    (bad / "binary.json").write_bytes(b"\x00\x01\x02" * 100)
    (bad / "latin1.txt").write_bytes("Caf\u00e9 Owners Protest Rents\n\nThe caf\u00e9 owners marched on Monday in Lyon.".encode("latin-1"))
    (bad / "broken.html").write_bytes(b"<html><body><p>x")
    (bad / "broken.jsonl").write_text('{"title": "Good", "text": "A good line of text for the test."}\n{nope\n')
    (bad / "nofeed.xml").write_bytes(b"<rss><channel><title>t</title></channel></rss>")
    with open(bad / "huge.txt", "wb") as fh:
        fh.truncate(50 * 1024 * 1024)
    unreachable = f"http://127.0.0.1:{free_port()}/story.html"
    report = a.ingest([bad, unreachable, tmp_path / "missing.txt"])
    errors = {os.path.basename(e.path.split(":")[0] if "jsonl" in e.path else e.path): e.error for e in report.errors}
    assert "empty file" in errors["empty.txt"]
    assert "binary" in errors["binary.json"]
    assert "no article text" in errors["broken.html"]
    assert "invalid JSON" in errors["broken.jsonl"]
    assert "no entries" in errors["nofeed.xml"]
    assert "too large" in errors["huge.txt"]
    assert "unreachable" in errors["story.html"]
    assert "no such file" in errors["missing.txt"]
    assert report.articles_added == 2  # latin-1 text and the good JSONL line
    after = snapshot(a)
    assert set(before["chunks"]) <= set(after["chunks"]) and set(before["articles"]) <= set(after["articles"])


def test_url_ingest_from_a_local_server(make_assistant, http_dir):
    from test_parse import HTML, RSS

    root, base = http_dir
    (root / "story.html").write_bytes(HTML)
    (root / "feed.xml").write_bytes(RSS)
    a = make_assistant()
    report = a.ingest([f"{base}/story.html", f"{base}/feed.xml", f"{base}/gone.html"])
    assert report.articles_added == 3
    assert len(report.errors) == 1 and "HTTP 404" in report.errors[0].error
    assert any(x.url == "https://planet.example/news/storm" for x in a.articles())


def test_remove_deletes_article_and_chunks(samples_assistant):
    a = samples_assistant
    victim = next(x for x in a.articles() if x.title == TITLE_13)
    assert a.remove(victim.id) == victim.chunks
    assert [x.title for x in a.articles()] == [TITLE_14]
    assert not a.store.chunks.get(where={"article_id": victim.id})["ids"]
    with pytest.raises(NotFoundError):
        a.remove(victim.id)
    assert a.ingest([SAMPLES]).articles_added == 1  # it can come back


def test_index_refuses_other_embedding_or_chunking(make_assistant, tmp_path, capsys):
    make_assistant(tmp_path / "s").ingest([SAMPLES])
    with pytest.raises(IndexMismatchError, match="chunk_tokens: index has 200, settings say 120"):
        make_assistant(tmp_path / "s", chunk_tokens=120).articles()
    os.environ["ASSISTANT_CHUNK_TOKENS"] = "120"
    try:
        assert cli_main(["articles", "--store", str(tmp_path / "s")]) == 1
    finally:
        del os.environ["ASSISTANT_CHUNK_TOKENS"]
    assert "built with other settings" in capsys.readouterr().err


def test_chunker_offsets_sizes_and_overlap():
    text = "\n\n".join(r["text"] for r in bbc_records(limit=5))
    ch = Chunker(chunk_tokens=120, chunk_overlap=30)
    chunks = ch.chunk("x", text)
    assert len(chunks) > 10
    for c in chunks:
        assert text[c.start:c.end] == c.text and c.tokens <= 120 + 5
    overlaps = sum(1 for p, n in zip(chunks, chunks[1:]) if n.start < p.end)
    assert overlaps >= len(chunks) // 2
    assert chunks[-1].end == len(text.rstrip())


def test_embedder_matches_chromadb_reference_path(embedder, tmp_path):
    """Dynamic padding + length sorting gives the same vectors as chromadb's fixed 256 padding."""
    from benchmarks.baselines import chromadb_onnx_embed

    texts = [r["text"][:600] for r in bbc_records(limit=12)] + ["short", "Libya's war"]
    ours = embedder.embed_batch(texts)
    ref = chromadb_onnx_embed(texts, tmp_path)
    assert np.min(np.sum(ours * ref, axis=1)) > 0.9999


KILLER = textwrap.dedent("""
    import os, signal, sys
    from assistant.api import Assistant
    from assistant.ingest import Ingestor
    from assistant.settings import Settings
    a = Assistant(Settings(store_dir=sys.argv[1], llm="extractive"))
    store = a.store
    calls = {"n": 0}
    real_upsert = store.articles.upsert
    class DyingCollection:  # dies on the 3rd batch of article records: its chunks are written, the records not
        def __getattr__(self, name):
            return getattr(real_upsert.__self__, name)
        def upsert(self, **kw):
            calls["n"] += 1
            if calls["n"] == 3:
                os.kill(os.getpid(), signal.SIGKILL)
            return real_upsert(**kw)
    store.articles = DyingCollection()
    Ingestor(store, a.embedder, a.chunker, flush_chunks=8).run([sys.argv[2]])
""")


@pytest.mark.slow
def test_killed_mid_ingest_then_rerun_equals_uninterrupted(make_assistant, tmp_path):
    src = write_jsonl(bbc_records(limit=12), tmp_path / "bbc.jsonl")
    proc = subprocess.run([sys.executable, "-c", KILLER, str(tmp_path / "killed"), str(src)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == -9, proc.stderr
    killed = make_assistant(tmp_path / "killed")
    committed = killed.store.article_count()
    assert 0 < committed < 12
    chunk_articles = {m["article_id"] for m in killed.store.chunks.get(include=["metadatas"])["metadatas"]}
    assert len(chunk_articles) > committed  # orphan chunks: the crash hit between the two writes
    report = killed.ingest([src])
    assert (report.articles_added, report.duplicates) == (12 - committed, committed)
    clean = make_assistant(tmp_path / "clean")
    clean.ingest([src])
    assert snapshot(killed) == snapshot(clean)


@pytest.fixture
def chroma_server(tmp_path):
    port = free_port()
    exe = os.path.join(os.path.dirname(sys.executable), "chroma")
    cmd = [exe, "run", "--path", str(tmp_path / "server-data"), "--host", "127.0.0.1", "--port", str(port)]
    with running_server(cmd, f"http://127.0.0.1:{port}/api/v2/heartbeat", tmp_path / "chroma.log", timeout=60):
        yield port


@pytest.mark.slow
def test_chroma_server_path(make_assistant, chroma_server, tmp_path):
    a = make_assistant(tmp_path / "bm25-beside", chroma_host="127.0.0.1", chroma_port=chroma_server)
    report = a.ingest([SAMPLES])
    assert (report.articles_added, report.chunks_added) == (2, 6)
    b = make_assistant(tmp_path / "other-local", chroma_host="127.0.0.1", chroma_port=chroma_server)
    assert {x.title for x in b.articles()} == {TITLE_13, TITLE_14}
    assert b.ingest([SAMPLES]).chunks_added == 0
    with pytest.raises(IndexMismatchError):
        make_assistant(tmp_path / "x", chroma_host="127.0.0.1", chroma_port=chroma_server,
                       chunk_overlap=10).articles()


def test_cli_ingest_json_articles_show_remove(tmp_path, capsys, embedder):
    store = str(tmp_path / "cli-store")
    assert cli_main(["ingest", str(SAMPLES), "--store", store, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out == {"articles_added": 2, "duplicates": 0, "chunks_added": out["chunks_added"], "errors": []}
    assert cli_main(["articles", "--store", store, "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {x["title"] for x in listed} == {TITLE_13, TITLE_14}
    assert set(listed[0]) == {"id", "title", "published_at", "source", "url", "author", "chunks"}
    aid = listed[0]["id"]
    assert cli_main(["show", aid, "--store", store, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["id"] == aid and "Haftar" in shown["text"]
    (tmp_path / "e.txt").write_bytes(b"")
    assert cli_main(["ingest", str(tmp_path / "e.txt"), str(SAMPLES), "--store", store, "--json"]) == 3
    out = json.loads(capsys.readouterr().out)
    assert out["duplicates"] == 2 and out["errors"][0]["error"] == "empty file"
    assert cli_main(["remove", aid, "--store", store]) == 0
    assert cli_main(["show", aid, "--store", store]) == 1
    assert "no article with id" in capsys.readouterr().err


def test_bad_setting_is_a_clear_cli_error(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("ASSISTANT_NEAR_DUPLICATE_THRESHOLD", "0.99")
    assert cli_main(["articles", "--store", str(tmp_path / "s")]) == 2
    assert "ASSISTANT_NEAR_DUPLICATE_THRESHOLD" in capsys.readouterr().err
