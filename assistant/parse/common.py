"""Helpers shared by the parsers: decoding bytes, dates, HTML fragments, whitespace."""

from __future__ import annotations

import re
from datetime import datetime, timezone

from dateutil import parser as dateparser
from lxml import html as lxml_html

from ..errors import InputError

# US zone abbreviations dateutil does not know by itself (seconds east of UTC).
TZINFOS = {
    "EDT": -4 * 3600, "EST": -5 * 3600, "CDT": -5 * 3600, "CST": -6 * 3600,
    "MDT": -6 * 3600, "MST": -7 * 3600, "PDT": -7 * 3600, "PST": -8 * 3600,
    "GMT": 0, "UTC": 0, "Z": 0, "BST": 3600, "CET": 3600, "CEST": 7200, "EET": 7200,
    "EEST": 3 * 3600, "IST": 19800, "JST": 9 * 3600, "AEST": 10 * 3600,
}


def decode_bytes(data: bytes, path: str) -> str:
    """UTF-8 (with or without BOM), else Windows-1252, else Latin-1. Binary is refused."""
    if not data.strip():
        raise InputError(path, "empty file")
    head = data[:8192]
    if b"\x00" in head:
        raise InputError(path, "binary file (contains NUL bytes), not text, HTML, JSON or a feed")
    for enc in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            text = data.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    controls = sum(1 for c in text[:8192] if ord(c) < 32 and c not in "\n\r\t\f")
    if controls > 0.05 * min(len(text), 8192):
        raise InputError(path, "binary file (too many control characters)")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def parse_date(value: object) -> datetime | None:
    """A datetime from an ISO string, a free-form date line, or a Unix timestamp."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    if isinstance(value, (int, float)):
        ts = value / 1000 if value > 1e11 else value
        return datetime.fromtimestamp(ts, tz=timezone.utc)
    text = str(value).strip()
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        pass
    try:
        return dateparser.parse(text, fuzzy=True, tzinfos=TZINFOS)
    except (ValueError, OverflowError):
        return None


def clean_space(text: str) -> str:
    """Normalize whitespace inside paragraphs; paragraphs are joined by a blank line."""
    paras = [re.sub(r"[ \t\u00a0]+", " ", p).strip() for p in re.split(r"\n\s*\n", text)]
    paras = [re.sub(r"\s*\n\s*", " ", p) for p in paras if p]
    return "\n\n".join(paras)


_BLOCK_TAGS = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
               "tr", "section", "article", "pre", "ul", "ol", "table", "figure"}


def html_fragment_to_text(fragment: str) -> str:
    """Text of an HTML fragment (a feed entry, a JSON field), paragraphs kept."""
    if "<" not in fragment:
        return clean_space(fragment)
    try:
        root = lxml_html.fragment_fromstring(fragment, create_parent="div")
    except Exception:  # lxml raises several types on garbage; fall back to stripping tags
        return clean_space(re.sub(r"<[^>]+>", " ", fragment))
    for bad in root.xpath("//script|//style|//noscript"):
        bad.drop_tree()
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag.lower() in _BLOCK_TAGS:
            el.tail = "\n\n" + (el.tail or "")
            if el.tag.lower() != "br":
                el.text = "\n\n" + (el.text or "")
    return clean_space(root.text_content())


def looks_like_html(text: str) -> bool:
    return bool(re.search(r"<(p|div|br|span|a|html|body)\b", text[:4000], re.I))
