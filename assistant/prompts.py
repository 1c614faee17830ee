"""Prompts live as files in ``prompts/``: a system part, a line ``=== user ===``, a user part.

Each prompt declares its variables here; loading a file whose ``{variables}`` differ
from the declaration raises ``PromptError``, so a typo fails at load, not at answer time.
Values are inserted verbatim (braces inside article text are not re-interpreted).
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .errors import PromptError

DECLARED: dict[str, set[str]] = {
    "answer": {"sources", "question", "max_sentences", "refusal"},
    "condense": {"history", "question"},
    "summarize_map": {"sources", "max_sentences", "focus"},
    "summarize_reduce": {"summaries", "max_sentences", "focus"},
    "brief_story": {"sources", "max_sentences"},
}
SEPARATOR = "=== user ==="


@dataclass(frozen=True)
class Prompt:
    name: str
    system: str
    user: str

    def render(self, **values) -> list[dict]:
        missing = DECLARED[self.name] - values.keys()
        extra = values.keys() - DECLARED[self.name]
        if missing or extra:
            raise PromptError(f"prompt `{self.name}`: missing {sorted(missing)}, unexpected {sorted(extra)}")
        fill = lambda t: t.format_map({k: str(v) for k, v in values.items()})  # noqa: E731
        return [{"role": "system", "content": fill(self.system)}, {"role": "user", "content": fill(self.user)}]


def _variables(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


@lru_cache(maxsize=32)
def load_prompt(name: str, directory: Path) -> Prompt:
    if name not in DECLARED:
        raise PromptError(f"unknown prompt `{name}`")
    path = Path(directory) / f"{name}.md"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise PromptError(f"cannot read prompt file {path}: {e.strerror}") from e
    if SEPARATOR not in text:
        raise PromptError(f"{path}: missing the `{SEPARATOR}` line between system and user parts")
    system, user = (part.strip() for part in text.split(SEPARATOR, 1))
    try:
        found = _variables(system) | _variables(user)
    except ValueError as e:
        raise PromptError(f"{path}: malformed template ({e})") from e
    if found != DECLARED[name]:
        raise PromptError(f"{path}: variables {sorted(found)} differ from the declared {sorted(DECLARED[name])}")
    return Prompt(name, system, user)


_MARKER = re.compile(r"\[(\d+)\]")


def source_block(n: int, title: str, published_at: str | None, source: str | None, text: str) -> str:
    """One numbered, delimited source. Markers like "[7]" inside article text are neutralised
    so that a source cannot smuggle in a citation; "<source" tags are escaped."""
    body = _MARKER.sub(r"(\1)", text).replace("<source", "&lt;source").replace("</source", "&lt;/source")
    head = f'<source n="{n}" title="{title.replace(chr(34), chr(39))}"'
    if published_at:
        head += f' date="{published_at[:10]}"'
    if source:
        head += f' outlet="{source}"'
    return f"{head}>\n{body}\n</source>"
