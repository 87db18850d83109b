"""`labelwell project ...` and `labelwell status`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import typer

from labelwell.cli._common import open_database, reports_errors, unit_of_work
from labelwell.errors import InvalidInput
from labelwell.schema import Ontology
from labelwell.work import accounts, project_settings, projects, stats
from labelwell.work.policies import Permission, authorize

project_app = typer.Typer(help="Create and list projects, manage members.", no_args_is_help=True)


@project_app.command("create")
@reports_errors
def create(
    name: str = typer.Argument(..., help="Project name (unique)."),
    config: Path = typer.Option(
        ..., "--config", exists=True, dir_okay=False, help="Ontology file, YAML or JSON."
    ),
    overlap: int = typer.Option(1, help="Annotators per item (3 for consensus work)."),
    gold_ratio: float = typer.Option(0.05, help="Share of served tasks that are hidden gold."),
    lease_seconds: int = typer.Option(1800, help="How long a task stays leased."),
    blind: bool = typer.Option(True, help="Annotators never see each other's labels."),
    ordering: str = typer.Option("fifo", help="fifo, random or priority."),
    skill: list[str] = typer.Option([], "--skill", help="A required skill; repeat."),
    guidelines: Path = typer.Option(
        None, exists=True, dir_okay=False, help="Guidelines text (Markdown), version 1."
    ),
) -> None:
    """Create a project from an ontology file."""
    ontology = Ontology.from_file(config)
    text = guidelines.read_text(encoding="utf-8") if guidelines else ""
    with unit_of_work(open_database()) as (s, actor):
        project = projects.create_project(
            s,
            actor,
            name,
            ontology,
            guidelines=text,
            overlap=overlap,
            gold_ratio=gold_ratio,
            lease_seconds=lease_seconds,
            blind=blind,
            ordering=ordering,
            required_skills=list(skill),
        )
    typer.echo(f"project {project.id} {project.name!r} created")


@project_app.command("list")
@reports_errors
def list_() -> None:
    """List projects with their size."""
    db = open_database()
    with unit_of_work(db) as (s, actor):
        for project in projects.list_projects(s, actor):
            st = stats.project_stats(s, actor, project.id)
            typer.echo(
                f"{project.id}\t{project.name}\titems={st.items}\tprogress={st.progress:.1%}"
            )


@project_app.command("add-member")
@reports_errors
def add_member(
    project: str = typer.Argument(..., help="Project name or id."),
    email: str = typer.Argument(..., help="The user's email."),
    role: str = typer.Option("annotator", help="manager, reviewer or annotator."),
) -> None:
    """Add a user to a project (or change their role)."""
    with unit_of_work(open_database()) as (s, actor):
        target = projects.get_project_by_name_or_id(s, project)
        user = accounts.get_user_by_email(s, email)
        projects.set_member(s, actor, target.id, user.id, role)
    typer.echo(f"{email} is {role} of {target.name!r}")


@project_app.command("settings")
@reports_errors
def settings(
    project: str = typer.Argument(..., help="Project name or id."),
    changes: list[str] = typer.Argument(
        None,
        metavar="[KEY=VALUE]...",
        help="Settings to change; a JSON value (true, 0.9, {...}) or a plain word; "
        "null goes back to the default.",
    ),
) -> None:
    """Show a project's settings, or change some (each key and value is checked)."""
    values = dict(_setting(change) for change in changes or ())
    with unit_of_work(open_database()) as (s, actor):
        target = projects.get_project_by_name_or_id(s, project)
        if values:
            projects.merge_settings(s, actor, target.id, values)
        else:
            authorize(s, actor, target.id, Permission.view)
        current = project_settings.settings_of(target)
    set_keys = current.model_fields_set
    for name, value in current.model_dump(mode="json").items():
        shown = orjson.dumps(value).decode()
        typer.echo(f"{name}\t{shown}" + ("" if name in set_keys else "\t(default)"))


def _setting(change: str) -> tuple[str, Any]:
    """``KEY=VALUE`` as a key and its JSON value (a plain word stays a string)."""
    key, sep, text = change.partition("=")
    if not sep or not key:
        raise InvalidInput(f"{change!r}: write a setting as KEY=VALUE", field="settings")
    try:
        return key, orjson.loads(text)
    except orjson.JSONDecodeError:
        return key, text


@reports_errors
def status(project: str = typer.Argument(..., help="Project name or id.")) -> None:
    """Show a project's progress and per-annotator counts."""
    with unit_of_work(open_database()) as (s, actor):
        target = projects.get_project_by_name_or_id(s, project)
        st = stats.project_stats(s, actor, target.id)
    typer.echo(
        f"project {target.name!r}: {st.items} items (+{st.gold_items} gold), "
        f"overlap {st.overlap}, progress {st.progress:.1%}"
    )
    typer.echo("items by status: " + ", ".join(f"{k}={v}" for k, v in sorted(st.by_status.items())))
    typer.echo(f"annotations: {st.annotations}")
    if st.annotators:
        typer.echo("annotator\tsubmitted\tskipped\tleased\texpired\tgold\tmedian_ms")
        for a in st.annotators:
            median = "" if a.median_time_ms is None else f"{a.median_time_ms:.0f}"
            typer.echo(
                f"{a.email}\t{a.submitted}\t{a.skipped}\t{a.leased}\t{a.expired}\t"
                f"{a.gold_checks}\t{median}"
            )


def register(app: typer.Typer) -> None:
    app.add_typer(project_app, name="project")
    app.command("status")(status)
