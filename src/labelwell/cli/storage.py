"""`labelwell storage`: a project's storage connections, syncs, and imports
and exports through storage URLs (:mod:`labelwell.work.storage`)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from labelwell.cli._common import (
    fail,
    open_database,
    project_actor,
    project_work,
    reports_errors,
)
from labelwell.work import storage, storage_sync
from labelwell.work.export import ExportFilter

storage_app = typer.Typer(
    help="Storage connections: sync a bucket prefix into items, export to storage, import from it.",
    no_args_is_help=True,
)


def _pairs(values: list[str], what: str) -> dict[str, object]:
    out: dict[str, object] = {}
    for value in values:
        key, sep, text = value.partition("=")
        if not sep or not key:
            raise fail(f"--{what} takes KEY=VALUE, not {value!r}")
        out[key] = {"true": True, "false": False}.get(text, text)
    return out


@storage_app.command("add")
@reports_errors
def add(
    project: str = typer.Argument(..., help="Project name or id."),
    name: str = typer.Argument(..., help="The connection's name in the project."),
    url: str = typer.Argument(..., help="The prefix: s3://bucket/prefix, gs://, az://, file://."),
    option: list[str] = typer.Option(
        [], "--option", "-o", help=f"KEY=VALUE, repeatable: {', '.join(storage.OPTIONS)}."
    ),
    credentials_file: Path = typer.Option(
        None,
        exists=True,
        dir_okay=False,
        help="A JSON object of credentials (s3: key, secret, token), kept on the server "
        "and never shown again; a file, so secrets stay out of shell history.",
    ),
) -> None:
    """Connect a project to a bucket or folder prefix."""
    credentials = {}
    if credentials_file is not None:
        try:
            credentials = json.loads(credentials_file.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            raise fail(f"{credentials_file}: not a JSON object") from None
        if not isinstance(credentials, dict):
            raise fail(f"{credentials_file}: not a JSON object")
    db = open_database()
    with project_work(db, project) as (s, actor, target):
        conn = storage.create_connection(
            s,
            actor,
            target.id,
            name=name,
            url=url,
            options=_pairs(option, "option"),
            credentials=credentials,
        )
        typer.echo(f"connected {target.name!r} to {conn.url} as {conn.name!r} (id {conn.id})")


@storage_app.command("list")
@reports_errors
def list_(project: str = typer.Argument(..., help="Project name or id.")) -> None:
    """A project's connections (credentials: only which keys are set)."""
    db = open_database()
    with project_work(db, project) as (s, actor, target):
        for conn in storage.list_connections(s, actor, target.id):
            keys = ", ".join(sorted(conn.credentials)) or "none"
            synced = conn.synced_at.isoformat() if conn.synced_at else "never"
            typer.echo(f"{conn.id}\t{conn.name}\t{conn.url}\tcredentials: {keys}\tsynced: {synced}")


@storage_app.command("remove")
@reports_errors
def remove(
    project: str = typer.Argument(..., help="Project name or id."),
    name: str = typer.Argument(..., help="The connection's name or id."),
) -> None:
    """Remove a connection (its items stay; their media under it stop being served)."""
    db = open_database()
    with project_work(db, project) as (s, actor, target):
        storage.delete_connection(s, actor, target.id, name)
    typer.echo(f"removed {name!r}")


@storage_app.command("sync")
@reports_errors
def sync(
    project: str = typer.Argument(..., help="Project name or id."),
    name: str = typer.Argument(..., help="The connection's name or id."),
) -> None:
    """Make an item of each object under the prefix that no earlier sync took."""
    db = open_database()
    actor, target = project_actor(db, project)
    report = storage_sync.sync(db, actor, target.id, name)
    typer.echo(
        f"synced {report.connection!r}: {report.listed} objects listed, "
        f"{report.added_objects} new, {report.added_items} items added"
    )


@storage_app.command("export")
@reports_errors
def export(
    project: str = typer.Argument(..., help="Project name or id."),
    url: str = typer.Argument(
        ..., help="Where: a file, or a folder ending in / (a file named after the project)."
    ),
    format: str = typer.Option("jsonl", "--format", "-f", help="A registered exporter."),
    status: str = typer.Option(None, help="Only items in this status: open, full or done."),
    labels: str = typer.Option("both", help="raw, aggregated or both."),
) -> None:
    """Write the project's export under one of its storage connections."""
    db = open_database()
    actor, target = project_actor(db, project)
    flt = ExportFilter(status=status, labels=labels)
    report = storage.export_project(db, actor, target.id, url, fmt=format, flt=flt)
    typer.echo(f"exported {report.items} items to {report.url} ({report.bytes} bytes)")


@storage_app.command("import")
@reports_errors
def import_(
    project: str = typer.Argument(..., help="Project name or id."),
    url: str = typer.Argument(..., help="A file under one of the project's connections."),
    format: str = typer.Option(None, help="Override the format guessed from the extension."),
) -> None:
    """Import a file stored under one of the project's connections."""
    db = open_database()
    actor, target = project_actor(db, project)
    record = storage.import_url(db, actor, target.id, url, fmt=format)
    typer.echo(f"imported {record.n_items} items into {target.name!r} (import {record.id})")


def register(app: typer.Typer) -> None:
    app.add_typer(storage_app, name="storage")
