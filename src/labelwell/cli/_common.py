"""What every command shares: the database, the acting user, error reporting."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, TypeVar

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session

from labelwell.errors import LabelwellError
from labelwell.settings import Settings
from labelwell.store.db import Database
from labelwell.store.tables import Project, User
from labelwell.work import projects
from labelwell.work.actors import Actor

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def reports_errors(func: F) -> F:
    """Print domain errors as one line on stderr and exit 2, without a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except LabelwellError as exc:
            raise fail(exc.message) from None

    return wrapper  # type: ignore[return-value]


def open_database(*, migrate: bool = True) -> Database:
    db = Database(Settings.from_env().database_url)
    if migrate:
        from labelwell.store.migrate import upgrade
        from labelwell.work.imports import recover

        upgrade(db)
        recover(db)  # the rows of imports whose writer died
    return db


def cli_actor(session: Session) -> Actor:
    """The user the command acts as: ``LABELWELL_USER`` or the first admin."""
    email = os.environ.get("LABELWELL_USER")
    query = select(User).where(User.is_active.is_(True))
    query = (
        query.where(User.email == email.lower())
        if email
        else query.where(User.role == "admin").order_by(User.id)
    )
    user = session.scalar(query.limit(1))
    if user is None:
        raise LabelwellError(
            f"no user {email}" if email else "no admin yet: run `labelwell init` first"
        )
    return Actor.of(user)


@contextmanager
def unit_of_work(db: Database) -> Iterator[tuple[Session, Actor]]:
    with db.session() as session:
        yield session, cli_actor(session)


@contextmanager
def project_work(
    db: Database, project: str, *, read: bool = False
) -> Iterator[tuple[Session, Actor, Project]]:
    """:func:`unit_of_work` (a read-only one with ``read``) with the project
    named (or numbered) ``project``."""
    with db.read_session() if read else db.session() as session:
        yield session, cli_actor(session), projects.get_project_by_name_or_id(session, project)


def project_actor(db: Database, project: str) -> tuple[Actor, Project]:
    """The acting user and the project named (or numbered) ``project``, read in a
    unit of work of their own: for commands that open their own afterwards."""
    with project_work(db, project) as (_, actor, target):
        return actor, target


def is_tty() -> bool:
    return sys.stderr.isatty()
