"""Cookie sessions and CSRF without a browser (TestClient; SQLite and, when
configured, PostgreSQL)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from labelwell.server import create_app
from labelwell.server.web.session import csrf_for, csrf_matches
from labelwell.store.tables import User
from labelwell.work import accounts
from world import build_world

PASSWORD = "correct horse battery"


@pytest.fixture
def world(db):
    w = build_world(db, n_annotators=1, n_items=2)
    with db.session() as s:
        user = s.get(User, w.annotators[0].id)
        user.password_hash = accounts.hash_password(PASSWORD)
    return w


@pytest.fixture
def client(db, settings):
    with TestClient(create_app(settings, database=db, migrate=False)) as c:
        yield c


def log_in(client, email, password=PASSWORD):
    page = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf": token},
        follow_redirects=False,
    )


def page_csrf(client):
    return re.search(r'name="csrf-token" content="([^"]+)"', client.get("/projects").text)[1]


def test_csrf_token_is_bound_to_the_session():
    assert csrf_matches("lw_a", csrf_for("lw_a"))
    assert not csrf_matches("lw_b", csrf_for("lw_a"))
    assert not csrf_matches("lw_a", None) and not csrf_matches("lw_a", "")


def test_login_sets_a_hardened_cookie_and_pages_use_it(client, world):
    response = log_in(client, world.annotators[0].email)
    assert response.status_code == 303 and response.headers["location"] == "/projects"
    cookie = response.headers["set-cookie"]
    assert "lw_session=lw_" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    page = client.get("/projects")
    assert page.status_code == 200 and "p1" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert client.get(f"/projects/{world.project_id}/label").status_code == 200


def test_login_refuses_wrong_password_and_missing_csrf(client, world):
    assert log_in(client, world.annotators[0].email, "wrong password").status_code == 401
    client.cookies.clear()
    response = client.post(
        "/login", data={"email": world.annotators[0].email, "password": PASSWORD}
    )
    assert response.status_code == 403


def test_api_with_cookie_needs_the_csrf_header_for_writes(client, world):
    log_in(client, world.annotators[0].email)
    path = f"/api/v1/projects/{world.project_id}/tasks/next"
    assert client.get("/api/v1/me").json()["email"] == world.annotators[0].email
    refused = client.post(path)
    assert refused.status_code == 403 and "CSRF" in refused.json()["error"]["message"]
    assert client.post(path, headers={"X-CSRF-Token": "0" * 40}).status_code == 403
    assert client.post(path, headers={"X-CSRF-Token": page_csrf(client)}).status_code == 200


def test_bearer_tokens_work_as_before(client, world):
    headers = {"Authorization": f"Bearer {world.token(world.annotators[0])}"}
    response = client.post(f"/api/v1/projects/{world.project_id}/tasks/next", headers=headers)
    assert response.status_code == 200
    missing = client.get("/api/v1/me")
    assert missing.status_code == 401 and "Bearer" in missing.json()["error"]["message"]


def test_pages_follow_project_roles(client, world):
    log_in(client, world.annotators[0].email)
    assert client.get(f"/projects/{world.project_id}/manage").status_code == 403
    assert client.get(f"/projects/{world.project_id}/review").status_code == 403
    assert client.get("/projects/999/label").status_code == 404
    assert client.get("/projects/new").status_code == 403
    client.cookies.clear()
    anonymous = client.get(f"/projects/{world.project_id}/label", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")


def test_logout_revokes_the_session_token(client, world):
    log_in(client, world.annotators[0].email)
    token = client.cookies.get("lw_session")
    csrf = page_csrf(client)
    assert client.post("/logout", data={}, follow_redirects=False).status_code == 403
    assert client.post("/logout", data={"csrf": csrf}, follow_redirects=False).status_code == 303
    replay = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert replay.status_code == 401


def test_language_switch_renders_korean(client, world):
    log_in(client, world.annotators[0].email)
    csrf = page_csrf(client)
    client.post("/lang", data={"lang": "ko", "csrf": csrf}, follow_redirects=False)
    assert "내 프로젝트" in client.get("/projects").text
