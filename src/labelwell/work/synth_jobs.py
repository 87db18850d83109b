"""Generating synthetic items into a project, from the command line or as the
``synth_generate`` background job: read the seeds, run the method against an
OpenAI-compatible server (no transaction open meanwhile), store what the
filters kept. A checkpoint file makes a rerun resume where a failed one stopped."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from labelwell.errors import InvalidInput
from labelwell.rlhf.generate import OpenAIChatGenerator, Sampling
from labelwell.store.db import Database
from labelwell.synth import generate as methods
from labelwell.synth.prompts import EVOLUTIONS
from labelwell.synth.records import SeedItem
from labelwell.work import synth
from labelwell.work.actors import Actor
from labelwell.work.jobs import JOB_KINDS, JobKind, JobRun

MAX_DOCUMENT_CHARS = 200_000


class SynthOptions(BaseModel):
    """How to generate: the method, the server and model, and the method's knobs."""

    model_config = ConfigDict(extra="forbid")

    method: Literal["self-instruct", "evol-instruct", "qa", "paraphrase"]
    base_url: str = Field(..., max_length=2000, pattern=r"^https?://")
    model: str = Field(..., min_length=1, max_length=200)
    field: str = Field("text", max_length=100, description="The items' text field.")
    label_control: str | None = Field(
        None, max_length=100, description="Control whose label seeds carry (paraphrase: kept)."
    )
    n: int = Field(20, ge=1, le=10_000, description="Self-Instruct: new instructions wanted.")
    epochs: int = Field(1, ge=1, le=8, description="Evol-Instruct: rounds of evolution.")
    evolutions: list[str] = Field(
        default_factory=lambda: list(EVOLUTIONS), max_length=len(EVOLUTIONS)
    )
    check_equal: bool = Field(
        True, description="Evol-Instruct: ask the model for information gain."
    )
    documents: list[str] | None = Field(
        None, max_length=200, description="QA: documents (default: the project's items)."
    )
    chunk_size: int = Field(1200, ge=50, le=20_000)
    overlap: int = Field(150, ge=0, le=5_000)
    include_synthetic: bool = Field(
        False, description="Seed from synthetic items too (their products are a generation up)."
    )
    seed_limit: int = Field(1000, ge=1, le=synth.MAX_SEEDS)
    seed: int = 0
    temperature: float = Field(1.0, ge=0, le=2)
    top_p: float = Field(1.0, gt=0, le=1)
    max_tokens: int | None = Field(None, ge=1, le=8192)
    concurrency: int = Field(4, ge=1, le=64)


def _seeds(db: Database, actor: Actor, project_id: int, opts: SynthOptions) -> list[SeedItem]:
    if opts.method == "qa" and opts.documents:
        too_long = [i for i, d in enumerate(opts.documents) if len(d) > MAX_DOCUMENT_CHARS]
        if too_long:
            raise InvalidInput(
                f"documents[{too_long[0]}]: at most {MAX_DOCUMENT_CHARS} characters",
                field=f"documents[{too_long[0]}]",
            )
        return [SeedItem(f"doc{i}", d) for i, d in enumerate(opts.documents) if d.strip()]
    with db.read_session() as s:
        return synth.seeds(
            s,
            actor,
            project_id,
            field=opts.field,
            label_control=opts.label_control,
            labeled_only=opts.method == "paraphrase",
            include_synthetic=opts.include_synthetic,
            limit=opts.seed_limit,
        )


def generate_into(
    db: Database,
    actor: Actor,
    project_id: int,
    opts: SynthOptions,
    *,
    checkpoint: Path | None = None,
    api_key: str | None = None,
) -> dict[str, Any]:
    """Run ``opts.method`` on the project's seeds and store the kept candidates."""
    if opts.method == "paraphrase" and not opts.label_control:
        raise InvalidInput(
            "paraphrase needs label_control, the label it keeps", field="label_control"
        )
    seeds = _seeds(db, actor, project_id, opts)
    generator = OpenAIChatGenerator(
        opts.base_url,
        opts.model,
        api_key=api_key,
        n_responses=1,
        samplings=[Sampling(opts.temperature, opts.top_p, max_tokens=opts.max_tokens)],
        max_concurrency=opts.concurrency,
        checkpoint=checkpoint,
    )
    if opts.method == "self-instruct":
        run = methods.self_instruct(generator, seeds, n_instructions=opts.n, seed=opts.seed)
    elif opts.method == "evol-instruct":
        run = methods.evol_instruct(
            generator,
            seeds,
            epochs=opts.epochs,
            evolutions=opts.evolutions,
            check_equal=opts.check_equal,
            seed=opts.seed,
        )
    elif opts.method == "qa":
        run = methods.qa_pairs(generator, seeds, chunk_size=opts.chunk_size, overlap=opts.overlap)
    else:
        run = methods.paraphrases(generator, seeds)
    with db.session() as s:
        stored = synth.store_run(
            s, actor, project_id, run, field=opts.field, label_control=opts.label_control
        )
    if checkpoint is not None:
        checkpoint.unlink(missing_ok=True)
    return {
        "method": opts.method,
        "seeds": len(seeds),
        "requests": run.requests,
        "candidates": len(run.candidates),
        "items": len(stored.item_ids),
        "rejected": stored.rejected,
        "retries": generator.retries_,
    }


def _run(job: JobRun) -> dict[str, Any]:
    if job.project_id is None or job.actor is None:
        raise InvalidInput("synthetic generation runs for a manager of a project")
    folder = job.home / "generations"
    folder.mkdir(parents=True, exist_ok=True)
    return generate_into(
        job.db, job.actor, job.project_id, job.options, checkpoint=folder / f"synth-{job.id}.jsonl"
    )


JOB_KINDS.register(
    "synth_generate",
    JobKind(
        SynthOptions,
        _run,
        description="Generate synthetic items (Self-Instruct, Evol-Instruct, QA pairs, "
        "paraphrases) into the project from an OpenAI-compatible server.",
    ),
)
