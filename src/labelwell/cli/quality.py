"""``labelwell aggregate`` and ``labelwell agreement``: quality methods on CSV files,
no server or database needed."""

from __future__ import annotations

import json
import re
import sys
import time
from enum import Enum, StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from labelwell.errors import InvalidInput, LabelwellError
from labelwell.formats.tabular import spreadsheet_safe
from labelwell.quality.registry import AGGREGATORS

if TYPE_CHECKING:
    import pandas as pd

# the registry's names, plug-ins included (listing them imports no method)
Method = Enum(  # type: ignore[misc]
    "Method", {name: name for name in (*AGGREGATORS.names(), "auto")}, type=str
)


class Metric(StrEnum):
    percent = "percent"
    cohen = "cohen"
    fleiss = "fleiss"
    krippendorff = "krippendorff"


class Level(StrEnum):
    nominal = "nominal"
    ordinal = "ordinal"
    interval = "interval"
    ratio = "ratio"


class Weights(StrEnum):
    linear = "linear"
    quadratic = "quadratic"


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


def read_table(path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    """Read a CSV with the given columns as strings; errors name the line and column."""
    import numpy as np
    import pandas as pd

    if not path.is_file():
        raise InvalidInput(f"{path}: no such file")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False)
    except pd.errors.EmptyDataError:
        raise InvalidInput(
            f"{path}: the file is empty; expected a header {','.join(columns)}"
        ) from None
    except pd.errors.ParserError as exc:
        found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if found:
            want, line, saw = found.groups()
            raise InvalidInput(
                f"{path} line {line}: expected {want} fields, found {saw}", line=int(line)
            ) from None
        raise InvalidInput(f"{path}: not a readable CSV file ({exc})") from None
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{path}: not UTF-8 text ({exc.reason})") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    for column in columns:
        if column not in frame.columns:
            header = ",".join(frame.columns)
            raise InvalidInput(
                f"{path} line 1: missing column {column!r} (header is {header!r}; "
                f"expected {','.join(columns)})",
                line=1,
                field=column,
            )
    frame = frame[list(columns)]
    for column in columns:
        empty = (frame[column].str.strip() == "").to_numpy()
        if empty.any():
            line = int(np.flatnonzero(empty)[0]) + 2
            raise InvalidInput(
                f"{path} line {line}, column {column!r}: empty value", line=line, field=column
            )
    if frame.empty:
        raise InvalidInput(f"{path}: no rows after the header")
    return frame


def _numeric_labels(frame: pd.DataFrame, path: Path, required: bool) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    values = pd.to_numeric(frame["label"], errors="coerce")
    bad = values.isna().to_numpy()
    if not bad.any():
        return frame.assign(label=values)
    if required:
        line = int(np.flatnonzero(bad)[0]) + 2
        raise InvalidInput(
            f"{path} line {line}, column 'label': {frame['label'].iloc[line - 2]!r} "
            "is not a number (needed for this level)",
            line=line,
            field="label",
        )
    return frame


