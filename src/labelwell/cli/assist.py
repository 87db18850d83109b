"""`labelwell assist ...`: train, pre-label, route and prioritise a project's items."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import typer

from labelwell.cli._common import fail, is_tty, open_database, reports_errors, unit_of_work
from labelwell.errors import InvalidInput

assist_app = typer.Typer(
    help="Machine help: train on a project's labels, pre-label, route by confidence, "
    "order the queue by active learning.",
    no_args_is_help=True,
)


def _home() -> Path:
    from labelwell.settings import Settings

    return Settings.from_env().home


def _project_predictor(project: Any) -> Any:
    from labelwell.work.assist import saved

    return saved.project_predictor(project, _home())


def _load(project: Any) -> Any:
    from labelwell.work.assist import saved

    return saved.load(project, _home())


def _target(s: Any, project: str) -> Any:
    from labelwell.work.projects import get_project_by_name_or_id

    return get_project_by_name_or_id(s, project)


@assist_app.command("train")
@reports_errors
def train(
    project: str = typer.Argument(..., help="Project name or id."),
    heldout: float = typer.Option(0.2, help="Share of labeled items kept for calibration."),
    seed: int = typer.Option(0, help="Seed of the held-out draw."),
) -> None:
    """Train the project's model on its human labels and calibrate it (temperature
    scaling); print ECE (15 bins) before and after, and save the model."""
    from labelwell.work import assist
    from labelwell.work.assist import saved

    with unit_of_work(open_database()) as (s, actor):
        target = _target(s, project)
        report = assist.train_from_project(
            s, actor, target.id, predictor=_project_predictor(target), heldout=heldout, seed=seed
        )
        saved.save(report.predictor, saved.model_path(_home(), target.id))
    typer.echo(
        f"trained {report.predictor.name} {report.predictor.version} on {report.n_train} "
        f"labels, calibrated on {report.n_heldout} (temperature {report.temperature:.3f})"
    )
    if report.n_heldout:
        typer.echo(
            f"ECE before {report.ece_before:.4f}, after {report.ece_after:.4f} "
            f"(95% CI {report.ece_ci_low:.4f}-{report.ece_ci_high:.4f}, "
            f"n = {report.n_heldout}{', unstable' if report.ece_unstable else ''})"
        )
    for w in report.warnings:
        typer.echo(f"warning: {w.message}", err=True)


@assist_app.command("prelabel")
@reports_errors
def prelabel(
    project: str = typer.Argument(..., help="Project name or id."),
    model: str = typer.Option("builtin", help="builtin (from `assist train`) or http."),
    url: str = typer.Option(None, help="The model server, with --model http."),
    batch_size: int = typer.Option(256, help="Items per batch."),
    checkpoint: Path = typer.Option(None, help="Folder to resume from after a crash."),
    dask: str = typer.Option(
        None, "--dask", help="Dask scheduler address (e.g. tcp://host:8786); default: here."
    ),
) -> None:
    """Store model predictions for the unlabeled items; annotators see them as suggestions."""
    from labelwell.work import assist

    if model not in ("builtin", "http"):
        raise fail("--model must be builtin or http")
    if model == "http" and not url:
        raise fail("--model http needs --url")
    with unit_of_work(open_database()) as (s, actor):
        target = _target(s, project)
        if model == "http":
            from labelwell.assist.http_backend import HTTPBackend

            predictor = HTTPBackend(url)
            predictor.health()
        else:
            predictor = _load(target)
        client = None
        if dask:
            from dask.distributed import Client

            client = Client(dask)
        try:
            report = assist.prelabel(
                s,
                actor,
                target.id,
                predictor,
                batch_size=batch_size,
                checkpoint=checkpoint,
                show_progress=is_tty(),
                executor="dask" if client is not None else "inprocess",
                client=client,
            )
        finally:
            if client is not None:
                client.close()
    typer.echo(
        f"pre-labeled {report.n_predicted} items with {report.model_name} {report.model_version}"
    )


@assist_app.command("route")
@reports_errors
def route(
    project: str = typer.Argument(..., help="Project name or id."),
    threshold: float = typer.Option(None, help="Auto-approve at or above (default 0.85)."),
    target_precision: float = typer.Option(
        None, help="Pick the threshold reaching this precision on calibration data."
    ),
    review_threshold: float = typer.Option(0.5, help="Below this, label from scratch."),
    spot_check: float = typer.Option(0.05, help="Share of auto-approvals people still check."),
    seed: int = typer.Option(None, help="Seed of the spot-check draw."),
) -> None:
    """Route open items by calibrated confidence: auto-approve, review, or label."""
    from labelwell.work import assist

    if threshold is not None and target_precision is not None:
        raise fail("give --threshold or --target-precision, not both")
    with unit_of_work(open_database()) as (s, actor):
        target = _target(s, project)
        report = assist.route(
            s,
            actor,
            target.id,
            threshold=0.85 if threshold is None else threshold,
            target_precision=target_precision,
            review_threshold=review_threshold,
            spot_check=spot_check,
            seed=seed,
        )
    shown = f"{report.threshold:.4f}" if math.isfinite(report.threshold) else "none reached"
    typer.echo(f"threshold {shown}")
    typer.echo(", ".join(f"{k}={v}" for k, v in report.counts().items()))


@assist_app.command("prioritise")
@reports_errors
def prioritise(
    project: str = typer.Argument(..., help="Project name or id."),
    strategy: str = typer.Option("margin", help="A strategy of labelwell.assist.select."),
    n: int = typer.Option(None, help="How many items go first (default: the whole pool)."),
    seed: int = typer.Option(None, help="Seed for random and diversity strategies."),
) -> None:
    """Order the queue so people label the items the model learns most from first."""
    from labelwell.assist.select import STRATEGIES
    from labelwell.work import assist

    if strategy not in STRATEGIES:
        raise InvalidInput(f"unknown strategy {strategy!r}; choose one of {sorted(STRATEGIES)}")
    with unit_of_work(open_database()) as (s, actor):
        target = _target(s, project)
        report = assist.reprioritise(
            s, actor, target.id, _load(target), strategy=strategy, n=n, seed=seed
        )
    typer.echo(
        f"{len(report.chosen)} of {report.n_pool} items go first ({report.strategy}); "
        f"first item ids: {report.chosen[:10]}"
    )


def register(app: typer.Typer) -> None:
    app.add_typer(assist_app, name="assist")
