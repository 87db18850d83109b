"""``labelwell weak``: labeling functions and the label model on a live project.

LF code runs in this process or on a Dask cluster, never in the web server.
The service (``labelwell.work.weak``) and its numpy/Dask stack load inside the
commands, so ``labelwell --help`` stays fast.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from labelwell.cli._common import open_database, project_work, reports_errors
from labelwell.work import projects

if TYPE_CHECKING:
    from labelwell.work.weak import WeakSummary

weak_app = typer.Typer(
    help="Labeling functions and the label model on a project.", no_args_is_help=True
)

CONTROL_HELP = "The choice control the LFs vote on (default: the project's only one)."


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def render_summary(summary: WeakSummary) -> str:
    head = (
        f"{'LF':<24} {'version':<12} {'polarity':<20} {'cover':>6} {'overlap':>7} "
        f"{'conflict':>8} {'correct':>7} {'wrong':>6} {'emp.acc':>7} {'95% CI':>13} "
        f"{'learned':>7}"
    )
    lines = [head]
    for r in summary.lfs:
        interval = f"{r.accuracy_low:.3f}-{r.accuracy_high:.3f}{'*' if r.few_votes else ' '}"
        lines.append(
            f"{r.name:<24} {r.version:<12} {','.join(r.polarity):<20} {r.coverage:>6.3f} "
            f"{r.overlaps:>7.3f} {r.conflicts:>8.3f} {r.correct:>7} {r.incorrect:>6} "
            f"{_fmt(r.empirical_accuracy):>7} {interval:>13} {_fmt(r.learned_accuracy):>7}"
        )
    sources = ", ".join(f"{n} {k}" for k, n in summary.label_sources.items())
    lines += [
        "",
        f"{summary.n_items} items, {len(summary.lfs)} LFs on {summary.control!r}: coverage "
        f"{summary.coverage:.3f}, overlap {summary.overlap:.3f}, conflict {summary.conflict:.3f}",
        f"{summary.n_labeled} items labeled by people ({sources}); accuracy n = correct + "
        f"wrong, 95% Wilson interval",
    ]
    if any(r.few_votes for r in summary.lfs):
        lines.append(
            f"* fewer than {summary.min_accuracy_votes} votes on labelled items: the "
            "accuracy is too uncertain to rely on"
        )
    if summary.label_model_reason:
        lines.append(f"learned accuracies from the label model {summary.label_model_reason}")
    return "\n".join(lines)


@reports_errors
def apply(
    project: str = typer.Argument(..., help="Project name or id."),
    lfs: Path = typer.Option(..., "--lfs", help="Python file defining @labeling_function LFs."),
    dask: str | None = typer.Option(
        None, "--dask", help="Dask scheduler address (e.g. tcp://host:8786); default: here."
    ),
    control: str | None = typer.Option(None, help=CONTROL_HELP),
    chunk: int = typer.Option(5000, help="Items read, voted and stored per transaction."),
) -> None:
    """Run the LFs of a file over the project's items and store their votes."""
    from labelwell.work import weak

    functions = weak.load_labeling_functions(lfs)
    db = open_database()
    with project_work(db, project, read=True) as (s, actor, target):
        weak.choice_control(projects.ontology_of(target), control)
    client = None
    if dask:
        from dask.distributed import Client

        client = Client(dask)
    try:
        done = weak.apply_lfs(
            db, actor, target.id, functions, control=control, client=client, chunk=chunk
        )
    finally:
        if client is not None:
            client.close()
    names = ", ".join(f"{n}@{v}" for n, v in zip(done.lf_names, done.lf_versions, strict=True))
    typer.echo(f"applied {len(done.lf_names)} LFs to {done.n_items} items: {done.n_votes} votes")
    typer.echo(f"LFs: {names}")


@reports_errors
def summary(
    project: str = typer.Argument(..., help="Project name or id."),
    control: str | None = typer.Option(None, help=CONTROL_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """LF coverage, overlaps, conflicts and accuracy against people's labels."""
    from labelwell.work import weak

    db = open_database()
    with project_work(db, project, read=True) as (s, actor, target):
        found = weak.lf_summary(s, actor, target.id, control=control)
    typer.echo(json.dumps(dataclasses.asdict(found)) if as_json else render_summary(found))


@reports_errors
def fit(
    project: str = typer.Argument(..., help="Project name or id."),
    control: str | None = typer.Option(None, help=CONTROL_HELP),
    route: bool = typer.Option(False, "--route", help="Route items by the model's confidence."),
    approve: float = typer.Option(0.85, help="Confidence kept as the item's label (--route)."),
    review: float = typer.Option(0.5, help="Confidence reviewed with the suggestion (--route)."),
    spot_check: float = typer.Option(0.05, help="Share of auto-approved sent to review."),
    seed: int = typer.Option(0, help="Seed of the spot-check draw."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Fit the label model on the stored votes and store its weak labels."""
    from labelwell.assist.routing import RoutingPolicy
    from labelwell.work import weak

    policy = RoutingPolicy(approve, review, spot_check)
    db = open_database()
    with project_work(db, project) as (s, actor, target):
        found = weak.fit_label_model(
            s, actor, target.id, control=control, route=route, policy=policy, seed=seed
        )
    if as_json:
        typer.echo(json.dumps(dataclasses.asdict(found)))
        return
    typer.echo(
        f"label model {found.model_version}: {found.n_predictions} weak labels on "
        f"{found.n_items} items"
    )
    typer.echo(f"model {found.model_reason}")
    for name, accuracy in found.accuracies.items():
        typer.echo(f"  {name}: learned accuracy {accuracy:.3f}")
    if found.routes is not None:
        typer.echo("routes: " + ", ".join(f"{k} {n}" for k, n in found.routes.items()))


def register(app: typer.Typer) -> None:
    weak_app.command("apply")(apply)
    weak_app.command("summary")(summary)
    weak_app.command("fit")(fit)
    app.add_typer(weak_app, name="weak")
