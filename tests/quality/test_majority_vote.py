import numpy as np
import pandas as pd
import pytest

from labelwell.errors import InvalidInput
from labelwell.quality import MajorityVote, WeightedMajorityVote
from quality.crowd_data import accuracy, load

ANSWERS = pd.DataFrame(
    [
        ("t1", "w1", "cat"),
        ("t1", "w2", "cat"),
        ("t1", "w3", "dog"),
        ("t2", "w1", "dog"),
        ("t2", "w2", "cat"),
        ("t3", "w3", "bird"),
    ],
    columns=["task", "worker", "label"],
)


def test_plurality_and_shares():
    mv = MajorityVote(tie="first").fit(ANSWERS)
    assert mv.labels_.to_dict() == {"t1": "cat", "t2": "cat", "t3": "bird"}
    assert mv.probas_.loc["t1", "cat"] == pytest.approx(2 / 3)
    assert mv.probas_.loc["t2"].tolist() == [0.0, 0.5, 0.5]  # bird, cat, dog
    assert mv.ties_.to_dict() == {"t1": False, "t2": True, "t3": False}
    # w1 agrees on t1, disagrees on t2 (cat won the tie)
    assert mv.skills_["w1"] == pytest.approx(0.5)


def test_tie_policies():
    assert MajorityVote(tie="abstain").fit_predict(ANSWERS)["t2"] is None
    picks = {MajorityVote(tie="random", seed=s).fit_predict(ANSWERS)["t2"] for s in range(20)}
    assert picks == {"cat", "dog"}
    first = MajorityVote(tie="random", seed=3).fit_predict(ANSWERS)
    assert first.equals(MajorityVote(tie="random", seed=3).fit_predict(ANSWERS))
    with pytest.raises(InvalidInput):
        MajorityVote(tie="coin")


def test_integer_labels_and_missing_column():
    data = ANSWERS.assign(label=ANSWERS["label"].map({"cat": 0, "dog": 1, "bird": 2}))
    assert MajorityVote(tie="first").fit_predict(data).to_dict() == {"t1": 0, "t2": 0, "t3": 2}
    with pytest.raises(InvalidInput, match="label"):
        MajorityVote().fit(ANSWERS.drop(columns="label"))


def test_gold_is_clamped():
    truth = pd.Series({"t2": "dog", "t9": "cat"})
    mv = MajorityVote(tie="first").fit(ANSWERS, truth)
    assert mv.labels_["t2"] == "dog"
    assert mv.probas_.loc["t2", "dog"] == 1.0
    assert "t9" not in mv.labels_.index


def test_weighted_vote_with_given_weights():
    weights = pd.Series({"w1": 1.0, "w2": 1.0, "w3": 5.0})
    labels = WeightedMajorityVote(weights=weights).fit_predict(ANSWERS)
    assert labels["t1"] == "dog"
    assert labels["t3"] == "bird"


def test_weighted_vote_weights_from_gold():
    rows = []
    for i in range(10):
        rows += [(f"g{i}", "good", "a"), (f"g{i}", "bad1", "b"), (f"g{i}", "bad2", "b")]
    rows += [("x", "good", "a"), ("x", "bad1", "b"), ("x", "bad2", "b")]
    data = pd.DataFrame(rows, columns=["task", "worker", "label"])
    truth = pd.Series({f"g{i}": "a" for i in range(10)})
    plain = MajorityVote(tie="first").fit_predict(data)
    assert plain["x"] == "b"
    wmv = WeightedMajorityVote(weighting="log_odds").fit(data, truth)
    assert wmv.weights_["good"] > 0 > wmv.weights_["bad1"]
    assert wmv.labels_["x"] == "a"
    assert wmv.weights_["good"] == pytest.approx(np.log(11 / 12 / (1 / 12)))
    acc = WeightedMajorityVote().fit(data, truth).weights_
    assert acc["good"] == pytest.approx(11 / 12) and acc["bad2"] == pytest.approx(1 / 12)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["product", "rte", "bluebird"])
def test_accuracy_matches_crowd_kit(name):
    from crowdkit.aggregation import MajorityVote as CKMajorityVote

    answers, truth = load(name)
    ours = accuracy(MajorityVote(tie="first").fit_predict(answers), truth)
    ck = CKMajorityVote().fit(answers)
    assert ours >= accuracy(ck.labels_, truth) - 0.005
    # both agree wherever there is no tie
    mv = MajorityVote().fit(answers)
    clear = ~mv.ties_
    assert (mv.labels_[clear] == ck.labels_.reindex(mv.labels_.index)[clear]).all()


def test_every_registered_method_rejects_an_empty_frame():
    from labelwell.quality import AGGREGATORS

    empty = pd.DataFrame({"task": [], "worker": [], "label": []})
    for _, cls in AGGREGATORS.items():
        with pytest.raises(InvalidInput, match="no answers"):
            cls().fit(empty)


def _tied_answers(n: int = 400) -> pd.DataFrame:
    """Every task gets one "a" and one "b": all ties."""
    rows = []
    for i in range(n):
        rows += [(f"t{i}", f"w{i % 7}", "a"), (f"t{i}", f"w{(i + 1) % 7}", "b")]
    return pd.DataFrame(rows, columns=["task", "worker", "label"])


