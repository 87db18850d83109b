"""Large images' pyramids started at import, so that the first person to open
one in the mask tool finds its tiles ready instead of a job just begun.

Publishing an import of a project with a mask or panoptic control queues one
``import_pyramids`` job (the import itself never opens a file: a million-row
import would wait on a million headers). A worker runs it: it reads the header
of each local image of the import's items and queues the ``pyramid`` job of
:mod:`labelwell.work.media_segmentation` for every image over
``INLINE_PIXELS`` (2048 x 2048) whose pyramid is not built yet. That job's
dedupe key is the file, so one pyramid per image is built whoever asks, from
any server: the import, a viewer's first request, another import of the same
file. Images behind a storage URL are fetched on their first open, as before."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from labelwell.errors import NotFound
from labelwell.store.db import Database
from labelwell.store.tables import Item, Project
from labelwell.work import jobs
from labelwell.work.media_files import media_refs, resolve_media
from labelwell.work.policies import Permission
from labelwell.work.projects import ontology_of

#: the controls whose tool reads an image's pyramid
PYRAMID_CONTROLS = frozenset({"mask", "panoptic"})
#: items read per query while the job walks an import
BATCH = 500


class ImportPyramidsOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    import_id: int = Field(ge=1, description="The published import whose images to prepare.")


def wants_pyramids(project: Project) -> bool:
    """Does the project label images with a tool that reads their pyramid?"""
    return any(c.type in PYRAMID_CONTROLS for c in ontology_of(project).controls)


def queue_for_import(db: Database, project: Project, import_id: int) -> int | None:
    """Queue the ``import_pyramids`` job of a published import (None: the
    project has no mask or panoptic control)."""
    if not wants_pyramids(project):
        return None
    with db.session() as s:
        job, _ = jobs.enqueue(s, None, "import_pyramids", project.id, {"import_id": import_id})
        return job.id


def _local_images(item: Item, home: Path) -> list[Path]:
    """The item's media that are files under the home's media folder."""
    found = []
    for ref in media_refs(item):
        if "://" in ref:
            continue
        try:
            found.append(resolve_media(home / "media", ref))
        except NotFound:
            continue
    return found


def run_import_pyramids(run: jobs.JobRun) -> dict[str, Any]:
    """The ``import_pyramids`` job: queue the ``pyramid`` job of every large
    image of the import whose pyramid is not built."""
    from labelwell.media import segmentation as seg

    cache = run.home / "cache" / "tiles"
    checked = large = queued = 0
    after = 0
    while True:
        with run.db.read_session() as s:
            batch = list(
                s.scalars(
                    select(Item)
                    .where(Item.import_id == run.options.import_id, Item.id > after)
                    .order_by(Item.id)
                    .limit(BATCH)
                )
            )
            paths = [p for item in batch for p in _local_images(item, run.home)]
        if not batch:
            break
        after = batch[-1].id
        for path in paths:
            checked += 1
            try:
                height, width = seg.pyramid_size(path)
            except (OSError, ValueError):
                continue  # not an image: its item's tool says so when opened
            if width * height <= seg.INLINE_PIXELS:
                continue  # built within the first request, well under a second
            large += 1
            if seg.cached_pyramid(path, cache) is not None:
                continue
            with run.db.session() as s:
                _, new = jobs.enqueue(s, None, "pyramid", run.project_id, {"path": str(path)})
            queued += new
    return {"files": checked, "large": large, "queued": queued}


jobs.JOB_KINDS.register(
    "import_pyramids",
    jobs.JobKind(
        ImportPyramidsOptions,
        run_import_pyramids,
        permission=Permission.manage,
        dedupe=lambda _, options: f"import_pyramids:{options.import_id}",
        description="Queue the pyramid of each large image an import brought.",
    ),
)
