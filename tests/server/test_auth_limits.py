"""Request body caps and the login throttle, over real HTTP (uvicorn in a
thread, or ``labelwell serve`` in its own process)."""

from __future__ import annotations

import socket
import statistics
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

import httpx
import pytest
import uvicorn

from labelwell.errors import InvalidInput
from labelwell.server import create_app
from labelwell.server.login import FailureWindow
from labelwell.store.tables import User
from labelwell.work import accounts
from server_process import running
from waiting import wait_for
from world import build_world

JSON_CAP = 10_000
UPLOAD_CAP = 200_000
PASSWORD = "correct horse battery"


@contextmanager
def serving(app) -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started, 20, "the test server to start")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture
def world(db):
    return build_world(db, n_annotators=1, n_items=200)


@pytest.fixture
def url(db, settings, world):
    capped = replace(settings, max_body_bytes=JSON_CAP, max_upload_bytes=UPLOAD_CAP)
    with serving(create_app(capped, database=db, migrate=False)) as base:
        yield base


def bearer(world, actor):
    return {"Authorization": f"Bearer {world.token(actor)}"}


def too_large(response):
    assert response.status_code == 413, response.text
    assert response.json()["error"]["code"] == "too_large"
    return response.json()["error"]["message"]


def chunks(total: int, size: int = 4096) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        yield b" " * min(size, total - sent)
        sent += size


# -- body size ------------------------------------------------------------------


def test_anonymous_multipart_login_is_cut_at_the_json_cap(url):
    files = {"file": ("big.bin", b"x" * (JSON_CAP * 5), "application/octet-stream")}
    response = httpx.post(f"{url}/api/v1/auth/login", files=files)
    assert str(JSON_CAP) in too_large(response)


def test_multipart_is_held_to_the_json_cap_on_json_routes_even_when_logged_in(url, world):
    files = {"file": ("big.bin", b"x" * (JSON_CAP * 5), "application/octet-stream")}
    response = httpx.post(f"{url}/api/v1/projects", files=files, headers=bearer(world, world.admin))
    too_large(response)


def test_chunked_json_bodies_are_cut_at_the_cap(url, world):
    for path, headers in (("/api/v1/auth/login", {}),
                          ("/api/v1/projects", bearer(world, world.admin))):
        response = httpx.post(f"{url}{path}", content=chunks(JSON_CAP * 4),
                              headers={**headers, "content-type": "application/json"})
        assert "content-length" not in response.request.headers
        too_large(response)


