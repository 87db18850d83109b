"""Inputs that once gave a 500 get a 4xx naming the field, on SQLite and PostgreSQL
alike: cursors past 2^63, integers beyond 64 bits and lone surrogates in item data,
NUL characters in any string of a request or an imported file."""

from __future__ import annotations

import base64

import pytest

from labelwell.work import accounts
from world import build_world

LIST_ROUTES = [
    "/projects/{pid}/items",
    "/projects/{pid}/annotations",
    "/projects/{pid}/audit",
    "/projects/{pid}/review-queue",
]


@pytest.fixture
def world(db):
    return build_world(db, n_annotators=1, n_items=2)


def _as(world, actor):
    return {"Authorization": f"Bearer {world.token(actor)}"}


def _error(response, status=422):
    assert response.status_code == status, response.text
    return response.json()["error"]


def _cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@pytest.mark.parametrize("route", LIST_ROUTES)
@pytest.mark.parametrize("value", [2**63, 10**40])
def test_cursor_beyond_64_bits_is_422_on_every_list_route(api, world, route, value):
    url = "/api/v1" + route.format(pid=world.project_id)
    response = api.get(url, params={"cursor": _cursor(f"id:{value}")},
                       headers=_as(world, world.manager))
    assert _error(response)["details"]["field"] == "cursor"
    largest = api.get(url, params={"cursor": _cursor(f"id:{2**63 - 1}")},
                      headers=_as(world, world.manager))
    assert largest.status_code == 200 and largest.json()["data"] == []


@pytest.mark.parametrize(("data", "field"), [
    ({"text": "x", "n": 2**64}, "data.n"),
    ({"text": "x", "deep": {"list": [1, -(2**63) - 1]}}, "data.deep.list[1]"),
    ({"text": "x", "k": "\ud800 alone"}, "data.k"),
    ({"text": "x\udfff"}, "data.text"),
    ({"text": "x", "\ud83d": 1}, "data"),
    ({"text": "x \ud83d\ude00", "n": 2**63 - 1}, None),
])
def test_item_data_beyond_64_bits_or_with_lone_surrogates_is_422(api, world, data, field):
    # the body is sent as JSON text, as a client would (\\ud800 escapes)
    import json

    body = json.dumps({"items": [{"data": {"text": "fine"}}, {"data": data}]})
    response = api.post(f"/api/v1/projects/{world.project_id}/items", content=body,
                        headers={**_as(world, world.manager),
                                 "Content-Type": "application/json"})
    if field is None:  # a surrogate pair and the largest 64-bit integer are fine
        assert response.status_code == 201, response.text
        return
    error = _error(response)
    assert error["details"]["field"] == f"items[1].{field}"
    items = api.get(f"/api/v1/projects/{world.project_id}/items",
                    headers=_as(world, world.manager)).json()["data"]
    assert len(items) == 2


@pytest.mark.parametrize(("content", "line", "field"), [
    (b'{"text": "a"}\n{"text": "b", "n": 99999999999999999999}\n', 2, "data.n"),
    (b'{"text": "a"}\n{"text": "b\\u0000c"}\n', 2, "data.text"),
    (b'{"data": {"text": "a"}, "external_id": "x\\u0000"}\n', 1, "external_id"),
    (b'{"text": "a", "note\\u0000": 1}\n', 1, "data"),
])
def test_imported_files_with_bad_strings_or_numbers_are_422(api, world, content, line, field):
    response = api.post(f"/api/v1/projects/{world.project_id}/import",
                        files={"file": ("items.jsonl", content)},
                        headers=_as(world, world.manager))
    error = _error(response)
    assert error["details"]["field"] == field and error["details"]["line"] == line


def test_csv_import_with_a_nul_is_422(api, world):
    response = api.post(f"/api/v1/projects/{world.project_id}/import",
                        files={"file": ("items.csv", b"text\nfine\nbad\x00cell\n")},
                        headers=_as(world, world.manager))
    error = _error(response)
    assert error["details"]["field"] == "data.text" and error["details"]["line"] == 3


def test_nul_in_login_is_422_naming_the_field(api, db, world):
    with db.session() as s:
        accounts.create_user(s, "pw@example.org", password="correct horse")
    for body, field in [({"email": "pw@example.org\x00", "password": "x"}, "email"),
                        ({"email": "pw@example.org", "password": "a\x00b"}, "password")]:
        assert _error(api.post("/api/v1/auth/login", json=body))["details"]["field"] == field


def _task(api, world):
    ann = world.annotators[0]
    response = api.post(f"/api/v1/projects/{world.project_id}/tasks/next", headers=_as(world, ann))
    assert response.status_code == 200, response.text
    return response.json()["assignment_id"]


def test_nul_in_submit_and_skip_is_422_and_nothing_is_stored(api, world):
    ann = world.annotators[0]
    assignment = _task(api, world)
    url = f"/api/v1/assignments/{assignment}/submit"
    cases = [
        ({"result": {"sentiment": "positive"}, "idempotency_key": "k\x00"}, "idempotency_key"),
        ({"result": {"sentiment": "posi\x00tive"}}, "result.sentiment"),
        ({"result": {"sentiment": "positive", "note": ["ok", "a\x00"]}}, "result.note[1]"),
    ]
    for body, field in cases:
        assert _error(api.post(url, json=body, headers=_as(world, ann)))["details"][
            "field"] == field
    skip = api.post(f"/api/v1/assignments/{assignment}/skip", json={"reason": "dup\x00licate"},
                    headers=_as(world, ann))
    assert _error(skip)["details"]["field"] == "reason"
    ok = api.post(url, json={"result": {"sentiment": "positive"}, "idempotency_key": "k"},
                  headers=_as(world, ann))
    assert ok.status_code == 201, ok.text
    annotations = api.get(f"/api/v1/projects/{world.project_id}/annotations",
                          headers=_as(world, world.manager)).json()["data"]
    assert [a["result"] for a in annotations] == [{"sentiment": "positive"}]


def test_nul_in_a_query_parameter_is_422_naming_it(api, world):
    response = api.get(f"/api/v1/projects/{world.project_id}/export",
                       params={"annotator": "a\x00@example.org"},
                       headers=_as(world, world.manager))
    assert _error(response)["details"]["field"] == "annotator"


def test_nul_in_the_web_login_form_is_refused(api, db):
    with db.session() as s:
        accounts.create_user(s, "pw@example.org", password="correct horse")
    response = api.post("/login", data={"email": "pw@example.org\x00", "password": "x"})
    assert response.status_code == 422


def test_unstorable_values_in_other_bodies_are_422_naming_the_field(api, world):
    import json

    ann = world.annotators[0]
    assignment = _task(api, world)
    cases = [
        (f"/api/v1/assignments/{assignment}/submit",
         '{"result": {"sentiment": "positive", "extra": 123456789012345678901234}}',
         "result.extra", ann),
        (f"/api/v1/assignments/{assignment}/skip", '{"reason": "lone \\udc00"}', "reason", ann),
        (f"/api/v1/projects/{world.project_id}/predictions",
         json.dumps({"predictions": [{"item_id": 1, "result": {"sentiment": "positive"},
                                      "model_name": "m", "score": 0.5,
                                      "meta": -(2**70)}]}),
         "predictions[0].meta", world.manager),
    ]
    for url, body, field, actor in cases:
        response = api.post(url, content=body, headers={
            **_as(world, actor), "Content-Type": "application/json"})
        assert _error(response)["details"]["field"] == field, (url, response.text)
