"""`labelwell init`, `labelwell user ...` (accounts, passwords, tokens),
`labelwell token create`."""

from __future__ import annotations

import secrets

import typer
from sqlalchemy import select

from labelwell.cli._common import cli_actor, open_database, reports_errors, unit_of_work
from labelwell.settings import Settings
from labelwell.store.tables import ROLES, User
from labelwell.work import accounts, password_resets, people

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
    password: str = typer.Option(
        None, help="Password for web login; without it a one-time link to set one is printed."
    ),
    name: str = typer.Option("", help="Display name."),
    skill: list[str] = typer.Option([], "--skill", help="A skill (domain or language); repeat."),
    base_url: str = typer.Option(None, help="Where users reach the server (LABELWELL_PUBLIC_URL)."),
) -> None:
    """Create a user; without --password, print a one-time link that sets it."""
    settings = Settings.from_env()
    with unit_of_work(open_database()) as (s, actor):
        user = accounts.create_user(
            s, email, role=role, password=password, name=name, skills=skill, actor=actor
        )
        link = None
        if password is None:
            link = password_resets.issue_reset(
                s, user, ttl_s=settings.reset_link_ttl_s, actor=actor
            )
    typer.echo(f"user {user.id} {user.email} ({user.role}) created")
    if link is not None:
        _echo_link(link, base_url or settings.public_url)


def _echo_link(link: password_resets.IssuedReset, base_url: str) -> None:
    typer.echo(f"password link (works once, until {link.expires_at:%Y-%m-%d %H:%M} UTC):")
    typer.echo(f"  {base_url.rstrip('/')}{link.path}")


@user_app.command("set-password")
@reports_errors
def user_set_password(
    email: str = typer.Argument(..., help="Whose password."),
    password: str = typer.Option(
        ...,
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        help="The new password (asked for when omitted).",
    ),
) -> None:
    """Set a user's password; their web sessions end."""
    with unit_of_work(open_database()) as (s, actor):
        user = accounts.get_user_by_email(s, email)
        accounts.set_password(s, user, password, actor=actor)
    typer.echo(f"password of {user.email} set")


@user_app.command("reset-link")
@reports_errors
def user_reset_link(
    email: str = typer.Argument(..., help="Whose password."),
    base_url: str = typer.Option(None, help="Where users reach the server (LABELWELL_PUBLIC_URL)."),
) -> None:
    """Print a one-time, expiring link with which the user sets a new password."""
    settings = Settings.from_env()
    with unit_of_work(open_database()) as (s, actor):
        user = accounts.get_user_by_email(s, email)
        link = password_resets.issue_reset(s, user, ttl_s=settings.reset_link_ttl_s, actor=actor)
    _echo_link(link, base_url or settings.public_url)


@user_app.command("deactivate")
@reports_errors
def user_deactivate(email: str = typer.Argument(..., help="Who stops working.")) -> None:
    """Deactivate a user: logins refused, web sessions ended, API tokens refused
    while inactive, leased items given back to the queue."""
    with unit_of_work(open_database()) as (s, actor):
        user = accounts.get_user_by_email(s, email)
        people.update_person(s, actor, user.id, is_active=False)
    typer.echo(f"{user.email} deactivated")


@user_app.command("activate")
@reports_errors
def user_activate(email: str = typer.Argument(..., help="Who may work again.")) -> None:
    """Reactivate a deactivated user (their API tokens work again; they log in
    with their password, or a new `labelwell user reset-link`)."""
    with unit_of_work(open_database()) as (s, actor):
        user = accounts.get_user_by_email(s, email)
        people.update_person(s, actor, user.id, is_active=True)
    typer.echo(f"{user.email} activated")


@user_app.command("tokens")
@reports_errors
def user_tokens(email: str = typer.Argument(..., help="Whose tokens.")) -> None:
    """List a user's API tokens and web sessions (never the secrets)."""
    with unit_of_work(open_database()) as (s, actor):
        user = accounts.get_user_by_email(s, email)
        rows = accounts.list_tokens(s, actor, user.id)
        typer.echo("id\tkind\tprefix\tname\tcreated\tlast used\texpires\trevoked")
        for t in rows:
            cells = (t.created_at, t.last_used_at, t.expires_at, t.revoked_at)
            when = [f"{c:%Y-%m-%d %H:%M}" if c else "-" for c in cells]
            typer.echo("\t".join([str(t.id), t.kind, t.prefix, t.name or "-", *when]))


@user_app.command("revoke-token")
@reports_errors
def user_revoke_token(
    email: str = typer.Argument(..., help="Whose token."),
    token_id: int = typer.Argument(..., help="The token's id (see `labelwell user tokens`)."),
) -> None:
    """Revoke one of a user's API tokens or web sessions."""
    with unit_of_work(open_database()) as (s, actor):
        user = accounts.get_user_by_email(s, email)
        accounts.revoke_token(s, actor, token_id, user_id=user.id)
    typer.echo(f"token {token_id} of {user.email} revoked")


@user_app.command("prune-sessions")
@reports_errors
def user_prune_sessions() -> None:
    """Remove ended web sessions (expired or revoked) of every user."""
    with open_database().session() as s:
        removed = accounts.prune_sessions(s)
    typer.echo(f"removed {removed} ended sessions")


@user_app.command("list")
@reports_errors
def user_list() -> None:
    """List users."""
    with open_database().read_session() as s:
        for user in accounts.list_users(s, cli_actor(s)):
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