def test_uploads_get_the_upload_cap_only_once_authenticated(url, world):
    path = f"{url}/api/v1/projects/{world.project_id}/import"
    rows = b"".join(b'{"data": {"text": "%s"}}\n' % (b"w" * 200) for _ in range(JSON_CAP // 100))
    assert JSON_CAP < len(rows) < UPLOAD_CAP
    files = {"file": ("items.jsonl", rows, "application/x-ndjson")}
    too_large(httpx.post(path, files=files))  # anonymous: the JSON cap
    too_large(httpx.post(path, files=files, headers={"Authorization": "Bearer lw_forged"}))
    stored = httpx.post(path, files=files, headers=bearer(world, world.manager))
    assert stored.status_code == 201, stored.text
    assert stored.json()["n_items"] == JSON_CAP // 100
    huge = {"file": ("items.jsonl", b"x" * (UPLOAD_CAP * 2), "application/x-ndjson")}
    assert str(UPLOAD_CAP) in too_large(
        httpx.post(path, files=huge, headers=bearer(world, world.manager))
    )
    def multipart() -> Iterator[bytes]:
        yield (b'--x\r\nContent-Disposition: form-data; name="file"; filename="a.jsonl"\r\n'
               b"Content-Type: application/x-ndjson\r\n\r\n")
        yield from chunks(UPLOAD_CAP * 2)

    chunked = httpx.post(path, content=multipart(), headers={
        **bearer(world, world.manager), "content-type": "multipart/form-data; boundary=x"})
    too_large(chunked)


# -- login ----------------------------------------------------------------------


@pytest.fixture
def member(db, world):
    with db.session() as s:
        user = s.get(User, world.annotators[0].id)
        user.password_hash = accounts.hash_password(PASSWORD)
    return world.annotators[0]


def login(base, email, password, **kwargs):
    return httpx.post(f"{base}/api/v1/auth/login",
                      json={"email": email, "password": password}, **kwargs)


def test_failed_logins_are_throttled_per_account_with_retry_after(url, member):
    for _ in range(5):
        assert login(url, member.email, "wrong password").status_code == 401
    refused = login(url, member.email, PASSWORD)  # even the right password, until the window ends
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "too_many_requests"
    assert 0 < int(refused.headers["retry-after"]) <= 15 * 60
    # other accounts are not locked out by it
    assert login(url, "someone@example.org", "wrong password").status_code == 401


def test_failed_logins_are_throttled_per_client_address(url, member):
    for i in range(30):
        assert login(url, f"nobody{i}@example.org", "wrong password").status_code == 401
    refused = login(url, member.email, PASSWORD)
    assert refused.status_code == 429 and "retry-after" in refused.headers


def test_a_successful_login_clears_the_account_count(url, member):
    for _ in range(4):
        assert login(url, member.email, "wrong password").status_code == 401
    assert login(url, member.email, PASSWORD).status_code == 201
    for _ in range(4):
        assert login(url, member.email, "wrong password").status_code == 401
    assert login(url, member.email, PASSWORD).status_code == 201


def test_the_throttle_forgets_old_failures_and_keeps_a_bounded_number_of_keys():
    window = FailureWindow(limit=2, window_s=10, max_keys=100)
    window.fail("a", 0)
    window.fail("a", 1)
    assert window.retry_after("a", 2) == pytest.approx(8)
    assert window.retry_after("a", 10.5) == 0  # the first failure left the window
    for i in range(1000):
        window.fail(f"k{i}", 20)
    assert len(window) == 100


def test_unknown_emails_take_as_long_as_wrong_passwords(db, member):
    def timed(email):
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            with db.read_session() as s, pytest.raises(accounts.Unauthorized):
                accounts.authenticate(s, email, "wrong password")
            best = min(best, time.perf_counter() - start)
        return best

    known, unknown = timed(member.email), timed("nobody@example.org")
    assert 1 / 3 < unknown / known < 3, (known, unknown)


def test_an_anonymous_login_flood_does_not_hold_up_the_annotator(db, world, member):
    stop = threading.Event()
    answers: list[int] = []
    with running(db.url) as server:
        base = server.url

        def flood(n: int) -> None:
            with httpx.Client(base_url=base, timeout=60) as http:
                while not stop.is_set():
                    # half guess the annotator's own password, half made-up accounts
                    email = member.email if n % 2 else f"x{n}-{len(answers)}@example.org"
                    answers.append(http.post("/api/v1/auth/login", json={
                        "email": email, "password": "guess-1234",
                    }).status_code)

        threads = [threading.Thread(target=flood, args=(n,)) for n in range(16)]
        for t in threads:
            t.start()
        try:
            wait_for(lambda: len(answers) >= len(threads), 30, "the login flood to be answered")
            durations = []
            with httpx.Client(base_url=base, timeout=60, headers=bearer(world, member)) as http:
                began = time.perf_counter()
                while len(durations) < 8 or time.perf_counter() - began < 4:
                    start = time.perf_counter()
                    task = http.post(f"/api/v1/projects/{world.project_id}/tasks/next")
                    if task.status_code == 204 and len(durations) >= 8:
                        break  # a quick machine labelled every item within the 4 s
                    assert task.status_code == 200, task.text
                    done = http.post(f"/api/v1/assignments/{task.json()['assignment_id']}/submit",
                                     json={"result": {"sentiment": "positive"}})
                    assert done.status_code == 201, done.text
                    durations.append(time.perf_counter() - start)
        finally:
            stop.set()
            for t in threads:
                t.join(60)
    assert len(answers) >= 16 and set(answers) <= {401, 429, 503}  # the flood ran throughout
    assert statistics.median(durations) < 0.5 and max(durations) < 2.0, durations


# -- password policy ------------------------------------------------------------


@pytest.mark.parametrize(("password", "rule"), [
    ("short1", "short"),
    ("password123", "common"),
    ("Qwertyuiop", "common"),
    ("ann0-is-great", "email"),
])
def test_new_passwords_must_meet_the_policy(db, password, rule):
    with db.session() as s, pytest.raises(InvalidInput) as refused:
        accounts.create_user(s, "ann0@example.org", password=password)
    assert refused.value.field == "password" and refused.value.details["rule"] == rule
    with db.session() as s:
        assert accounts.create_user(s, "ann0@example.org", password=PASSWORD).password_hash


def test_the_policy_is_not_applied_at_login(url, db, member):
    with db.session() as s:  # a weak password set before the policy existed
        s.get(User, member.id).password_hash = accounts.hash_password("password123")
    assert login(url, member.email, "password123").status_code == 201
