"""The data manager's API end to end: pages, count, filters and search, layouts
and views, bulk actions and the selection export; refusals name the field, and
only managers of the project get anything."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from labelwell.server import create_app
from labelwell.server.web.session import SESSION_COOKIE
from world import answer_every_task, build_world

TEXTS = ["red apple", "green apple", "red car", "blue sky", "사과 한 개"]


@pytest.fixture
def world(db):
    return build_world(db, n_annotators=2, texts=TEXTS, overlap=2)


@pytest.fixture
def api(db, settings, world):
    with TestClient(create_app(settings, database=db, migrate=False)) as client:
        answer_every_task(
            client,
            world,
            lambda i, data: {"sentiment": "positive" if "red" in data["text"] or i else "negative"},
        )
        yield client


def as_(world, actor):
    return {"Authorization": f"Bearer {world.token(actor)}"}


def url(world, rest):
    return f"/api/v1/projects/{world.project_id}/data/{rest}"


def test_pages_filters_search_and_count(api, world):
    h = as_(world, world.manager)
    seen, cursor = [], None
    while True:
        body = {"sort": "agreement", "descending": True, "limit": 2, "cursor": cursor}
        page = api.post(url(world, "items"), json=body, headers=h)
        assert page.status_code == 200, page.text
        seen += page.json()["data"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert sorted(r["preview"] for r in seen) == sorted(TEXTS)
    agreements = [r["agreement"] for r in seen]
    assert agreements[:2] == [1.0, 1.0] and agreements[-3:] == [0.5, 0.5, 0.5]
    red = {"filters": [{"column": "agreement", "op": "eq", "value": 1}], "search": "red"}
    found = api.post(url(world, "items"), json=red, headers=h).json()["data"]
    assert {r["preview"] for r in found} == {"red apple", "red car"}
    assert found[0]["consensus"] == "sentiment: positive" and found[0]["gold"] is False
    assert api.post(url(world, "count"), json=red, headers=h).json() == {"count": 2}
    korean = api.post(url(world, "items"), json={"search": "사과"}, headers=h).json()["data"]
    assert [r["preview"] for r in korean] == ["사과 한 개"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"filters": [{"column": "colour", "op": "eq", "value": "red"}]}, "filters[0].column"),
        ({"filters": [{"column": "agreement", "op": "gt", "value": "most"}]}, "filters[0].value"),
        ({"sort": "preview"}, "sort"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"limit": 0}, "limit"),
    ],
)
def test_bad_requests_are_422_naming_the_field(api, world, body, field):
    r = api.post(url(world, "items"), json=body, headers=as_(world, world.manager))
    assert r.status_code == 422, r.text
    assert field in json.dumps(r.json())


def test_only_managers_of_the_project(api, world):
    for actor, code in ((world.reviewer, 403), (world.annotators[0], 403), (world.outsider, 404)):
        h = as_(world, actor)
        assert api.post(url(world, "items"), json={}, headers=h).status_code == code
        assert api.get(url(world, "layout"), headers=h).status_code == code
        r = api.post(url(world, "actions/review"), json={"item_ids": [1]}, headers=h)
        assert r.status_code == code
        r = api.post(url(world, "export"), json={"item_ids": [1]}, headers=h)
        assert r.status_code == code
    assert (
        api.post(url(world, "items"), json={}, headers=as_(world, world.admin)).status_code == 200
    )


def test_layout_and_views(api, world):
    h = as_(world, world.manager)
    assert api.get(url(world, "layout"), headers=h).json()["columns"][:2] == ["id", "data"]
    layout = {"columns": ["status", "data"], "sort": "created", "descending": True}
    assert api.put(url(world, "layout"), json=layout, headers=h).status_code == 200
    assert api.get(url(world, "layout"), headers=h).json()["columns"] == ["status", "data"]
    view = {"name": "reds", "search": "red", "columns": ["id", "data"]}
    saved = api.put(url(world, "views"), json=view, headers=h).json()
    assert saved["state"]["search"] == "red"
    listed = api.get(url(world, "views"), headers=h).json()["data"]
    assert [v["name"] for v in listed] == ["reds"]
    bad = api.put(url(world, "views"), json={**view, "columns": ["id", "nope"]}, headers=h)
    assert bad.status_code == 422 and bad.json()["error"]["details"]["field"] == "columns[1]"
    gone = api.delete(url(world, f"views/{saved['id']}"), headers=h)
    assert gone.status_code == 204
    assert api.get(url(world, "views"), headers=h).json()["data"] == []


def test_bulk_actions_and_selection_export(api, world):
    h = as_(world, world.manager)
    rows = api.post(url(world, "items"), json={"search": "apple"}, headers=h).json()["data"]
    ids = [r["id"] for r in rows]
    r = api.post(url(world, "actions/review"), json={"item_ids": ids}, headers=h)
    assert r.json() == {
        "action": "review",
        "selected": 2,
        "changed": 2,
        "skipped": 0,
        "job_id": None,
    }
    in_review = {"filters": [{"column": "review_state", "op": "eq", "value": "review"}]}
    assert api.post(url(world, "count"), json=in_review, headers=h).json()["count"] == 2
    exported = api.post(url(world, "export"), json={"filter": in_review}, headers=h)
    assert exported.status_code == 200
    lines = [json.loads(x) for x in exported.text.splitlines()]
    assert sorted(x["data"]["text"] for x in lines) == ["green apple", "red apple"]
    assert "selection" in exported.headers["content-disposition"]
    r = api.post(url(world, "actions/gold_set"), json={"item_ids": ids, "result": {}}, headers=h)
    assert r.status_code == 422
    r = api.post(url(world, "actions/gold_set"), json={"item_ids": ids}, headers=h)
    assert r.status_code == 422 and r.json()["error"]["details"]["field"] == "result"
    r = api.post(url(world, "actions/delete"), json={"filter": in_review}, headers=h)
    assert r.status_code == 422 and r.json()["error"]["details"]["field"] == "confirm"
    r = api.post(url(world, "actions/delete"), json={"filter": in_review, "confirm": 5}, headers=h)
    assert r.status_code == 409 and r.json()["error"]["details"]["selected"] == 2
    r = api.post(url(world, "actions/delete"), json={"filter": in_review, "confirm": 2}, headers=h)
    assert r.json()["changed"] == 2
    assert api.post(url(world, "count"), json={}, headers=h).json()["count"] == 3
    r = api.post(url(world, "actions/explode"), json={"item_ids": [1]}, headers=h)
    assert r.status_code == 422
    assert api.post(url(world, "actions/review"), json={}, headers=h).status_code == 422


def test_the_table_page_reads_in_one_transaction(api, world, db):
    """The table page brings its first rows, read in the same transaction as the
    rest of the page (the staleness check of the label columns first): on
    PostgreSQL each transaction costs a round trip to begin and one to end, and
    on a loaded server each one showed in the time to the first rows."""
    path = f"/projects/{world.project_id}/data"
    cookies = {SESSION_COOKIE: world.token(world.manager)}
    assert api.get(path, cookies=cookies).status_code == 200  # derives the answers' labels
    sent: list[str] = []

    def began(_conn: object) -> None:
        sent.append("BEGIN")

    def statement(_conn, _cursor, sql, *_: object) -> None:  # type: ignore[no-untyped-def]
        sent.append(" ".join(sql.split()))

    event.listen(db.engine, "begin", began)
    event.listen(db.engine, "before_cursor_execute", statement)
    try:
        page = api.get(path, cookies=cookies)
    finally:
        event.remove(db.engine, "begin", began)
        event.remove(db.engine, "before_cursor_execute", statement)
    assert page.status_code == 200
    boot = json.loads(page.text.split('id="boot">', 1)[1].split("</script>", 1)[0])
    assert sorted(r["preview"] for r in boot["first"]["page"]["data"]) == sorted(TEXTS)
    checks = [i for i, sql in enumerate(sent) if "FROM item_labels_stale" in sql]
    assert len(checks) == 1, sent
    rows = next(i for i, sql in enumerate(sent) if sql.startswith("SELECT predictions.item_id"))
    assert sent[checks[0] - 1] == "BEGIN" and "BEGIN" not in sent[checks[0] : rows], sent
    assert any(sql.startswith("SELECT projects.id") for sql in sent[checks[0] : rows]), sent
