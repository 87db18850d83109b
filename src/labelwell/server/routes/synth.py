"""Synthetic data of a project (:mod:`labelwell.work.synth`): its items with
their provenance, the human verdict on each, the guards' report and the
training export that enforces the project's ``synth_*`` settings. Generation
runs as the ``synth_generate`` job (``POST /projects/{id}/jobs``)."""

from __future__ import annotations

from typing import Any, BinaryIO

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from labelwell.errors import InvalidInput
from labelwell.formats.registry import EXPORTERS, fits
from labelwell.server.deps import Ctx
from labelwell.server.schemas import Page, PathId
from labelwell.server.schemas_synth import (
    MAX_REFERENCE_CHARS,
    SynthItemPublic,
    SynthReportPublic,
    SynthReportRequest,
    SynthSummaryPublic,
    SynthVerdict,
)
from labelwell.server.streaming import content_disposition, primed, stream_writer
from labelwell.store.tables import Project
from labelwell.work import synth, synth_report
from labelwell.work.export import export_to
from labelwell.work.projects import ontology_of

router = APIRouter(tags=["synth"])

BASE = "/projects/{project_id}/synth"


@router.get(BASE + "/items", response_model=Page[SynthItemPublic])
def list_synthetic(
    project_id: PathId,
    ctx: Ctx,
    verdict: str | None = Query(None, pattern="^(none|verified|fixed|rejected)$"),
    method: str | None = Query(None, pattern="^(self-instruct|evol-instruct|qa|paraphrase)$"),
    generation: int | None = Query(None, ge=1),
    after: int = Query(0, ge=0),
    limit: int = Query(100, ge=1, le=500),
) -> Page[SynthItemPublic]:
    """The project's synthetic items with their provenance (reviewers and managers)."""
    with ctx.db.read_session() as s:
        rows, total = synth.list_synthetic(
            s,
            ctx.actor,
            project_id,
            verdict=verdict,
            method=method,
            generation=generation,
            after=after,
            limit=limit,
        )
        return Page(data=[SynthItemPublic.of(r) for r in rows], count=total)


@router.post(BASE + "/items/{item_id}/verdict", response_model=SynthItemPublic)
def set_verdict(
    project_id: PathId, item_id: PathId, body: SynthVerdict, ctx: Ctx
) -> SynthItemPublic:
    """Verify, fix (with the corrected fields) or reject a synthetic item."""
    with ctx.db.session() as s:
        row = synth.set_verdict(s, ctx.actor, project_id, item_id, body.verdict, fixed=body.fixed)
        return SynthItemPublic.of(row)


@router.get(BASE + "/summary", response_model=SynthSummaryPublic)
def summary(project_id: PathId, ctx: Ctx) -> SynthSummaryPublic:
    """The stored state, without running a guard: verdicts with the verify and
    error rates, methods, generations, the last report's flags and shift, the
    caps and the overrides recorded by training exports (managers)."""
    with ctx.db.read_session() as s:
        return SynthSummaryPublic.of(synth_report.summary(s, ctx.actor, project_id))


@router.post(BASE + "/report", response_model=SynthReportPublic)
def report(project_id: PathId, body: SynthReportRequest, ctx: Ctx) -> SynthReportPublic:
    """Run the guards (shift with ``embed``, near duplicates, verbatim overlaps with
    ``references``, verification, generations) and store their flags."""
    if body.references and sum(len(r) for r in body.references) > MAX_REFERENCE_CHARS:
        raise InvalidInput(
            f"references: at most {MAX_REFERENCE_CHARS} characters in all", field="references"
        )
    embed: Any = None
    if body.embed:
        from labelwell.work.assist.predictors import _shared_embedder

        embed = _shared_embedder().embed
    with ctx.db.session() as s:
        rep = synth_report.report(
            s,
            ctx.actor,
            project_id,
            embed=embed,
            field=body.field,
            label_control=body.label_control,
            references=body.references,
            min_chars=body.min_chars,
            minhash_threshold=body.minhash_threshold,
            cosine_threshold=body.cosine_threshold,
            n_permutations=body.n_permutations,
        )
        return SynthReportPublic.of(rep)


@router.get(
    BASE + "/export",
    response_class=StreamingResponse,
    responses={200: {"description": "The file, in its format's media type"}},
)
def training_export(
    project_id: PathId,
    ctx: Ctx,
    format: str = Query("jsonl", description="a registered exporter"),
    override_reason: str | None = Query(None, max_length=500),
) -> StreamingResponse:
    """The project's items as training data: synthetic items only as its
    ``synth_*`` settings allow. A cap broken is a 409 unless ``override_reason``
    (recorded in the audit log) is given. Headers say what was left out."""
    make_exporter = EXPORTERS.get(format)
    with ctx.db.session() as s:
        sel = synth_report.training_selection(
            s, ctx.actor, project_id, override_reason=override_reason
        )
        project = s.get(Project, project_id)
        assert project is not None
        ontology, name = ontology_of(project), project.name
    exporter = make_exporter()
    ok, why = fits(exporter, ontology)
    if not ok:
        raise InvalidInput(why, field="format")
    db = ctx.db

    def write(out: BinaryIO) -> None:
        with db.read_session() as s:
            export_to(s, project_id, exporter, out, ontology, only=sel.only)

    excluded = ",".join(f"{k}={v}" for k, v in sel.excluded.items())
    return StreamingResponse(
        primed(stream_writer(write)),
        media_type=exporter.media_type,
        headers={
            "Content-Disposition": content_disposition(
                f"{name}-training.{exporter.extension.lstrip('.')}"
            ),
            "X-Labelwell-Items": str(sel.n_items),
            "X-Labelwell-Synthetic": str(sel.n_synthetic),
            "X-Labelwell-Synthetic-Excluded": excluded,
        },
    )
