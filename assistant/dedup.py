"""Stable ids, exact duplicates (content hash) and near-duplicates (MinHash LSH).

- id: the record's own ``id``; else a hash of the canonical URL (courlan strips
  tracking parameters and fragments); else a hash of the normalized text.
- exact duplicate: same id or same normalized-text hash as a stored article.
- near-duplicate: estimated Jaccard similarity of word 5-shingles above the
  threshold; the article is kept (one copy may carry more text) and joins the
  other's ``dup_group``.
"""

from __future__ import annotations

import base64
import hashlib
import re

import numpy as np
from courlan import normalize_url
from datasketch import MinHash, MinHashLSH

NUM_PERM = 128
SHINGLE = 5
SCHEME = "affine32"  # datasketch 2.x: 32-bit values, stored as uint32


def normalize_text(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def _h(s: str) -> str:
    return hashlib.sha256(s.encode("utf-8")).hexdigest()


def content_hash(text: str) -> str:
    return _h(normalize_text(text))[:24]


def canonical_url(url: str) -> str:
    try:
        return normalize_url(url.strip(), strict=True)
    except Exception:  # courlan raises on some malformed URLs; keep the given string
        return url.strip()


def article_id(record_id: str, url: str | None, text: str) -> str:
    if record_id:
        return record_id
    if url:
        return "u" + _h(canonical_url(url))[:15]
    return "t" + content_hash(text)[:15]


def minhash(text: str) -> MinHash:
    words = normalize_text(text).split()
    shingles = {" ".join(words[i:i + SHINGLE]) for i in range(max(1, len(words) - SHINGLE + 1))}
    m = MinHash(num_perm=NUM_PERM, seed=1, scheme=SCHEME)
    m.update_batch([s.encode("utf-8") for s in shingles])
    return m


def encode_minhash(m: MinHash) -> str:
    return base64.b64encode(m.hashvalues.astype(np.uint32).tobytes()).decode("ascii")


def decode_minhash(s: str) -> MinHash | None:
    if not s:
        return None
    values = np.frombuffer(base64.b64decode(s), dtype=np.uint32).copy()
    return MinHash(num_perm=NUM_PERM, seed=1, scheme=SCHEME, hashvalues=values)


class DuplicateIndex:
    """Exact and near-duplicate look-ups over stored articles plus those of this batch."""

    def __init__(self, threshold: float):
        self.threshold = threshold
        self.lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
        self.ids: set[str] = set()
        self.hashes: set[str] = set()
        self.groups: dict[str, str] = {}
        self.sigs: dict[str, MinHash] = {}

    @classmethod
    def from_keys(cls, keys, threshold: float) -> "DuplicateIndex":
        idx = cls(threshold)
        for k in keys:
            idx.add(k.id, k.content_hash, k.dup_group, decode_minhash(k.minhash))
        return idx

    def is_exact_duplicate(self, aid: str, chash: str) -> bool:
        return aid in self.ids or chash in self.hashes

    def group_for(self, m: MinHash) -> str | None:
        """The dup_group of the most similar article above the threshold, if any."""
        best, best_j = None, self.threshold
        for cand in self.lsh.query(m):
            j = m.jaccard(self.sigs[cand])
            if j >= best_j:
                best, best_j = cand, j
        return self.groups[best] if best else None

    def add(self, aid: str, chash: str, group: str, m: MinHash | None) -> None:
        self.ids.add(aid)
        self.hashes.add(chash)
        self.groups[aid] = group
        if m is not None and aid not in self.sigs:
            self.sigs[aid] = m
            self.lsh.insert(aid, m)
