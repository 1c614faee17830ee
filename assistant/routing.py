"""Chat routing: "summarize the articles about Haftar" or "give me a summary of yesterday's
news" go to summarization; everything else is a question."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from dateutil import parser as dateparser

_SUMMARY = re.compile(r"(?i)\b(summari[sz]e|summari[sz]ing|summary|sum up|recap|overview|digest|brief me|"
                      r"tl;?dr|what happened (?:yesterday|today|this week|last week|on\b))")
_MONTHS = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_DATE = re.compile(rf"(?i)\b(?:on\s+)?(\d{{4}}-\d{{2}}-\d{{2}}|{_MONTHS}\s+\d{{1,2}}(?:,?\s+\d{{4}})?|\d{{1,2}}\s+{_MONTHS}(?:\s+\d{{4}})?)")
_RELATIVE = {
    "today": (0, 0), "yesterday": (1, 1), "this week": (None, 0), "last week": (None, None),
}
_FILLER = re.compile(
    r"(?i)\b(please|can you|could you|give me|i want|i'd like|a|an|the|short|brief|quick|long|detailed|"
    r"summari[sz]e|summari[sz]ing|summary|sum up|recap|overview|digest|brief me|tl;?dr|of|for|all|news|"
    r"articles?|stories|story|coverage|reports?|today'?s?|yesterday'?s?|this week'?s?|last week'?s?|"
    r"in|from|published|what happened|me|us|with|citations?|in bullets|bullet points?)\b")


@dataclass
class Route:
    kind: str  # "answer" | "summary"
    query: str | None = None
    since: date | None = None
    until: date | None = None


def _window(text: str, today: date) -> tuple[date | None, date | None, str]:
    for phrase, (a, b) in _RELATIVE.items():
        pat = re.compile(rf"(?i)\b{phrase}(?:['’]s)?\b")
        if pat.search(text):
            rest = pat.sub(" ", text)
            if phrase == "this week":
                return today - timedelta(days=today.weekday()), today, rest
            if phrase == "last week":
                start = today - timedelta(days=today.weekday() + 7)
                return start, start + timedelta(days=6), rest
            return today - timedelta(days=a), today - timedelta(days=b), rest
    m = re.search(r"(?i)\b(?:last|past)\s+(\d{1,3})\s+days\b", text)
    if m:
        return today - timedelta(days=int(m.group(1))), today, text.replace(m.group(0), " ")
    m = _DATE.search(text)
    if m:
        try:
            d = dateparser.parse(m.group(1), default=dateparser.parse(f"{today.year}-01-01")).date()
            return d, d, text.replace(m.group(0), " ")
        except (ValueError, OverflowError):
            pass
    return None, None, text


def route(message: str, today: date | None = None) -> Route:
    if not _SUMMARY.search(message):
        return Route("answer")
    today = today or date.today()
    since, until, rest = _window(message, today)
    rest = re.sub(r"(?i)\b(about|on|regarding|concerning|covering|around)\b", " ", rest)
    topic = re.sub(r"[^\w\s'-]", " ", _FILLER.sub(" ", rest))
    topic = " ".join(topic.split()).strip(" '-") or None
    return Route("summary", query=topic, since=since, until=until)
