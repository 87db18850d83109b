from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from labelwell.errors import InvalidInput
from labelwell.rlhf.bradley_terry import (
    BradleyTerry,
    battles_from_comparisons,
    collapse_battles,
    fit_cells,
)
from labelwell.rlhf.records import Comparison

OUTCOMES = np.array(["model_a", "model_b", "tie", "tie (bothbad)"])


def simulate(n_battles: int, n_models: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    strength = rng.normal(0, 1, n_models)
    a = rng.integers(0, n_models, n_battles)
    b = (a + rng.integers(1, n_models, n_battles)) % n_models
    p = 1 / (1 + np.exp(-(strength[a] - strength[b])))
    u = rng.random(n_battles)
    winner = np.where(u < 0.15, "tie", np.where(u < 0.2, "tie (bothbad)", ""))
    win = rng.random(n_battles) < p
    winner = np.where(winner == "", np.where(win, "model_a", "model_b"), winner)
    names = np.array([f"m{i:02d}" for i in range(n_models)])
    return pd.DataFrame({"model_a": names[a], "model_b": names[b], "winner": winner})


def arena_sklearn_ratings(df: pd.DataFrame) -> pd.Series:
    """The Chatbot Arena notebook's `compute_mle_elo`: wins counted twice, ties once
    per side, design +/- log(10), unpenalised logistic regression without intercept."""
    models = pd.Index(sorted(set(df.model_a) | set(df.model_b)))
    ia = models.get_indexer(df.model_a)
    ib = models.get_indexer(df.model_b)
    rows, ys, ws = [], [], []
    for x, y, w in zip(ia, ib, df.winner, strict=True):
        v = np.zeros(len(models))
        v[x], v[y] = math.log(10), -math.log(10)
        if w == "model_a":
            rows.append(v), ys.append(1), ws.append(2.0)
        elif w == "model_b":
            rows.append(v), ys.append(0), ws.append(2.0)
        else:
            rows += [v, v]
            ys += [1, 0]
            ws += [1.0, 1.0]
    lr = LogisticRegression(fit_intercept=False, penalty=None, tol=1e-10, max_iter=10_000)
    lr.fit(np.array(rows), np.array(ys), sample_weight=np.array(ws))
    coef = lr.coef_[0] - lr.coef_[0].mean()
    return pd.Series(1000 + 400 * coef, index=models)


def test_matches_arena_logistic_regression():
    df = simulate(3000, 8, seed=1)
    ours = BradleyTerry(n_bootstrap=0).fit(df).ratings_
    ref = arena_sklearn_ratings(df)
    np.testing.assert_allclose(ours.loc[ref.index].to_numpy(), ref.to_numpy(), atol=1e-4)
    assert ours.mean() == pytest.approx(1000.0)


def test_known_two_player_answer():
    # a wins 3, loses 1, ties 2 -> a scores 4 of 6: 10**(d/400) = 2, d = 400*log10(2).
    df = pd.DataFrame(
        {
            "model_a": ["x", "x", "y", "x", "y", "x"],
            "model_b": ["y", "y", "x", "y", "x", "y"],
            "winner": ["model_a", "model_a", "model_b", "model_b", "tie", "tie (bothbad)"],
        }
    )
    r = BradleyTerry(n_bootstrap=0).fit(df).ratings_
    assert r["x"] - r["y"] == pytest.approx(400 * math.log10(2), abs=1e-6)
    assert r["x"] + r["y"] == pytest.approx(2000)


def test_collapse_merges_orders_and_flips_outcome():
    cells = collapse_battles(["x", "y", "x"], ["y", "x", "y"], ["model_a", "model_b", "tie"])
    assert cells.models == ["x", "y"]
    assert cells.n_battles == 3
    got = {
        (int(a), int(b), float(y)): int(c)
        for a, b, y, c in zip(cells.a, cells.b, cells.y, cells.count, strict=True)
    }
    assert got == {(0, 1, 1.0): 2, (0, 1, 0.5): 1}


def test_labelwell_outcome_names_equal_arena_names():
    df = simulate(500, 4, seed=2)
    mapped = df.assign(
        winner=df.winner.map(
            {"model_a": "a", "model_b": "b", "tie": "tie", "tie (bothbad)": "both_bad"}
        )
    )
    r1 = BradleyTerry(n_bootstrap=0).fit(df).ratings_
    r2 = BradleyTerry(n_bootstrap=0).fit(mapped).ratings_
    np.testing.assert_allclose(r1, r2)


def test_bootstrap_intervals_cover_point_and_are_seeded():
    df = simulate(2000, 5, seed=3)
    bt = BradleyTerry(n_bootstrap=20, random_state=7).fit(df)
    assert (bt.ci_low_ <= bt.ratings_).all() and (bt.ratings_ <= bt.ci_high_).all()
    assert (bt.ci_high_ - bt.ci_low_ > 1).all()
    again = BradleyTerry(n_bootstrap=20, random_state=7).fit(df)
    np.testing.assert_array_equal(bt.bootstrap_ratings_, again.bootstrap_ratings_)
    board = bt.leaderboard()
    assert list(board.columns) == [
        "rank",
        "model",
        "rating",
        "ci_low",
        "ci_high",
        "n_battles",
        "unstable",
    ]
    assert board.n_battles.sum() == 2 * 2000
    assert all(r == ["few_rounds"] for r in bt.instability_.values())  # 20 < 100 rounds
    assert {w.kind for w in bt.warnings_} == {"unstable_interval"}
    enough = BradleyTerry(n_bootstrap=100, random_state=7).fit(df)
    assert not enough.leaderboard().unstable.any() and enough.warnings_ == []
    assert board.rating.is_monotonic_decreasing


def test_multinomial_bootstrap_matches_row_resampling_in_distribution():
    df = simulate(1500, 4, seed=4)
    bt = BradleyTerry(n_bootstrap=80, random_state=0).fit(df)
    rng = np.random.default_rng(1)
    a, b, w = df.model_a.to_numpy(), df.model_b.to_numpy(), df.winner.to_numpy()
    rows = []
    with threadpool_limits(limits=1, user_api="blas"):
        for _ in range(80):
            take = rng.integers(0, len(df), len(df))
            rows.append(1000 + 400 * fit_cells(collapse_battles(a[take], b[take], w[take])))
    row_sd = np.std(rows, axis=0, ddof=1)
    np.testing.assert_allclose(bt.bootstrap_ratings_.std().to_numpy(), row_sd, rtol=0.35)


def test_l2_keeps_unbeaten_model_finite_and_shrinks():
    df = pd.DataFrame({"model_a": ["x"] * 5 + ["y"], "model_b": ["y"] * 5 + ["z"]})
    df["winner"] = "model_a"
    r = BradleyTerry(n_bootstrap=0, l2=1.0).fit(df).ratings_
    assert np.isfinite(r).all()
    assert r["x"] > r["y"] > r["z"]
    plain = BradleyTerry(n_bootstrap=0).fit(simulate(400, 3, 5)).ratings_
    shrunk = BradleyTerry(n_bootstrap=0, l2=50.0).fit(simulate(400, 3, 5)).ratings_
    assert (shrunk - 1000).abs().sum() < (plain - 1000).abs().sum()


def test_predict_win_rate():
    df = simulate(2000, 3, seed=6)
    bt = BradleyTerry(n_bootstrap=0).fit(df)
    p = bt.predict_win_rate("m00", "m01")
    assert p + bt.predict_win_rate("m01", "m00") == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("a", "b", "w", "msg"),
    [
        (["x"], ["y"], ["draw"], "unknown winner"),
        (["x"], ["x"], ["tie"], "plays itself"),
        ([], [], [], "no battles"),
    ],
)
def test_bad_battles(a, b, w, msg):
    with pytest.raises(InvalidInput, match=msg):
        collapse_battles(a, b, w)


