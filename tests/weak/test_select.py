import numpy as np
import pytest
from snorkel.labeling.model import LabelModel as SnorkelLabelModel
from snorkel.labeling.model import MajorityLabelVoter as SnorkelMajority

from labelwell.errors import InvalidInput
from labelwell.weak import ClassConditionalLabelModel, LabelModel, choose_label_model
from labelwell.weak.select import MIN_DEV_LABELS, NO_DEV_DEFAULT, expected_accuracy
from weak.weak_data import load_wrench, one_sided_L


def snorkel_and_majority(L_fit, L_test, y_test, k, **fit_args):
    snorkel = SnorkelLabelModel(cardinality=k, verbose=False)
    snorkel.fit(L_fit, progress_bar=False, **fit_args)
    snorkel_acc = (snorkel.predict(L_test, tie_break_policy="random") == y_test).mean()
    mv_acc = (SnorkelMajority(k).predict(L_test, tie_break_policy="random") == y_test).mean()
    return snorkel_acc, mv_acc


def test_youtube_choice_beats_majority_vote_and_snorkel():
    L_train, _ = load_wrench("youtube", "train")
    L_valid, y_valid = load_wrench("youtube", "valid")
    L_test, y_test = load_wrench("youtube", "test")
    choice = choose_label_model(L_train, 2, L_dev=L_valid, y_dev=y_valid)
    assert choice.criterion == "dev accuracy" and choice.n_dev == 120
    ours = choice.model.score(L_test, y_test)
    snorkel_acc, mv_acc = snorkel_and_majority(L_train, L_test, y_test, 2, seed=123)
    assert ours >= max(snorkel_acc, mv_acc)
    assert choice.name in choice.reason and "120 dev labels" in choice.reason


def test_chemprot_choice_beats_majority_vote_and_snorkel():
    # only valid and test are public: fit on valid (labels for the choice and the
    # class balance only), score on test
    L_valid, y_valid = load_wrench("chemprot", "valid")
    L_test, y_test = load_wrench("chemprot", "test")
    choice = choose_label_model(L_valid, 10, L_dev=L_valid, y_dev=y_valid)
    assert choice.name == "class_conditional"
    ours = choice.model.score(L_test, y_test)
    snorkel_acc, mv_acc = snorkel_and_majority(L_valid, L_test, y_test, 10, n_epochs=500, seed=42)
    assert ours >= max(snorkel_acc, mv_acc)
    assert ours >= 0.53
    # the class balance came from the dev labels
    counts = np.bincount(y_valid, minlength=10) + 1.0
    np.testing.assert_allclose(choice.class_balance, counts / counts.sum())


def test_picks_the_model_that_fits_the_lfs():
    # one-sided LFs with class-dependent firing: the class-conditional model
    L, y, _, _ = one_sided_L(20_000, 3, 9, balance=np.array([0.6, 0.3, 0.1]), seed=11)
    choice = choose_label_model(L[:15_000], 3, L_dev=L[15_000:], y_dev=y[15_000:])
    assert choice.name == "class_conditional"
    assert isinstance(choice.model, ClassConditionalLabelModel)
    assert choice.dev_accuracy["class_conditional"] > choice.dev_accuracy["majority"]
    # LFs that vote both classes and never abstain, one far better than the rest:
    # majority vote loses, the chosen model has the best dev accuracy
    rng = np.random.default_rng(12)
    y = rng.integers(0, 2, 6_000)
    right = rng.random((6_000, 5)) < [0.95, 0.8, 0.7, 0.65, 0.6]
    L = np.where(right, y[:, None], 1 - y[:, None])
    choice = choose_label_model(L, 2, L_dev=L[:500], y_dev=y[:500])
    assert choice.name != "majority"
    assert choice.dev_accuracy[choice.name] == max(choice.dev_accuracy.values())
    assert choice.model.score(L[500:], y[500:]) > 0.93


def test_without_enough_dev_labels_the_default_is_used():
    L, y, _, _ = one_sided_L(2_000, 2, 6, seed=13)
    y_dev = np.full(2_000, -1)
    y_dev[: MIN_DEV_LABELS - 1] = y[: MIN_DEV_LABELS - 1]
    choice = choose_label_model(L, 2, L_dev=L, y_dev=y_dev)
    assert choice.criterion == "default" and choice.name == NO_DEV_DEFAULT
    assert choice.dev_accuracy == {} and choice.n_dev == MIN_DEV_LABELS - 1
    assert "under 50" in choice.reason
    assert isinstance(choose_label_model(L, 2).model, LabelModel)


def test_expected_accuracy_counts_ties_fractionally():
    proba = np.array([[0.5, 0.5, 0.0], [0.2, 0.3, 0.5], [1 / 3, 1 / 3, 1 / 3]])
    assert expected_accuracy(proba, np.array([0, 2, 1])) == pytest.approx((0.5 + 1 + 1 / 3) / 3)


def test_rejects_bad_dev_labels():
    L = np.array([[0, 1], [1, -1]])
    with pytest.raises(InvalidInput, match="together"):
        choose_label_model(L, 2, L_dev=L)
    with pytest.raises(InvalidInput, match="labels for"):
        choose_label_model(L, 2, L_dev=L, y_dev=np.array([0]))
    with pytest.raises(InvalidInput, match="outside"):
        choose_label_model(L, 2, L_dev=L, y_dev=np.array([0, 2]))
