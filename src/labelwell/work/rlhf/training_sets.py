"""A project's preference judgments as a TRL training file, with every exporter
option (:class:`~labelwell.formats.trl.TrainingSetOptions`) and three outputs:
JSONL, Parquet, or a ``datasets`` folder (a zip of it over HTTP).

Split in two so a route can answer a bad request before it starts streaming:
:func:`prepare_training_set` checks the options, the permission and the
project's controls; :func:`write_training_set` / :func:`write_training_folder`
then stream the project's items (keyset pages, :func:`iter_records`) through the
exporter in constant memory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy.orm import Session

from labelwell.formats.trl import TrainingSetOptions, training_set_exporter
from labelwell.work.actors import Actor
from labelwell.work.export import ExportFilter, iter_records
from labelwell.work.policies import Permission, authorize
from labelwell.work.projects import ontology_of

#: only annotators' own judgments count; consensus labels are not read
_RAW = ExportFilter(labels="raw")


@dataclass(frozen=True, slots=True)
class TrainingSetJob:
    project_id: int
    project_name: str
    ontology: Any
    exporter: Any
    options: TrainingSetOptions

    @property
    def filename(self) -> str:
        suffix = self.exporter.extension.lstrip(".")
        return f"{self.project_name}-{self.options.kind}.{suffix}".replace('"', "")


def prepare_training_set(
    session: Session, actor: Actor, project_id: int, options: TrainingSetOptions
) -> TrainingSetJob:
    """Check the options (the first bad one is named), that ``actor`` manages the
    project, and that its controls can give ``options.kind`` rows."""
    exporter = training_set_exporter(options)
    project = authorize(session, actor, project_id, Permission.manage)
    ontology = ontology_of(project)
    exporter.check_ontology(ontology)
    return TrainingSetJob(project.id, project.name, ontology, exporter, options)


def write_training_set(session: Session, job: TrainingSetJob, out: BinaryIO) -> int:
    """Stream the rows to ``out`` (JSONL, Parquet, or a zipped ``datasets`` folder);
    returns the number of rows."""
    records = iter_records(session, job.project_id, _RAW)
    return int(job.exporter.write(records, out, job.ontology))


def write_training_folder(session: Session, job: TrainingSetJob, folder: Path) -> int:
    """Write the rows as a ``datasets`` folder (``datasets.load_from_disk`` reads it)."""
    records = iter_records(session, job.project_id, _RAW)
    return int(job.exporter.export_dir(records, folder, job.ontology))
