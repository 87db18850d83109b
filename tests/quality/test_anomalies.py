import numpy as np
import pandas as pd
import pytest

from labelwell.quality.anomalies import (
    AnomalyFlag,
    consensus_agreement,
    detect_anomalies,
    gold_failure_flags,
    low_agreement_flags,
    pattern_flags,
    speed_flags,
)


def timed_frame() -> pd.DataFrame:
    # project median is 10 s, so "fast" means under 3 s
    rows = []
    for i in range(10):
        rows.append((f"t{i}", "steady", "a", 10.0))
        rows.append((f"t{i}", "rusher", "a", 1.0 if i < 3 else 10.0))  # 30% fast
        rows.append((f"t{i}", "quick", "a", 2.0 if i < 2 else 10.0))  # 20% fast: not over
    return pd.DataFrame(rows, columns=["task", "worker", "label", "duration"])


def test_speed_flags_literal():
    flags = speed_flags(timed_frame())
    assert [f.annotator for f in flags] == ["rusher"]
    flag = flags[0]
    assert flag.kind == "speed"
    assert flag.evidence["median_seconds"] == 10.0
    assert flag.evidence["fast_under_seconds"] == pytest.approx(3.0)
    assert (flag.evidence["n_fast"], flag.evidence["n_tasks"]) == (3, 10)
    assert flag.evidence["fast_share"] == pytest.approx(0.3)
    assert "rusher" in flag.message and "30%" in flag.message
    assert [f.annotator for f in speed_flags(timed_frame(), max_fast_share=0.1)] == [
        "quick",
        "rusher",
    ]
    assert speed_flags(timed_frame(), min_tasks=11) == []


def test_pattern_flags_literal():
    rows = [(f"t{i}", "lazy", "yes" if i < 9 else "no") for i in range(10)]  # 90% "yes"
    rows += [(f"t{i}", "edge", "yes" if i < 17 else "no") for i in range(20)]  # exactly 85%
    rows += [(f"t{i}", "fine", ["yes", "no"][i % 2]) for i in range(10)]
    rows += [("t0", "few", "yes"), ("t1", "few", "yes")]  # 100% but only 2 answers
    frame = pd.DataFrame(rows, columns=["task", "worker", "label"])
    flags = pattern_flags(frame)
    assert [f.annotator for f in flags] == ["lazy"]
    assert flags[0].evidence["label"] == "yes"
    assert flags[0].evidence["same_share"] == pytest.approx(0.9)
    assert flags[0].evidence["project_share"] == pytest.approx(33 / 42)
    assert {f.annotator for f in pattern_flags(frame, max_same_share=0.8)} == {"lazy", "edge"}


def consensus_frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 3, 40)
    rows = []
    for t, y in enumerate(truth):
        for w in ("a", "b", "c", "d"):
            rows.append((t, w, int(y)))
        rows.append((t, "noisy", int((y + 1 + (t % 2)) % 3)))  # never the truth
    return pd.DataFrame(rows, columns=["task", "worker", "label"]), pd.Series(truth)


def test_consensus_agreement_leave_one_out():
    frame = pd.DataFrame(
        {
            "task": [1, 1, 1, 2, 2, 3, 3, 3],
            "worker": ["a", "b", "c", "a", "b", "a", "b", "c"],
            "label": ["x", "x", "y", "x", "y", "x", "x", "x"],
        }
    )
    table = consensus_agreement(frame)
    # a: t1 others {x,y} tie -> 1/2, t2 other {y} -> 0, t3 -> 1
    assert table.loc["a", "agreement"] == pytest.approx((0.5 + 0 + 1) / 3)
    # c: t1 others {x,x} -> 0, t3 -> 1
    assert table.loc["c", "agreement"] == pytest.approx(0.5)
    given = consensus_agreement(frame, {1: "x", 2: "y"})
    assert given.loc["b", "agreement"] == 1.0 and given.loc["c", "n_tasks"] == 1


def test_low_agreement_flags():
    frame, truth = consensus_frame()
    flags = low_agreement_flags(frame)
    assert [f.annotator for f in flags] == ["noisy"]
    ev = flags[0].evidence
    assert ev["agreement"] == 0.0 and ev["others_median"] == 1.0 and ev["gap"] == 1.0
    assert [f.annotator for f in low_agreement_flags(frame, truth)] == ["noisy"]
    assert low_agreement_flags(frame[frame["worker"] != "noisy"]) == []


def test_gold_failure_runs():
    gold = {f"g{i}": "a" for i in range(8)}
    seq = {
        "runner": "aabbbaaa",  # 3 failures in a row
        "scattered": "babababa",  # 4 failures, never 2 in a row
        "long": "bbbbabbb",  # runs of 4 and 3
    }
    rows = [(f"g{i}", w, lab, i) for w, labels in seq.items() for i, lab in enumerate(labels)]
    frame = pd.DataFrame(rows, columns=["task", "worker", "label", "at"])
    frame = frame.sample(frac=1.0, random_state=0)  # shuffled: order comes from "at"
    flags = gold_failure_flags(frame, gold, order_by="at")
    assert [f.annotator for f in flags] == ["long", "runner"]
    long, runner = flags
    assert runner.evidence["longest_run"] == 3
    assert (runner.evidence["first_task"], runner.evidence["last_task"]) == ("g2", "g4")
    assert long.evidence["longest_run"] == 4 and long.evidence["n_runs"] == 2
    assert long.evidence["n_failed"] == 7 and long.evidence["n_gold"] == 8
    assert [f.annotator for f in gold_failure_flags(frame, gold, k=4, order_by="at")] == ["long"]
    assert len(gold_failure_flags(frame, gold, k=1, order_by="at")) == 3


def test_detect_anomalies_runs_the_applicable_rules():
    frame, truth = consensus_frame()
    frame["duration"] = np.where(frame["worker"] == "noisy", 0.5, 12.0)
    gold = {t: int(y) for t, y in truth.items() if t < 6}
    flags = detect_anomalies(frame, gold=gold)
    assert all(isinstance(f, AnomalyFlag) and f.message for f in flags)
    kinds = {(f.annotator, f.kind) for f in flags}
    assert kinds == {
        ("noisy", "speed"),
        ("noisy", "low_agreement"),
        ("noisy", "gold_failures"),
    }
