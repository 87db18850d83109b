"""`labelwell user deactivate` and `activate`: a deactivated user's token is refused."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from labelwell.cli import app
from labelwell.server import create_app

runner = CliRunner()


@pytest.fixture
def env(db, tmp_path, monkeypatch):
    monkeypatch.setenv("LABELWELL_DATABASE_URL", db.url)
    monkeypatch.setenv("LABELWELL_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("LABELWELL_USER", raising=False)
    return tmp_path


def run(*args: str, ok: bool = True):
    result = runner.invoke(app, list(args))
    if ok:
        assert result.exit_code == 0, result.output
    return result


def test_a_deactivated_users_token_is_refused_until_reactivated(env):
    run("init")
    out = run("user", "create", "ann@example.org").output
    assert "/reset/lwr_" in out  # no account that cannot log in
    token = run("token", "create", "ann@example.org").output.strip()
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app()) as client:
        assert client.get("/api/v1/me", headers=headers).status_code == 200
        assert "ann@example.org deactivated" in run("user", "deactivate", "ann@example.org").output
        assert client.get("/api/v1/me", headers=headers).status_code == 401
        assert "activated" in run("user", "activate", "ann@example.org").output
        assert client.get("/api/v1/me", headers=headers).status_code == 200
    missing = run("user", "deactivate", "nobody@example.org", ok=False)
    assert missing.exit_code != 0 and "nobody@example.org" in missing.output
