"""Each person's saved views of a project's item table, and the columns they
chose (the view named ``""``: the layout they use, saved as they change it)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from labelwell.errors import InvalidInput, NotFound
from labelwell.store.tables import DataView, utcnow
from labelwell.work.actors import Actor
from labelwell.work.data_manager.columns import COLUMNS, DEFAULT_COLUMNS
from labelwell.work.data_manager.query import TableQuery
from labelwell.work.policies import Permission, authorize

LAYOUT = ""
MAX_VIEWS = 100


def check_columns(columns: Any) -> list[str]:
    """The chosen columns in their order: known, each once, at least one."""
    if not isinstance(columns, list) or not columns:
        raise InvalidInput("columns: a non-empty list of column names", field="columns")
    seen: list[str] = []
    for i, key in enumerate(columns):
        if key not in COLUMNS:
            raise InvalidInput(
                f"columns[{i}]: unknown column {key!r}; known: {', '.join(COLUMNS)}",
                field=f"columns[{i}]",
            )
        if key in seen:
            raise InvalidInput(f"columns[{i}]: {key} appears twice", field=f"columns[{i}]")
        seen.append(key)
    return seen


def state_of(query: TableQuery, columns: list[str]) -> dict[str, Any]:
    return {**query.as_state(), "columns": check_columns(columns)}


def _mine(session: Session, actor: Actor, project_id: int) -> Any:
    return select(DataView).where(DataView.project_id == project_id, DataView.user_id == actor.id)


def list_views(session: Session, actor: Actor, project_id: int) -> list[DataView]:
    """The actor's named views of the project, by name."""
    authorize(session, actor, project_id, Permission.manage)
    return list(
        session.scalars(
            _mine(session, actor, project_id).where(DataView.name != LAYOUT).order_by(DataView.name)
        )
    )


def layout(session: Session, actor: Actor, project_id: int) -> dict[str, Any]:
    """The actor's table layout: their last columns, or the default ones."""
    authorize(session, actor, project_id, Permission.manage)
    found = session.scalar(_mine(session, actor, project_id).where(DataView.name == LAYOUT))
    if found is None:
        return {**TableQuery().as_state(), "columns": list(DEFAULT_COLUMNS)}
    return dict(found.state)


def save(
    session: Session,
    actor: Actor,
    project_id: int,
    name: str,
    query: TableQuery,
    columns: list[str],
) -> DataView:
    """Save (or replace) the actor's view ``name``; ``""`` is their layout."""
    authorize(session, actor, project_id, Permission.manage)
    name = name.strip()
    if len(name) > 200:
        raise InvalidInput("name: at most 200 characters", field="name")
    state = state_of(query, columns)
    view = session.scalar(_mine(session, actor, project_id).where(DataView.name == name))
    if view is None:
        if name and len(list_views(session, actor, project_id)) >= MAX_VIEWS:
            raise InvalidInput(f"name: at most {MAX_VIEWS} saved views each", field="name")
        view = DataView(project_id=project_id, user_id=actor.id, name=name, state=state)
        session.add(view)
    else:
        view.state, view.updated_at = state, utcnow()
    session.flush()
    return view


def delete(session: Session, actor: Actor, project_id: int, view_id: int) -> None:
    authorize(session, actor, project_id, Permission.manage)
    view = session.scalar(_mine(session, actor, project_id).where(DataView.id == view_id))
    if view is None:
        raise NotFound(f"no saved view {view_id}")
    session.delete(view)
