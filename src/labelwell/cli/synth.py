"""`labelwell synth`: generate synthetic items into a project (Self-Instruct,
Evol-Instruct, QA pairs from documents, paraphrases), give verdicts on them,
report the guards and write the training export (see docs/synth.md)."""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

from labelwell.cli._common import fail, open_database, reports_errors, unit_of_work
from labelwell.rlhf.generate import GenerationError

synth_app = typer.Typer(
    name="synth",
    help="Synthetic data: generation with the papers' filters, verification, guards, export.",
    no_args_is_help=True,
)

_SERVER = typer.Option(..., "--base-url", help="OpenAI-compatible server, e.g. http://host:8000.")
_MODEL = typer.Option(..., "--model", help="Model name the server knows.")
_FIELD = typer.Option("text", "--field", help="The items' text field (read and written).")


def _generate(method: str, args: dict[str, Any]) -> None:
    """Run one generation method into a project from a command's arguments
    (``locals()`` of the command): the options of ``SynthOptions`` that were given,
    the documents read from their files."""
    import os

    from labelwell.settings import Settings
    from labelwell.work.projects import get_project_by_name_or_id
    from labelwell.work.synth_jobs import SynthOptions, generate_into

    values = dict(args)
    project, checkpoint = values.pop("project"), values.pop("checkpoint")
    api_key_env = values.pop("api_key_env")
    if "evolution" in values:
        values["evolutions"] = values.pop("evolution") or None
    if "document" in values:
        files = values.pop("document")
        values["documents"] = [p.read_text(encoding="utf-8") for p in files] if files else None
    values = {k: v for k, v in values.items() if v is not None}
    try:
        opts = SynthOptions(method=method, **values)
    except ValueError as exc:
        raise fail(str(exc).splitlines()[0] + ": " + str(exc).splitlines()[-1]) from None
    db = open_database()
    with unit_of_work(db) as (s, actor):
        p = get_project_by_name_or_id(s, project)
        project_id, name = p.id, p.name
    if checkpoint is None:
        folder = Settings.from_env().home / "generations"
        folder.mkdir(parents=True, exist_ok=True)
        checkpoint = folder / f"synth-{opts.method}-project-{project_id}-seed-{opts.seed}.jsonl"
    try:
        result = generate_into(
            db,
            actor,
            project_id,
            opts,
            checkpoint=checkpoint,
            api_key=os.environ.get(api_key_env),
        )
    except GenerationError as exc:
        raise fail(
            f"{exc.message}; finished requests are kept in {checkpoint}: run the same command "
            "again to resume"
        ) from None
    rejected = ", ".join(f"{k} {v}" for k, v in sorted(result["rejected"].items())) or "none"
    typer.echo(
        f"added {result['items']} synthetic items to {name!r} from {result['seeds']} seeds "
        f"({result['candidates']} candidates, {result['requests']} requests; rejected: {rejected})"
    )


_P = inspect.Parameter.POSITIONAL_OR_KEYWORD
#: the options every generation command takes, before and after its own
_SHARED_HEAD = [
    inspect.Parameter("base_url", _P, annotation=str, default=_SERVER),
    inspect.Parameter("model", _P, annotation=str, default=_MODEL),
]
_SHARED_TAIL = [
    inspect.Parameter("field", _P, annotation=str, default=_FIELD),
    inspect.Parameter(
        "temperature",
        _P,
        annotation=float,
        default=typer.Option(1.0, min=0, max=2, help="Sampling temperature (0: greedy)."),
    ),
    inspect.Parameter(
        "max_tokens",
        _P,
        annotation=int | None,
        default=typer.Option(None, help="Longest completion in tokens."),
    ),
    inspect.Parameter(
        "concurrency",
        _P,
        annotation=int,
        default=typer.Option(4, min=1, help="Requests in flight at once."),
    ),
    inspect.Parameter(
        "checkpoint",
        _P,
        annotation=Path | None,
        default=typer.Option(None, help="Resume file (default: under LABELWELL_HOME)."),
    ),
    inspect.Parameter(
        "api_key_env",
        _P,
        annotation=str,
        default=typer.Option(
            "LABELWELL_GENERATOR_API_KEY", help="Environment variable with the API key."
        ),
    ),
]


