"""Typed errors. They become user messages only at the CLI/UI boundary."""

from __future__ import annotations


class AssistantError(Exception):
    """Root of every error this package raises on purpose."""


class InputError(AssistantError):
    """A file, URL or record could not be turned into articles."""

    def __init__(self, path: str, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class IndexMismatchError(AssistantError):
    """The store was built with other embedding or chunking settings."""


class StoreError(AssistantError):
    """The vector store could not be opened or written."""


class NotFoundError(AssistantError):
    """An article id that is not in the store."""


class ModelError(AssistantError):
    """A chat or embedding model failed (after retries)."""


class ModelUnavailableError(ModelError):
    """The model cannot be reached or loaded (not installed, no server, bad key)."""


class PromptError(AssistantError):
    """A prompt file is missing or its variables do not match."""
