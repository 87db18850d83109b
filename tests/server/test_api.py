from __future__ import annotations

import json

import pytest

from labelwell.work import accounts
from world import SENTIMENT, build_world


@pytest.fixture
def world(db):
    return build_world(db, n_annotators=2, n_items=4, overlap=2,
                       gold={3: {"sentiment": "negative"}})


def as_(world, actor):
    return {"Authorization": f"Bearer {world.token(actor)}"}


def error_of(response):
    body = response.json()
    assert set(body) == {"error"} and {"code", "message", "details"} <= set(body["error"])
    return body["error"]


def test_health_and_openapi(api):
    assert api.get("/healthz").json()["status"] == "ok"
    paths = api.get("/openapi.json").json()["paths"]
    assert "/api/v1/projects/{project_id}/tasks/next" in paths


@pytest.mark.parametrize("header", [None, "Bearer nonsense", "Bearer lw_unknown", "Basic abc"])
def test_missing_or_wrong_tokens_get_401(api, world, header):
    headers = {"Authorization": header} if header else {}
    response = api.get("/api/v1/projects", headers=headers)
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthorized"


def test_revoked_token_stops_working(api, world, db):
    ann = world.annotators[0]
    issued = api.post("/api/v1/tokens", json={"name": "laptop"}, headers=as_(world, ann)).json()
    headers = {"Authorization": f"Bearer {issued['token']}"}
    assert api.get("/api/v1/me", headers=headers).json()["email"] == ann.email
    assert api.delete(f"/api/v1/tokens/{issued['id']}", headers=headers).status_code == 204
    assert api.get("/api/v1/me", headers=headers).status_code == 401


def test_tokens_are_stored_hashed(api, world, db):
    from sqlalchemy import select

    from labelwell.store.tables import ApiToken

    token = world.token(world.annotators[0])
    with db.session() as s:
        stored = list(s.scalars(select(ApiToken.token_hash)))
    assert token not in stored and accounts.hash_token(token) in stored


def test_login_with_password(api, db, world):
    with db.session() as s:
        accounts.create_user(s, "pw@example.org", password="correct horse")
    ok = api.post("/api/v1/auth/login", json={"email": "pw@example.org",
                                              "password": "correct horse"})
    assert ok.status_code == 201 and ok.json()["token"].startswith("lw_")
    bad = api.post("/api/v1/auth/login", json={"email": "pw@example.org", "password": "nope"})
    assert bad.status_code == 401


def test_annotator_loop_over_http(api, world):
    ann = world.annotators[0]
    task = api.post(f"/api/v1/projects/{world.project_id}/tasks/next", headers=as_(world, ann))
    assert task.status_code == 200
    body = task.json()
    submit = api.post(f"/api/v1/assignments/{body['assignment_id']}/submit",
                      json={"result": {"sentiment": "positive"}, "idempotency_key": "a1",
                            "time_spent_ms": 900}, headers=as_(world, ann))
    assert submit.status_code == 201
    retry = api.post(f"/api/v1/assignments/{body['assignment_id']}/submit",
                     json={"result": {"sentiment": "positive"}, "idempotency_key": "a1"},
                     headers=as_(world, ann))
    assert retry.status_code == 200 and retry.json()["id"] == submit.json()["id"]


def test_invalid_result_gets_422_naming_the_field(api, world):
    ann = world.annotators[0]
    task = api.post(f"/api/v1/projects/{world.project_id}/tasks/next",
                    headers=as_(world, ann)).json()
    response = api.post(f"/api/v1/assignments/{task['assignment_id']}/submit",
                        json={"result": {"sentiment": "furious"}}, headers=as_(world, ann))
    assert response.status_code == 422
    error = error_of(response)
    assert error["details"]["field"] == "sentiment" and "furious" in error["message"]


def test_malformed_bodies_get_422_not_500(api, world):
    ann = world.annotators[0]
    headers = {**as_(world, ann), "Content-Type": "application/json"}
    for body in ["{", "[]", '{"result": 3}', '{"result": {}, "extra": 1}']:
        response = api.post("/api/v1/assignments/1/submit", content=body, headers=headers)
        assert response.status_code == 422, body
        error_of(response)


def test_annotators_cannot_manage_or_see_gold(api, world):
    ann = world.annotators[0]
    create = api.post("/api/v1/projects", json={"name": "x", "ontology": SENTIMENT},
                      headers=as_(world, ann))
    assert create.status_code == 403
    items = api.get(f"/api/v1/projects/{world.project_id}/items",
                    headers=as_(world, world.manager)).json()["data"]
    gold_item = next(i for i in items if i["external_id"] == "x3")
    assert "is_gold" not in gold_item
    gold = api.get(f"/api/v1/items/{gold_item['id']}/gold", headers=as_(world, ann))
    assert gold.status_code in (403, 404)
    assert api.get(f"/api/v1/items/{gold_item['id']}/gold",
                   headers=as_(world, world.manager)).json()["result"] == {"sentiment": "negative"}
    export = api.get(f"/api/v1/projects/{world.project_id}/export", headers=as_(world, ann))
    assert export.status_code == 403


def test_non_members_get_404_for_everything_in_the_project(api, world):
    out = as_(world, world.outsider)
    pid = world.project_id
    for method, path in [("GET", f"/api/v1/projects/{pid}"),
                         ("POST", f"/api/v1/projects/{pid}/tasks/next"),
                         ("GET", f"/api/v1/projects/{pid}/items"),
                         ("GET", f"/api/v1/projects/{pid}/annotations"),
                         ("GET", f"/api/v1/projects/{pid}/export")]:
        response = api.request(method, path, headers=out)
        assert response.status_code == 404, path


