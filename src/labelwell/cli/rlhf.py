"""`labelwell rlhf`: preference-data maths from the command line (no database)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from labelwell.cli._common import fail
from labelwell.errors import LabelwellError

rlhf_app = typer.Typer(
    name="rlhf",
    help="Preference data: Bradley-Terry leaderboards and TRL training files.",
    no_args_is_help=True,
)


@rlhf_app.command("leaderboard")
def leaderboard(
    battles: Path = typer.Argument(
        ..., exists=True, dir_okay=False, help="JSONL of Arena battles (model_a, model_b, winner)."
    ),
    bootstrap: int = typer.Option(100, min=0, help="Bootstrap rounds for the intervals (0: none)."),
    seed: int = typer.Option(0, help="Seed of the bootstrap."),
    l2: float = typer.Option(0.0, min=0.0, help="L2 penalty on strengths (0: the Arena recipe)."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list instead of a table."),
) -> None:
    """Bradley-Terry ratings (base 10, scale 400, mean 1000) with 95% bootstrap intervals."""
    from labelwell.rlhf.bradley_terry import BradleyTerry
    from labelwell.rlhf.imports import read_arena_battles

    try:
        frame = read_arena_battles(battles)
        model = BradleyTerry(n_bootstrap=bootstrap, random_state=seed, l2=l2).fit(frame)
    except LabelwellError as exc:
        raise fail(f"{battles}: {exc.message}") from None
    board = model.leaderboard()
    if as_json:
        rows = [
            {
                "model": r.model,
                "rating": round(float(r.rating), 4),
                "ci_low": None if bootstrap == 0 else round(float(r.ci_low), 4),
                "ci_high": None if bootstrap == 0 else round(float(r.ci_high), 4),
            }
            for r in board.itertuples(index=False)
        ]
        typer.echo(json.dumps(rows))
        return
    width = max(5, *(len(m) for m in board.model))
    typer.echo(f"{'rank':>4}  {'model':<{width}}  {'rating':>8}  {'95% CI':>19}")
    for r in board.itertuples(index=False):
        ci = "" if bootstrap == 0 else f"[{r.ci_low:8.1f}, {r.ci_high:8.1f}]"
        typer.echo(f"{r.rank:>4}  {r.model:<{width}}  {r.rating:8.1f}  {ci:>19}")
    typer.echo(f"{model.n_battles_} battles, {len(board)} models")


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


def register(app: typer.Typer) -> None:
    app.add_typer(rlhf_app, name="rlhf")
