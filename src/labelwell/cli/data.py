"""`labelwell import` and `labelwell export`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import typer
from tqdm import tqdm

from labelwell.cli._common import (
    fail,
    open_database,
    project_actor,
    project_work,
    reports_errors,
    unit_of_work,
)
from labelwell.formats._select import check_mode
from labelwell.formats.registry import EXPORTERS, IMPORTERS, fits
from labelwell.store.tables import Import
from labelwell.work import imports, items, label_files, projects, storage
from labelwell.work.export import ExportFilter, export_to
from labelwell.work.policies import Permission, authorize


@reports_errors
def import_(
    project: str = typer.Argument(..., help="Project name or id."),
    file: str = typer.Argument(
        ...,
        help="A JSONL, JSON, CSV or Parquet file of items (or any registered format), "
        "or a folder of images, audio or video files; or a file's storage URL "
        "(s3://...) under one of the project's storage connections.",
    ),
    format: str = typer.Option(
        None,
        help=f"Importer: {', '.join(sorted(IMPORTERS))}; by default from the file's extension "
        "(.vtt reads as webvtt; a folder as folder).",
    ),
    batch_size: int = typer.Option(
        1000, help="Rows written per transaction (at most 1,000: annotators wait for each)."
    ),
    annotators: str = typer.Option(
        "keep",
        help="Annotator emails with no user here: keep (as the label's annotator only), "
        "create (inactive placeholder users; admins only) or refuse (list them, store nothing).",
    ),
    predictions_of: str = typer.Option(
        None,
        "--predictions-of",
        metavar="MODEL",
        help="Attach the file's labels to the items it names (by external id, else id) as "
        "predictions of MODEL, instead of creating items: for files with no media, such as "
        "RTTM, WebVTT, SRT, KITTI labels or a tracker's MOTChallenge output.",
    ),
) -> None:
    """Import items. A bad row refuses the whole file and names its line; annotator
    emails in the file map to users. With --predictions-of, label files go onto
    the project's items instead."""
    from_storage = "://" in file
    path = Path(file)
    if not from_storage and not path.exists():
        raise fail(f"{file}: no such file or folder")
    db = open_database()
    if predictions_of is not None:
        actor, target = project_actor(db, project)

        def attach(local: Path) -> int:
            with unit_of_work(db) as (s, actor):
                return label_files.attach_file(
                    s,
                    actor,
                    target.id,
                    local,
                    fmt=format,
                    model_name=predictions_of,
                    warn=lambda message: typer.echo(f"warning: {message}", err=True),
                )

        n = storage.fetched(db, actor, target.id, file, attach) if from_storage else attach(path)
        typer.echo(f"attached {n} predictions of {predictions_of!r} to items of {target.name!r}")
        return
    bar = tqdm(unit=" items", desc=f"importing {path.name}", disable=None)
    last = 0

    def progress(done: int) -> None:
        nonlocal last
        bar.update(done - last)
        last = done

    try:
        actor, target = project_actor(db, project)

        # chunk by chunk, each in a short transaction: annotators keep working
        def read(local: Path) -> Import:
            return imports.import_file(
                db,
                actor,
                target.id,
                local,
                fmt=format,
                batch_size=batch_size,
                progress=progress,
                annotators=annotators,
                warn=lambda message: typer.echo(f"warning: {message}", err=True),
            )

        record = storage.fetched(db, actor, target.id, file, read) if from_storage else read(path)
    finally:
        bar.close()
    typer.echo(f"imported {record.n_items} items into {target.name!r} (import {record.id})")


