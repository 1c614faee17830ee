"""HTML (trafilatura), JSON/JSONL records and RSS/Atom feeds (feedparser)."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone

import feedparser
import trafilatura

from ..errors import InputError
from ..records import Article
from .common import clean_space, html_fragment_to_text, looks_like_html, parse_date

MIN_TEXT_CHARS = 40  # less than this is not an article (a broken page, an empty entry)

logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
logging.getLogger("htmldate").setLevel(logging.CRITICAL)


def parse_html(html: str, origin: str, url: str | None = None) -> list[Article]:
    """Main content of an article page, with its title, author, date and canonical URL."""
    doc = trafilatura.bare_extraction(
        html, url=url, with_metadata=True, include_comments=False, include_tables=False,
        date_extraction_params={"extensive_search": True, "original_date": True,
                                "outputformat": "%Y-%m-%dT%H:%M:%S%z"},
    )
    raw = (getattr(doc, "text", None) or "") if doc is not None else ""
    text = clean_space(raw.replace("\n", "\n\n"))
    if len(text) < MIN_TEXT_CHARS:
        raise InputError(origin, "no article text found in the HTML (broken or not an article page)")
    title = (doc.title or "").strip() or text.split("\n")[0][:80]
    if text.startswith(title + "\n\n"):  # the page's <h1> repeated as the first paragraph
        text = text[len(title) + 2:]
    return [Article(
        title=title, text=text, author=(doc.author or None), published_at=parse_date(doc.date),
        source=(doc.sitename or doc.hostname or None), url=(doc.url or url or None), origin=origin,
    )]


_TEXT_FIELDS = ("text", "body", "content")
_DATE_FIELDS = ("published_at", "date", "published", "pubDate")


def _record_to_article(rec: object, where: str) -> Article:
    if not isinstance(rec, dict):
        raise InputError(where, f"expected a JSON object, got {type(rec).__name__}")
    body = next((rec[f] for f in _TEXT_FIELDS if isinstance(rec.get(f), str) and rec[f].strip()), None)
    if body is None:
        raise InputError(where, "record has no `text`, `body` or `content` field with text")
    title = rec.get("title")
    if not isinstance(title, str) or not title.strip():
        raise InputError(where, "record has no `title`")
    raw_date = next((rec[f] for f in _DATE_FIELDS if rec.get(f) not in (None, "")), None)
    published = parse_date(raw_date)
    if raw_date is not None and published is None:
        raise InputError(where, f"field `published_at`/`date` is not a date: {raw_date!r}")
    text = html_fragment_to_text(body) if looks_like_html(body) else clean_space(body)
    author = rec.get("author")
    if isinstance(author, list):
        author = ", ".join(str(a) for a in author)
    rid = rec.get("id")
    return Article(
        id=str(rid) if rid not in (None, "") else "", title=title.strip(), text=text,
        published_at=published, author=str(author) if author else None,
        source=str(rec["source"]) if rec.get("source") else None,
        url=str(rec["url"]) if rec.get("url") else None, origin=where,
    )


def parse_json(text: str, origin: str) -> tuple[list[Article], list[InputError]]:
    """A JSON object, a list of them, or ``{"articles": [...]}``."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError(origin, f"invalid JSON (line {e.lineno}, column {e.colno}: {e.msg})") from None
    if isinstance(data, dict) and isinstance(data.get("articles"), list):
        data = data["articles"]
    records = data if isinstance(data, list) else [data]
    if not records:
        raise InputError(origin, "no records in the JSON file")
    return _collect(((rec, f"{origin}[{i}]") for i, rec in enumerate(records)))


def parse_jsonl(text: str, origin: str) -> tuple[list[Article], list[InputError]]:
    """One JSON object per line; a bad line is reported and the others go on."""
    items = []
    errors: list[InputError] = []
    for n, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            items.append((json.loads(line), f"{origin}:{n}"))
        except json.JSONDecodeError as e:
            errors.append(InputError(f"{origin}:{n}", f"invalid JSON ({e.msg})"))
    if not items and not errors:
        raise InputError(origin, "no records in the JSONL file")
    articles, more = _collect(items)
    return articles, errors + more


def _collect(items) -> tuple[list[Article], list[InputError]]:
    articles, errors = [], []
    for rec, where in items:
        try:
            articles.append(_record_to_article(rec, where))
        except InputError as e:
            errors.append(e)
    return articles, errors


def _entry_date(entry) -> datetime | None:
    for key in ("published", "updated", "created"):
        if entry.get(key):
            d = parse_date(entry[key])
            if d:
                return d
    for key in ("published_parsed", "updated_parsed"):
        if entry.get(key):
            return datetime(*entry[key][:6], tzinfo=timezone.utc)
    return None


def parse_feed(data: bytes | str, origin: str) -> tuple[list[Article], list[InputError]]:
    """RSS/Atom: one article per entry, full text (content:encoded / Atom content) when present."""
    feed = feedparser.parse(data)
    if not feed.entries:
        if feed.bozo:
            raise InputError(origin, f"broken feed XML ({feed.bozo_exception})")
        raise InputError(origin, "the feed has no entries")
    source = feed.feed.get("title") or None
    articles, errors = [], []
    for i, entry in enumerate(feed.entries):
        where = f"{origin}#{entry.get('id') or entry.get('link') or i}"
        html = ""
        if entry.get("content"):
            html = max((c.get("value", "") for c in entry.content), key=len)
        if not html.strip():
            html = entry.get("summary", "")
        text = html_fragment_to_text(html)
        title = (entry.get("title") or "").strip()
        if len(text) < 10 or not title:
            errors.append(InputError(where, "feed entry has no title or no text"))
            continue
        articles.append(Article(
            id="", title=title, text=text, published_at=_entry_date(entry),
            author=entry.get("author") or None, source=source, url=entry.get("link") or None,
            origin=where,
        ))
    return articles, errors
