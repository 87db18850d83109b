"""The stored summary behind the synthetic-data page (``GET .../synth/summary``)
and the list's method and generation filters, over HTTP: verdict counts and
rates, flags of the last report, caps and the overrides exports recorded;
managers only. On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from labelwell.server import create_app
from labelwell.synth.generate import Run
from labelwell.synth.records import Candidate, Provenance
from labelwell.work import synth
from world import build_world

MADE = [
    ("self-instruct", "Describe a rainy afternoon in a small harbour town.", 1),
    ("self-instruct", "text number 1", 1),  # a copy of a real item: a near duplicate
    ("evol-instruct", "Describe a rainy afternoon in a harbour town, in two sentences.", 2),
]


@pytest.fixture
def world(db):
    w = build_world(db, n_items=4)
    run = Run(
        [
            Candidate({"instruction": text}, Provenance(m, "m-7b", f"{m}/1", ("1",), generation))
            for m, text, generation in MADE
        ]
    )
    with db.session() as s:
        w.synthetic = synth.store_run(s, w.manager, w.project_id, run).item_ids
    return w


def test_summary_counts_verdicts_flags_caps_and_overrides(db, world, settings):
    pid, ids = world.project_id, world.synthetic
    with TestClient(create_app(settings, database=db, migrate=False)) as api:

        def call(method, path, who=world.manager, **kw):
            headers = {"Authorization": f"Bearer {world.token(who)}"}
            return api.request(method, f"/api/v1/projects/{pid}/synth{path}", headers=headers, **kw)

        s = call("GET", "/summary").json()
        assert s["n_synthetic"] == 3 and s["last_report"] is None and s["overrides"] == []
        assert s["by_method"] == {"self-instruct": 2, "evol-instruct": 1}
        assert s["by_generation"] == {"1": 2, "2": 1}
        assert s["verification"]["verify_rate"] is None
        assert s["caps"]["synth_max_generation"] == 1
        assert s["caps"]["synth_require_verification"] is True

        assert call("POST", f"/items/{ids[0]}/verdict", json={"verdict": "verified"}).is_success
        assert call("POST", f"/items/{ids[2]}/verdict", json={"verdict": "rejected"}).is_success
        assert call("POST", "/report", json={}).is_success
        s = call("GET", "/summary").json()
        v = s["verification"]
        assert (v["verified"], v["rejected"], v["pending"]) == (1, 1, 1)
        assert v["verify_rate"] == pytest.approx(0.5) and v["error_rate"] == pytest.approx(0.5)
        assert s["near_duplicates"] == 1 and s["last_report"]["near_duplicates"] == 1

        r = call("GET", "/export", params={"override_reason": "a generation-2 ablation"})
        assert r.status_code == 200
        (o,) = call("GET", "/summary").json()["overrides"]
        assert o["reason"] == "a generation-2 ablation" and o["by"] == world.manager.email

        listed = call("GET", "/items", params={"method": "evol-instruct"}).json()
        assert [i["item_id"] for i in listed["data"]] == [ids[2]] and listed["count"] == 1
        listed = call("GET", "/items", params={"generation": 1}).json()
        assert [i["item_id"] for i in listed["data"]] == ids[:2]
        assert call("GET", "/items", params={"method": "made-up"}).status_code == 422

        for who in (world.annotators[0], world.reviewer):
            assert call("GET", "/summary", who=who).status_code == 403
