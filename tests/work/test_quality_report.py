"""The project quality report on small literal cases, cross-checked against
krippendorff, statsmodels and the library's own functions."""

from __future__ import annotations

import krippendorff
import numpy as np
import pytest
from statsmodels.stats.inter_rater import aggregate_raters
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss
from statsmodels.stats.proportion import proportion_confint

from labelwell.errors import Forbidden, InvalidInput
from labelwell.store.tables import Item, Project
from labelwell.work import labels, queue
from labelwell.work.quality_report import quality_report
from world import build_world

PLAIN = {  # answers of annotators 0, 1, 2
    "i0": ["positive", "positive", "positive"],
    "i1": ["positive", "negative", "positive"],
    "i2": ["positive", "negative", "neutral"],
    "i3": ["negative", "negative", "negative"],
}
GOLD = {"g0": "negative", "g1": "positive"}
GOLD_ANSWERS = {  # annotator 0 right twice, 1 once, 2 never
    "g0": ["negative", "negative", "positive"],
    "g1": ["positive", "neutral", "negative"],
}
CODES = {"positive": 0, "negative": 1, "neutral": 2}


def label_everything(db, world, answer_of, time_of=lambda i: None):
    for i, actor in enumerate(world.annotators):
        while True:
            with db.session() as s:
                task = queue.next_task(s, actor, world.project_id)
                if task is None:
                    break
                queue.submit(
                    s,
                    actor,
                    task.assignment_id,
                    {"sentiment": answer_of(i, task.data["text"])},
                    time_spent_ms=time_of(i),
                )


@pytest.fixture
def literal(db):
    texts = [*GOLD, *PLAIN]
    world = build_world(
        db,
        n_annotators=3,
        texts=texts,
        overlap=3,
        gold={texts.index(t): {"sentiment": lab} for t, lab in GOLD.items()},
        gold_ratio=1.0,
    )
    label_everything(db, world, lambda i, t: {**PLAIN, **GOLD_ANSWERS}[t][i])
    return world


def test_report_numbers_on_a_literal_case(db, literal):
    with db.session() as s:
        report = quality_report(s, literal.manager, literal.project_id)
    assert report.method == "mv" and report.n_items == 4 and report.n_annotations == 12

    reliability = np.array([[CODES[PLAIN[t][r]] for t in PLAIN] for r in range(3)], dtype=float)
    alpha = krippendorff.alpha(reliability_data=reliability, level_of_measurement="nominal")
    table, _ = aggregate_raters(reliability.T.astype(int))
    (sentiment,) = report.controls
    assert sentiment.alpha == pytest.approx(alpha, abs=1e-12)
    assert sentiment.fleiss_kappa == pytest.approx(sm_fleiss(table), abs=1e-12)
    assert sentiment.fleiss_kappa == pytest.approx(0.2683, abs=1e-4)  # by hand, Fleiss eq. 2-7
    assert sentiment.interpretation == "fair" and sentiment.n_items == 4
    assert report.overall.alpha == pytest.approx(alpha, abs=1e-12)  # one control: the same
    per_label = {x.label: x for x in sentiment.per_label}
    assert per_label["positive"].n_ratings == 6 and per_label["neutral"].n_ratings == 1

    gold = {g.annotator: g for g in report.gold}
    assert [gold[f"ann{i}@example.org"].n_correct for i in range(3)] == [2, 1, 0]
    for g in gold.values():
        low, high = proportion_confint(g.n_correct, g.n_gold, method="wilson")
        assert (g.ci_low, g.ci_high) == pytest.approx((low, high), abs=1e-9)
    assert report.gold_threshold == 0.80
    assert [g.needs_retraining for g in report.gold] == [False, True, True]

    labels = {(x.item_id, x.label): x.confidence for x in report.labels}
    items = dict(zip(PLAIN, sorted({x.item_id for x in report.labels}), strict=True))
    assert labels[(items["i0"], "positive")] == pytest.approx(1.0)
    assert labels[(items["i1"], "positive")] == pytest.approx(2 / 3)
    assert labels[(items["i3"], "negative")] == pytest.approx(1.0)
    assert report.n_labels == 4  # gold items are not aggregated into the output

    assert (report.awaiting_review, report.awaiting_escalation) == (1, 1)
    assert report.review_items == [items["i1"]] and report.escalated_items == [items["i2"]]
    assert report.anomalies == [] and report.guideline == []


