"""A small labeled world for service and API tests: users, tokens, a project."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from labelwell.formats.registry import ImportRow
from labelwell.store.db import Database
from labelwell.work import accounts, items, projects
from labelwell.work.actors import Actor

SENTIMENT = {
    "name": "sentiment",
    "controls": [{"name": "sentiment", "type": "choice", "source": "text",
                  "options": ["positive", "negative", "neutral"], "required": True}],
}

NER = {
    "name": "ner",
    "controls": [{"name": "entities", "type": "spans", "source": "text",
                  "labels": [{"name": "PER"}, {"name": "LOC"}, {"name": "ORG"}]}],
}


@dataclass
class World:
    db: Database
    admin: Actor
    manager: Actor
    reviewer: Actor
    annotators: list[Actor]
    outsider: Actor
    tokens: dict[str, str] = field(default_factory=dict)
    project_id: int = 0

    def token(self, actor: Actor) -> str:
        return self.tokens[actor.email]


def build_world(db: Database, *, n_annotators: int = 3, n_items: int = 10,
                ontology: dict[str, Any] | None = None, texts: list[str] | None = None,
                gold: dict[int, dict[str, Any]] | None = None, **settings: Any) -> World:
    with db.session() as s:
        def user(email: str, role: str, skills: list[str] | None = None) -> Actor:
            # No passwords: argon2 is slow on purpose, and these users use tokens.
            u = accounts.create_user(s, email, role=role, skills=skills or ["en"])
            return Actor.of(u)

        admin = user("admin@example.org", "admin")
        manager = user("manager@example.org", "manager")
        reviewer = user("reviewer@example.org", "reviewer")
        annotators = [user(f"ann{i}@example.org", "annotator") for i in range(n_annotators)]
        outsider = user("outsider@example.org", "annotator")
        world = World(db, admin, manager, reviewer, annotators, outsider)
        from labelwell.store.tables import User

        for actor in [admin, manager, reviewer, *annotators, outsider]:
            world.tokens[actor.email] = accounts.create_token(s, s.get(User, actor.id)).token
        settings.setdefault("gold_ratio", 0.0)
        project = projects.create_project(s, manager, "p1", ontology or SENTIMENT,
                                          guidelines="Be careful.", **settings)
        world.project_id = project.id
        projects.set_member(s, manager, project.id, reviewer.id, "reviewer")
        for a in annotators:
            projects.set_member(s, manager, project.id, a.id, "annotator")
        texts = texts or [f"text number {i}" for i in range(n_items)]
        rows = [ImportRow(line=i + 1, data={"text": t}, external_id=f"x{i}",
                          gold=(gold or {}).get(i)) for i, t in enumerate(texts)]
        items.import_rows(s, manager, project.id, rows, filename="seed.jsonl")
    return world


def answer_every_task(api: Any, world: World, answer: Callable[[int, dict], dict]) -> None:
    """Each annotator in turn takes tasks over the HTTP API (a test client or an
    ``httpx.Client`` on a server) and submits ``answer(i, item_data)`` until the
    queue has nothing left for them; ``i`` is the annotator's index."""
    for i, actor in enumerate(world.annotators):
        headers = {"Authorization": f"Bearer {world.token(actor)}"}
        while True:
            task = api.post(f"/api/v1/projects/{world.project_id}/tasks/next", headers=headers)
            if task.status_code == 204:
                break
            body = task.json()
            done = api.post(
                f"/api/v1/assignments/{body['assignment_id']}/submit",
                json={"result": answer(i, body["data"])},
                headers=headers,
            )
            assert done.status_code == 201, done.text
