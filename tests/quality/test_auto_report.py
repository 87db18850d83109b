"""``method=auto`` in the project quality report: library, CLI rendering and API."""

from __future__ import annotations

from fastapi.testclient import TestClient

from labelwell.cli.quality_report import render
from labelwell.server import create_app
from labelwell.work.quality_report import quality_report
from work.test_quality_report import label_everything, literal  # noqa: F401


def test_report_with_auto_names_the_choice_and_the_reason(db, settings, literal):  # noqa: F811
    with db.session() as s:
        report = quality_report(s, literal.manager, literal.project_id, method="auto")
    (choice,) = report.method_choices
    assert choice.control == "sentiment" and choice.n_gold == 2
    assert choice.criterion == "aic" and "only 2 gold tasks (fewer than 20)" in choice.reason
    assert report.method == "auto" and report.n_labels == 4
    assert f"  sentiment: {choice.method} (only 2 gold tasks" in render(report)
    headers = {"Authorization": f"Bearer {literal.token(literal.manager)}"}
    with TestClient(create_app(settings, database=db, migrate=False)) as client:
        url = f"/api/v1/projects/{literal.project_id}/quality"
        body = client.get(url, params={"method": "auto"}, headers=headers).json()
        bad = client.get(url, params={"method": "best"}, headers=headers)
    assert body["method_choices"] == [
        {
            "control": "sentiment",
            "method": choice.method,
            "criterion": "aic",
            "reason": choice.reason,
            "n_gold": 2,
        }
    ]
    assert bad.status_code == 422 and "auto" in bad.text