def test_threshold_is_a_project_setting_and_methods_come_from_the_registry(db, literal):
    with db.session() as s:
        s.get(Project, literal.project_id).settings = {"gold_threshold": 0.4}
    with db.session() as s:
        report = quality_report(s, literal.manager, literal.project_id, method="ds")
    assert report.gold_threshold == 0.4
    assert [g.needs_retraining for g in report.gold] == [False, False, True]
    assert report.method == "ds" and report.n_labels == 4
    assert all(0 < x.confidence <= 1 for x in report.labels)
    with db.session() as s, pytest.raises(InvalidInput, match="unknown aggregation method"):
        quality_report(s, literal.manager, literal.project_id, method="nope")
    with db.session() as s, pytest.raises(Forbidden):
        quality_report(s, literal.reviewer, literal.project_id)


def test_anomalies_carry_evidence_and_guideline_signals_name_examples(db):
    texts = [f"t{k}" for k in range(10)]
    world = build_world(db, n_annotators=3, texts=texts, overlap=3)

    def answer(i, t):
        if i == 2:
            return "neutral"  # one label for everything, fast
        return "positive" if int(t[1:]) % 2 else "negative"

    label_everything(db, world, answer, time_of=lambda i: 100 if i == 2 else 10_000)
    with db.session() as s:
        report = quality_report(s, world.manager, world.project_id)
    kinds = {(f.annotator, f.kind) for f in report.anomalies}
    assert kinds == {
        ("ann2@example.org", "speed"),
        ("ann2@example.org", "pattern"),
        ("ann2@example.org", "low_agreement"),
    }
    pattern = next(f for f in report.anomalies if f.kind == "pattern")
    assert pattern.control == "sentiment"
    assert pattern.evidence["label"] == "neutral" and pattern.evidence["same_share"] == 1.0
    speed = next(f for f in report.anomalies if f.kind == "speed")
    assert speed.evidence["n_fast"] == 10 and speed.evidence["median_seconds"] == 10.0
    low = next(f for f in report.anomalies if f.kind == "low_agreement")
    assert low.evidence["agreement"] == 0.0 and low.evidence["others_median"] == 1.0
    signals = {g.label: g for g in report.guideline}
    assert set(signals) == {"positive", "negative", "neutral"}
    assert signals["neutral"].n_items == 10 and signals["neutral"].disagreement_rate == 1.0
    assert signals["positive"].confused_with == {"neutral": 5}
    assert len(signals["neutral"].example_items) == 5
    assert report.awaiting_review == 10  # two of three agree everywhere


def test_gold_is_scored_on_the_first_answer_not_an_edit_after_feedback(db, literal):
    """ann2 answered both gold items wrong; reading the expected answers (gold
    feedback) and editing the labels keeps the edits as revisions, unscored."""
    with db.session() as s:
        s.get(Project, literal.project_id).settings = {"gold_feedback": True}
    ann2 = literal.annotators[2]
    with db.session() as s:
        mine = [
            a
            for a in labels.list_annotations(s, ann2, literal.project_id)
            if a.is_gold_check
        ]
        assert len(mine) == 2
        for a in mine:
            text = s.get(Item, a.item_id).data["text"]
            edited = labels.revise_annotation(s, ann2, a.id, {"sentiment": GOLD[text]})
            assert edited.revision == 2
    with db.session() as s:
        report = quality_report(s, literal.manager, literal.project_id)
    gold = {g.annotator: g for g in report.gold}
    assert (gold["ann2@example.org"].n_gold, gold["ann2@example.org"].n_correct) == (2, 0)
    assert [g.needs_retraining for g in report.gold] == [False, True, True]
