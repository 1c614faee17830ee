"""Parse stage: every input format, on real text, without the store."""

from __future__ import annotations

import json

from assistant.parse import parse_bytes, parse_path
from assistant.sentences import sentences
from conftest import SAMPLE_DUMP, TITLE_13, TITLE_14

BOILERPLATE = ["Terms of Service", "Do Not Sell My Info", "WTI Crude", "FACEBOOK INC-A", "Photographer:"]


def test_sample_dump_gives_two_clean_articles():
    parsed = parse_path(str(SAMPLE_DUMP), 10**8)
    assert not parsed.errors
    arts = {a.title: a for a in parsed.articles}
    assert set(arts) == {TITLE_14, TITLE_13}
    a14, a13 = arts[TITLE_14], arts[TITLE_13]
    assert (a14.author, a14.published_at.date().isoformat()) == ("Samer Al-Atrush", "2020-04-14")
    assert (a13.author, a13.published_at.date().isoformat()) == ("Mohammed Abdusamee", "2020-04-13")
    assert a14.source == a13.source == "Bloomberg"
    for a in (a14, a13):
        for junk in BOILERPLATE + ["©", "All Rights Reserved", "In this article", "Careers"]:
            assert junk not in a.text, (a.title, junk)
    # a paragraph broken by the page layout is joined again; a related-story link is gone
    assert "already decimated health infrastructure, after one of Tripoli's largest hospitals" in a14.text
    assert "Arabs Flex Muscles" not in a13.text
    assert "Libya has reported 26 coronavirus infections so far." in a14.text
    assert a13.text.startswith("Forces loyal to Libya's internationally recognized government")


OTHER_SITE = """\
World News

Storm Floods Coastal Towns as Rivers Burst Their Banks

Written by Jane Doe and Omar Farouk

Published 5 March 2024

Share this article

Heavy rain flooded three coastal towns on Tuesday, forcing 2,000 people from their homes.

Image: Flooded street in Porto Azul (Credit: Example Photo Agency)

Emergency teams rescued 40 people by boat, the regional governor said.

Related Articles
- Rain warning issued for the weekend
© 2024 Example Times Ltd. All rights reserved.

Business

Shipping Rates Climb After Canal Delays

By Li Wei
March 6, 2024

Container shipping rates rose 12% this week as delays at the canal stretched into a second month.
Analysts expect prices to stay high until April.

Terms of Use | Privacy Policy
"""


def test_dump_parser_is_general_not_one_site():
    parsed = parse_bytes(OTHER_SITE.encode(), "other.txt")
    assert not parsed.errors
    a, b = parsed.articles
    assert a.title == "Storm Floods Coastal Towns as Rivers Burst Their Banks"
    assert a.author == "Jane Doe and Omar Farouk"
    assert a.published_at.date().isoformat() == "2024-03-05"
    assert a.source == "Example Times"
    assert "Credit:" not in a.text and "Related Articles" not in a.text and "Share this" not in a.text
    assert "Emergency teams rescued 40 people by boat" in a.text
    assert b.title == "Shipping Rates Climb After Canal Delays" and b.author == "Li Wei"
    assert b.published_at.date().isoformat() == "2024-03-06"
    assert "Analysts expect prices to stay high until April." in b.text and "Privacy" not in b.text


def test_single_article_text_and_markdown():
    md = "# Council Approves New Budget\n\nThe city council approved a budget of $4.2m on Monday.\n\nIt takes effect in May.\n"
    (a,) = parse_bytes(md.encode(), "budget.md").articles
    assert a.title == "Council Approves New Budget" and a.text.startswith("The city council approved")
    assert a.published_at is None


HTML = b"""<!doctype html><html><head><title>Storm hits coast | Daily Planet</title>
<link rel="canonical" href="https://planet.example/news/storm"/>
<meta name="author" content="Lois Lane"><meta property="og:site_name" content="Daily Planet">
<meta property="article:published_time" content="2024-03-05T08:30:00+00:00"></head>
<body><nav>Home | World | Sport</nav><article><h1>Storm hits coast</h1>
<p>A powerful storm struck the coast on Tuesday, cutting power to 40,000 homes.</p>
<p>Officials said repairs would take three days. The storm also closed two ports.</p></article>
<footer>Subscribe to our newsletter</footer></body></html>"""


def test_html_main_content_and_metadata():
    (a,) = parse_bytes(HTML, "storm.html", kind="html").articles
    assert a.author == "Lois Lane" and a.source == "Daily Planet"
    assert a.url == "https://planet.example/news/storm"
    assert a.published_at.isoformat().startswith("2024-03-05")
    assert "cutting power to 40,000 homes." in a.text and "Home | World" not in a.text
    assert "Subscribe" not in a.text
    assert "Storm hits coast" in a.title