def test_project_comparisons_become_model_battles():
    comps = [
        Comparison("i1", "r1", "r2", "a", "ann1"),
        Comparison("i1", "r2", "r1", "both_bad", "ann2"),
        Comparison("i2", "s1", "s2", "b", "ann1"),
        Comparison("i2", "s1", "s3", "a", "ann1"),  # same model on both sides
    ]
    model_of = {
        ("i1", "r1"): "v1",
        ("i1", "r2"): "v2",
        ("i2", "s1"): "v1",
        ("i2", "s2"): "v2",
        ("i2", "s3"): "v1",
    }
    battles = battles_from_comparisons(comps, model_of)
    assert battles.values.tolist() == [
        ["v1", "v2", "a"],
        ["v2", "v1", "both_bad"],
        ["v1", "v2", "b"],
    ]
    r = BradleyTerry(n_bootstrap=0).fit(battles).ratings_
    # v1 scores 1 + 0.5 + 0 of 3 against v2: equal ratings
    assert r["v1"] == pytest.approx(r["v2"])
    with pytest.raises(InvalidInput, match="no model"):
        battles_from_comparisons(comps, {})


def test_missing_model_is_rejected():
    with pytest.raises(InvalidInput, match="model_b is missing"):
        collapse_battles(["x", "y"], ["y", None], ["tie", "tie"])


def test_three_battles_warn_and_flag_every_interval_unstable():
    battles = pd.DataFrame(
        {
            "model_a": ["x", "x", "y"],
            "model_b": ["y", "z", "z"],
            "winner": ["model_a", "model_a", "model_b"],
        }
    )
    bt = BradleyTerry(random_state=0).fit(battles)
    assert not bt.estimate_exists_  # x never lost: the ratings run off (Ford 1957)
    board = bt.leaderboard()
    assert board.unstable.all() and (board.n_battles == 2).all()
    assert np.isfinite(board[["rating", "ci_low", "ci_high"]].to_numpy()).all()
    kinds = {(w.subject, w.kind) for w in bt.warnings_}
    assert kinds == {(m, k) for m in "xyz" for k in ("small_sample", "unstable_interval")}
    unstable = [w for w in bt.warnings_ if w.kind == "unstable_interval"]
    assert all({"few_resamples", "diverged"} <= set(w.reasons) for w in unstable)
    assert all("fewer than 20" in w.message for w in bt.warnings_ if w.kind == "small_sample")


def test_estimate_exists_is_fords_condition():
    from labelwell.rlhf.bradley_terry import collapse_battles, estimate_exists

    cycle = collapse_battles(["x", "y", "z"], ["y", "z", "x"], ["a", "a", "a"])
    assert estimate_exists(cycle)
    chain = collapse_battles(["x", "y"], ["y", "z"], ["a", "a"])
    assert not estimate_exists(chain)
    tied = collapse_battles(["x", "y"], ["y", "z"], ["tie", "tie"])
    assert estimate_exists(tied)
    assert not estimate_exists(cycle, np.array([1.0, 1.0, 0.0]))  # one battle dropped
