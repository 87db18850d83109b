"""The docs keep up with the code: the route table of docs/api.md lists every
route of the API and no other, and the user guide's SDK example runs against a
real server."""

from __future__ import annotations

import json
import re
from pathlib import Path

from labelwell.server import create_app
from labelwell.settings import Settings
from labelwell.store.db import Database
from server_process import running
from world import build_world

DOCS = Path(__file__).resolve().parents[1] / "docs"
METHOD = "GET|POST|PUT|PATCH|DELETE"
#: ``GET /path`` or ``PUT/GET /path``, with an optional query string
ROUTE = re.compile(rf"^((?:{METHOD})(?:/(?:{METHOD}))*) (/[^?\s]*)(?:\?\S*)?$")


def _outside_parentheses(cell: str) -> str:
    """A table cell without its parenthesised remarks (code spans kept whole)."""
    kept, depth, in_code = [], 0, False
    for ch in cell:
        if ch == "`":
            in_code = not in_code
        elif not in_code and ch in "()":
            depth += 1 if ch == "(" else -1
            continue
        if depth == 0:
            kept.append(ch)
    return "".join(kept)


def _template(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path)


def documented_routes(text: str) -> set[tuple[str, str]]:
    """``(method, path)`` of every route in the route column of the table. A cell
    may list several: ``POST/GET /tokens``, and after ``GET /projects/{id}/export``
    a bare ``/stats`` is a sibling (``GET /projects/{id}/stats``)."""
    found: set[tuple[str, str]] = set()
    for line in text.splitlines():
        if not line.startswith("| `"):
            continue
        cell = line[2:].split(" | ")[0]
        methods: list[str] = []
        parent = ""
        for span in re.findall(r"`([^`]*)`", _outside_parentheses(cell)):
            if match := ROUTE.match(span):
                methods, path = match.group(1).split("/"), match.group(2)
                parent = path.rsplit("/", 1)[0]
            elif span.startswith("/") and methods:
                path = parent + span.split("?")[0]
            else:
                continue
            found |= {(method, _template(path)) for method in methods}
    return found


def test_documented_routes_reads_the_table_notation():
    table = (
        "| route | who |\n|---|---|\n"
        "| `POST/GET /tokens`, `DELETE /tokens/{id}` | anyone |\n"
        "| `GET /projects/{id}/export`, `/stats?x=1` (see `/reset/{secret}`) | managers |\n"
        "| `POST /a/{id}/submit` `{\"result\"}` (201 (or 200)), `POST /a/{id}/skip` | holder |\n"
    )
    assert documented_routes(table) == {
        ("POST", "/tokens"), ("GET", "/tokens"), ("DELETE", "/tokens/{}"),
        ("GET", "/projects/{}/export"), ("GET", "/projects/{}/stats"),
        ("POST", "/a/{}/submit"), ("POST", "/a/{}/skip"),
    }


def test_the_api_route_table_lists_every_route_and_no_other(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'routes.db'}")
    app = create_app(Settings(database_url=db.url, home=tmp_path), database=db, migrate=False)
    served = {
        (method.upper(), _template(path.removeprefix("/api/v1")))
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    }
    db.dispose()
    documented = documented_routes((DOCS / "api.md").read_text(encoding="utf-8"))
    assert len(served) > 40
    assert sorted(served - documented) == [], "routes missing from the table in docs/api.md"
    assert sorted(documented - served) == [], "docs/api.md lists routes the API does not have"


def test_the_user_guide_sdk_example_runs_against_a_real_server(db, tmp_path, monkeypatch,
                                                               capsys):
    guide = (DOCS / "user-guide.md").read_text(encoding="utf-8")
    section = guide.split("## Python SDK", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    assert code.count('"http://127.0.0.1:8080"') == 1 and code.count('"lw_..."') == 1
    code = code.replace('"http://127.0.0.1:8080"', "URL").replace('"lw_..."', "TOKEN")
    world = build_world(db, n_items=0)
    monkeypatch.chdir(tmp_path)
    with running(db.url) as server:
        namespace = {"URL": server.url, "TOKEN": world.token(world.admin)}
        exec(compile(code, "docs/user-guide.md", "exec"), namespace)
    rows = [json.loads(line) for line in (tmp_path / "reviews.jsonl").read_text().splitlines()]
    assert sorted(row["data"]["text"] for row in rows) == ["Broke in a week", "Great phone"]
    labelled = [a["result"] for row in rows for a in row["annotations"]]
    assert labelled == [{"sentiment": "positive"}]
    # one answer of the six that two items at overlap 3 need, as the stats round it
    assert capsys.readouterr().out.splitlines()[-1] == str(round(1 / 6, 4))
