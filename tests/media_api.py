"""What the media tools' API tests share: a project over media files, a
person's bearer header, and the project's item ids."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from labelwell.formats.registry import ImportRow
from labelwell.settings import Settings
from labelwell.store.db import Database
from labelwell.work import items, projects
from labelwell.work.actors import Actor
from world import World, build_world


def media_dir(settings: Settings) -> Path:
    """The folder media paths are read from."""
    media = settings.home / "media"
    media.mkdir(exist_ok=True)
    return media


def media_world(
    db: Database,
    name: str,
    ontology: dict[str, Any],
    rows: list[ImportRow],
    *,
    filename: str,
    n_annotators: int = 1,
) -> World:
    """A project ``name`` (no gold) holding ``rows``, with the first annotator a member."""
    w = build_world(db, n_annotators=n_annotators, texts=["x"])
    with db.session() as s:
        project = projects.create_project(s, w.manager, name, ontology, gold_ratio=0.0)
        projects.set_member(s, w.manager, project.id, w.annotators[0].id, "annotator")
        items.import_rows(s, w.manager, project.id, rows, filename=filename)
        w.project_id = project.id
    return w


def as_(world: World, actor: Actor) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.token(actor)}"}


def item_ids(api: TestClient, world: World) -> dict[str, int]:
    """The project's items by external id, as its manager lists them."""
    r = api.get(
        f"/api/v1/projects/{world.project_id}/items",
        headers=as_(world, world.manager),
        params={"limit": 100},
    )
    assert r.status_code == 200, r.text
    return {i["external_id"]: i["id"] for i in r.json()["data"]}
