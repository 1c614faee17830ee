"""Parse stage: files, directories and URLs -> clean ``Article`` records.

``parse_source`` never raises for one bad input in a batch: it returns the
articles it could read and the ``InputError`` of each part it could not.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from ..errors import InputError
from ..records import Article
from .common import decode_bytes
from .formats import parse_feed, parse_html, parse_json, parse_jsonl
from .text import parse_text

TEXT_EXT = {".txt", ".text", ".md", ".markdown"}
HTML_EXT = {".html", ".htm", ".xhtml"}
FEED_EXT = {".xml", ".rss", ".atom"}
JSON_EXT = {".json"}
JSONL_EXT = {".jsonl", ".ndjson"}
KNOWN_EXT = TEXT_EXT | HTML_EXT | FEED_EXT | JSON_EXT | JSONL_EXT


@dataclass
class Parsed:
    origin: str
    articles: list[Article] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)


def is_url(s: str) -> bool:
    return s.startswith(("http://", "https://"))


def expand_inputs(inputs: list[str]) -> Iterator[str]:
    """Files, directories (recursively, known extensions only; hidden entries skipped) and URLs."""
    for item in inputs:
        if is_url(item):
            yield item
            continue
        p = Path(item)
        if p.is_dir():
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if not name.startswith(".") and Path(name).suffix.lower() in KNOWN_EXT:
                        yield str(Path(root) / name)
        else:
            yield item


def _sniff(text: str) -> str:
    head = text.lstrip()[:2000].lower()
    if head.startswith(("{", "[")):
        return "json"
    if head.startswith("<"):
        if "<rss" in head or "<feed" in head or "<rdf:rdf" in head:
            return "feed"
        return "html"
    return "text"


def parse_bytes(data: bytes, origin: str, kind: str | None = None, url: str | None = None) -> Parsed:
    out = Parsed(origin)
    try:
        text = decode_bytes(data, origin)
        kind = kind or _sniff(text)
        if kind == "feed" or (kind == "html" and _sniff(text) == "feed"):
            out.articles, out.errors = parse_feed(data, origin)
        elif kind == "html":
            out.articles = parse_html(text, origin, url=url)
        elif kind == "json":
            out.articles, out.errors = parse_json(text, origin)
        elif kind == "jsonl":
            out.articles, out.errors = parse_jsonl(text, origin)
        else:
            out.articles = parse_text(text, origin)
            if not out.articles:
                raise InputError(origin, "no article text found")
    except InputError as e:
        out.errors.append(e)
    return out


def _kind_from_ext(path: str) -> str | None:
    ext = Path(path).suffix.lower()
    for kind, exts in (("text", TEXT_EXT), ("html", HTML_EXT), ("feed", FEED_EXT),
                       ("json", JSON_EXT), ("jsonl", JSONL_EXT)):
        if ext in exts:
            return kind
    return None


def parse_path(path: str, max_bytes: int) -> Parsed:
    p = Path(path)
    try:
        if not p.exists():
            raise InputError(path, "no such file or directory")
        if not p.is_file():
            raise InputError(path, "not a regular file")
        size = p.stat().st_size
        if size > max_bytes:
            raise InputError(path, f"file too large ({size / 1e6:.1f} MB; the limit is "
                                   f"{max_bytes / 1e6:.0f} MB, setting ASSISTANT_MAX_FILE_MB)")
        data = p.read_bytes()
    except InputError as e:
        return Parsed(path, errors=[e])
    except OSError as e:
        return Parsed(path, errors=[InputError(path, f"cannot read file ({e.strerror})")])
    return parse_bytes(data, path, kind=_kind_from_ext(path))


def fetch_url(url: str, timeout: float, max_bytes: int, client: httpx.Client | None = None) -> Parsed:
    """Fetch a page or feed; unreachable hosts and HTTP errors are reported for that URL."""
    own = client is None
    client = client or httpx.Client(timeout=timeout, follow_redirects=True,
                                    headers={"User-Agent": "news-assistant/0.1"})
    try:
        with client.stream("GET", url) as resp:
            if resp.status_code >= 400:
                raise InputError(url, f"HTTP {resp.status_code} when fetching the URL")
            chunks, total = [], 0
            for part in resp.iter_bytes():
                total += len(part)
                if total > max_bytes:
                    raise InputError(url, f"response larger than {max_bytes / 1e6:.0f} MB")
                chunks.append(part)
            ctype = resp.headers.get("content-type", "").lower()
            final_url = str(resp.url)
    except InputError as e:
        return Parsed(url, errors=[e])
    except httpx.TimeoutException:
        return Parsed(url, errors=[InputError(url, f"unreachable: timed out after {timeout:g} s")])
    except httpx.HTTPError as e:
        return Parsed(url, errors=[InputError(url, f"unreachable: {e.__class__.__name__}: {e}")])
    finally:
        if own:
            client.close()
    data = b"".join(chunks)
    kind = None
    if any(t in ctype for t in ("rss", "atom", "/xml")):
        kind = "feed"
    elif "json" in ctype:
        kind = "json"
    elif "html" in ctype:
        kind = "html"
    return parse_bytes(data, url, kind=kind, url=final_url)


def parse_source(item: str, max_bytes: int, fetch_timeout: float) -> Parsed:
    if is_url(item):
        return fetch_url(item, fetch_timeout, max_bytes)
    return parse_path(item, max_bytes)