@reports_errors
def export(
    project: str = typer.Argument(..., help="Project name or id."),
    format: str = typer.Option(
        "jsonl", "--format", "-f", help=f"Exporter: {', '.join(sorted(EXPORTERS))}."
    ),
    output: Path = typer.Option(None, "--output", "-o", help="File to write."),
    to: str = typer.Option(
        None,
        "--to",
        help="Write to this storage URL instead (s3://..., under one of the project's "
        "storage connections; ending in / names the file after the project and the time).",
    ),
    status: str = typer.Option(None, help="Only items in this status: open, full or done."),
    annotator: str = typer.Option(None, help="Only labels by this annotator (email)."),
    since: datetime = typer.Option(None, help="Only labels created at or after this time."),
    until: datetime = typer.Option(None, help="Only labels created before this time."),
    source: str = typer.Option(None, help="Only labels from this source (human, model, ...)."),
    labels: str = typer.Option(
        "both", help="Labels read: raw (annotations), aggregated (consensus labels) or both."
    ),
    mode: str = typer.Option(
        None,
        help="Labels the format writes: raw, consensus or both (default: the format's own; "
        "see formats.md).",
    ),
    control: str = typer.Option(
        None, help="The control a one-control format writes (YOLO, VOC, CoNLL, COCO, ...)."
    ),
    label_config: Path = typer.Option(
        None,
        help="Label Studio formats: also write the labeling config XML here "
        "(default: beside the output as <output>.label_config.xml).",
    ),
) -> None:
    """Export items with their labels and provenance, streamed."""
    if (output is None) == (to is None):
        raise fail("give either --output FILE or --to URL")
    make_exporter = EXPORTERS.get(format)
    if label_config is not None and not format.startswith("label_studio"):
        raise fail("--label-config is for the label_studio formats")
    flt = ExportFilter(
        status=status, annotator=annotator, since=since, until=until, source=source, labels=labels
    )
    flt.check()
    db = open_database()
    exporter = make_exporter()
    configure_exporter(exporter, mode=mode, control=control)
    with project_work(db, project) as (s, actor, target):
        project_row = authorize(s, actor, target.id, Permission.manage)
        ontology = projects.ontology_of(project_row)
        total = items.count_items(s, target.id)
    ok, reason = fits(exporter, ontology)
    if not ok:
        raise fail(reason)

    def progress(rows: Iterator[Any]) -> Iterator[Any]:
        return iter(
            tqdm(rows, total=total, unit=" items", desc=f"exporting {target.name}", disable=None)
        )

    if to is not None:
        with db.read_session() as s:
            report = storage.write_to(
                s,
                actor,
                target.id,
                storage.export_url(to, target.name, exporter.extension),
                lambda out: export_to(
                    s, target.id, exporter, out, ontology, flt, progress=progress
                ),
            )
        typer.echo(f"exported {report.items} items to {report.url}")
        return
    assert output is not None
    partial = output.with_name(output.name + ".partial")
    try:
        with db.read_session() as s, open(partial, "wb") as out:
            n = export_to(s, target.id, exporter, out, ontology, flt, progress=progress)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(output)
    typer.echo(f"exported {n} items to {output}")
    if format.startswith("label_studio"):
        _write_label_config(exporter, ontology, label_config or _config_path(output))


def _config_path(output: Path) -> Path:
    return output.with_name(f"{output.stem}.label_config.xml")


def _write_label_config(exporter: Any, ontology: Any, path: Path) -> None:
    """The Label Studio config matching the export, so the project opens as it was."""
    from labelwell.formats.label_studio_config import config_from_ontology

    layout = getattr(exporter, "pairwise_layout", "labelwell")
    config = config_from_ontology(ontology, layout=layout)
    path.write_text(config.xml, encoding="utf-8")
    for note in config.notes:
        typer.echo(f"note: {note}", err=True)
    typer.echo(f"wrote the Label Studio labeling config to {path}")


def configure_exporter(exporter: Any, *, mode: str | None, control: str | None) -> None:
    """Apply ``--mode`` and ``--control`` to a format that has them."""
    if mode is not None:
        if not hasattr(exporter, "labels"):
            raise fail(f"the {exporter.name} format writes what --labels reads; it has no --mode")
        exporter.labels = check_mode(mode)
    if control is not None:
        if not hasattr(exporter, "control"):
            raise fail(f"the {exporter.name} format writes every control; it has no --control")
        exporter.control = control


def register(app: typer.Typer) -> None:
    app.command("import")(import_)
    app.command("export")(export)
