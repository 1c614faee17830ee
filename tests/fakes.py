"""Fakes that implement our own protocols (no patching of internals)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from assistant.llm import Completion


class FakeChatModel:
    """A ChatModel with queued replies (or a function of the messages); records every call."""

    name = "fake"

    def __init__(self, replies: list[str] | None = None, respond: Callable[[list[dict]], str] | None = None):
        self.replies = list(replies or [])
        self.respond = respond
        self.calls: list[list[dict]] = []
        self.last_usage: dict = {}

    def _reply(self, messages) -> str:
        self.calls.append(messages)
        if self.respond:
            return self.respond(messages)
        return self.replies.pop(0) if self.replies else ""

    def complete(self, messages, *, max_tokens=300, temperature=0.0) -> Completion:
        text = self._reply(messages)
        return Completion(text, {"prompt_tokens": sum(len(m["content"]) for m in messages) // 4,
                                 "completion_tokens": len(text) // 4})

    def stream(self, messages, *, max_tokens=300, temperature=0.0) -> Iterator[str]:
        text = self._reply(messages)
        self.last_usage = {"completion_tokens": len(text.split())}
        for word in text.split(" "):
            yield word + " "
