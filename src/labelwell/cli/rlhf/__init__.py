"""`labelwell rlhf`: preference-data maths from the command line, and preference work
inside projects (prompts, generation, a project's leaderboard); the project's
training files, bias audit and reward model are in :mod:`.project_data`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from labelwell.cli._common import fail, open_database, project_work, reports_errors, unit_of_work
from labelwell.errors import LabelwellError

rlhf_app = typer.Typer(
    name="rlhf",
    help="Preference data: Bradley-Terry leaderboards and TRL training files.",
    no_args_is_help=True,
)


@rlhf_app.command("leaderboard")
def leaderboard(
    battles: Path | None = typer.Argument(
        None, exists=True, dir_okay=False, help="JSONL of Arena battles (model_a, model_b, winner)."
    ),
    project: str | None = typer.Option(
        None, "--project", help="Rate the models in this project's own comparisons instead."
    ),
    bootstrap: int = typer.Option(100, min=0, help="Bootstrap rounds for the intervals (0: none)."),
    seed: int = typer.Option(0, help="Seed of the bootstrap."),
    l2: float = typer.Option(0.0, min=0.0, help="L2 penalty on strengths (0: the Arena recipe)."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list instead of a table."),
) -> None:
    """Bradley-Terry ratings (base 10, scale 400, mean 1000) with 95% bootstrap intervals."""
    from labelwell.rlhf.bradley_terry import BradleyTerry
    from labelwell.rlhf.imports import read_arena_battles

    if (battles is None) == (project is None):
        raise fail("give a BATTLES file or --project PROJECT (one of them)")
    try:
        if project is not None:
            frame = _project_battles(project)
            if frame.empty:
                raise fail(f"{project}: no judgments between different models yet")
        elif battles is not None:
            frame = read_arena_battles(battles)
        model = BradleyTerry(n_bootstrap=bootstrap, random_state=seed, l2=l2).fit(frame)
    except LabelwellError as exc:
        raise fail(f"{battles or project}: {exc.message}") from None
    board = model.leaderboard()
    if as_json:
        rows = [
            {
                "model": r["model"],
                "rating": round(float(r["rating"]), 4),
                "ci_low": None if bootstrap == 0 else round(float(r["ci_low"]), 4),
                "ci_high": None if bootstrap == 0 else round(float(r["ci_high"]), 4),
                "n_battles": int(r["n_battles"]),
                "unstable": bool(r["unstable"]),
                "warnings": [w.as_dict() for w in model.warnings_ if w.subject == r["model"]],
            }
            for r in board.to_dict("records")
        ]
        typer.echo(json.dumps(rows))
        return
    width = max(5, *(len(m) for m in board.model))
    typer.echo(f"{'rank':>4}  {'model':<{width}}  {'rating':>8}  {'95% CI':>19}  {'n':>6}")
    for r in board.itertuples(index=False):
        ci = "" if bootstrap == 0 else f"[{r.ci_low:8.1f}, {r.ci_high:8.1f}]"
        mark = "  unstable" if r.unstable else ""
        typer.echo(
            f"{r.rank:>4}  {r.model:<{width}}  {r.rating:8.1f}  {ci:>19}  {r.n_battles:>6}{mark}"
        )
    typer.echo(f"{model.n_battles_} battles, {len(board)} models")
    for w in model.warnings_:
        typer.echo(f"warning: {w.message}", err=True)


@rlhf_app.command("convert")
def convert(
    source: Path = typer.Argument(..., exists=True, dir_okay=False, help="Input file."),
    out: Path = typer.Argument(..., help="Output file (jsonl, parquet) or folder (hf)."),
    source_format: str = typer.Option(
        "sharegpt", "--from", help="sharegpt (pairs), kto (rows) or label-studio (pairwise)."
    ),
    layout: str = typer.Option("dpo", help="dpo, reward or kto."),
    fmt: str = typer.Option("jsonl", "--format", help="jsonl, parquet or hf."),
    conversational: bool = typer.Option(False, help="Message lists instead of plain text."),
) -> None:
    """Turn existing preference data into a TRL training file."""
    from labelwell.rlhf import exports, imports
    from labelwell.rlhf.records import pair_from_comparison

    try:
        if source_format == "sharegpt":
            pairs = imports.read_sharegpt_pairs(source)
            completions = exports.unpair(pairs)
        elif source_format == "kto":
            pairs, completions = [], imports.read_kto_rows(source)
        elif source_format == "label-studio":
            items, comparisons = imports.read_label_studio_pairwise(source)
            by_id = {i.id: i for i in items}
            maybe = [pair_from_comparison(by_id[c.item_id], c) for c in comparisons]
            pairs = [p for p in maybe if p is not None]
            completions = exports.unpair(pairs)
        else:
            raise fail(f"unknown --from {source_format!r}")
        if layout == "dpo":
            rows = exports.dpo_rows(pairs, conversational=conversational)
        elif layout == "reward":
            rows = exports.reward_rows(pairs, conversational=conversational)
        elif layout == "kto":
            rows = exports.kto_rows(completions, conversational=conversational)
        else:
            raise fail(f"unknown --layout {layout!r}; one of dpo, reward, kto")
        if not rows:
            raise fail(f"{source}: no {layout} rows in this input")
        n = exports.write_rows(rows, out, fmt)
    except LabelwellError as exc:
        raise fail(f"{source}: {exc.message}") from None
    typer.echo(f"wrote {n} {layout} rows to {out}")


def _project_battles(project: str) -> Any:
    from labelwell.work.projects import get_project_by_name_or_id
    from labelwell.work.rlhf import project_battles

    db = open_database()
    with unit_of_work(db) as (s, actor):
        return project_battles(s, actor, get_project_by_name_or_id(s, project).id)


@rlhf_app.command("import-prompts")
@reports_errors
def import_prompts(
    project: str = typer.Argument(..., help="Project name or id."),
    file: Path = typer.Argument(
        ..., exists=True, dir_okay=False, help="JSONL, JSON, CSV or ShareGPT file of prompts."
    ),
) -> None:
    """Store prompts (with their tags) as items of a project."""
    from labelwell.work import rlhf as service

    prompts = service.read_prompt_file(file)
    db = open_database()
    with project_work(db, project) as (s, actor, target):
        record = service.import_prompts(s, actor, target.id, prompts, filename=file.name)
    typer.echo(f"imported {record.n_items} prompts into {target.name!r} (import {record.id})")


@rlhf_app.command("prompts-report")
@reports_errors
def prompts_report(
    project: str = typer.Argument(..., help="Project name or id."),
    targets: Path | None = typer.Option(
        None, exists=True, dir_okay=False, help="JSON {tag: {value: share}} (default: project's)."
    ),
    duplicates: bool = typer.Option(
        True, help="Find near-duplicates with all-MiniLM-L6-v2 embeddings (offline)."
    ),
    threshold: float = typer.Option(0.9, min=0.0, max=1.0, help="Cosine of a near-duplicate."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Counts by tag, near-duplicate prompts and gaps against target shares."""
    from labelwell.work import rlhf as service

    goal = json.loads(targets.read_text(encoding="utf-8")) if targets else None
    embed = None
    if duplicates:
        from labelwell.rlhf.reward_model import SentenceEncoder

        embed = SentenceEncoder().encode
    db = open_database()
    with project_work(db, project) as (s, actor, target):
        report = service.prompts_report(
            s, actor, target.id, targets=goal, embed=embed, threshold=threshold
        )
    if as_json:
        out = {
            "n_prompts": report.n_prompts,
            "counts": report.counts.to_dict(orient="records"),
            "duplicates": report.duplicates.to_dict(orient="records"),
            "gaps": report.gaps.to_dict(orient="records"),
        }
        typer.echo(json.dumps(out))
        return
    typer.echo(f"{report.n_prompts} prompts in {target.name!r}")
    for r in report.counts.itertuples(index=False):
        typer.echo(f"  {r.tag:<14} {r.value:<20} {r.count:>6}  {r.share:6.1%}")
    for r in report.gaps.itertuples(index=False):
        typer.echo(f"gap {r.tag}={r.value}: target {r.target:.1%}, share {r.share:.1%}")
    for r in report.duplicates.itertuples(index=False):
        typer.echo(f"near-duplicate {r.id_a} ~ {r.id_b} (cosine {r.cosine:.3f})")
    if duplicates and report.duplicates.empty:
        typer.echo(f"no near-duplicates at cosine >= {threshold}")


