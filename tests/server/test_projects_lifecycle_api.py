"""Ontology versions, archive and delete through the HTTP API (SQLite and
PostgreSQL): the impact of a change before it is made, a refused removal, a
forced one with its reason, archived projects out of the list, a confirmed
delete with its audit record."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from labelwell.store.tables import AuditEntry, Project
from world import SENTIMENT, answer_every_task, build_world


@pytest.fixture
def world(db):
    return build_world(db, n_annotators=1, n_items=2)


def _as(world, actor):
    return {"Authorization": f"Bearer {world.token(actor)}"}


def _ontology(options, name="sentiment"):
    control = {**SENTIMENT["controls"][0], "name": name, "options": options}
    return {"controls": [control]}


def test_ontology_change_impact_refusal_force_and_versions(api, world):
    answer_every_task(api, world, lambda i, data: {"sentiment": "negative"})
    base = f"/api/v1/projects/{world.project_id}/ontology"
    manager = _as(world, world.manager)
    body = {"ontology": _ontology(["positive", "neutral"])}
    r = api.post(f"{base}/impact", json=body, headers=manager)
    assert r.status_code == 200, r.text
    assert r.json() == {
        "version": 2,
        "needs_force": True,
        "changes": [
            {
                "kind": "remove_label",
                "control": "sentiment",
                "label": "negative",
                "to": None,
                "annotations": 2,
            }
        ],
    }
    r = api.post(f"{base}/versions", json=body, headers=manager)
    assert r.status_code == 409 and "touches 2 stored annotation" in r.json()["error"]["message"]
    r = api.post(f"{base}/versions", json={**body, "force": True}, headers=manager)
    assert r.status_code == 422 and r.json()["error"]["details"]["field"] == "reason"
    r = api.post(
        f"{base}/versions", json={**body, "force": True, "reason": "out of scope"}, headers=manager
    )
    assert r.status_code == 201, r.text
    assert r.json()["version"] == 2 and r.json()["reason"] == "out of scope"

    # a rename moves the stored values
    renamed = {
        "ontology": _ontology(["good", "neutral"], name="mood"),
        "renames": [
            {"control": "sentiment", "to": "mood"},
            {"control": "sentiment", "label": "positive", "to": "good"},
        ],
    }
    r = api.post(f"{base}/versions", json=renamed, headers=manager)
    assert r.status_code == 201, r.text
    kinds = [c["kind"] for c in r.json()["changes"]]
    assert kinds == ["rename_control", "rename_label"]
    annotations = api.get(f"/api/v1/projects/{world.project_id}/annotations", headers=manager)
    assert {a["result"]["mood"] for a in annotations.json()["data"]} == {"negative"}

    r = api.get(f"{base}/versions", headers=_as(world, world.annotators[0]))
    assert [v["version"] for v in r.json()["data"]] == [1, 2, 3]
    # annotators read versions, never change them
    r = api.post(f"{base}/impact", json=body, headers=_as(world, world.annotators[0]))
    assert r.status_code == 403
    r = api.post(f"{base}/versions", json={"ontology": {"controls": "x"}}, headers=manager)
    assert r.status_code == 422 and r.json()["error"]["details"]["field"] == "controls"


def test_archive_restore_and_a_confirmed_delete(api, db, world):
    manager = _as(world, world.manager)
    pid = world.project_id
    r = api.post(f"/api/v1/projects/{pid}/archive", headers=manager)
    assert r.status_code == 200 and r.json()["archived_at"]
    assert api.post(f"/api/v1/projects/{pid}/archive", headers=manager).status_code == 409
    assert api.get("/api/v1/projects", headers=manager).json()["count"] == 0
    archived = api.get("/api/v1/projects?archived=true", headers=manager).json()
    assert [p["id"] for p in archived["data"]] == [pid]
    r = api.post(f"/api/v1/projects/{pid}/restore", headers=manager)
    assert r.status_code == 200 and r.json()["archived_at"] is None
    assert api.get("/api/v1/projects", headers=manager).json()["count"] == 1

    annotator = _as(world, world.annotators[0])
    assert api.post(f"/api/v1/projects/{pid}/archive", headers=annotator).status_code == 403
    r = api.delete(f"/api/v1/projects/{pid}?confirm=wrong", headers=manager)
    assert r.status_code == 422 and r.json()["error"]["details"]["field"] == "confirm"
    assert api.delete(f"/api/v1/projects/{pid}?confirm=p1", headers=manager).status_code == 204
    assert api.get(f"/api/v1/projects/{pid}", headers=manager).status_code == 404
    with db.read_session() as s:
        assert s.get(Project, pid) is None
        actions = s.scalars(select(AuditEntry.action).where(AuditEntry.project_id == pid)).all()
    assert {"project.archive", "project.restore", "project.delete"} <= set(actions)


def test_guidelines_rendered_and_diffed(api, world):
    base = f"/api/v1/projects/{world.project_id}/guidelines"
    manager, annotator = _as(world, world.manager), _as(world, world.annotators[0])
    text = "# Rules\n\nBe careful.\n\n<script>x</script> [bad](javascript:alert(1))"
    assert api.post(base, json={"text": text}, headers=manager).status_code == 201
    r = api.get(f"{base}/2", headers=annotator)
    assert r.status_code == 200, r.text
    html = r.json()["html"]
    assert (
        "<h1>Rules</h1>" in html
        and "<script>" not in html
        and "javascript:" not in html.split("[bad]")[0]
    )
    assert 'href="javascript' not in html
    r = api.get(f"{base}/diff?from_version=1&to_version=2", headers=annotator)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["added"], body["removed"]) == (4, 0)
    assert body["lines"][0] == {"op": "added", "text": "# Rules"}
    assert api.get(f"{base}/9", headers=annotator).status_code == 404
    r = api.get(f"{base}/diff?from_version=1&to_version=7", headers=annotator)
    assert r.status_code == 404
    assert api.get(f"{base}/1", headers=_as(world, world.outsider)).status_code == 404
