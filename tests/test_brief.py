"""Daily briefs over real stores: windows, near-duplicate stories, escaping, verbatim quotes."""

from __future__ import annotations

import json
from datetime import date

import pytest

from assistant.cli import main as cli_main
from assistant.corpora import bbc_records, write_jsonl
from assistant.render import brief_html, brief_markdown
from conftest import TITLE_13, TITLE_14


def assert_brief_quotes_verbatim(assistant, brief) -> None:
    for c in brief.citations:
        assert assistant.article(c.article_id).text[c.start:c.end] == c.quote
    for story in brief.stories:
        for s in story.sentences:
            assert s.supported and s.citations
            for q in s.quotes:
                c = brief.citations[q.n - 1]
                assert assistant.article(c.article_id).text[q.start:q.end] == q.quote


@pytest.mark.parametrize("day,title,other", [(date(2020, 4, 14), TITLE_14, TITLE_13),
                                              (date(2020, 4, 13), TITLE_13, TITLE_14)])
def test_sample_briefs_cite_only_their_day(samples_assistant, day, title, other):
    b = samples_assistant.brief(day, llm="extractive")
    assert b.date == day.isoformat() and len(b.stories) == 1
    assert b.stories[0].headline == title
    assert {c.title for c in b.citations} == {title}
    assert 1 <= len(b.stories[0].sentences) <= 3
    assert_brief_quotes_verbatim(samples_assistant, b)
    assert other not in brief_markdown(b)


def test_default_day_is_the_latest_and_says_so(samples_assistant, tmp_path):
    (tmp_path / "undated.json").write_text(json.dumps({"title": "Undated note", "text": "A note without any date at all."}))
    samples_assistant.ingest([tmp_path / "undated.json"])
    b = samples_assistant.brief(llm="extractive")
    assert b.date == "2020-04-14" and b.chosen == "the latest day with articles"
    assert [u["title"] for u in b.undated] == ["Undated note"]
    md = brief_markdown(b)
    assert "the latest day with articles" in md and "Undated note" in md


def test_three_copies_are_one_story_also_reported_by_two(make_assistant, tmp_path):
    base = bbc_records(limit=1)[0]
    copies = []
    for i, outlet in enumerate(["Wire A", "Paper B", "Site C"]):
        text = base["text"] if i == 0 else base["text"].replace(" said ", " told reporters ", 1) + f"\n\nReporting by desk {i}."
        copies.append({"id": f"copy{i}", "title": base["title"] + ("" if i == 0 else " - update"), "text": text,
                       "source": outlet, "published_at": f"2024-05-02T0{8 + i}:00:00Z"})
    others = [{**r, "published_at": "2024-05-02T12:00:00Z"} for r in bbc_records(categories=("sports",), limit=2)]
    write_jsonl(copies + others, tmp_path / "day.jsonl")
    a = make_assistant()
    a.ingest([tmp_path / "day.jsonl"])
    b = a.brief(date(2024, 5, 2), llm="extractive")
    story = next(s for s in b.stories if "copy0" in s.article_ids)
    assert story.article_ids == ["copy0"] and sorted(story.duplicates) == ["copy1", "copy2"]
    assert story.also_reported_by == ["Paper B", "Site C"]
    assert b.stories[0] is story  # covered by most articles: ranked first
    assert "Also reported by 2: Paper B, Site C" in brief_markdown(b)
    assert {c.article_id for c in b.citations} <= {"copy0"} | {r["id"] for r in others}
    assert_brief_quotes_verbatim(a, b)


def test_html_brief_escapes_article_markup(make_assistant, tmp_path):
    evil = {"id": "evil", "title": "Council <script>alert('t')</script> vote", "source": "X <b>Y</b>",
            "published_at": "2024-06-01T09:00:00Z",
            "text": "The council approved the harbour budget <img src=x onerror=alert(1)> on Monday after a long debate. "
                    "Members said <script>document.title='pwned'</script> the vote was close. "
                    "The harbour budget rises by 4 percent next year."}
    write_jsonl([evil], tmp_path / "evil.jsonl")
    a = make_assistant()
    a.ingest([tmp_path / "evil.jsonl"])
    page = brief_html(a.brief(date(2024, 6, 1), llm="extractive"))
    assert "<script>" not in page and "<img" not in page and "<b>Y" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and "&lt;script&gt;alert" in page
    assert "default-src 'none'" in page  # no script could run even if one slipped through


def test_cli_brief_formats_out_file_and_exit_codes(samples_assistant, tmp_path, capsys):
    store = str(samples_assistant.settings.store_dir)
    out = tmp_path / "briefs" / "today.html"
    assert cli_main(["brief", "--date", "2020-04-14", "--format", "html", "--out", str(out),
                     "--llm", "extractive", "--store", store]) == 0
    assert out.read_text().startswith("<!doctype html>") and not list(out.parent.glob(".*"))
    assert cli_main(["brief", "--date", "2020-04-13", "--format", "json", "--llm", "extractive", "--store", store]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["date"] == "2020-04-13" and set(data["stories"][0]) >= {"headline", "summary", "citations",
                                                                          "article_ids", "duplicates"}
    assert cli_main(["brief", "--date", "1999-01-01", "--llm", "extractive", "--store", store]) == 4
    assert cli_main(["brief", "--date", "2020-04-14", "--since", "2020-04-13", "--store", store]) == 2


def test_cited_html_keeps_hover_quotes_on_one_line():
    """A quote spanning a paragraph break must not put a blank line in an attribute (it broke the chat's rendering)."""
    from assistant.records import Citation
    from assistant.render import cited_html

    c = Citation(n=1, article_id="a", title="T", chunk_id="a:0", quote="First para.\n\nSecond <para>.", start=0, end=9)
    out = cited_html("Claim [1].", {1: c})
    assert "\n" not in out and "First para. Second &lt;para&gt;." in out and out.endswith("</sup>.")
