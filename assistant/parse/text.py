"""Plain text and Markdown, including site dumps that hold several articles.

A dump looks like: [section label] / title / "By …" byline / date line / body /
site furniture (related links, photo credits, "In this article", tickers,
"Terms of Service" links, copyright lines). Articles are found by their header
(a byline and/or a date line under a title line); the furniture is recognised
by its shape, not by one site's wording.
"""

from __future__ import annotations

import re

from ..records import Article
from .common import clean_space, parse_date

_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
          r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_DATE_RE = re.compile(
    rf"(?i)\b(?:{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|\d{{1,2}}\s+{_MONTH},?\s+\d{{4}}"
    r"|\d{4}-\d{2}-\d{2})"
)
_BYLINE_RE = re.compile(r"^(?:written\s+)?by[:\s]+(.{2,120})$", re.I)
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_EMPH = re.compile(r"(\*\*|\*|__|_)(?=\S)(.+?)(?<=\S)\1")

# Lines at which an article's body ends (the site footer begins).
_FOOTER = re.compile(
    r"(?i)^(?:in this (?:article|story)|terms of (?:service|use)|privacy policy|cookie policy"
    r"|©|\(c\)\s*\d{4}|copyright\b|.*\ball rights reserved\b"
    r"|(?:related|more) (?:articles|stories|coverage|from)\b.{0,40}$|most (?:read|popular)\b.{0,20}$)"
)
# Social and newsletter furniture: skipped wherever it stands.
_SOCIAL = re.compile(r"(?i)^(?:share (?:this|on)\b|follow us\b|sign up\b|subscribe\b|read more\b"
                     r"|advertisement$|listen to (?:this|the) article\b|save (?:this )?article\b)")
_LINKS_ONLY = re.compile(r"^(?:\s*!?\[[^\]]*\]\([^)]*\)[\s|·•]*)+$")
_PHOTO = re.compile(r"(?i)\b(?:photographer|photo(?:graph)?(?: by)?|image(?: credit)?|credit|illustration)\s*:"
                    r"|getty images|\bvia (?:ap|afp|reuters)\b")
_BULLET_ONLY = re.compile(r"^[\s\-–—•*▶►■·|]+$")
_BULLET_PREFIX = re.compile(r"^[\s\-–—•*▶►■·]+")
_TICKER = re.compile(r"[▲▼]|\b\d+(?:\.\d+)?\s*(?:USD|EUR|GBP|JPY)\b|[+-]\d+(?:\.\d+)?%\s*$")
_COPYRIGHT = re.compile(
    r"(?i)(?:©|\(c\)|copyright)\s*(?:\d{4}(?:\s*[-–]\s*\d{4})?)?\s*,?\s*"
    r"(.+?)(?:,?\s+(?:L\.?P\.?|LLC|Inc\.?|Ltd\.?|Limited|Corp\.?|plc|Media|Group)\b|\.\s|\s+all rights reserved|$)"
)
_TERMINAL = tuple('.!?:;"”’\'')


def _plain(line: str) -> str:
    """A line without Markdown links, emphasis and heading marks."""
    line = _MD_LINK.sub(r"\1", line)
    line = _MD_EMPH.sub(r"\2", line)
    return re.sub(r"^#{1,6}\s+", "", line).strip()


def _byline(line: str) -> str | None:
    m = _BYLINE_RE.match(_plain(line))
    if not m:
        return None
    name = m.group(1).strip(" .,")
    words = name.split()
    if not words or len(words) > 10 or not words[0][:1].isupper():
        return None
    return name


def _is_dateline(line: str) -> bool:
    p = _plain(line)
    return bool(p) and len(p) <= 80 and len(p.split()) <= 12 and bool(_DATE_RE.search(p))


def _headline_like(line: str) -> bool:
    """A short line with no sentence punctuation and mostly capitalised words."""
    words = re.findall(r"[A-Za-z][\w'’-]*", line)
    if not words or len(words) > 16 or line.rstrip().endswith(_TERMINAL):
        return False
    small = {"a", "an", "the", "and", "or", "of", "in", "on", "to", "for", "as", "at", "by",
             "with", "from", "is", "vs"}
    caps = sum(1 for w in words if w[0].isupper() or w.lower() in small)
    return caps / len(words) >= 0.75


def _junk(line: str) -> bool:
    """Site furniture inside an article's body."""
    if _BULLET_ONLY.match(line) or _LINKS_ONLY.match(line):
        return True
    plain = _plain(line)
    if not plain or (len(plain) < 100 and _SOCIAL.match(plain)):
        return True
    if len(plain) < 160 and _PHOTO.search(plain):
        return True
    if len(plain) < 80 and _TICKER.search(plain):
        return True
    if len(plain.split()) <= 4 and not re.search(r"[a-z]", plain):  # tickers: "FB", "CL1"
        return True
    return False


