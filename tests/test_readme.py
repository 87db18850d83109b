"""The README's examples run: the SDK block against a real server, and every
CLI command it shows exists."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from labelwell.cli import app
from server_process import running
from world import build_world

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _block(after: str, lang: str) -> str:
    section = README.split(after, 1)[1]
    return re.search(rf"```{lang}\n(.*?)```", section, re.S).group(1)


def test_readme_sdk_example_runs_against_a_real_server(db, tmp_path, monkeypatch):
    world = build_world(db, n_items=1)
    code = _block("## Ten lines with the SDK", "python")
    code = code.replace('"http://127.0.0.1:8080"', "URL").replace('"lw_..."', "TOKEN")
    monkeypatch.chdir(tmp_path)
    with running(db.url) as server:
        namespace = {"URL": server.url, "TOKEN": world.token(world.admin)}
        exec(compile(code, "README.md", "exec"), namespace)
    lines = (tmp_path / "reviews.jsonl").read_text().splitlines()
    assert len(lines) == 2


def test_readme_cli_commands_exist():
    runner = CliRunner()
    for line in _block("## The command line", "sh").splitlines():
        words = line.split("#")[0].split()
        assert words[0] == "labelwell"
        path = [w for w in words[1:3] if not w.startswith("-") and w.isidentifier()]
        path = path[:2] if path[:1] in (["project"],) else path[:1]
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0, line


def test_readme_first_screen_matches_the_demo():
    """The URL to open, the logins (with their roles) and the projects named on
    the README's first screen are the ones `labelwell demo` creates and serves."""
    import inspect

    from labelwell.cli.server import demo
    from labelwell.demo import DEMO_PASSWORD, DEMO_USERS, ONTOLOGIES

    first = README.split("Run the whole test suite", 1)[0]
    options = inspect.signature(demo).parameters
    host, port = options["host"].default.default, options["port"].default.default
    assert f"<http://{host}:{port}/>" in first
    assert f"`{DEMO_PASSWORD}`" in first
    assert set(re.findall(r"`([\w.]+@demo\.labelwell)`", first)) == {e for e, _ in DEMO_USERS}
    rows = re.findall(r"^\| `([\w.]+@demo\.labelwell)` \| (\w+) \|", first, re.M)
    assert len(rows) >= 4 and all(dict(DEMO_USERS)[email] == role for email, role in rows)
    named = re.findall(r"\*(demo-[a-z]+)\*", first)
    assert named and set(named) <= set(ONTOLOGIES)