@rlhf_app.command("generate")
@reports_errors
def generate(
    project: str = typer.Argument(..., help="Project of prompts (name or id)."),
    into: str = typer.Option(..., "--into", help="Comparison project (pairwise or ranking)."),
    base_url: str = typer.Option(..., help="OpenAI-compatible server, e.g. http://host:8000."),
    model: list[str] = typer.Option(
        ..., help="Model name; repeat to compare models (used in turn per response)."
    ),
    n: int = typer.Option(
        2, min=2, max=8, help="Responses per prompt (a pairwise project gets one item per pair)."
    ),
    temperature: list[float] = typer.Option(
        [0.7, 1.0], help="Sampling temperature; repeat to vary it per response."
    ),
    top_p: list[float] = typer.Option([0.9, 1.0], help="Top-p; repeat to vary it per response."),
    max_tokens: int | None = typer.Option(None, help="Longest response in tokens."),
    seed: int = typer.Option(0, help="Seed of the order in which responses are shown."),
    show_models: bool = typer.Option(
        False, help="Also store each response's model as `model` (exported; raters never see it)."
    ),
    concurrency: int = typer.Option(4, min=1, help="Requests in flight at once."),
    checkpoint: Path | None = typer.Option(
        None, help="Resume file of finished responses (default: under LABELWELL_HOME)."
    ),
    api_key_env: str = typer.Option(
        "LABELWELL_GENERATOR_API_KEY", help="Environment variable holding the API key."
    ),
) -> None:
    """Generate responses for a project's prompts into comparison items (resumable)."""
    import os

    from labelwell.rlhf.generate import OpenAIChatGenerator, Sampling
    from labelwell.settings import Settings
    from labelwell.work import rlhf as service
    from labelwell.work.projects import get_project_by_name_or_id

    samplings = [
        Sampling(
            temperature=temperature[i % len(temperature)],
            top_p=top_p[i % len(top_p)],
            max_tokens=max_tokens,
            model=model[i % len(model)],
        )
        for i in range(n)
    ]
    db = open_database()
    with unit_of_work(db) as (s, actor):
        source = get_project_by_name_or_id(s, project)
        target = get_project_by_name_or_id(s, into)
        plan = service.plan_generation(s, actor, source.id, target.id, n_responses=n)
    if not plan.prompts:
        typer.echo(f"nothing to generate: all {plan.n_done} prompts are in {target.name!r}")
        return
    if checkpoint is None:
        folder = Settings.from_env().home / "generations"
        folder.mkdir(parents=True, exist_ok=True)
        checkpoint = folder / f"project-{source.id}-to-{target.id}.jsonl"
    generator = OpenAIChatGenerator(
        base_url,
        model[0],
        api_key=os.environ.get(api_key_env),
        n_responses=n,
        samplings=samplings,
        max_concurrency=concurrency,
        checkpoint=checkpoint,
    )
    typer.echo(f"generating {n} responses for {len(plan.prompts)} prompts ({plan.n_done} done)")
    try:
        responses = generator.generate(plan.requests)
    except LabelwellError as exc:
        raise fail(
            f"{exc.message}; the finished responses are kept in {checkpoint}: "
            "run the same command again to resume"
        ) from None
    with unit_of_work(db) as (s, actor):
        record = service.store_comparisons(
            s, actor, plan, responses, seed=seed, show_models=show_models
        )
    checkpoint.unlink(missing_ok=True)
    typer.echo(
        f"added {record.n_items} comparison items to {target.name!r} ({generator.retries_} retries)"
    )


from labelwell.cli.rlhf import project_data as _project_data  # noqa: E402,F401  (its commands)


def register(app: typer.Typer) -> None:
    app.add_typer(rlhf_app, name="rlhf")
