"""Summaries of whole articles: by id, by topic, by window; map-reduce beyond the context; chat routing."""

from __future__ import annotations

import json
from datetime import date

import pytest

from assistant.cli import main as cli_main
from assistant.corpora import bbc_records, write_jsonl
from assistant.routing import route
from conftest import SAMPLES, TITLE_13, TITLE_14
from fakes import FakeChatModel


def assert_summary_quotes_verbatim(assistant, summary) -> None:
    for c in summary.citations:
        assert assistant.article(c.article_id).text[c.start:c.end] == c.quote
        chunk = assistant.store.chunks.get(ids=[c.chunk_id], include=["metadatas"])["metadatas"][0]
        assert chunk["article_id"] == c.article_id and chunk["start"] <= c.start < chunk["end"]
    for s in summary.sentences:
        assert s.supported and s.citations


def test_summary_of_each_sample_article_cites_only_it(samples_assistant):
    for item in samples_assistant.articles():
        s = samples_assistant.summarize([item.id], llm="extractive")
        assert s.article_ids == [item.id] and {c.article_id for c in s.citations} == {item.id}
        assert 1 <= len(s.sentences) <= 3
        assert_summary_quotes_verbatim(samples_assistant, s)


def test_summary_of_both_cites_both_and_lengths(samples_assistant):
    ids = [a.id for a in samples_assistant.articles()]
    s = samples_assistant.summarize(ids, length="medium", llm="extractive")
    assert {c.title for c in s.citations} == {TITLE_13, TITLE_14}
    assert 3 < len(s.sentences) <= 6
    bullets = samples_assistant.summarize(ids, length="bullets", llm="extractive")
    assert all(line.startswith("- ") for line in bullets.text.splitlines())
    with pytest.raises(ValueError):
        samples_assistant.summarize(ids, length="huge")


def test_topic_summary_cites_only_related_articles(make_assistant, tmp_path):
    write_jsonl(bbc_records(categories=("sports", "tech"), limit=30), tmp_path / "other.jsonl")
    a = make_assistant()
    a.ingest([SAMPLES, tmp_path / "other.jsonl"])
    s = a.summarize(query="the fighting around Tripoli", llm="extractive")
    assert s.citations and {c.title for c in s.citations} <= {TITLE_13, TITLE_14}
    assert set(s.article_ids) <= {x.id for x in a.articles() if x.source == "Bloomberg"}
    assert_summary_quotes_verbatim(a, s)


def test_window_summary_and_empty_window(samples_assistant):
    s = samples_assistant.summarize(since=date(2020, 4, 13), until=date(2020, 4, 13), llm="extractive")
    assert {c.title for c in s.citations} == {TITLE_13}
    empty = samples_assistant.summarize(since=date(2021, 1, 1), llm="extractive")
    assert empty.article_ids == [] and not empty.citations


def test_model_summary_is_verified_and_map_reduced(samples_assistant):
    """A fake model of our protocol: one true and one invented sentence per part."""
    def respond(messages):
        user = messages[-1]["content"]
        if "Partial summaries" in user:
            return " ".join(line[2:] for line in user.splitlines() if line.startswith("- "))
        n = user.split('<source n="')[1].split('"')[0]
        true = "Libya has reported 26 coronavirus infections so far" if "26 coronavirus" in user else \
            "Konunu also said they took the town of Sorman"
        return f"{true} [{n}]. Haftar signed a peace deal with 40 countries [{n}]."

    samples_assistant._chat_model = FakeChatModel(respond=respond)
    samples_assistant.settings = samples_assistant.settings.model_copy(update={"summary_context_tokens": 900})
    ids = [a.id for a in samples_assistant.articles()]
    s = samples_assistant.summarize(ids)
    assert s.backend == "fake" and not s.fallback_used and s.parts >= 3  # >= 2 map calls + 1 reduce
    assert "26 coronavirus infections" in s.text and "Sorman" in s.text and "peace deal" not in s.text
    assert_summary_quotes_verbatim(samples_assistant, s)


@pytest.mark.slow
def test_forty_bbc_articles_beyond_the_local_context_complete(make_assistant, tmp_path):
    write_jsonl(bbc_records(categories=("business",), limit=40), tmp_path / "bbc.jsonl")
    a = make_assistant(llm="local", llm_max_tokens=96)
    a.ingest([tmp_path / "bbc.jsonl"])
    ids = [x.id for x in a.articles()]
    total = sum(a.chunker.count(a.article(i).text) for i in ids)
    assert total > a.settings.local_n_ctx * 3  # the selection is far larger than the context
    s = a.summarize(ids, length="medium")
    assert s.backend.startswith("local:") and s.parts > 3 and len(s.article_ids) == 40
    assert s.citations and s.sentences
    assert_summary_quotes_verbatim(a, s)


@pytest.mark.parametrize("message,kind,query", [
    ("Summarize the articles about Haftar", "summary", "Haftar"),
    ("give me a summary of yesterday's news", "summary", None),
    ("Can you recap the fighting around Tripoli?", "summary", "fighting Tripoli"),
    ("Who is the UN envoy to Libya?", "answer", None),
    ("How many infections has Libya reported?", "answer", None),
])
def test_routing(message, kind, query):
    r = route(message, today=date(2026, 11, 24))
    assert (r.kind, r.query) == (kind, query)
    if "yesterday" in message:
        assert r.since == r.until == date(2026, 11, 23)


def test_chat_routes_summaries_and_questions(samples_assistant):
    routed = samples_assistant.chat("Summarize the articles about Haftar", llm="extractive")
    assert routed.route == "summary" and "Haftar" in routed.standalone_question
    assert {c.title for c in routed.citations} == {TITLE_13, TITLE_14}
    asked = samples_assistant.chat("Who is the UN envoy to Libya?", llm="extractive")
    assert asked.route == "answer" and "Stephanie Williams" in asked.answer
    day = samples_assistant.chat("give me a summary of yesterday's news", llm="extractive", today=date(2020, 4, 14))
    assert day.route == "summary" and {c.title for c in day.citations} == {TITLE_13}


def test_cli_summarize(samples_assistant, capsys):
    store = str(samples_assistant.settings.store_dir)
    ids = [a.id for a in samples_assistant.articles()]
    assert cli_main(["summarize", ids[0], "--json", "--llm", "extractive", "--store", store]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["article_ids"] == [ids[0]] and set(data) >= {"text", "sentences", "citations", "article_ids",
                                                            "backend", "fallback_used"}
    assert cli_main(["summarize", "--query", "Haftar", "--length", "bullets", "--llm", "extractive",
                     "--store", store]) == 0
    assert capsys.readouterr().out.startswith("- ")
    assert cli_main(["summarize", "nope", "--store", store]) == 1