def aggregate(
    answers: Path = typer.Argument(..., help="CSV with columns task,worker,label."),
    method: Method = typer.Option(
        "mv",
        help="Aggregation method (wmv weighs workers by their gold accuracy and needs "
        "--gold; wawa weighs them by agreement with the majority, no gold needed; auto "
        "chooses by held-out --gold accuracy, or without 20 gold tasks by model evidence).",
    ),
    truth: Path | None = typer.Option(
        None, help="CSV task,label: report accuracy on the tasks it covers."
    ),
    gold: Path | None = typer.Option(
        None, help="CSV task,label of known answers, clamped during fitting (and wmv weights)."
    ),
    out: Path | None = typer.Option(None, help="Write task,label,confidence here."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Aggregate workers' answers into one label per task, with a confidence."""
    import pandas as pd

    from labelwell.quality.guards import guarded_fit

    choice = None
    try:
        data = read_table(answers, ("task", "worker", "label"))
        truth_labels = None
        gold_labels = None
        if truth is not None:
            truth_labels = read_table(truth, ("task", "label")).set_index("task")["label"]
        if gold is not None:
            gold_labels = read_table(gold, ("task", "label")).set_index("task")["label"]
        started = time.perf_counter()
        name = method.value
        if name == "auto":
            from labelwell.quality.auto import choose_method

            choice = choose_method(data, gold_labels)
            name = choice.method
        fitted = guarded_fit(name, data, gold_labels)
        seconds = time.perf_counter() - started
        model = fitted.model
    except LabelwellError as exc:
        raise _fail(exc.message) from None
    probas = model.probas_
    result = pd.DataFrame(
        {
            "task": probas.index,
            "label": model.labels_.reindex(probas.index).to_numpy(),
            "confidence": probas.max(axis=1).round(6).to_numpy(),
        }
    )
    report: dict[str, object] = {
        "method": method.value,
        "method_used": fitted.method,
        "warnings": [
            {
                "kind": f.kind,
                "fallback": f.fallback,
                "message": f.message,
                "message_ko": f.message_ko,
                "evidence": f.evidence,
            }
            for f in fitted.findings
        ],
        "tasks": int(len(result)),
        "workers": int(data["worker"].nunique()),
        "answers": int(len(data)),
        "seconds": round(seconds, 4),
    }
    if choice is not None:
        report["choice"] = {
            "method": choice.method,
            "criterion": choice.criterion,
            "reason": choice.reason,
            "n_gold": choice.n_gold,
            "scores": [
                {
                    "method": c.method,
                    "score": c.score,
                    "n_params": c.n_params,
                    "disqualified": c.disqualified,
                    "note": c.note,
                }
                for c in choice.scores
            ],
        }
    if truth_labels is not None:
        scored = truth_labels[truth_labels.index.isin(result["task"])]
        if gold_labels is not None:
            scored = scored[~scored.index.isin(gold_labels.index)]
        predicted = model.labels_.reindex(scored.index)
        report["evaluated"] = int(len(scored))
        report["accuracy"] = float((predicted == scored).mean()) if len(scored) else None
    # cells a spreadsheet would run as formulas (task ids, labels) are written as text
    result = result.map(spreadsheet_safe)
    if out is not None:
        result.to_csv(out, index=False)
        report["out"] = str(out)
    if as_json:
        typer.echo(json.dumps(report))
        return
    if choice is not None:
        typer.echo(f"auto chose {choice.method}: {choice.reason}", err=True)
    for finding in fitted.findings:
        typer.echo(f"warning: {finding.message}", err=True)
    if fitted.fell_back:
        typer.echo(f"warning: {fitted.requested} fell back to {fitted.method}", err=True)
    if out is None:
        result.to_csv(sys.stdout, index=False)
    line = (
        f"{fitted.method}: {report['tasks']} tasks, {report['answers']} answers in {seconds:.3f} s"
    )
    if "accuracy" in report and report["accuracy"] is not None:
        line += f"; accuracy {report['accuracy']:.4f} on {report['evaluated']} tasks with truth"
    typer.echo(line, err=out is None)


def agreement(
    answers: Path = typer.Argument(..., help="CSV with columns task,worker,label."),
    metric: Metric = typer.Option(Metric.krippendorff, help="Agreement coefficient."),
    level: Level = typer.Option(Level.nominal, help="Krippendorff's alpha level of measurement."),
    weights: Weights | None = typer.Option(None, help="Cohen's kappa weights."),
    bootstrap: int = typer.Option(
        1000, min=0, max=100_000, help="Bootstrap rounds over tasks for the 95% interval (0: none)."
    ),
    seed: int = typer.Option(0, help="Seed of the bootstrap."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Inter-annotator agreement with its Landis-Koch interpretation, the number of
    items it rests on and a 95% bootstrap interval; warns on small samples."""
    import numpy as np

    from labelwell.quality import agreement as agr

    kwargs: dict[str, Any] = {}  # agreement_report's **metric_kwargs
    try:
        data = read_table(answers, ("task", "worker", "label"))
        if metric is Metric.krippendorff:
            if level is not Level.nominal:
                data = _numeric_labels(
                    data, answers, required=level in (Level.interval, Level.ratio)
                )
            kwargs["level"] = level.value
        elif metric is Metric.cohen:
            if weights is not None:
                data = _numeric_labels(data, answers, required=False)
            kwargs["weights"] = None if weights is None else weights.value
        found = agr.agreement_report(data, metric.value, n_boot=bootstrap, seed=seed, **kwargs)
    except LabelwellError as exc:
        raise _fail(exc.message) from None

    def num(v: float) -> float | None:
        return float(v) if np.isfinite(v) else None

    value = found.value
    report = {
        "metric": metric.value,
        "value": num(value),
        "interpretation": found.interpretation,
        "ci_low": num(found.ci_low),
        "ci_high": num(found.ci_high),
        "unstable": found.unstable,
        "instability": found.instability,
        "tasks": int(data["task"].nunique()),
        "workers": int(data["worker"].nunique()),
        "n": found.n_pairable,
        "warnings": [w.as_dict() for w in found.warnings],
    }
    if metric is Metric.krippendorff:
        report["level"] = level.value
    if metric is Metric.cohen:
        report["weights"] = None if weights is None else weights.value
    if as_json:
        typer.echo(json.dumps(report))
        return
    interval = (
        f", 95% CI [{found.ci_low:.4f}, {found.ci_high:.4f}]" if np.isfinite(found.ci_low) else ""
    )
    typer.echo(
        f"{metric.value}: {value:.4f} ({report['interpretation']}); "
        f"n = {found.n_pairable} items{interval}" + (" (unstable)" if found.unstable else "")
    )
    for w in found.warnings:
        typer.echo(f"warning: {w.message}", err=True)


def register(app: typer.Typer) -> None:
    app.command("aggregate")(aggregate)
    app.command("agreement")(agreement)
