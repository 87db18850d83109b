import os

import numpy as np

from labelwell.assist.embeddings import DIM, EmbeddingCache, SentenceEmbedder, content_key

TEXTS = [
    "Check out my channel for free gift cards!!!",
    "This song always makes me cry, beautiful voice",
    "Subscribe to me and I will subscribe back",
    "This song always makes me cry, beautiful voice",
]


def test_vectors_are_384_dim_unit_length_and_offline(minilm):
    emb = SentenceEmbedder(model=minilm)
    v = emb.embed(TEXTS)
    assert v.shape == (4, DIM) == (4, 384)
    assert v.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    np.testing.assert_array_equal(v[1], v[3])
    # the two spam comments are closer to each other than to the song comment
    sim = v @ v.T
    assert sim[0, 2] > sim[0, 1]


def test_cache_hits_skip_the_model_and_persist_on_disk(minilm, tmp_path):
    calls = []

    class CountingModel:
        def encode(self, texts, **kwargs):
            calls.append(list(texts))
            return minilm.encode(texts, **kwargs)

    emb = SentenceEmbedder(cache=EmbeddingCache(tmp_path), model=CountingModel())
    first = emb.embed(TEXTS)
    assert calls == [TEXTS[:3]]  # the duplicate text is embedded once
    second = emb.embed(TEXTS[::-1])
    assert len(calls) == 1
    np.testing.assert_array_equal(second, first[::-1])
    reopened = EmbeddingCache(tmp_path)
    assert len(reopened) == 3
    np.testing.assert_array_equal(reopened.get(content_key(TEXTS[0])), first[0])
    assert not list(tmp_path.glob(".*.tmp.npz"))


def test_content_key_depends_on_text_and_model():
    assert content_key("a") == content_key("a")
    assert content_key("a") != content_key("a ")
    assert content_key("a", "m1") != content_key("a", "m2")