def test_json_and_jsonl_fields_and_bad_lines():
    recs = [{"id": "r1", "title": "A", "body": "Body of A is long enough to be an article.",
             "date": "2024-01-02", "url": "https://x.example/a", "source": "X", "author": "Ann"},
            {"title": "B", "content": "<p>Body <b>of</b> B.</p><p>Second.</p>", "published_at": "2024-01-03T10:00:00Z"}]
    parsed = parse_bytes(json.dumps(recs).encode(), "a.json", kind="json")
    assert not parsed.errors
    a, b = parsed.articles
    assert (a.id, a.author, a.source, a.url) == ("r1", "Ann", "X", "https://x.example/a")
    assert b.text == "Body of B.\n\nSecond." and b.published_at.isoformat() == "2024-01-03T10:00:00+00:00"
    lines = [json.dumps(recs[0]), "{broken", json.dumps({"title": "no text"}), json.dumps(recs[1])]
    parsed = parse_bytes("\n".join(lines).encode(), "b.jsonl", kind="jsonl")
    assert [x.title for x in parsed.articles] == ["A", "B"]
    assert [e.path for e in parsed.errors] == ["b.jsonl:2", "b.jsonl:3"]
    assert "invalid JSON" in parsed.errors[0].reason and "`text`" in parsed.errors[1].reason


RSS = b"""<?xml version="1.0"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>Wire Service</title>
<item><title>Full entry</title><link>https://w.example/1</link><pubDate>Tue, 05 Mar 2024 10:00:00 GMT</pubDate>
<description>teaser</description><content:encoded><![CDATA[<p>Full text of the first entry.</p><p>More text.</p>]]></content:encoded></item>
<item><title>Summary entry</title><link>https://w.example/2</link><description>Only the summary of entry two.</description></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Atom News</title>
<entry><title>Atom one</title><link href="https://a.example/1"/><id>urn:1</id><updated>2024-03-07T09:00:00Z</updated>
<author><name>Kim</name></author><content type="html">&lt;p&gt;Atom body text here.&lt;/p&gt;</content></entry></feed>"""


def test_rss_and_atom_full_text_when_present():
    a, b = parse_bytes(RSS, "f.xml", kind="feed").articles
    assert a.text == "Full text of the first entry.\n\nMore text." and a.source == "Wire Service"
    assert a.published_at.isoformat() == "2024-03-05T10:00:00+00:00" and a.url == "https://w.example/1"
    assert b.text == "Only the summary of entry two."
    (c,) = parse_bytes(ATOM, "f.atom").articles  # sniffed as a feed
    assert (c.title, c.author, c.text) == ("Atom one", "Kim", "Atom body text here.")


def test_bad_inputs_each_have_a_clear_reason(tmp_path):
    cases = {
        "empty.txt": (b"", "empty file"),
        "blob.bin.txt": (bytes(range(256)) * 10, "binary file"),
        "broken.json": (b'{"title": "x", "text": ', "invalid JSON"),
        "nofeed.xml": (b"<rss><channel><title>t</title></channel></rss>", "no entries"),
        "badfeed.xml": (b"<rss><chann", "broken feed XML"),
        "broken.html": (b"<html><body><div><p>hi", "no article text"),
    }
    for name, (data, reason) in cases.items():
        (tmp_path / name).write_bytes(data)
        parsed = parse_path(str(tmp_path / name), 10**8)
        assert not parsed.articles and len(parsed.errors) == 1, name
        assert reason in parsed.errors[0].reason and parsed.errors[0].path.endswith(name)
    big = tmp_path / "big.txt"
    with open(big, "wb") as fh:
        fh.truncate(50 * 1024 * 1024)
    (err,) = parse_path(str(big), 20_000_000).errors
    assert "too large (52.4 MB" in err.reason


def test_latin1_and_cp1252_text():
    text = "Caf\u00e9 Owners Protest \u201cUnfair\u201d Rent Rises\n\nThe caf\u00e9 owners marched on Monday \u2014 about 300 of them.\n"
    for enc in ("cp1252", "latin-1"):
        data = text.encode(enc, errors="replace")
        (a,) = parse_bytes(data, f"{enc}.txt").articles
        assert "café owners marched" in a.text


def test_sentence_splitter_offsets_and_abbreviations():
    text = 'The capture was announced by Col. Mohamed Konunu. It cost U.S. firms $3.5m. "We plan," he said.\n\nNew para'
    assert sentences(text) == ["The capture was announced by Col. Mohamed Konunu.", "It cost U.S. firms $3.5m.",
                               '"We plan," he said.', "New para"]
