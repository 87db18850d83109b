"""A prompt file through generation, human comparison, a DPO export and a
leaderboard, with the CLI, the API and the SDK as a user would drive them."""

from __future__ import annotations

import json

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from labelwell.cli import app as cli
from labelwell.client import Client
from labelwell.server import create_app
from labelwell.store.tables import Item
from labelwell.work import accounts, projects
from labelwell.work.actors import Actor
from rlhf.test_generate import FakeServer

datasets = pytest.importorskip("datasets")
trl_data = pytest.importorskip("trl.data_utils")

runner = CliRunner()

PROMPTS_ONTOLOGY = {
    "name": "prompts",
    "controls": [{"name": "keep", "type": "choice", "source": "prompt", "options": ["yes", "no"]}],
}
PAIRWISE_ONTOLOGY = {
    "name": "comparisons",
    "controls": [{"name": "preference", "type": "pairwise", "required": True}],
}


class Via(httpx.BaseTransport):
    """The SDK's requests sent through the in-process test client."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        r = self.client.request(
            request.method, str(request.url), headers=request.headers, content=request.read()
        )
        return httpx.Response(r.status_code, headers=r.headers, content=r.content)


def invoke(*args: str) -> str:
    result = runner.invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def env(db, tmp_path, monkeypatch):
    monkeypatch.setenv("LABELWELL_DATABASE_URL", db.url)
    monkeypatch.setenv("LABELWELL_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("LABELWELL_USER", raising=False)
    with db.session() as s:
        boss_user = accounts.create_user(s, "boss@example.org", role="admin")
        boss = Actor.of(boss_user)
        tokens = {"boss": accounts.create_token(s, boss_user).token}
        for name in ("ann0", "ann1"):
            user = accounts.create_user(s, f"{name}@example.org", role="annotator")
            tokens[name] = accounts.create_token(s, user).token
        projects.create_project(s, boss, "prompts", PROMPTS_ONTOLOGY)
        target = projects.create_project(
            s, boss, "duel", PAIRWISE_ONTOLOGY, overlap=2, gold_ratio=0.0
        )
        for name in ("ann0", "ann1"):
            uid = accounts.get_user_by_email(s, f"{name}@example.org").id
            projects.set_member(s, boss, target.id, uid, "annotator")
    return tmp_path, tokens, target.id


def test_prompt_file_to_dpo_export_and_leaderboard(env, db, settings):
    tmp, tokens, duel = env
    prompts = tmp / "prompts.jsonl"
    rows = [
        {"id": f"p{i}", "prompt": f"Question {i}: what is {i} + {i}?", "topic": "maths"}
        for i in range(6)
    ]
    rows.append(
        {
            "id": "chat",
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "Name a colour."},
            ],
            "topic": "chat",
        }
    )
    prompts.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    assert "imported 7 prompts" in invoke("rlhf", "import-prompts", "prompts", str(prompts))
    report = json.loads(invoke("rlhf", "prompts-report", "prompts", "--json", "--no-duplicates"))
    assert report["n_prompts"] == 7
    assert {"tag": "topic", "value": "maths", "count": 6, "share": 6 / 7} in report["counts"]

    with FakeServer() as server:
        out = invoke(
            "rlhf",
            "generate",
            "prompts",
            "--into",
            "duel",
            "--base-url",
            server.url,
            "--model",
            "big",
            "--model",
            "small",
            "--temperature",
            "0.7",
        )
        assert "added 7 comparison items" in out
        assert len(server.calls) == 14
        assert {c["model"] for c in server.calls} == {"big", "small"}
        # a rerun finds every prompt done and asks the server nothing
        assert "nothing to generate" in invoke(
            "rlhf",
            "generate",
            "prompts",
            "--into",
            "duel",
            "--base-url",
            server.url,
            "--model",
            "big",
            "--model",
            "small",
        )
        assert len(server.calls) == 14

    with TestClient(create_app(settings, database=db, migrate=False)) as api:
        annotators = {
            n: Client("http://testserver", tokens[n], transport=Via(api)) for n in ("ann0", "ann1")
        }
        judged = 0
        for name, sdk in annotators.items():
            while (task := sdk.next_task(duel)) is not None:
                # annotators judge blind; the test's oracle reads the stored provenance
                assert all("provenance" not in r for r in task.data["responses"])
                with db.read_session() as s:
                    stored = s.get(Item, task.item_id).data["responses"]
                models = [r["provenance"]["model"] for r in stored]
                assert all(r["provenance"]["temperature"] == 0.7 for r in stored)
                if task.data["prompt_id"] == "p0":
                    # the annotators disagree here: a draw is a tie, dropped from DPO
                    choice = "a" if name == "ann0" else "b"
                elif task.data["prompt_id"] == "p1":
                    choice = "both_bad"
                else:
                    choice = "a" if models[0] == "big" else "b"
                sdk.submit(task.assignment_id, {"preference": {"choice": choice, "reason": "ok"}})
                judged += 1
        assert judged == 14

        boss = Client("http://testserver", tokens["boss"], transport=Via(api))
        out = boss.export(duel, tmp / "dpo.jsonl", format="dpo")
        dpo = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        board = boss.leaderboard(duel, bootstrap=20, l2=0.1)
        raw = api.get(
            f"/api/v1/projects/{duel}/leaderboard",
            params={"bootstrap": 20, "l2": 0.1},
            headers={"Authorization": f"Bearer {tokens['boss']}"},
        ).json()
        with pytest.raises(Exception, match="does not allow manage"):
            annotators["ann0"].leaderboard(duel)

    assert len(dpo) == 5  # 7 prompts less the tie and the both_bad
    assert all(r["chosen"].startswith("big|") and r["rejected"].startswith("small|") for r in dpo)
    chat = next(r for r in dpo if "colour" in r["prompt"])
    assert chat["prompt"].startswith("System: Be brief.")
    ds = datasets.Dataset.from_list(dpo)
    assert not trl_data.is_conversational(ds[0])
    assert trl_data.maybe_extract_prompt(ds[0]) == ds[0]
    unpaired = trl_data.unpair_preference_dataset(ds)
    assert len(unpaired) == 10 and sorted(set(unpaired["label"])) == [False, True]

    assert [e.model for e in board] == ["big", "small"]
    assert board[0].rating > board[1].rating
    assert board[0].ci_low is not None and board[0].ci_low <= board[0].rating <= board[0].ci_high

    cli_board = json.loads(
        invoke(
            "rlhf", "leaderboard", "--project", "duel", "--json", "--bootstrap", "0", "--l2", "0.1"
        )
    )
    assert [r["model"] for r in cli_board] == ["big", "small"]
    assert cli_board[0]["ci_low"] is None
    assert cli_board[0]["rating"] == pytest.approx(board[0].rating, abs=1e-3)
    # fewer than 20 battles per model, and 20 bootstrap rounds: both said
    assert all(r["n_battles"] == raw["n_battles"] < 20 and r["unstable"] for r in raw["data"])
    kinds = {(w["subject"], w["kind"]) for w in raw["warnings"]}
    assert kinds == {
        (m, k) for m in ("big", "small") for k in ("small_sample", "unstable_interval")
    }
    assert "few_rounds" in raw["data"][0]["warnings"][1]["reasons"]
    assert cli_board[0]["n_battles"] == raw["n_battles"] and cli_board[0]["warnings"]

    dpo_cli = tmp / "dpo-cli.jsonl"
    invoke("export", "duel", "--format", "dpo", "-o", str(dpo_cli))
    assert [json.loads(x) for x in dpo_cli.read_text(encoding="utf-8").splitlines()] == dpo
