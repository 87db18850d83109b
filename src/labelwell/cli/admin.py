"""`labelwell init`, `labelwell user create`, `labelwell token create`."""

from __future__ import annotations

import secrets

import typer
from sqlalchemy import select

from labelwell.cli._common import open_database, reports_errors, unit_of_work
from labelwell.settings import Settings
from labelwell.store.tables import ROLES, User
from labelwell.work import accounts

user_app = typer.Typer(help="Manage users.", no_args_is_help=True)
token_app = typer.Typer(help="Manage API tokens.", no_args_is_help=True)


@reports_errors
def init(
    email: str = typer.Option("admin@localhost.localdomain", help="Email of the first admin."),
    password: str = typer.Option(None, help="Admin password (generated when omitted)."),
) -> None:
    """Create the database and the first admin, and print the admin's API token."""
    db = open_database()
    settings = Settings.from_env()
    with db.session() as s:
        existing = s.scalar(select(User).where(User.role == "admin").limit(1))
        if existing is not None:
            typer.echo(
                f"database ready at {settings.database_url}; admin {existing.email} "
                "already exists (use `labelwell token create` for a new token)"
            )
            return
        password = password or secrets.token_urlsafe(12)
        user = accounts.create_user(s, email, role="admin", password=password, name="Admin")
        issued = accounts.create_token(s, user, name="init")
    typer.echo(f"database ready at {settings.database_url}")
    typer.echo(f"admin: {user.email}  password: {password}")
    typer.echo(f"token: {issued.token}   (shown once)")


@user_app.command("create")
@reports_errors
def user_create(
    email: str = typer.Argument(..., help="The user's email (their login)."),
    role: str = typer.Option("annotator", help=f"One of: {', '.join(ROLES)}."),
    password: str = typer.Option(None, help="Password for web login (optional)."),
    name: str = typer.Option("", help="Display name."),
    skill: list[str] = typer.Option([], "--skill", help="A skill (domain or language); repeat."),
) -> None:
    """Create a user."""
    with unit_of_work(open_database()) as (s, actor):
        user = accounts.create_user(
            s, email, role=role, password=password, name=name, skills=skill, actor=actor
        )
    typer.echo(f"user {user.id} {user.email} ({user.role}) created")


@user_app.command("list")
@reports_errors
def user_list() -> None:
    """List users."""
    with open_database().read_session() as s:
        for user in accounts.list_users(s):
            skills = ",".join(user.skills or [])
            typer.echo(f"{user.id}\t{user.email}\t{user.role}\t{skills}")


@token_app.command("create")
@reports_errors
def token_create(
    email: str = typer.Argument(..., help="Whose token."),
    name: str = typer.Option("", help="A name to recognise the token by."),
) -> None:
    """Create an API token for a user and print it (shown once)."""
    with unit_of_work(open_database()) as (s, actor):
        user = accounts.get_user_by_email(s, email)
        issued = accounts.create_token(s, user, name=name, actor=actor)
    typer.echo(issued.token)


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.add_typer(user_app, name="user")
    app.add_typer(token_app, name="token")
