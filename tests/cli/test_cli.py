from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from labelwell.cli import app

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]

SENTIMENT_YAML = """
name: reviews
controls:
  - name: sentiment
    type: choice
    source: text
    options: [positive, negative, neutral]
"""


@pytest.fixture
def env(db, tmp_path, monkeypatch):
    monkeypatch.setenv("LABELWELL_DATABASE_URL", db.url)
    monkeypatch.setenv("LABELWELL_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("LABELWELL_USER", raising=False)
    return tmp_path


def run(*args: str, ok: bool = True, input_: str | None = None):
    result = runner.invoke(app, list(args), input=input_)
    if ok:
        assert result.exit_code == 0, result.output
    return result


def test_full_cli_workflow(env):
    out = run("init", "--email", "boss@example.org", "--password", "s3cret-pass").output
    token = re.search(r"token: (lw_\S+)", out).group(1)
    assert token and "boss@example.org" in out
    assert "already exists" in run("init").output
    run("user", "create", "ann@example.org", "--role", "annotator", "--skill", "en")
    assert run("token", "create", "ann@example.org").output.strip().startswith("lw_")
    config = env / "onto.yaml"
    config.write_text(SENTIMENT_YAML)
    run("project", "create", "reviews", "--config", str(config), "--overlap", "2")
    run("project", "add-member", "reviews", "ann@example.org", "--role", "annotator")
    data = env / "items.jsonl"
    data.write_text("\n".join(json.dumps({"text": f"review {i}"}) for i in range(25)))
    assert "imported 25 items" in run("import", "reviews", str(data)).output
    assert "reviews" in run("project", "list").output
    status = run("status", "reviews").output
    assert "25 items" in status and "overlap 2" in status
    for fmt, reader in [("jsonl", lambda p: pd.read_json(p, lines=True)),
                        ("csv", pd.read_csv), ("parquet", pd.read_parquet)]:
        target = env / f"out.{fmt}"
        assert "exported 25 items" in run("export", "reviews", "--format", fmt,
                                          "-o", str(target)).output
        frame = reader(target)
        assert len(frame) == (25 if fmt == "jsonl" else 0)


def test_bad_import_names_the_line_and_exits_2(env):
    run("init")
    config = env / "onto.yaml"
    config.write_text(SENTIMENT_YAML)
    run("project", "create", "reviews", "--config", str(config))
    data = env / "bad.jsonl"
    data.write_text('{"text": "fine"}\n{"text": "also fine"}\n{"text": \n')
    result = run("import", "reviews", str(data), ok=False)
    assert result.exit_code == 2
    assert "line 3" in result.output and "Traceback" not in result.output
    assert "0 items" in run("status", "reviews").output


def test_bad_ontology_is_refused_with_its_path(env):
    run("init")
    config = env / "onto.yaml"
    config.write_text(yaml.safe_dump({"name": "x", "controls": [{"name": "c", "type": "nope"}]}))
    result = run("project", "create", "x", "--config", str(config), ok=False)
    assert result.exit_code == 2 and "controls[0]" in result.output


def test_commands_need_an_admin_first(env):
    result = run("project", "list", ok=False)
    assert result.exit_code == 2 and "labelwell init" in result.output


def _commands(typer_app, prefix=()):
    import typer.main

    group = typer.main.get_command(typer_app)
    stack = [(prefix, group)]
    while stack:
        path, cmd = stack.pop()
        subs = getattr(cmd, "commands", None)
        if subs:
            for name, sub in subs.items():
                stack.append(((*path, name), sub))
        elif path:
            yield path, cmd


def test_every_command_has_help_and_a_section_in_the_docs():
    docs = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    seen = 0
    for path, cmd in _commands(app):
        seen += 1
        assert cmd.help, f"{' '.join(path)} has no help text"
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0, path
        assert f"labelwell {' '.join(path)}" in docs, f"docs/cli.md lacks {' '.join(path)}"
    assert seen >= 12


def test_import_a_media_folder(env):
    from labelwell.demo import png_bytes

    run("init")
    config = env / "boxes.yaml"
    config.write_text(yaml.safe_dump({"name": "b", "controls": [
        {"name": "objects", "type": "bbox", "source": "image", "labels": [{"name": "car"}]}]}))
    run("project", "create", "boxes", "--config", str(config))
    folder = env / "photos"
    folder.mkdir()
    for i in range(3):
        (folder / f"p{i}.png").write_bytes(png_bytes(40 + i, 30, []))
    assert "imported 3 items" in run("import", "boxes", str(folder)).output


def test_user_create_without_a_password_prints_a_one_time_link(env, monkeypatch):
    from fastapi.testclient import TestClient

    from labelwell.server import create_app

    monkeypatch.setenv("LABELWELL_PUBLIC_URL", "https://label.example.org")
    run("init")
    out = run("user", "create", "ann@example.org").output
    link = re.search(r"https://label\.example\.org(/reset/lwr_\S+)", out)
    assert link, out
    with TestClient(create_app()) as client:
        page = client.get(link.group(1))
        assert page.status_code == 200 and "ann@example.org" in page.text
        done = client.post(link.group(1), data={"password": "Xy7-unusual-pw",
                                                "confirm": "Xy7-unusual-pw"})
        assert done.status_code == 200
        login = client.post("/api/v1/auth/login",
                            json={"email": "ann@example.org", "password": "Xy7-unusual-pw"})
        assert login.status_code == 201
        assert client.get(link.group(1)).status_code == 404  # used
    other = run("user", "reset-link", "ann@example.org", "--base-url", "http://h:1").output
    assert re.search(r"http://h:1/reset/lwr_\S+", other)


def test_user_list_shows_every_user(env):
    run("init")
    run("user", "create", "ann@example.org", "--role", "annotator", "--skill", "en")
    lines = run("user", "list").output.splitlines()
    assert any(line.split("\t")[1:] == ["ann@example.org", "annotator", "en"] for line in lines)


def test_user_set_password_tokens_and_revoke(env):
    from fastapi.testclient import TestClient

    from labelwell.server import create_app

    run("init")
    run("user", "create", "ann@example.org", "--password", "Xy7-unusual-pw")
    weak = run("user", "set-password", "ann@example.org", "--password", "password123", ok=False)
    assert weak.exit_code == 2 and "common" in weak.output
    run("user", "set-password", "ann@example.org", input_="Other-unusual-pw\nOther-unusual-pw\n")
    with TestClient(create_app()) as client:
        login = client.post("/api/v1/auth/login",
                            json={"email": "ann@example.org", "password": "Other-unusual-pw"})
        assert login.status_code == 201
        session = login.json()
        listed = run("user", "tokens", "ann@example.org").output
        row = next(line for line in listed.splitlines() if line.startswith(f"{session['id']}\t"))
        assert "\tsession\t" in row and session["token"] not in listed
        run("user", "revoke-token", "ann@example.org", str(session["id"]))
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {session['token']}"})
        assert me.status_code == 401
    missing = run("user", "revoke-token", "admin@localhost.localdomain", str(session["id"]),
                  ok=False)
    assert missing.exit_code == 2 and "no token" in missing.output


def test_serve_secure_cookies_sets_the_setting_for_its_workers(env, monkeypatch):
    from labelwell.cli import server
    from labelwell.settings import Settings

    seen = {}
    # set (not deleted) so the monkeypatch undoes what serve writes to the environment
    monkeypatch.setenv("LABELWELL_SECURE_COOKIES", "0")
    # stand in for uvicorn only: what the workers would read from the environment
    monkeypatch.setattr(server, "_run", lambda *a: seen.update(
        secure=Settings.from_env().secure_cookies))
    run("serve")
    assert seen == {"secure": False}
    run("serve", "--secure-cookies")
    assert seen == {"secure": True}


def test_user_prune_sessions_removes_ended_web_sessions(env, db):
    from datetime import timedelta

    from sqlalchemy import select, update

    from labelwell.store.tables import ApiToken, User, utcnow
    from labelwell.work import accounts

    run("init")
    run("user", "create", "ann@example.org", "--password", "Xy7-unusual-pw")
    with db.session() as s:
        user = s.scalar(select(User).where(User.email == "ann@example.org"))
        policy = accounts.SessionPolicy(3600, 600)
        ids = [accounts.create_session(s, user, policy, name="web").id for _ in range(3)]
        api = accounts.create_token(s, user, name="script").id
        s.execute(update(ApiToken).where(ApiToken.id == ids[0])
                  .values(expires_at=utcnow() - timedelta(seconds=1)))
        s.execute(update(ApiToken).where(ApiToken.id.in_([ids[1], api]))
                  .values(revoked_at=utcnow()))
    assert "removed 2 ended sessions" in run("user", "prune-sessions").output
    with db.read_session() as s:
        left = set(s.scalars(select(ApiToken.id).where(ApiToken.user_id == user.id)))
    assert left == {ids[2], api}
    assert "removed 0 ended sessions" in run("user", "prune-sessions").output


def test_aggregate_writes_formula_cells_as_text(tmp_path: Path):
    """Task ids and labels come from the user's file; a cell a spreadsheet would
    run (``= + - @``) is written with a leading quote, as the CSV export does."""
    answers = tmp_path / "answers.csv"
    pd.DataFrame({"task": ["=HYPERLINK(\"http://x\")"] * 2 + ["t2"] * 2,
                  "worker": ["a", "b", "a", "b"],
                  "label": ["@SUM(1)", "@SUM(1)", "-1", "-1"]}).to_csv(answers, index=False)
    out = tmp_path / "labels.csv"
    result = runner.invoke(app, ["aggregate", str(answers), "--method", "mv", "--out", str(out)])
    assert result.exit_code == 0, result.output
    written = out.read_text()
    assert "'=HYPERLINK" in written and "'@SUM(1)" in written
    assert "\n=" not in written and ",@" not in written
    assert ",-1" in written  # a plain number stays a number
