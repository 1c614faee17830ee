"""Sentence boundaries with character offsets.

A small rule-based splitter: fast (the chunker runs it over every article) and
exact about offsets, which citations depend on. Paragraph breaks are always
boundaries; `.`, `!`, `?` (plus closing quotes/brackets) followed by space and
an upper-case letter, digit or opening quote are boundaries unless the word
before is a known abbreviation, an initial or a dotted acronym (U.S., U.A.E.).
"""

from __future__ import annotations

import re

ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "mt", "col", "gen", "lt", "sgt", "capt",
    "maj", "adm", "cmdr", "gov", "sen", "rep", "rev", "hon", "pres", "amb", "insp", "supt",
    "inc", "corp", "ltd", "co", "llc", "plc", "bros", "dept", "univ", "assn",
    "vs", "etc", "approx", "fig", "vol", "eds", "pp",
    "jan", "feb", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "e.g", "i.e", "al",
}

_BOUNDARY = re.compile(r"""[.!?]+['"”’)\]]*(?=\s+['"“‘(\[]?[A-Z0-9])""")
_PARA = re.compile(r"\n\s*\n")
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)\.$")


def _is_abbreviation(segment: str) -> bool:
    m = _WORD_BEFORE.search(segment)
    if not m:
        return False
    word = m.group(1)
    lower = word.lower()
    if lower in ABBREVIATIONS:
        return True
    if len(word) == 1 and word.isupper():  # an initial: "John F. Kennedy"
        return True
    return bool(re.fullmatch(r"(?:[A-Za-z]\.)+[A-Za-z]", word))  # U.S. / U.A.E.


def _split_paragraph(text: str, offset: int) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        end = m.end()
        if text[m.start()] == "." and _is_abbreviation(text[start : m.start() + 1]):
            continue
        spans.append((start, end))
        start = end
    spans.append((start, len(text)))
    out = []
    for s, e in spans:
        seg = text[s:e]
        lead = len(seg) - len(seg.lstrip())
        trail = len(seg) - len(seg.rstrip())
        s2, e2 = s + lead, e - trail
        if e2 > s2:
            out.append((offset + s2, offset + e2))
    return out


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Character spans ``(start, end)`` of the sentences of ``text``."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for m in _PARA.finditer(text):
        spans.extend(_split_paragraph(text[pos : m.start()], pos))
        pos = m.end()
    spans.extend(_split_paragraph(text[pos:], pos))
    return spans


def sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in split_sentences(text)]
