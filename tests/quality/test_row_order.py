"""Every aggregation method gives the same result whatever the order of the rows:
ties are broken by seeded draws keyed by task and label, and the random starts of
MACE and EBCC are drawn for each worker or task, not for its position."""

from __future__ import annotations

import pandas as pd
import pytest

from labelwell.quality._frame import keyed_uniform
from labelwell.quality.registry import AGGREGATORS
from labelwell.quality.simulate import simulate_crowd


def symmetric() -> pd.DataFrame:
    """Two workers who disagree on every task: every method's posterior is a tie."""
    rows = []
    for i in range(40):
        first, second = ("a", "b") if i % 2 else ("b", "a")
        rows += [(f"t{i}", "w1", first), (f"t{i}", "w2", second)]
    return pd.DataFrame(rows, columns=["task", "worker", "label"])


SETS = {
    "two answers a task": lambda: simulate_crowd(300, 20, 2, 2, seed=5)[0],
    "three classes": lambda: simulate_crowd(300, 10, 3, 3, per_class=True, seed=6)[0],
    "symmetric": symmetric,
}


@pytest.mark.parametrize("method", sorted(AGGREGATORS))
@pytest.mark.parametrize("data", sorted(SETS))
def test_row_order_does_not_change_the_result(method, data):
    answers = SETS[data]()
    fitted = AGGREGATORS[method]().fit(answers)
    for seed in range(3):
        shuffled = answers.sample(frac=1.0, random_state=seed).reset_index(drop=True)
        again = AGGREGATORS[method]().fit(shuffled)
        pd.testing.assert_series_equal(again.labels_.reindex(fitted.labels_.index), fitted.labels_)
        pd.testing.assert_frame_equal(
            again.probas_.reindex(fitted.probas_.index), fitted.probas_, atol=1e-9, rtol=0
        )


def test_keyed_draws_belong_to_the_value_and_the_seed():
    values = pd.Index(["w1", "w2", "w3", 7]).to_numpy()
    draws = keyed_uniform(values, 0, 5)
    assert draws.shape == (4, 5) and ((draws > 0) & (draws < 1)).all()
    assert (keyed_uniform(values[::-1], 0, 5) == draws[::-1]).all()
    assert (keyed_uniform(values[:2], 0, 5) == draws[:2]).all()
    assert not (keyed_uniform(values, 1, 5) == draws).any()
    assert len({round(v, 12) for v in draws.ravel()}) == draws.size
