"""Sessions that end (lifetime, idle timeout), admins managing anyone's tokens,
passwords set by an admin or through a one-time link."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from labelwell.server import create_app
from labelwell.server.web.session import SESSION_COOKIE, TokenTouches
from labelwell.settings import Settings
from labelwell.store.tables import ApiToken, PasswordReset, User, utcnow
from labelwell.work import accounts, password_resets
from world import build_world

PASSWORD = "correct horse battery"


@pytest.fixture
def world(db):
    world = build_world(db, n_annotators=2, n_items=10)
    with db.session() as s:
        for actor in world.annotators:
            s.get(User, actor.id).password_hash = accounts.hash_password(PASSWORD)
    return world


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def log_in(api, email, password=PASSWORD):
    response = api.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 201, response.text
    return response.json()


def next_task(api, world, token):
    return api.post(f"/api/v1/projects/{world.project_id}/tasks/next", headers=bearer(token))


def row_of(db, token_id):
    with db.read_session() as s:
        return s.get(ApiToken, token_id)


# -- sessions that end ------------------------------------------------------------


def test_a_login_is_a_session_that_ends_and_a_made_token_is_not(api, db, world, settings):
    session = log_in(api, world.annotators[0].email)
    assert session["kind"] == "session"
    lifetime = row_of(db, session["id"]).expires_at - row_of(db, session["id"]).created_at
    expected = timedelta(seconds=min(settings.session_idle_s, settings.session_max_age_s))
    assert abs(lifetime - expected) < timedelta(seconds=1)
    made = api.post("/api/v1/tokens", json={"name": "script"}, headers=bearer(session["token"]))
    assert made.json()["kind"] == "api" and made.json()["expires_at"] is None


def test_an_ended_session_is_refused_on_every_path(api, db, world):
    token = log_in(api, world.annotators[0].email)
    assert api.get("/api/v1/me", headers=bearer(token["token"])).status_code == 200
    assert next_task(api, world, token["token"]).status_code == 200
    with db.session() as s:
        s.execute(update(ApiToken).where(ApiToken.id == token["id"])
                  .values(expires_at=utcnow() - timedelta(seconds=1)))
    for response in (api.get("/api/v1/me", headers=bearer(token["token"])),
                     next_task(api, world, token["token"])):  # the queue's own token check
        assert response.status_code == 401, response.text
        assert "expired" in response.json()["error"]["message"]


def test_use_moves_an_idle_deadline_but_not_past_the_lifetime(db, world):
    policy = accounts.SessionPolicy(max_age_s=3600, idle_s=600)
    with db.session() as s:
        issued = accounts.create_session(s, s.get(User, world.annotators[0].id), policy, name="t")
    with db.session() as s:  # the session began 55 minutes ago and was last used 5 ago
        row = s.get(ApiToken, issued.id)
        row.created_at = utcnow() - timedelta(minutes=55)
        row.expires_at = utcnow() + timedelta(minutes=5)
    with db.session() as s:
        accounts.touch_token(s, issued.token, policy)
    row = row_of(db, issued.id)
    assert row.expires_at == row.created_at + timedelta(hours=1)  # capped by the lifetime
    assert row.last_used_at is not None
    with db.session() as s:  # once ended, use does not revive it
        s.get(ApiToken, issued.id).expires_at = utcnow() - timedelta(seconds=1)
    with db.session() as s:
        accounts.touch_token(s, issued.token, policy)
    assert row_of(db, issued.id).expires_at < utcnow()


def test_the_annotator_loop_records_use_at_most_once_a_minute(api, db, world):
    token = log_in(api, world.annotators[0].email)
    assert next_task(api, world, token["token"]).status_code == 200
    first = row_of(db, token["id"])
    assert first.last_used_at is not None and first.expires_at is not None
    stamp = utcnow() - timedelta(hours=1)
    with db.session() as s:
        s.execute(update(ApiToken).where(ApiToken.id == token["id"]).values(last_used_at=stamp))
    for _ in range(5):
        assert next_task(api, world, token["token"]).status_code == 200
        assert api.get("/api/v1/me", headers=bearer(token["token"])).status_code == 200
    assert row_of(db, token["id"]).last_used_at == stamp  # no write within the minute


def test_token_touches_are_throttled_and_bounded():
    touches = TokenTouches(every_s=60, max_keys=10)
    assert touches.due("a", 0) and not touches.due("a", 59) and touches.due("a", 61)
    for i in range(100):
        touches.due(f"k{i}", 100)
    assert len(touches._last) == 10


# -- cookies -------------------------------------------------------------------------


def web_login(client, email):
    token = client.get("/login").cookies.get("lw_login") or client.cookies.get("lw_login")
    return client.post("/login", data={"email": email, "password": PASSWORD, "csrf": token},
                       follow_redirects=False)


@pytest.mark.parametrize("secure", [False, True])
def test_secure_cookies_setting_marks_the_session_cookie(db, settings, world, secure):
    app = create_app(replace(settings, secure_cookies=secure), database=db, migrate=False)
    with TestClient(app, base_url="https://testserver") as client:
        response = web_login(client, world.annotators[0].email)
    assert response.status_code == 303
    cookie = next(v for k, v in response.headers.multi_items()
                  if k == "set-cookie" and v.startswith(SESSION_COOKIE))
    assert ("; secure" in cookie.lower()) is secure


def test_secure_cookies_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("LABELWELL_HOME", str(tmp_path))
    assert Settings.from_env().secure_cookies is False
    monkeypatch.setenv("LABELWELL_SECURE_COOKIES", "1")
    monkeypatch.setenv("LABELWELL_SESSION_IDLE_S", "900")
    settings = Settings.from_env()
    assert settings.secure_cookies is True and settings.session_idle_s == 900


def test_the_login_page_is_throttled_too_in_both_languages(api, world):
    email = world.annotators[0].email
    token = api.get("/login").cookies.get("lw_login") or api.cookies.get("lw_login")
    for _ in range(5):
        wrong = api.post("/login", data={"email": email, "password": "nope-nope", "csrf": token})
        assert wrong.status_code == 401
    throttled = web_login(api, email)
    assert throttled.status_code == 429 and int(throttled.headers["retry-after"]) > 0
    assert "Too many failed logins" in throttled.text
    api.cookies.set("lw_lang", "ko")
    assert "로그인 실패가 너무 많습니다" in web_login(api, email).text


def test_a_web_session_is_a_session_token(db, api, world):
    response = web_login(api, world.annotators[0].email)
    assert response.status_code == 303
    with db.read_session() as s:
        row = s.scalars(select(ApiToken).where(ApiToken.name == "web session")).one()
    assert row.kind == "session" and row.expires_at is not None


# -- admins and tokens -----------------------------------------------------------------


def test_admins_list_and_revoke_anyones_tokens(api, db, world):
    session = log_in(api, world.annotators[0].email)
    user_id = world.annotators[0].id
    admin = bearer(world.token(world.admin))
    listed = api.get(f"/api/v1/users/{user_id}/tokens", headers=admin).json()
    assert {t["kind"] for t in listed["data"]} == {"api", "session"}
    assert all("token" not in t and "token_hash" not in t for t in listed["data"])
    revoked = api.delete(f"/api/v1/users/{user_id}/tokens/{session['id']}", headers=admin)
    assert revoked.status_code == 204
    assert api.get("/api/v1/me", headers=bearer(session["token"])).status_code == 401
    # someone else's token through another user's path is not found
    other = world.annotators[1].id
    assert api.delete(f"/api/v1/users/{other}/tokens/{session['id']}",
                      headers=admin).status_code == 404


def test_non_admins_cannot_see_or_revoke_others_tokens(api, world):
    own = bearer(world.token(world.annotators[0]))
    other = world.annotators[1].id
    assert api.get(f"/api/v1/users/{other}/tokens", headers=own).status_code == 404
    assert api.get(f"/api/v1/users/{world.annotators[0].id}/tokens",
                   headers=own).status_code == 200
    listed = api.get(f"/api/v1/users/{other}/tokens", headers=bearer(world.token(world.admin)))
    token_id = listed.json()["data"][0]["id"]
    assert api.delete(f"/api/v1/users/{other}/tokens/{token_id}", headers=own).status_code == 404
    assert api.put(f"/api/v1/users/{other}/password", json={"password": "Xy7-unusual-pw"},
                   headers=own).status_code == 403


# -- passwords -----------------------------------------------------------------------------


def test_an_admin_sets_a_password_and_the_users_sessions_end(api, world):
    member = world.annotators[0]
    session = log_in(api, member.email)
    admin = bearer(world.token(world.admin))
    weak = api.put(f"/api/v1/users/{member.id}/password", json={"password": "password1"},
                   headers=admin)
    assert weak.status_code == 422 and weak.json()["error"]["details"]["field"] == "password"
    assert api.put(f"/api/v1/users/{member.id}/password", json={"password": "Xy7-unusual-pw"},
                   headers=admin).status_code == 204
    assert api.get("/api/v1/me", headers=bearer(session["token"])).status_code == 401
    assert api.get("/api/v1/me", headers=bearer(world.token(member))).status_code == 200  # api
    log_in(api, member.email, "Xy7-unusual-pw")


def test_a_password_link_sets_the_password_once(api, db, world):
    member = world.annotators[0]
    link = api.post(f"/api/v1/users/{member.id}/reset-link",
                    headers=bearer(world.token(world.admin)))
    assert link.status_code == 201
    path = link.json()["url"].removeprefix("http://testserver")
    assert path.startswith("/reset/lwr_")
    with db.read_session() as s:  # only the hash is stored
        stored = s.scalars(select(PasswordReset.token_hash)).one()
    assert path.split("/")[-1] not in stored and len(stored) == 64

    page = api.get(path)
    assert page.status_code == 200 and member.email in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    differ = api.post(path, data={"password": "Xy7-unusual-pw", "confirm": "other"})
    assert differ.status_code == 422 and "differ" in differ.text
    common = api.post(path, data={"password": "password123", "confirm": "password123"})
    assert common.status_code == 422 and "common" in common.text
    done = api.post(path, data={"password": "Xy7-unusual-pw", "confirm": "Xy7-unusual-pw"})
    assert done.status_code == 200 and 'id="reset-done"' in done.text
    log_in(api, member.email, "Xy7-unusual-pw")
    again = api.get(path)
    assert again.status_code == 404 and 'id="reset-invalid"' in again.text
    assert api.post(path, data={"password": "Other-unusual-pw", "confirm": "Other-unusual-pw"}
                    ).status_code == 404


def test_the_password_page_speaks_korean(api, db, world):
    with db.session() as s:
        issued = password_resets.issue_reset(s, s.get(User, world.annotators[0].id), ttl_s=60,
                                             actor=None)
    api.cookies.set("lw_lang", "ko")
    page = api.get(issued.path)
    assert "비밀번호 설정" in page.text
    refused = api.post(issued.path, data={"password": "ann0-secret!", "confirm": "ann0-secret!"})
    assert refused.status_code == 422 and "이메일" in refused.text


def test_expired_and_unknown_links_are_refused(api, db, world):
    with db.session() as s:
        issued = password_resets.issue_reset(s, s.get(User, world.annotators[0].id), ttl_s=60,
                                             actor=None)
        s.execute(update(PasswordReset).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert api.get(issued.path).status_code == 404
    assert api.get("/reset/lwr_nothing").status_code == 404
    refused = api.post("/api/v1/auth/reset", json={"token": issued.secret, "password": PASSWORD})
    assert refused.status_code == 404 and "expired" in refused.json()["error"]["message"]


def test_a_new_link_retires_the_earlier_one(api, db, world):
    with db.session() as s:
        user = s.get(User, world.annotators[0].id)
        first = password_resets.issue_reset(s, user, ttl_s=60, actor=None)
        second = password_resets.issue_reset(s, user, ttl_s=60, actor=None)
    assert api.get(first.path).status_code == 404
    ok = api.post("/api/v1/auth/reset", json={"token": second.secret, "password": "Xy7-unusual-pw"})
    assert ok.status_code == 204
    log_in(api, world.annotators[0].email, "Xy7-unusual-pw")


# -- ended sessions are removed -----------------------------------------------------


def session_ids(db, user_id):
    with db.read_session() as s:
        return set(s.scalars(select(ApiToken.id).where(ApiToken.user_id == user_id,
                                                       ApiToken.kind == "session")))


def end(db, token_id, **values):
    with db.session() as s:
        s.execute(update(ApiToken).where(ApiToken.id == token_id).values(**values))


def test_a_login_removes_the_users_ended_sessions_only(api, db, world):
    a, b = world.annotators
    expired, revoked, live = (log_in(api, a.email)["id"] for _ in range(3))
    others = log_in(api, b.email)["id"]
    end(db, expired, expires_at=utcnow() - timedelta(seconds=1))
    end(db, revoked, revoked_at=utcnow())
    end(db, others, revoked_at=utcnow())
    fresh = log_in(api, a.email)["id"]
    assert session_ids(db, a.id) == {live, fresh}
    assert session_ids(db, b.id) == {others}  # someone else's login leaves it
    scripts = api.post("/api/v1/tokens", json={"name": "script"},
                       headers=bearer(world.token(a))).json()["id"]
    end(db, scripts, revoked_at=utcnow())
    log_in(api, a.email)
    assert row_of(db, scripts) is not None  # revoked API tokens stay listed


def test_the_server_start_sweeps_ended_sessions(db, settings, world):
    a = world.annotators[0]
    with db.session() as s:
        user = s.get(User, a.id)
        policy = accounts.SessionPolicy(3600, 600)
        ids = [accounts.create_session(s, user, policy, name="web session").id for _ in range(3)]
    end(db, ids[0], expires_at=utcnow() - timedelta(seconds=1))
    end(db, ids[1], revoked_at=utcnow())
    with TestClient(create_app(settings, database=db, migrate=True)):
        assert session_ids(db, a.id) == {ids[2]}


# -- changing one's own password -------------------------------------------------------

NEW = "Xy7-unusual-pw"


def change(api, token, current, new=NEW):
    return api.put("/api/v1/users/me/password", headers=bearer(token),
                   json={"current_password": current, "password": new})


def test_a_user_changes_their_password_and_only_their_other_sessions_end(api, world):
    member = world.annotators[0]
    here, elsewhere = log_in(api, member.email), log_in(api, member.email)
    other = log_in(api, world.annotators[1].email)
    assert change(api, here["token"], PASSWORD).status_code == 204
    assert api.get("/api/v1/me", headers=bearer(here["token"])).status_code == 200  # kept
    assert api.get("/api/v1/me", headers=bearer(elsewhere["token"])).status_code == 401
    assert api.get("/api/v1/me", headers=bearer(world.token(member))).status_code == 200  # api
    assert api.get("/api/v1/me", headers=bearer(other["token"])).status_code == 200
    refused = api.post("/api/v1/auth/login", json={"email": member.email, "password": PASSWORD})
    assert refused.status_code == 401
    log_in(api, member.email, NEW)


def test_a_changed_password_meets_the_policy_and_needs_the_current_one(api, world):
    member = world.annotators[0]
    token = log_in(api, member.email)["token"]
    weak = change(api, token, PASSWORD, "password1")
    assert weak.status_code == 422 and weak.json()["error"]["details"]["field"] == "password"
    wrong = change(api, token, "not the password")
    assert wrong.status_code == 422
    assert wrong.json()["error"]["details"]["field"] == "current_password"
    missing = api.put("/api/v1/users/me/password", headers=bearer(token), json={"password": NEW})
    assert missing.status_code == 422
    assert api.get("/api/v1/me", headers=bearer(token)).status_code == 200  # nothing changed
    log_in(api, member.email)
    no_password = world.token(world.reviewer)  # a user without a password cannot guess one
    assert change(api, no_password, "").status_code == 422


def test_wrong_current_passwords_are_throttled_like_logins(api, world, settings):
    member = world.annotators[0]
    token = log_in(api, member.email)["token"]
    for _ in range(settings.login_failures_per_account):
        assert change(api, token, "not the password").status_code == 422
    throttled = change(api, token, PASSWORD)
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) > 0
    late = api.post("/api/v1/auth/login", json={"email": member.email, "password": PASSWORD})
    assert late.status_code == 429  # the same count as the login's


def test_the_sdk_changes_the_password(api, world):
    from labelwell.client import Client
    from sdk_transport import Via

    member = world.annotators[0]
    session = log_in(api, member.email)
    Client("http://testserver", session["token"], transport=Via(api)).change_password(
        PASSWORD, NEW)
    log_in(api, member.email, NEW)
