"""What the orchestrator tests share: a project with a folder of raw items and a
pipeline spec over it, an orchestrator process whose log is watched, and an
annotator who labels the items over the API once they arrive."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from labelwell.store.db import Database
from labelwell.store.tables import Item
from waiting import wait_for
from world import World, build_world

SRC = Path(__file__).resolve().parents[2] / "src"
SPAM = {"name": "spam", "controls": [{"name": "verdict", "type": "choice", "source": "text",
                                      "options": ["ham", "spam"], "required": True}]}
TEXTS = ["free gift click here", "lovely song", "subscribe now", "beautiful melody"]


@dataclass
class Site:
    world: World
    raw: Path
    spec: Path

    def exported(self) -> list[str]:
        return (self.raw / "exports" / "daily.jsonl").read_text().splitlines()


def make_site(db: Database, tmp_path: Path) -> Site:
    """A project p1, one JSON object per text in a folder, and a spec that
    extracts, distributes (overlap 1), waits for every item and exports."""
    world = build_world(db, n_annotators=1, n_items=0, ontology=SPAM)
    raw = tmp_path / "raw"
    raw.mkdir()
    for i, text in enumerate(TEXTS):
        (raw / f"{i}.json").write_text(json.dumps({"text": text}))
    spec = tmp_path / "daily.yaml"
    spec.write_text(json.dumps({
        "version": 1, "name": "daily", "project": "p1",
        "storage": {"name": "raw", "url": f"file://{raw}",
                    "options": {"glob": "*.json", "json_items": True}},
        "stages": {
            "extract": {},
            "distribute": {"overlap": 1, "gold_ratio": 0.0},
            "quality_gate": {"min_done": 1.0, "poll_s": 1, "timeout_s": 300},
            "export": {"format": "jsonl", "url": f"file://{raw}/exports/daily.jsonl"},
        },
    }))
    return Site(world, raw, spec)


def alive(proc: subprocess.Popen[Any], log: Path) -> None:
    """Stop a wait early, with the log's end, once the orchestrator exited."""
    if proc.poll() is not None:
        raise AssertionError(log.read_text()[-4000:])


def wait_for_items(db: Database, site: Site, proc: subprocess.Popen[Any], log: Path) -> None:
    def arrived() -> bool:
        alive(proc, log)
        with db.read_session() as s:
            n = s.scalar(select(func.count()).select_from(Item).where(
                Item.project_id == site.world.project_id))
        return n == len(TEXTS)

    wait_for(arrived, 300, "the extract task's items")


def label_everything(server_url: str, site: Site) -> None:
    """The annotator answers every item over the API (once the distribute task
    has set the queue)."""
    world = site.world
    annotator = {"Authorization": f"Bearer {world.token(world.annotators[0])}"}
    with httpx.Client(base_url=f"{server_url}/api/v1", timeout=30, headers=annotator) as api:
        labeled = 0
        while labeled < len(TEXTS):
            task = api.post(f"/projects/{world.project_id}/tasks/next")
            if task.status_code == 204:
                continue  # the distribute task is still setting the queue
            body = task.json()
            spam = any(w in body["data"]["text"] for w in ("free", "subscribe"))
            done = api.post(f"/assignments/{body['assignment_id']}/submit",
                            json={"result": {"verdict": "spam" if spam else "ham"}})
            assert done.status_code == 201, done.text
            labeled += 1
