"""`labelwell rlhf export | bias-audit | train-reward | score`: what a judged
preference project gives back: TRL training files, a bias audit by annotator
group, a reward model and its scores as predictions."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import typer

from labelwell.cli._common import fail, open_database, project_work, reports_errors, unit_of_work
from labelwell.cli.rlhf import rlhf_app
from labelwell.errors import InvalidInput
from labelwell.rlhf.pairs import PAIR_STRATEGIES

#: the command-line flag of each exporter option, for error messages
_FLAGS = {"output": "--format", "both_bad": "--both-bad", "kind": "--kind"}


def _option_error(exc: InvalidInput) -> typer.Exit:
    field = exc.field or ""
    flag = _FLAGS.get(field, f"--{field.replace('_', '-')}")
    message = exc.message.removeprefix(f"{field}: ") if field else exc.message
    return fail(f"{flag}: {message}" if field and field != "format" else exc.message)


@rlhf_app.command("export")
@reports_errors
def export(
    project: str = typer.Argument(..., help="Project name or id."),
    out: Path = typer.Option(..., "--output", "-o", help="File (jsonl, parquet) or folder."),
    kind: str = typer.Option("dpo", help="dpo, reward, kto or sft."),
    conversational: bool = typer.Option(False, help="Message lists instead of plain text."),
    strategy: str = typer.Option(
        "all_pairs", help=f"Rankings to pairs: {', '.join(PAIR_STRATEGIES.names())}."
    ),
    seed: int = typer.Option(0, help="Seed of best_vs_random_lower."),
    ties: str = typer.Option("drop", help="drop or keep tied pairs (keep adds a tie column)."),
    margin: bool = typer.Option(False, help="reward: a margin column (winner's votes - loser's)."),
    judgments: str = typer.Option(
        "aggregated", help="aggregated (consensus per pair) or per_annotator."
    ),
    both_bad: bool = typer.Option(False, help="kto: both-bad pairs as two undesirable rows."),
    fmt: str = typer.Option("jsonl", "--format", help="jsonl, parquet or datasets (a folder)."),
) -> None:
    """Write a project's judgments as a TRL training file (DPO, reward, KTO, SFT)."""
    from labelwell.formats.trl import TrainingSetOptions
    from labelwell.work import rlhf as service
    from labelwell.work.projects import get_project_by_name_or_id

    options = TrainingSetOptions(
        kind=kind,
        conversational=conversational,
        strategy=strategy,
        seed=seed,
        ties=ties,
        margin=margin,
        judgments=judgments,
        both_bad=both_bad,
        output=fmt,
    )
    db = open_database()
    try:
        with unit_of_work(db) as (s, actor):
            target = get_project_by_name_or_id(s, project).id
            job = service.prepare_training_set(s, actor, target, options)
    except InvalidInput as exc:
        raise _option_error(exc) from None
    if fmt == "datasets" and out.exists():
        raise fail(f"{out} exists; give a new folder for the datasets output")
    partial = out.with_name(out.name + ".partial")
    with db.read_session() as s:
        if fmt == "datasets":
            shutil.rmtree(partial, ignore_errors=True)
            n = service.write_training_folder(s, job, partial)
        else:
            with open(partial, "wb") as fh:
                n = service.write_training_set(s, job, fh)
    partial.replace(out)
    typer.echo(f"wrote {n} {kind} rows to {out}")


