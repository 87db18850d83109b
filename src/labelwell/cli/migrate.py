"""`labelwell migrate label-studio`."""

from __future__ import annotations

from pathlib import Path

import typer

from labelwell.cli._common import cli_actor, fail, open_database, reports_errors
from labelwell.work import migrate

migrate_app = typer.Typer(help="Bring whole projects over from other tools.", no_args_is_help=True)


@migrate_app.command("label-studio")
@reports_errors
def label_studio(
    url: str = typer.Option(None, help="The Label Studio server, e.g. http://127.0.0.1:8080."),
    token: str = typer.Option(
        None,
        envvar="LABEL_STUDIO_TOKEN",
        help="Its legacy API token (or LABEL_STUDIO_TOKEN, kept out of the process list).",
    ),
    project: int = typer.Option(None, help="The Label Studio project id."),
    export: Path = typer.Option(
        None, exists=True, dir_okay=False, help="A Label Studio JSON export, instead of --url."
    ),
    label_config: Path = typer.Option(
        None, exists=True, dir_okay=False, help="The labeling config XML of that export."
    ),
    into: str = typer.Option(
        None, help="The labelwell project (created when missing; default: the project's title)."
    ),
    annotators: str = typer.Option(
        "keep",
        help="Annotator emails with no user in the project: keep, create (admins) or refuse.",
    ),
) -> None:
    """Migrate a Label Studio project: its labeling config becomes the ontology,
    its tasks the items with predictions, annotations and ground truth. Running
    it again adds only what is new."""
    if export is not None:
        if label_config is None or into is None:
            raise fail("--export needs --label-config and --into")
        if url or project is not None:
            raise fail("give either --export or --url with --project, not both")
    elif not url or project is None or not token:
        raise fail("give --url, --token and --project (or --export with --label-config)")
    db = open_database()
    with db.read_session() as s:
        actor = cli_actor(s)
    if export is not None:
        config = label_config.read_text(encoding="utf-8")
        done = migrate.from_export(db, actor, config, export, into=into, annotators=annotators)
    else:
        done = migrate.from_label_studio(
            db, actor, url, token, project, into=into, annotators=annotators
        )
    for line in done.skipped:
        typer.echo(f"not converted: {line}", err=True)
    for line in done.warnings:
        typer.echo(f"warning: {line}", err=True)
    verb = "created" if done.created else "updated"
    typer.echo(
        f"{verb} project {done.project!r} (id {done.project_id}): {done.items} new items, "
        f"{done.annotations} new annotations and {done.predictions} new predictions on "
        f"items migrated before, {done.unchanged} tasks unchanged"
    )


def register(app: typer.Typer) -> None:
    app.add_typer(migrate_app, name="migrate")
