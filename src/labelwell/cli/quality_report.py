"""``labelwell quality report``: a live project's quality report from the database."""

from __future__ import annotations

import dataclasses
import json
from typing import TYPE_CHECKING

import typer

from labelwell.cli._common import open_database, project_work, reports_errors
from labelwell.quality.registry import AGGREGATORS

if TYPE_CHECKING:
    from labelwell.work.quality_report import Agreement, QualityReport

quality_app = typer.Typer(help="Quality of live projects.", no_args_is_help=True)


def _fmt(value: float | None, pattern: str = "{:.3f}") -> str:
    return "n/a" if value is None else pattern.format(value)


def _agreement_line(a: Agreement) -> str:
    name = a.control or "overall"
    interval = (
        f" [95% CI {_fmt(a.alpha_ci_low)}, {_fmt(a.alpha_ci_high)}"
        + ("; unstable]" if a.unstable else "]")
        if a.alpha_ci_low is not None
        else ""
    )
    return (
        f"  {name}: alpha {_fmt(a.alpha)}{interval} ({a.interpretation}), Fleiss kappa "
        f"{_fmt(a.fleiss_kappa)}, {a.n_items} items ({a.n_pairable} with two or more "
        f"answers), {a.n_annotators} annotators"
    )


def render(report: QualityReport) -> str:
    lines = [
        f"project {report.project_id}: {report.n_annotations} annotations on "
        f"{report.n_items} items",
        "agreement:",
        _agreement_line(report.overall),
        *(_agreement_line(a) for a in report.controls),
    ]
    for a in report.controls:
        lines += [
            f"    {a.control}={x.label}: kappa {_fmt(x.kappa)} ({x.interpretation}), "
            f"{x.n_ratings} ratings"
            for x in a.per_label
        ]
    lines.append(f"gold (retraining under {report.gold_threshold:.0%}):")
    lines += [
        f"  {g.annotator}: {g.n_correct}/{g.n_gold} = {g.accuracy:.0%} "
        f"(95% CI {g.ci_low:.0%}-{g.ci_high:.0%}){'  RETRAIN' if g.needs_retraining else ''}"
        f"{'  (small sample)' if g.small_sample else ''}"
        for g in report.gold
    ] or ["  no gold checks yet"]
    if report.sample_warnings:
        lines.append("small samples:")
        lines += [f"  {w.message}" for w in report.sample_warnings]
    if report.method_choices:
        lines.append("aggregation method (auto):")
        lines += [f"  {c.control}: {c.method} ({c.reason})" for c in report.method_choices]
    if report.aggregation_warnings:
        lines.append(f"aggregation ({report.method}):")
        lines += [f"  [{w.kind}] {w.message}" for w in report.aggregation_warnings]
    lines.append("anomalies:")
    lines += [f"  [{f.kind}] {f.message}" for f in report.anomalies] or ["  none"]
    lines.append(
        f"backlog: {report.awaiting_review} awaiting review, {report.awaiting_escalation} "
        f"escalated, {report.resolved} resolved"
    )
    lines.append("guideline needs work:")
    lines += [
        f"  {g.message} (e.g. items {', '.join(map(str, g.example_items))})"
        for g in report.guideline
    ] or ["  no signal"]
    lines.append(
        f"aggregated labels ({report.method}): {report.n_labels}"
        + (f", first {len(report.labels)} shown with --json" if report.labels else "")
    )
    return "\n".join(lines)


@reports_errors
def report(
    project: str = typer.Argument(..., help="Project name or id."),
    method: str = typer.Option(
        "mv",
        help=f"Aggregation method: {', '.join(AGGREGATORS.names())}, or auto (chosen per control).",
        show_default=True,
    ),
    max_labels: int = typer.Option(1000, help="Aggregated labels listed in --json output."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Agreement, gold accuracy, anomalies, aggregated labels and the review backlog."""
    db = open_database()
    with project_work(db, project, read=True) as (s, actor, target):
        from labelwell.work.quality_report import quality_report

        found = quality_report(s, actor, target.id, method=method, max_labels=max_labels)
    if as_json:
        typer.echo(json.dumps(dataclasses.asdict(found)))
    else:
        typer.echo(render(found))


def register(app: typer.Typer) -> None:
    quality_app.command("report")(report)
    app.add_typer(quality_app, name="quality")
