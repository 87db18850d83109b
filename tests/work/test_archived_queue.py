"""An archived project hands out no new tasks, through the queue on either
database; a lease already held is still given back so the task in hand can be
finished, and restoring the project opens its queue again."""

from __future__ import annotations

import pytest

from labelwell.errors import Conflict
from labelwell.work import projects, queue
from world import build_world


def test_an_archived_project_serves_no_new_task(db):
    world = build_world(db, n_items=4)
    first, second = world.annotators[:2]
    with db.unit(autocommit=db.dialect == "postgresql") as unit:
        held = queue.next_task(unit, first, world.project_id)
    with db.session() as s:
        projects.archive_project(s, world.manager, world.project_id)
    with db.unit(autocommit=db.dialect == "postgresql") as unit, pytest.raises(Conflict) as refused:
        queue.next_task(unit, second, world.project_id)
    assert "archived" in refused.value.message
    with db.unit(autocommit=db.dialect == "postgresql") as unit:
        again = queue.next_task(unit, first, world.project_id)  # the lease in hand
    assert again.assignment_id == held.assignment_id
    with db.session() as s:
        projects.restore_project(s, world.manager, world.project_id)
    with db.unit(autocommit=db.dialect == "postgresql") as unit:
        assert queue.next_task(unit, second, world.project_id) is not None
