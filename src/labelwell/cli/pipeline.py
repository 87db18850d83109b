"""`labelwell pipeline`: run a YAML pipeline spec on one machine, without an
orchestrator (:mod:`labelwell.pipeline`)."""

from __future__ import annotations

from pathlib import Path

import typer

from labelwell.cli._common import fail, reports_errors

pipeline_app = typer.Typer(
    help="Labeling pipelines from a YAML spec: extract, prelabel, distribute, gate, export.",
    no_args_is_help=True,
)


def _load(spec: Path):  # type: ignore[no-untyped-def]
    from labelwell.pipeline import parse

    try:
        text = spec.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise fail(f"{spec}: cannot read it ({error})") from None
    return parse(text, str(spec))


@pipeline_app.command("check")
@reports_errors
def check(spec: Path = typer.Argument(..., help="The pipeline spec (YAML).")) -> None:
    """Validate a spec and print the stages it would run."""
    parsed = _load(spec)
    typer.echo(
        f"{spec}: pipeline {parsed.name!r} on project {parsed.project!r}: "
        + " -> ".join(parsed.stages.chosen())
    )


@pipeline_app.command("run")
@reports_errors
def run(
    spec: Path = typer.Argument(..., help="The pipeline spec (YAML)."),
    server: str = typer.Option(
        None, help="A labelwell server's URL; by default the local database, in this process."
    ),
    token: str = typer.Option(
        None, envvar="LABELWELL_TOKEN", help="API token for --server (or LABELWELL_TOKEN)."
    ),
    run_id: str = typer.Option(
        None, help="The run's id in the state file (default: today's UTC date)."
    ),
    state: Path = typer.Option(None, help="The state file (default: SPEC.state.json)."),
    fresh: bool = typer.Option(False, help="Forget this run's finished stages and run them all."),
) -> None:
    """Run the spec's stages in order, printing each one's time; a rerun with
    the same run id skips the stages that finished."""
    from datetime import UTC, datetime

    from labelwell.pipeline import runner

    parsed = _load(spec)
    state_path = state or runner.default_state_path(spec)
    run_state = runner.RunState(state_path, run_id or datetime.now(UTC).strftime("%Y-%m-%d"))
    if fresh:
        run_state.forget()

    def report(outcome: runner.StageOutcome) -> None:
        if outcome.state == "skipped":
            typer.echo(f"{outcome.stage:<13} skipped (finished earlier in run {run_state.run_id})")
        else:
            typer.echo(f"{outcome.stage:<13} {outcome.seconds:9.2f} s  {_brief(outcome.result)}")

    with runner.connect(server, token) as lw:
        outcomes = runner.run(parsed, lw, run_state, report=report)
    total = sum(o.seconds for o in outcomes)
    typer.echo(f"{'total':<13} {total:9.2f} s  (state: {state_path})")


def _brief(result: dict[str, object]) -> str:
    keys = ("added_items", "predicted", "settings", "state", "done", "url", "items")
    shown = {k: result[k] for k in keys if k in result}
    return ", ".join(f"{k}={v}" for k, v in shown.items())


def register(app: typer.Typer) -> None:
    app.add_typer(pipeline_app, name="pipeline")