@pytest.mark.parametrize("cls", [MajorityVote, WeightedMajorityVote])
def test_random_ties_do_not_depend_on_row_order(cls):
    data = _tied_answers()
    base = cls(tie="random", seed=7).fit_predict(data)
    # both labels are picked (a random choice, not "first"), about half each
    assert 0.4 < (base == "a").mean() < 0.6
    for shuffle_seed in range(3):
        shuffled = data.sample(frac=1.0, random_state=shuffle_seed).reset_index(drop=True)
        again = cls(tie="random", seed=7).fit_predict(shuffled)
        assert again.reindex(base.index).equals(base)
    # another seed gives another (still row-order free) draw
    other = cls(tie="random", seed=8).fit_predict(data)
    assert not other.equals(base)


def test_weighted_vote_breaks_ties_at_random_by_default():
    data = _tied_answers()
    labels = WeightedMajorityVote().fit_predict(data)
    assert 0.4 < (labels == "a").mean() < 0.6


def test_random_ties_with_integer_tasks_and_labels():
    data = _tied_answers().assign(
        task=lambda f: f["task"].str[1:].astype(int),
        label=lambda f: f["label"].map({"a": 0, "b": 1}),
    )
    base = MajorityVote(seed=1).fit_predict(data)
    flipped = MajorityVote(seed=1).fit_predict(data.iloc[::-1])
    assert flipped.reindex(base.index).equals(base)


def test_wawa_weights_workers_by_agreement_with_the_majority():
    from labelwell.quality import Wawa

    rows = []
    for i in range(10):  # "good" agrees with the majority everywhere, "odd" never
        rows += [(f"g{i}", "good", "a"), (f"g{i}", "ok", "a"), (f"g{i}", "odd", "b")]
    rows += [("x", "good", "a"), ("x", "odd", "b")]
    data = pd.DataFrame(rows, columns=["task", "worker", "label"])
    wawa = Wawa().fit(data)
    assert wawa.skills_["good"] >= 10 / 11 and wawa.skills_["odd"] <= 1 / 11
    assert wawa.labels_["x"] == "a"  # a plain vote would tie here
    assert wawa.probas_.loc["x", "a"] >= 10 / 11


@pytest.mark.slow
@pytest.mark.parametrize("name", ["product", "rte", "bluebird"])
def test_wawa_matches_crowd_kit(name):
    from crowdkit.aggregation import MajorityVote as CKMajorityVote
    from crowdkit.aggregation.utils import get_accuracy

    from labelwell.quality import Wawa

    answers, truth = load(name)
    ours = Wawa().fit(answers)
    # crowd-kit's Wawa.fit + predict, step by step (its predict trips over the
    # installed scikit-learn's fitted-state check)
    first = CKMajorityVote().fit(answers)
    ck_skills = get_accuracy(answers, true_labels=first.labels_, by="worker")
    ck = CKMajorityVote().fit(answers, skills=ck_skills)
    assert accuracy(ours.labels_, truth) >= accuracy(ck.labels_, truth) - 0.005
    # crowd-kit's tie rule (idxmax over labels in order of appearance) follows the
    # row order; from the same first vote the skills and the final vote are crowd-kit's
    first = MajorityVote().fit(answers)
    skills = get_accuracy(answers, true_labels=first.labels_, by="worker")
    skills = skills.reindex(ours.skills_.index)
    np.testing.assert_allclose(ours.skills_.to_numpy(), skills.to_numpy(), atol=1e-12)
    ck_same = CKMajorityVote().fit(answers, skills=skills)
    clear = ~ours.ties_
    assert (ours.labels_[clear] == ck_same.labels_.reindex(ours.labels_.index)[clear]).all()


def _skewed_ties() -> pd.DataFrame:
    """Every task of the first 40 gets one "a" and one "b" (ties); 60 more are
    clear "a" tasks, so "a" has the larger share of all the answers."""
    rows = []
    for i in range(40):
        rows += [(f"t{i}", f"w{i % 5}", "a"), (f"t{i}", f"w{(i + 1) % 5}", "b")]
    for i in range(40, 100):
        rows += [(f"t{i}", f"w{i % 5}", "a"), (f"t{i}", f"w{(i + 2) % 5}", "a")]
    return pd.DataFrame(rows, columns=["task", "worker", "label"])


def test_ties_go_to_the_label_with_the_larger_answer_share():
    """The default tie rule (Bayes under equal worker accuracy: tied labels have
    posteriors in the ratio of their priors) gives every tie to "a", whatever the
    row order; with equal shares it falls back to the seeded draw."""
    data = _skewed_ties()
    labels = MajorityVote().fit_predict(data)
    assert MajorityVote().tie == "prior"
    assert (labels == "a").all()
    for shuffle_seed in range(3):
        shuffled = data.sample(frac=1.0, random_state=shuffle_seed).reset_index(drop=True)
        assert MajorityVote().fit_predict(shuffled).reindex(labels.index).equals(labels)
    # the seeded draw alone would give about half of the 40 ties to "b"
    drawn = MajorityVote(tie="random").fit_predict(data)
    assert 10 < (drawn == "b").sum() < 30
    # equal shares: the seeded draw decides, about half each
    even = MajorityVote().fit_predict(_tied_answers())
    assert 0.4 < (even == "a").mean() < 0.6


def test_prior_ties_in_the_weighted_votes():
    from labelwell.quality import Wawa

    data = _skewed_ties()
    assert (WeightedMajorityVote().fit_predict(data) == "a").all()
    assert (Wawa().fit_predict(data) == "a").all()