def _label(api, world, actor, value):
    task = api.post(f"/api/v1/projects/{world.project_id}/tasks/next",
                    headers=as_(world, actor)).json()
    return api.post(f"/api/v1/assignments/{task['assignment_id']}/submit",
                    json={"result": {"sentiment": value}}, headers=as_(world, actor)).json()


def test_blind_projects_hide_other_annotators_labels(api, world):
    a, b = world.annotators
    mine = _label(api, world, a, "positive")
    theirs = _label(api, world, b, "negative")
    seen = api.get(f"/api/v1/projects/{world.project_id}/annotations",
                   headers=as_(world, a)).json()["data"]
    assert [x["id"] for x in seen] == [mine["id"]]
    assert api.get(f"/api/v1/annotations/{theirs['id']}", headers=as_(world, a)).status_code == 404
    manager_view = api.get(f"/api/v1/projects/{world.project_id}/annotations",
                           headers=as_(world, world.manager)).json()["data"]
    assert {x["id"] for x in manager_view} == {mine["id"], theirs["id"]}
    reviewer_view = api.get(f"/api/v1/projects/{world.project_id}/annotations",
                            headers=as_(world, world.reviewer)).json()["data"]
    assert {x["id"] for x in reviewer_view} == {mine["id"], theirs["id"]}


def test_revisions_keep_the_earlier_label(api, world):
    a = world.annotators[0]
    first = _label(api, world, a, "positive")
    revised = api.patch(f"/api/v1/annotations/{first['id']}",
                        json={"result": {"sentiment": "neutral"}}, headers=as_(world, a)).json()
    assert revised["revision"] == 2 and revised["supersedes_id"] == first["id"]
    history = api.get(f"/api/v1/annotations/{revised['id']}/revisions",
                      headers=as_(world, a)).json()["data"]
    assert [h["result"]["sentiment"] for h in history] == ["neutral", "positive"]
    stale = api.patch(f"/api/v1/annotations/{first['id']}",
                      json={"result": {"sentiment": "negative"}}, headers=as_(world, a))
    assert stale.status_code == 409


def test_reviewer_accepts_and_rejects(api, world):
    a, b = world.annotators
    one = _label(api, world, a, "positive")
    two = _label(api, world, b, "negative")
    reviewer = as_(world, world.reviewer)
    ok = api.post(f"/api/v1/annotations/{one['id']}/reviews", json={"decision": "accept"},
                  headers=reviewer)
    assert ok.status_code == 201
    fix = api.post(f"/api/v1/annotations/{two['id']}/reviews",
                   json={"decision": "fix", "comment": "it is positive",
                         "result": {"sentiment": "positive"}}, headers=reviewer)
    assert fix.status_code == 201 and fix.json()["fixed_annotation_id"]
    denied = api.post(f"/api/v1/annotations/{one['id']}/reviews", json={"decision": "accept"},
                      headers=as_(world, a))
    assert denied.status_code == 403


def test_import_upload_and_streamed_export(api, world, tmp_path):
    manager = as_(world, world.manager)
    good = "\n".join(json.dumps({"text": f"new {i}"}) for i in range(5))
    response = api.post(f"/api/v1/projects/{world.project_id}/import",
                        files={"file": ("more.jsonl", good.encode())}, headers=manager)
    assert response.status_code == 201 and response.json()["n_items"] == 5
    bad = good + "\n{oops\n"
    response = api.post(f"/api/v1/projects/{world.project_id}/import",
                        files={"file": ("bad.jsonl", bad.encode())}, headers=manager)
    assert response.status_code == 422
    assert error_of(response)["details"]["line"] == 6
    export = api.get(f"/api/v1/projects/{world.project_id}/export?format=jsonl",
                     headers=manager)
    assert export.status_code == 200
    assert len(export.text.splitlines()) == 4 + 5
    assert export.headers["content-disposition"].startswith('attachment; filename="p1.jsonl"')
    crowd = api.get(f"/api/v1/projects/{world.project_id}/export?format=crowdkit",
                   headers=manager)
    assert crowd.headers["content-disposition"].startswith('attachment; filename="p1.csv"')
    assert api.get(f"/api/v1/projects/{world.project_id}/export?format=nope",
                   headers=manager).status_code == 422


def test_uploads_and_bodies_are_bounded(api, world):
    manager = as_(world, world.manager)
    huge = b"x" * 2_100_000
    response = api.post(f"/api/v1/projects/{world.project_id}/import",
                        files={"file": ("big.jsonl", huge)}, headers=manager)
    assert response.status_code == 413
    response = api.post(f"/api/v1/projects/{world.project_id}/items",
                        content=b'{"items": [' + b'{"data": {"text": "a"}},' * 60000 + b"]}",
                        headers={**manager, "Content-Type": "application/json"})
    assert response.status_code == 413


def test_cursor_pagination_walks_every_item(api, world):
    manager = as_(world, world.manager)
    seen, cursor = [], None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = api.get(f"/api/v1/projects/{world.project_id}/items", params=params,
                       headers=manager).json()
        seen += [i["id"] for i in page["data"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 4
    bad = api.get(f"/api/v1/projects/{world.project_id}/items", params={"cursor": "%%%"},
                  headers=manager)
    assert bad.status_code == 422


def test_stats_and_audit(api, world):
    _label(api, world, world.annotators[0], "positive")
    stats = api.get(f"/api/v1/projects/{world.project_id}/stats",
                    headers=as_(world, world.manager)).json()
    assert stats["items"] == 3 and stats["gold_items"] == 1
    assert stats["annotators"][0]["submitted"] == 1
    audit = api.get(f"/api/v1/projects/{world.project_id}/audit",
                    headers=as_(world, world.manager)).json()["data"]
    assert {"project.create", "items.import", "member.set"} <= {a["action"] for a in audit}