@rlhf_app.command("bias-audit")
@reports_errors
def bias_audit(
    project: str = typer.Argument(..., help="Project name or id."),
    by: str = typer.Option(
        "locale", help="locale, role, project_role, skills or skill:NAME (has the skill or not)."
    ),
    alpha: float = typer.Option(0.05, min=0.0, max=1.0, help="Significance level (Holm)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Preference and rating distributions by annotator group, with significance tests."""
    from dataclasses import asdict

    from labelwell.work import rlhf as service

    db = open_database()
    with project_work(db, project) as (s, actor, target):
        audit = service.project_bias_audit(s, actor, target.id, by=by, alpha=alpha)
    if as_json:
        typer.echo(json.dumps(asdict(audit)))
        return
    groups = ", ".join(f"{g} ({n} annotators)" for g, n in audit.annotators.items())
    typer.echo(f"{audit.n_judgments} judgments in {target.name!r} by {by}: {groups}")
    for a in audit.audits:
        flag = "SIGNIFICANT" if a.significant else "no difference"
        typer.echo(
            f"{a.control} ({a.kind}): {a.test} = {a.statistic:.3f}, p = {a.p_value:.4g}, "
            f"Holm p = {a.p_holm:.4g}, effect {a.effect_size:.3f} -> {flag} at {alpha}"
        )
        for g in a.groups:
            detail = (
                " ".join(f"{k}={v}" for k, v in g["counts"].items())
                if "counts" in g
                else f"mean={g['mean']:.2f} median={g['median']:g}"
            )
            typer.echo(f"    {g['group']:<16} n={g['n']:<6} {detail}")
    for skipped in audit.skipped:
        typer.echo(f"{skipped['control']}: not tested ({skipped['reason']})")


@rlhf_app.command("train-reward")
@reports_errors
def train_reward(
    project: str = typer.Argument(..., help="Project name or id."),
    out: Path = typer.Option(..., "--output", "-o", help="Folder to save the model in."),
    name: str | None = typer.Option(None, help="Model name (default: reward-<project>)."),
    strategy: str = typer.Option("all_pairs", help="Rankings to pairs (as in export)."),
    test_size: float = typer.Option(0.2, min=0.0, max=0.9, help="Share of items held out."),
    epochs: int = typer.Option(10, min=1, help="Training epochs."),
    seed: int = typer.Option(0, help="Seed of the split and the training."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Train a Bradley-Terry reward model on a project's consensus pairs (MiniLM features)."""
    from dataclasses import asdict

    from labelwell.work import rlhf as service

    db = open_database()
    with project_work(db, project) as (s, actor, target):
        pairs = service.project_pairs(s, actor, target.id, strategy=strategy, seed=seed)
    report = service.train_reward_model(
        pairs,
        out,
        name=name or f"reward-{target.name}",
        test_size=test_size,
        seed=seed,
        epochs=epochs,
    )
    if as_json:
        typer.echo(json.dumps(asdict(report)))
        return
    held = "n/a" if report.test_accuracy is None else f"{report.test_accuracy:.3f}"
    typer.echo(
        f"trained {report.model_name}@{report.model_version} on {report.n_train} pairs "
        f"({report.n_items} items); held-out pairwise accuracy {held} on {report.n_test} pairs, "
        f"train {report.train_accuracy:.3f}; saved to {out}"
    )


@rlhf_app.command("score")
@reports_errors
def score(
    project: str = typer.Argument(..., help="Project name or id."),
    model: Path = typer.Option(
        ..., exists=True, file_okay=False, help="A folder saved by train-reward."
    ),
    name: str | None = typer.Option(None, help="Prediction model name (default: the model's)."),
) -> None:
    """Score a project's responses with a reward model; the scores become predictions."""
    from labelwell.rlhf.reward_model import model_version
    from labelwell.work import rlhf as service
    from labelwell.work.rlhf.reward import model_label

    label = name or model_label(model, model.name)
    version = model_version(model)
    db = open_database()
    with project_work(db, project) as (s, actor, target):
        plan = service.plan_scoring(s, actor, target.id, label, version)
    rewards = service.score_plan(plan, model)
    with unit_of_work(db) as (s, actor):
        n = service.store_reward_predictions(s, actor, plan, rewards)
    typer.echo(
        f"stored {n} predictions from {label}@{version} in {target.name!r} "
        f"({plan.n_done} items already scored by this version)"
    )
