import pandas as pd
import pytest

from labelwell.quality import DawidSkene, MajorityVote, OneCoinDawidSkene
from labelwell.quality.guards import check_fit, guarded_fit
from labelwell.quality.simulate import simulate_crowd

from .test_majority_vote import load


def _skewed():
    # 90/10 classes, accuracies per class from .3 to .9: one-coin EM collapses here
    return simulate_crowd(
        300, 20, 3, 2, class_balance=[0.9, 0.1], per_class=True, accuracy=(0.3, 0.9), seed=0
    )


def test_collapsed_class_falls_back_to_majority_vote():
    answers, truth = _skewed()
    raw = OneCoinDawidSkene().fit(answers)
    found = [f for f in check_fit(raw, answers) if f.kind == "collapsed_class"]
    assert found and found[0].fallback
    assert found[0].evidence["label"] == "1"
    assert found[0].evidence["model_share"] < 0.01 < 0.05 < found[0].evidence["majority_share"]
    assert "model_prior" in found[0].evidence
    guarded = guarded_fit("onecoin", answers)
    assert guarded.fell_back and guarded.method == "mv" and guarded.requested == "onecoin"
    assert guarded.model.labels_.equals(MajorityVote().fit(answers).labels_)
    assert len(truth) == len(guarded.model.labels_)


def test_healthy_fit_has_no_findings():
    answers, _ = simulate_crowd(300, 20, 3, seed=1)
    guarded = guarded_fit("ds", answers)
    assert guarded.findings == [] and not guarded.fell_back


def test_a_label_swapper_is_reported_without_falling_back():
    answers, _ = simulate_crowd(300, 20, 5, seed=2, accuracy=(0.8, 0.95))
    swapper = answers["worker"] == "w3"
    answers.loc[swapper, "label"] = answers.loc[swapper, "label"].map({"0": "1", "1": "0"})
    guarded = guarded_fit("ds", answers)
    assert not guarded.fell_back
    (finding,) = [f for f in guarded.findings if f.kind == "permuted_worker"]
    assert finding.evidence["worker"] == "w3"
    assert finding.evidence["swap"] == {"0": "1", "1": "0"}
    assert DawidSkene().fit(answers).labels_.equals(guarded.model.labels_)


@pytest.mark.slow
def test_below_majority_on_gold_falls_back():
    """One-coin Dawid-Skene on Bluebirds is well below majority vote (.58 against
    .76: its class prior runs to .97); 40 gold tasks show it."""
    answers, truth = load("bluebird")
    gold = truth.iloc[:40]
    guarded = guarded_fit("onecoin", answers, gold)
    (finding,) = [f for f in guarded.findings if f.kind == "below_majority_on_gold"]
    assert finding.fallback and guarded.method == "mv"
    ev = finding.evidence
    assert ev["n_gold"] == 40 and ev["model_accuracy"] < ev["majority_accuracy"]
    assert ev["p_value"] < 0.05
    assert finding.message_ko.startswith("골드 없이 적합한 모델은 골드 작업 40개 중")
    assert finding.message_ko.endswith("다수결로 대체합니다")


def _has_hangul(text: str) -> bool:
    return any("\uac00" <= ch <= "\ud7a3" for ch in text)


def test_every_finding_is_worded_in_english_and_korean():
    answers, truth = _skewed()
    swapped, _ = simulate_crowd(300, 20, 5, seed=2, accuracy=(0.8, 0.95))
    swapper = swapped["worker"] == "w3"
    swapped.loc[swapper, "label"] = swapped.loc[swapper, "label"].map({"0": "1", "1": "0"})
    found = check_fit(OneCoinDawidSkene().fit(answers), answers)
    found += check_fit(DawidSkene().fit(swapped), swapped)
    wrong_gold = truth.iloc[:60].map({"0": "1", "1": "0"})  # gold that every fit disputes
    found += check_fit(DawidSkene().fit(answers, wrong_gold), answers, wrong_gold)
    kinds = {f.kind for f in found}
    assert kinds == {"collapsed_class", "permuted_worker", "below_majority_on_gold"}
    for finding in found:
        assert finding.message and not _has_hangul(finding.message)
        assert _has_hangul(finding.message_ko), finding
    (swap,) = [f for f in found if f.kind == "permuted_worker"]
    assert swap.message_ko.startswith("작업자 'w3'(답 ")


def test_too_little_gold_is_not_judged():
    answers, truth = _skewed()
    model = DawidSkene().fit(answers, truth.iloc[:5])
    assert [f for f in check_fit(model, answers, truth.iloc[:5]) if "gold" in f.kind] == []


def test_guard_validates_like_the_fit():
    from labelwell.errors import InvalidInput

    with pytest.raises(InvalidInput):
        guarded_fit("ds", pd.DataFrame({"task": [], "worker": [], "label": []}))