def _title_candidate(line: str) -> bool:
    p = _plain(line)
    return (
        3 <= len(p) <= 200 and not _FOOTER.match(p) and not _junk(line)
        and not _byline(line) and not _is_dateline(line) and not p.endswith(".")
    )


def _body_text(lines: list[str]) -> str:
    """Body lines -> clean paragraphs (furniture removed, broken paragraphs re-joined)."""
    paras: list[str] = []
    current: list[str] = []
    for raw in lines:
        if _FOOTER.match(_plain(raw)):
            if paras or current:
                break
            continue
        if not raw.strip():
            if current:
                paras.append(" ".join(current))
                current = []
            continue
        if _junk(raw):
            continue
        bulleted = bool(_BULLET_PREFIX.match(raw)) and raw.strip()[:1] in "-–—•*▶►■·"
        line = _plain(_BULLET_PREFIX.sub("", raw) if bulleted else raw)
        if not line:
            continue
        if bulleted:  # a highlight bullet is a paragraph of its own
            if current:
                paras.append(" ".join(current))
                current = []
            paras.append(line)
            continue
        if not current and _headline_like(line):  # sub-heads, related-story links
            continue
        current.append(line)
    if current:
        paras.append(" ".join(current))
    # A paragraph cut in the middle of a sentence (page layout) continues in lower case.
    merged: list[str] = []
    for p in paras:
        if merged and not merged[-1].endswith(_TERMINAL) and p[:1].islower():
            merged[-1] = merged[-1] + " " + p
        else:
            merged.append(p)
    return clean_space("\n\n".join(merged))


def _source(lines: list[str]) -> str | None:
    for line in lines:
        p = _plain(line)
        m = _COPYRIGHT.search(p) if re.search(r"(?i)©|\(c\)|copyright", p) else None
        if m:
            name = m.group(1).strip(" .,")
            if 1 <= len(name) <= 60:
                return name
    return None


def _headers(lines: list[str]) -> list[dict]:
    """Article headers: a byline and/or date line, with the title line above them."""
    nonblank = [i for i, line in enumerate(lines) if line.strip()]
    headers: list[dict] = []
    k = 0
    while k < len(nonblank):
        i = nonblank[k]
        author = _byline(lines[i])
        is_date = _is_dateline(lines[i])
        if not (author or is_date) or k == 0:
            k += 1
            continue
        # the header block: up to 3 consecutive byline/date lines
        block_end, date_line = k, lines[i] if is_date else None
        j = k + 1
        while j < len(nonblank) and j <= k + 2:
            line = lines[nonblank[j]]
            a, d = _byline(line), _is_dateline(line)
            if not (a or d):
                break
            author = author or a
            date_line = date_line or (line if d else None)
            block_end = j
            j += 1
        title_idx = nonblank[k - 1]
        if not _title_candidate(lines[title_idx]) or (headers and title_idx <= headers[-1]["body_start"]):
            k += 1
            continue
        start = title_idx
        if k >= 2:  # a short section label right above the title ("Politics")
            above = lines[nonblank[k - 2]]
            if len(_plain(above).split()) <= 3 and _headline_like(_plain(above)) and not _FOOTER.match(_plain(above)):
                start = nonblank[k - 2]
        headers.append({
            "start": start, "title": _plain(lines[title_idx]), "author": author,
            "date": _plain(date_line) if date_line else None,
            "body_start": nonblank[block_end] + 1,
        })
        k = block_end + 1
    # A dateline alone is only a header when it is near the top or follows a footer.
    return headers


def parse_text(text: str, origin: str) -> list[Article]:
    lines = text.split("\n")
    headers = _headers(lines)
    articles: list[Article] = []
    if not headers:
        nonblank = [line for line in lines if line.strip()]
        first = _plain(nonblank[0]) if nonblank else ""
        if len(nonblank) > 1 and _title_candidate(nonblank[0]):
            title, body_lines = first, lines[lines.index(nonblank[0]) + 1:]
        else:
            title, body_lines = (first[:80] + "…") if len(first) > 80 else first, lines
        body = _body_text(body_lines)
        if body:
            articles.append(Article(title=title, text=body, source=_source(lines), origin=origin))
        return articles
    for n, h in enumerate(headers):
        end = headers[n + 1]["start"] if n + 1 < len(headers) else len(lines)
        body = _body_text(lines[h["body_start"]:end])
        if not body:
            continue
        articles.append(Article(
            title=h["title"], text=body, author=h["author"],
            published_at=parse_date(h["date"]) if h["date"] else None,
            source=_source(lines[h["body_start"]:end]), origin=origin,
        ))
    return articles
