"""TRL exports of live ranking and correction projects, through the API, and a
generation run that fails half-way and resumes from its checkpoint."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from labelwell.cli import app as cli
from labelwell.formats.registry import ImportRow
from labelwell.server import create_app
from labelwell.work import items, projects, queue
from rlhf.test_generate import FakeServer
from world import build_world

trl_data = pytest.importorskip("trl.data_utils")

RANK_AND_FIX = {
    "name": "rank-and-fix",
    "controls": [
        {"name": "rank", "type": "ranking"},
        {"name": "fix", "type": "correction"},
    ],
}
DATA = [
    {
        "prompt": f"Prime number {i}?",
        "responses": [
            {"id": "r1", "text": "4"},
            {"id": "r2", "text": "7"},
            {"id": "r3", "text": "9"},
        ],
    }
    for i in range(3)
]


def submit_all(db, world, result_of):
    for actor in world.annotators:
        while True:
            with db.session() as s:
                task = queue.next_task(s, actor, world.project_id)
                if task is None:
                    break
                queue.submit(s, actor, task.assignment_id, result_of(actor, task))


def export(api, world, fmt):
    r = api.get(
        f"/api/v1/projects/{world.project_id}/export",
        params={"format": fmt},
        headers={"Authorization": f"Bearer {world.token(world.manager)}"},
    )
    assert r.status_code == 200, r.text
    return [json.loads(line) for line in r.text.splitlines()]


def test_ranking_and_correction_project_exports(db, settings):
    world = build_world(db, n_items=0, n_annotators=2, ontology=RANK_AND_FIX, overlap=2)
    with db.session() as s:
        rows = [ImportRow(line=i + 1, data=d) for i, d in enumerate(DATA)]
        items.import_rows(s, world.manager, world.project_id, rows)

    def judge(actor, task):
        if actor.email.startswith("ann0"):
            return {"rank": [["r2"], ["r3"], ["r1"]], "fix": {"response_id": "r1", "text": "7"}}
        return {"rank": [["r2"], ["r1"], ["r3"]]}

    submit_all(db, world, judge)
    with TestClient(create_app(settings, database=db, migrate=False)) as api:
        dpo = export(api, world, "dpo")
        chat = export(api, world, "dpo_conversational")
        kto = export(api, world, "kto")
        sft = export(api, world, "sft_conversational")
    # merged by ranked pairs, r2 is first; r1 and r3 split the annotators (a tie)
    assert len(dpo) == 3 * 2
    assert {(r["chosen"], r["rejected"]) for r in dpo} == {("7", "4"), ("7", "9")}
    assert all(trl_data.is_conversational(r) for r in chat)
    assert chat[0]["prompt"] == [{"role": "user", "content": "Prime number 0?"}]
    assert sum(r["label"] for r in kto) == 6 and len(kto) == 12
    assert len(sft) == 3
    assert sft[0]["completion"] == [{"role": "assistant", "content": "7"}]


def test_a_failed_generation_resumes_from_its_checkpoint(db, tmp_path, monkeypatch):
    monkeypatch.setenv("LABELWELL_DATABASE_URL", db.url)
    monkeypatch.setenv("LABELWELL_HOME", str(tmp_path / "home"))
    prompts = {
        "name": "prompts",
        "controls": [
            {"name": "keep", "type": "choice", "source": "prompt", "options": ["yes", "no"]}
        ],
    }
    world = build_world(db, n_items=0, ontology=prompts)
    with db.session() as s:
        projects.create_project(
            s, world.manager, "duel", {"name": "d", "controls": [{"name": "p", "type": "pairwise"}]}
        )
    path = tmp_path / "prompts.jsonl"
    path.write_text("\n".join(json.dumps({"prompt": f"ask {i}"}) for i in range(3)))
    monkeypatch.setenv("LABELWELL_USER", "manager@example.org")
    runner = CliRunner()
    assert runner.invoke(cli, ["rlhf", "import-prompts", "p1", str(path)]).exit_code == 0
    args = ["rlhf", "generate", "p1", "--into", "duel", "--model", "m"]
    with FakeServer() as server:
        server.faults["ask 1"] = [503] * 12  # both samples use up their 6 attempts
        failed = runner.invoke(cli, [*args, "--base-url", server.url])
        assert failed.exit_code == 2
        assert "2 of 6 responses failed" in failed.output
        assert "run the same command again to resume" in failed.output
        assert len(server.calls) == 4 + 12
        done = runner.invoke(cli, [*args, "--base-url", server.url])
        assert done.exit_code == 0, done.output
        assert "added 3 comparison items" in done.output
        assert len(server.calls) == 4 + 12 + 2  # only the two failed responses again
    checkpoints = list((tmp_path / "home" / "generations").iterdir())
    assert checkpoints == []  # removed once the items are stored
