import math

import numpy as np
import pytest
from statsmodels.stats.proportion import proportion_confint

from labelwell.assist.routing import (
    Route,
    RoutingMonitor,
    RoutingPolicy,
    precision_lower_bound,
    route,
    threshold_for_precision,
)
from labelwell.errors import InvalidInput


def _calibrated(n, seed):
    """Confidences in [0.3, 1) that are right exactly as often as they say."""
    rng = np.random.default_rng(seed)
    conf = rng.uniform(0.3, 1.0, n)
    return conf, rng.random(n) < conf


def test_default_bands_and_five_percent_spot_check():
    conf = np.array([0.2, 0.49, 0.5, 0.84, 0.85, 0.99] + [0.9] * 94)
    d = route(conf, seed=0)
    assert d.routes[:6].tolist() == [
        Route.LABEL,
        Route.LABEL,
        Route.REVIEW,
        Route.REVIEW,
        Route.AUTO_APPROVE,
        Route.AUTO_APPROVE,
    ]
    counts = d.counts()
    assert counts == {"auto_approve": 96, "review": 2, "label": 2, "spot_check": 5}
    assert not d.spot_check[:4].any()
    assert d.needs_human.sum() == 4 + 5
    assert d.skip_share == pytest.approx(91 / 100)
    # seeded: the same items are spot-checked each time
    assert np.array_equal(d.spot_check, route(conf, seed=0).spot_check)


def test_policy_is_validated():
    with pytest.raises(InvalidInput):
        RoutingPolicy(approve_threshold=0.4, review_threshold=0.5)
    with pytest.raises(InvalidInput):
        RoutingPolicy(spot_check_rate=1.5)


def test_clopper_pearson_bound_matches_statsmodels():
    for k, n in [(98, 100), (50, 50), (0, 10), (290, 300)]:
        ref = proportion_confint(k, n, alpha=0.10, method="beta")[0]
        assert float(precision_lower_bound(k, n, 0.95)) == pytest.approx(ref, abs=1e-9)


def test_threshold_for_target_precision_holds_on_held_out_items():
    conf, ok = _calibrated(20000, seed=1)
    choice = threshold_for_precision(conf, ok, target=0.98, level=0.95)
    assert choice.achievable
    # for calibrated U(t, 1) confidences the precision above t is (1 + t) / 2,
    # so t >= 0.96; the lower bound asks for a little more
    assert 0.955 < choice.threshold < 0.985
    assert choice.precision_lower >= 0.98
    held_conf, held_ok = _calibrated(20000, seed=2)
    above = held_conf >= choice.threshold
    assert held_ok[above].mean() >= 0.975
    assert choice.coverage == pytest.approx((conf >= choice.threshold).mean())


def test_point_estimate_threshold_is_lowest_meeting_target():
    conf = np.array([0.99, 0.97, 0.95, 0.9, 0.8, 0.7])
    ok = np.array([True, True, True, False, True, False])
    choice = threshold_for_precision(conf, ok, target=0.75, level=None)
    # top 5: 4/5 = 0.8 >= 0.75; top 6: 4/6 < 0.75
    assert choice.threshold == 0.8
    assert choice.support == 5
    assert choice.precision == pytest.approx(0.8)


def test_unreachable_target_approves_nothing():
    conf, ok = np.array([0.9, 0.8]), np.array([False, True])
    choice = threshold_for_precision(conf, ok, target=0.99)
    assert not choice.achievable and math.isinf(choice.threshold)
    assert (
        route(np.array([0.99999]), RoutingPolicy(approve_threshold=choice.threshold)).routes[0]
        == Route.REVIEW
    )


def test_ties_are_never_split():
    conf = np.array([0.9, 0.9, 0.9, 0.5])
    ok = np.array([True, False, True, True])
    choice = threshold_for_precision(conf, ok, target=0.6, level=None)
    assert choice.threshold == 0.5 and choice.support == 4
    # cutting inside the 0.9 tie would give 1/1; whole groups give 2/3 and 3/4
    choice = threshold_for_precision(conf, ok, target=0.8, level=None)
    assert math.isinf(choice.threshold)


def test_monitor_tightens_when_spot_checks_fall_below_target():
    monitor = RoutingMonitor(target=0.98, min_checks=50)
    assert monitor.policy.approve_threshold == 0.85
    rng = np.random.default_rng(3)
    raised = False
    for _ in range(40):
        conf = rng.uniform(0.85, 1.0, 20)
        raised |= monitor.record(conf, rng.random(20) < conf)  # calibrated: ~92.5% precise
        if raised:
            break
    assert raised
    change = monitor.history[0]
    assert change.old == 0.85 and change.new > 0.85 and change.precision < 0.98
    assert monitor.policy.approve_threshold == change.new
    assert monitor.checks == 0  # fresh evidence for the new threshold


def test_monitor_keeps_threshold_while_precision_holds():
    monitor = RoutingMonitor(target=0.9, min_checks=50)
    rng = np.random.default_rng(4)
    for _ in range(10):
        conf = rng.uniform(0.85, 1.0, 20)
        assert not monitor.record(conf, rng.random(20) < 0.97)
    assert monitor.history == [] and monitor.checks == 200
    assert monitor.precision > 0.9


def test_monitor_falls_back_to_halfway_when_no_threshold_meets_target():
    monitor = RoutingMonitor(target=0.99, min_checks=10)
    assert monitor.record(np.full(10, 0.9), np.zeros(10, dtype=bool))
    assert monitor.policy.approve_threshold == pytest.approx(0.925)
    # checks below the new threshold come from the old policy and are ignored
    monitor.record(np.full(5, 0.9), np.ones(5, dtype=bool))
    assert monitor.checks == 0
