"""The guards against their definitions computed directly, and scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics.pairwise import rbf_kernel as sk_rbf

from labelwell.synth import guards


def _mmd2_by_definition(x, y, width):
    """Gretton et al. 2012, eq. 3, with explicit loops over i != j."""
    k = lambda a, b: np.exp(-np.sum((a - b) ** 2) / (2 * width**2))  # noqa: E731
    n, m = len(x), len(y)
    xx = sum(k(x[i], x[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    yy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    xy = sum(k(x[i], y[j]) for i in range(n) for j in range(m)) / (n * m)
    return xx + yy - 2 * xy


def test_rbf_kernel_matches_scikit_learn():
    z = np.random.default_rng(0).normal(size=(20, 5))
    np.testing.assert_allclose(guards.rbf_kernel(z, 1.7), sk_rbf(z, gamma=1 / (2 * 1.7**2)))


def test_mmd_statistic_matches_the_definition():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(15, 4)), rng.normal(0.5, 1, size=(12, 4))
    res = guards.mmd_test(x, y, n_permutations=50)
    z = np.vstack([x, y])
    d = np.sqrt(((z[:, None] - z[None]) ** 2).sum(-1))
    assert res.bandwidth == pytest.approx(np.median(d[np.triu_indices(len(z), 1)]))
    assert res.mmd2 == pytest.approx(_mmd2_by_definition(x, y, res.bandwidth))


def test_mmd_permutation_test_tells_shift_from_none():
    rng = np.random.default_rng(2)
    real = rng.normal(size=(80, 8))
    same = guards.mmd_test(real, rng.normal(size=(80, 8)), n_permutations=300)
    shifted = guards.mmd_test(real, rng.normal(0.8, 1, size=(80, 8)), n_permutations=300)
    assert shifted.p_value == pytest.approx(1 / 301) and shifted.mmd2 > 0.05
    assert same.p_value > 0.05


def test_classifier_two_sample_auc():
    rng = np.random.default_rng(3)
    real = rng.normal(size=(100, 6))
    assert abs(guards.c2st_auc(real, rng.normal(size=(100, 6))) - 0.5) < 0.15
    assert guards.c2st_auc(real, rng.normal(1.5, 1, size=(100, 6))) > 0.95


def test_shift_by_label_and_its_plot():
    rng = np.random.default_rng(4)
    real = rng.normal(size=(40, 3))
    synth = np.vstack([rng.normal(size=(20, 3)), rng.normal(3, 1, size=(20, 3))])
    shifts = guards.shift_by_label(
        real, ["a"] * 20 + ["b"] * 20, synth, ["a"] * 20 + ["b"] * 19 + ["c"], n_permutations=100
    )
    by = {s.label: s for s in shifts}
    assert [s.label for s in shifts] == [None, "a", "b", "c"]
    assert by["b"].auc > 0.9 and by["b"].p_value < 0.05 and by["a"].p_value > 0.01
    assert (by["c"].n_real, by["c"].n_synthetic, by["c"].mmd2) == (0, 1, None)
    svg = guards.shift_plot_svg(real, synth, title="<x>")
    assert svg.startswith("<svg") and svg.count("<circle") == 80 and "&lt;x&gt;" in svg


TEXTS = [
    "The quick brown fox jumps over the lazy dog near the river bank.",
    "The quick brown fox jumps over the lazy dog near the river bank!",
    "A completely different sentence about databases and their indexes.",
    "The quick brown fox leaps over the lazy dog near the river bank.",
    "Databases keep indexes so a lookup is a seek, not a scan of every row.",
]


def test_minhash_estimates_jaccard():
    mh = guards.MinHash(num_perm=256)
    sig = mh.signatures(TEXTS)
    for i in range(len(TEXTS)):
        for j in range(i + 1, len(TEXTS)):
            exact = guards.jaccard(guards.shingles(TEXTS[i]), guards.shingles(TEXTS[j]))
            assert abs(np.mean(sig[i] == sig[j]) - exact) < 0.12


def test_minhash_duplicates_find_what_exact_jaccard_finds():
    found = {(p.i, p.j): p.similarity for p in guards.minhash_duplicates(TEXTS, threshold=0.8)}
    for i in range(len(TEXTS)):
        for j in range(i + 1, len(TEXTS)):
            exact = guards.jaccard(guards.shingles(TEXTS[i]), guards.shingles(TEXTS[j]))
            if exact >= 0.9:
                assert found[(i, j)] == pytest.approx(exact, abs=0.1)
            elif exact < 0.6:
                assert (i, j) not in found
    assert (0, 1) in found and (2, 4) not in found
    query = ["the quick brown fox jumps over the lazy dog near the river bank"]
    against = guards.minhash_duplicates(query, TEXTS, threshold=0.9)
    assert {p.j for p in against} == {0, 1}


def test_cosine_duplicates_in_blocks():
    rng = np.random.default_rng(5)
    e = rng.normal(size=(50, 16))
    e[30] = e[3] * 2 + 1e-3
    pairs = guards.cosine_duplicates(e, threshold=0.99, block=7)
    assert [(p.i, p.j) for p in pairs] == [(3, 30)]
    sims = guards.cosine_duplicates(e[:5], e, threshold=0.99)
    assert [(p.i, p.j) for p in sims] == [(0, 0), (1, 1), (2, 2), (3, 3), (3, 30), (4, 4)]


REFERENCE = (
    "It was the best of times, it was the worst of times, it was the age of wisdom, it was the "
    "age of foolishness, it was the epoch of belief, it was the epoch of incredulity."
)


def test_verbatim_overlaps_on_fixed_inputs():
    copied = REFERENCE[10:90]
    text = "Opening words. " + copied + " and then something else entirely new."
    short = REFERENCE[:42]  # under the bar of 50 characters
    found = guards.verbatim_overlaps([text, short, "nothing shared"], ["zzz", REFERENCE])
    assert len(found) == 1
    o = found[0]
    assert (o.index, o.reference) == (0, 1)
    span = text[o.start : o.end]
    assert copied in span and span in REFERENCE and REFERENCE.find(span) == o.reference_start
    # maximal: one more character on the right does not match any more
    assert text[o.start : o.end + 1] not in REFERENCE
    assert guards.verbatim_overlaps([short], [REFERENCE], min_chars=40)[0].length == len(short)


def test_verbatim_overlaps_agree_with_brute_force():
    rng = np.random.default_rng(6)
    alphabet = list("abcd ")
    refs = ["".join(rng.choice(alphabet, 400)) for _ in range(3)]
    texts = []
    for k in range(20):
        r = refs[k % 3]
        s = int(rng.integers(0, 300))
        texts.append("".join(rng.choice(alphabet, 30)) + r[s : s + int(rng.integers(5, 90))])
    found = guards.verbatim_overlaps(texts, refs, min_chars=20)
    for i, t in enumerate(texts):
        brute = any(t[s : s + 20] in ref for s in range(len(t) - 19) for ref in refs)
        assert brute == any(o.index == i for o in found)
    for o in found:
        assert (
            texts[o.index][o.start : o.end]
            == refs[o.reference][o.reference_start : o.reference_start + o.length]
        )
