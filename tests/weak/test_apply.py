import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from labelwell.errors import Conflict, InvalidInput
from labelwell.weak import (
    LabelModel,
    LFApplier,
    keyword_lf,
    labeling_function,
    lookup_lf,
    regex_lf,
    to_dense,
)


@labeling_function()
def has_link(x):
    return 1 if "http" in x.text else -1


@labeling_function()
def short(x):
    return 0 if len(x.text) < 20 else -1


LFS = [
    has_link,
    short,
    keyword_lf("spam_words", ["subscribe", "check out", "my channel"], label=1),
    regex_lf("song_words", r"\b(love|song|beautiful)\b", label=0),
    lookup_lf("known", {"bot": 1}, field="author"),
]

TEXTS = [
    "check out my channel http://x.y",
    "love this song",
    "Subscribe please!!",
    "a very long comment about nothing in particular at all",
    "beautiful",
]


def make_items(n):
    return [
        {"text": TEXTS[i % len(TEXTS)], "author": "bot" if i % 7 == 0 else f"user{i}"}
        for i in range(n)
    ]


def expected_L(n):
    one = np.array(
        [
            [1, -1, 1, -1, -1],
            [-1, 0, -1, 0, -1],
            [-1, 0, 1, -1, -1],
            [-1, -1, -1, -1, -1],
            [-1, 0, -1, 0, -1],
        ]
    )
    L = one[np.arange(n) % len(TEXTS)].copy()
    L[np.arange(n) % 7 == 0, 4] = 1
    return L


def test_apply_over_dicts_and_frames():
    items = make_items(53)
    result = LFApplier(LFS).apply(items, batch_size=10, progress=False)
    np.testing.assert_array_equal(result.L, expected_L(53))
    assert result.L.dtype == np.int8
    assert result.lf_names == ["has_link", "short", "spam_words", "song_words", "known"]
    assert result.lf_versions == [lf.version for lf in LFS]
    framed = LFApplier(LFS).apply(pd.DataFrame(items), batch_size=16, progress=False)
    np.testing.assert_array_equal(framed.L, result.L)


def test_sparse_output_feeds_the_label_model():
    items = make_items(70)
    result = LFApplier(LFS).apply(items, batch_size=9, sparse=True, progress=False)
    assert sp.issparse(result.L) and result.L.nnz == int((expected_L(70) != -1).sum())
    np.testing.assert_array_equal(to_dense(result.L), expected_L(70))
    dense = LabelModel(2).fit(expected_L(70)).predict_proba(expected_L(70))
    np.testing.assert_allclose(LabelModel(2).fit(result.L).predict_proba(result.L), dense)


def test_process_executor_gives_the_same_votes():
    items = make_items(40)
    result = LFApplier(LFS).apply(
        items, executor="process", n_workers=2, batch_size=8, progress=False
    )
    np.testing.assert_array_equal(result.L, expected_L(40))


@pytest.mark.parametrize("processes", [False, True])
def test_dask_executor_gives_the_same_votes(processes):
    distributed = pytest.importorskip("dask.distributed")
    with (
        distributed.LocalCluster(
            n_workers=2 if not processes else 1,
            threads_per_worker=1,
            processes=processes,
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        result = LFApplier(LFS).apply(
            pd.DataFrame(make_items(60)),
            executor="dask",
            client=client,
            batch_size=11,
            progress=False,
        )
    np.testing.assert_array_equal(result.L, expected_L(60))


def test_resumes_from_a_checkpoint(tmp_path):
    items = make_items(30)
    first = LFApplier(LFS).apply(items, batch_size=10, checkpoint=tmp_path, progress=False)
    again = LFApplier(LFS).apply(items, batch_size=10, checkpoint=tmp_path, progress=False)
    np.testing.assert_array_equal(first.L, again.L)
    changed = [*LFS[:-1], keyword_lf("known", ["bot"], 1, field="author")]
    with pytest.raises(Conflict, match="another job"):
        LFApplier(changed).apply(items, batch_size=10, checkpoint=tmp_path, progress=False)


def test_empty_items_and_bad_lfs():
    assert LFApplier(LFS).apply([], progress=False).L.shape == (0, 5)
    with pytest.raises(InvalidInput, match="unique"):
        LFApplier([has_link, has_link])
