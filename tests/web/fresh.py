"""A fresh project per browser test, made over the API: the site (and the
demo's projects) are shared by the whole session, so a test that changes a
queue's state works in a project of its own."""

from __future__ import annotations

import uuid
from typing import Any


def new_project(
    site: Any, ontology: dict[str, Any], rows: list[dict], annotator: str, **kw: Any
) -> int:
    """A project named after ``ontology`` (plus a random suffix) with ``rows``
    as items and ``annotator`` as its one annotator; ``kw``: project fields."""
    name = f"{ontology['name']}-{uuid.uuid4().hex[:8]}"
    body = {"name": name, "ontology": ontology, "gold_ratio": 0, **kw}
    r = site.api("POST", "/projects", json=body)
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    user_id = site.seeded.users[annotator]
    r = site.api("PUT", f"/projects/{pid}/members/{user_id}", json={"role": "annotator"})
    assert r.status_code == 200, r.text
    r = site.api("POST", f"/projects/{pid}/items", json={"items": [{"data": d} for d in rows]})
    assert r.status_code == 201, r.text
    return int(pid)


def annotations(site: Any, pid: int) -> list[dict]:
    r = site.api("GET", f"/projects/{pid}/annotations")
    assert r.status_code == 200, r.text
    return list(r.json()["data"])