def _generation_command(method: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Declare ``labelwell synth METHOD``: the decorated function names the project
    argument and the method's own options (and its help); the server, model, text
    field, limits and resume file are added here, and every such command runs
    :func:`_generate`."""

    def declare(declared: Callable[..., None]) -> Callable[..., None]:
        own = list(inspect.signature(declared, eval_str=True).parameters.values())
        params = [own[0], *_SHARED_HEAD, *own[1:], *_SHARED_TAIL]

        def command(**values: Any) -> None:
            _generate(method, values)

        command.__name__ = declared.__name__
        command.__doc__ = declared.__doc__
        command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        command.__annotations__ = {p.name: p.annotation for p in params}
        return synth_app.command(method)(reports_errors(command))

    return declare


@_generation_command("self-instruct")
def self_instruct(
    project: str = typer.Argument(..., help="Project (name or id): seeds in, instructions out."),
    n: int = typer.Option(20, min=1, help="New instructions wanted."),
    seed: int = typer.Option(0, help="Seed of the example sampling."),
) -> None:
    """Self-Instruct (Wang et al. 2023): 6 human + 2 machine examples per prompt,
    the paper's heuristic filters and ROUGE-L < 0.7 against the pool."""


@_generation_command("evol-instruct")
def evol_instruct(
    project: str = typer.Argument(..., help="Project (name or id) of instructions to evolve."),
    epochs: int = typer.Option(1, min=1, max=8, help="Rounds of evolution."),
    evolution: list[str] | None = typer.Option(
        None,
        help="Evolutions to draw from (repeat): constraints, deepen, concretizing, "
        "reasoning, complicate_input, breadth (default: all).",
    ),
    check_equal: bool = typer.Option(True, help="Ask the model whether an evolution adds nothing."),
    include_synthetic: bool = typer.Option(False, help="Evolve synthetic items too."),
    seed: int = typer.Option(0, help="Seed of the evolution draws."),
) -> None:
    """Evol-Instruct (Xu et al. 2023): in-depth and in-breadth evolution with the
    paper's elimination rules."""


@_generation_command("qa")
def qa(
    project: str = typer.Argument(..., help="Project (name or id) the QA pairs go into."),
    document: list[Path] | None = typer.Option(
        None, exists=True, dir_okay=False, help="A text file (repeat); default: the items."
    ),
    chunk_size: int = typer.Option(1200, min=50, help="Characters per chunk."),
    overlap: int = typer.Option(150, min=0, help="Characters shared by neighbouring chunks."),
) -> None:
    """A question and answer per document chunk, kept when the answer is grounded
    in the chunk."""


@_generation_command("paraphrase")
def paraphrase(
    project: str = typer.Argument(..., help="Text classification project (name or id)."),
    label_control: str = typer.Option(..., help="The control whose label each paraphrase keeps."),
) -> None:
    """A paraphrase of each labeled item, keeping its label (a synthetic label)."""


@synth_app.command("verdict")
@reports_errors
def verdict(
    project: str = typer.Argument(..., help="Project (name or id)."),
    item: int = typer.Argument(..., help="The synthetic item's id."),
    value: str = typer.Argument(..., help="verified, fixed or rejected."),
    fixed: str | None = typer.Option(None, help="With fixed: the corrected fields as JSON."),
) -> None:
    """Record a person's verdict on a synthetic item."""
    from labelwell.work import synth
    from labelwell.work.projects import get_project_by_name_or_id

    fields = json.loads(fixed) if fixed else None
    with unit_of_work(open_database()) as (s, actor):
        p = get_project_by_name_or_id(s, project)
        synth.set_verdict(s, actor, p.id, item, value, fixed=fields)
    typer.echo(f"item {item}: {value}")


@synth_app.command("report")
@reports_errors
def report(
    project: str = typer.Argument(..., help="Project (name or id)."),
    field: str = _FIELD,
    label_control: str | None = typer.Option(
        None, help="Test the shift per label of this control."
    ),
    embed: bool = typer.Option(True, help="Embed with MiniLM for the shift test and cosine."),
    reference: list[Path] | None = typer.Option(
        None, exists=True, dir_okay=False, help="Reference corpus file for verbatim overlaps."
    ),
    min_chars: int = typer.Option(50, min=8, help="Shortest verbatim overlap flagged."),
    svg: Path | None = typer.Option(None, help="Write the shift plot (SVG) here."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """The guards: distribution shift (MMD permutation test and classifier AUC,
    per label), near duplicates, verbatim overlaps, verification and generations."""
    from labelwell.server.schemas_synth import SynthReportPublic
    from labelwell.work import synth_report
    from labelwell.work.projects import get_project_by_name_or_id

    embedder: Any = None
    if embed:
        from labelwell.assist.embeddings import SentenceEmbedder

        embedder = SentenceEmbedder().embed
    refs = [p.read_text(encoding="utf-8") for p in reference] if reference else None
    with unit_of_work(open_database()) as (s, actor):
        p = get_project_by_name_or_id(s, project)
        rep = synth_report.report(
            s,
            actor,
            p.id,
            embed=embedder,
            field=field,
            label_control=label_control,
            references=refs,
            min_chars=min_chars,
        )
    if svg is not None and rep.plot_svg:
        svg.write_text(rep.plot_svg, encoding="utf-8")
    if as_json:
        typer.echo(SynthReportPublic.of(rep).model_dump_json(indent=2))
        return
    v = rep.verification
    typer.echo(
        f"{rep.n_real} real, {rep.n_synthetic} synthetic items; methods {rep.by_method}; "
        f"generations {rep.by_generation}"
    )

    def rate(x):
        return "-" if x is None else f"{x:.1%}"

    typer.echo(
        f"verification: {v.judged} judged, {v.pending} pending; verify rate "
        f"{rate(v.verify_rate)}, error rate {rate(v.error_rate)}"
    )
    for sh in rep.shift:
        label = "all" if sh.label is None else sh.label
        if sh.mmd2 is None:
            typer.echo(f"shift {label}: too few items ({sh.n_real} real, {sh.n_synthetic} synth)")
        else:
            typer.echo(
                f"shift {label}: MMD^2 {sh.mmd2:.4f} (p {sh.p_value:.3f}), "
                f"classifier AUC {sh.auc:.3f}"
            )
    for d in rep.duplicates:
        typer.echo(
            f"near duplicate: item {d.item_id} ~ {d.against} item {d.of_item_id} "
            f"({d.by} {d.similarity:.3f})"
        )
    for c in rep.copies:
        typer.echo(
            f"verbatim: item {c.item_id} [{c.start}:{c.end}] copies reference "
            f"{c.reference}: {c.excerpt[:60]!r}"
        )


@synth_app.command("export")
@reports_errors
def export(
    project: str = typer.Argument(..., help="Project (name or id)."),
    out: Path = typer.Argument(..., dir_okay=False, help="File to write."),
    format: str = typer.Option("jsonl", help="A registered exporter."),
    override_reason: str | None = typer.Option(
        None, help="Export past the generation and share caps; recorded in the audit log."
    ),
) -> None:
    """The training export: synthetic items only as the project's settings allow."""
    from labelwell.formats.registry import EXPORTERS, fits
    from labelwell.work import synth_report
    from labelwell.work.export import export_to
    from labelwell.work.projects import get_project_by_name_or_id, ontology_of

    exporter = EXPORTERS.get(format)()
    db = open_database()
    with unit_of_work(db) as (s, actor):
        p = get_project_by_name_or_id(s, project)
        sel = synth_report.training_selection(s, actor, p.id, override_reason=override_reason)
        ontology, project_id = ontology_of(p), p.id
    ok, why = fits(exporter, ontology)
    if not ok:
        raise fail(why)
    with out.open("wb") as f, db.read_session() as s:
        n = export_to(s, project_id, exporter, f, ontology, only=sel.only)
    left = ", ".join(f"{k} {v}" for k, v in sel.excluded.items() if v) or "none"
    typer.echo(f"wrote {n} items ({sel.n_synthetic} synthetic) to {out}; left out: {left}")


def register(app: typer.Typer) -> None:
    app.add_typer(synth_app, name="synth")
