"""What the browser benchmarks of the media tools share: a demo home with one
project of one item for an annotator, and the login page filled in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from labelwell.demo import DEMO_PASSWORD, create_demo
from labelwell.formats.registry import ImportRow
from labelwell.store.db import Database
from labelwell.store.migrate import upgrade
from labelwell.store.tables import User
from labelwell.work import items, projects
from labelwell.work.actors import Actor


def one_item_project(url: str, home: Path, name: str, ontology: dict[str, Any],
                     annotator: str, data: dict[str, Any], media: list[str]) -> int:
    """The demo's users and projects, plus project ``name`` holding one item
    (``data``, ``media``) with ``annotator`` as a member; returns its id."""
    db = Database(url)
    upgrade(db)
    with db.session() as s:
        create_demo(s, home)
        admin = Actor.of(s.query(User).filter_by(email="admin@demo.labelwell").one())
        ann = s.query(User).filter_by(email=annotator).one()
        p = projects.create_project(s, admin, name, ontology, gold_ratio=0.0)
        projects.set_member(s, admin, p.id, ann.id, "annotator")
        row = ImportRow(line=1, data=data, media=media)
        items.import_rows(s, admin, p.id, [row], filename="bench")
        pid = p.id
    db.dispose()
    return pid


def login(page: Any, email: str, password: str = DEMO_PASSWORD) -> None:
    """Log ``email`` in through the login page (a Playwright page)."""
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("#login-form button[type=submit]")
    page.wait_for_url("**/projects")
