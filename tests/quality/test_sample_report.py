"""Small samples in the project quality report: 2 gold items, 4 items of
agreement; the warnings reach the library report, the CLI rendering and the API."""

from __future__ import annotations

import math

from fastapi.testclient import TestClient

from labelwell.cli.quality_report import render
from labelwell.server import create_app
from labelwell.work.quality_report import quality_report
from work.test_quality_report import label_everything, literal  # noqa: F401


def test_report_warns_on_two_gold_items_and_four_items_of_agreement(db, literal):  # noqa: F811
    with db.session() as s:
        report = quality_report(s, literal.manager, literal.project_id)
    assert {g.n_gold for g in report.gold} == {2}
    assert all(
        g.small_sample and 0 <= g.ci_low <= g.accuracy <= g.ci_high <= 1 for g in report.gold
    )
    (sentiment,) = report.controls
    assert sentiment.n_pairable == 4 and sentiment.unstable
    assert -1 <= sentiment.alpha_ci_low <= sentiment.alpha_ci_high <= 1
    assert all(math.isfinite(x) for x in (sentiment.alpha_ci_low, sentiment.alpha_ci_high))
    found = {(w.statistic, w.kind, w.subject) for w in report.sample_warnings}
    annotators = {g.annotator for g in report.gold}
    assert {("gold_accuracy", "small_sample", a) for a in annotators} <= found
    assert ("agreement", "small_sample", "sentiment") in found
    assert ("agreement", "unstable_interval", "sentiment") in found
    assert ("agreement", "small_sample", "all controls") in found
    text = render(report)
    assert "small samples:" in text and "(small sample)" in text
    assert "sentiment: agreement from 4 items with two or more answers (fewer than 30)" in text
    assert "4 with two or more answers" in text and "unstable]" in text


def test_api_report_carries_n_intervals_and_warnings(db, settings, literal):  # noqa: F811
    headers = {"Authorization": f"Bearer {literal.token(literal.manager)}"}
    with TestClient(create_app(settings, database=db, migrate=False)) as client:
        body = client.get(f"/api/v1/projects/{literal.project_id}/quality", headers=headers).json()
    (control,) = body["controls"]
    assert control["n_pairable"] == 4 and control["unstable"]
    assert control["alpha_ci_low"] <= control["alpha"] <= control["alpha_ci_high"]
    assert {w["kind"] for w in control["warnings"]} == {"small_sample", "unstable_interval"}
    assert all(g["small_sample"] for g in body["gold"])
    kinds = {(w["statistic"], w["kind"]) for w in body["sample_warnings"]}
    assert ("gold_accuracy", "small_sample") in kinds
    warning = next(w for w in body["sample_warnings"] if w["statistic"] == "gold_accuracy")
    assert warning["n"] == 2 and warning["minimum"] == 10 and "골드" in warning["message_ko"]
