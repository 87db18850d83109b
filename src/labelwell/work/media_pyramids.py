"""Large images' pyramids started at import, so that the first person to open
one in the mask tool finds its tiles ready instead of a job just begun.

Publishing an import of a project with a mask or panoptic control (a file, rows
from the API, or a storage sync's new objects) queues one ``import_pyramids``
job (the import itself never opens a file: a million-row import would wait on
a million headers). A worker runs it, walking the import's items
:data:`BATCH` at a time and :data:`WORKERS` files at once. It reads the header
of each image: a local one's from its file; one behind a storage URL
(``s3://``, ``gs://``, ``az://``...) by a ranged read of its first
:data:`HEAD_BYTES` through the project's connection, or, when the header runs
past them, from the object fetched once into the media cache the first open
reads (:func:`~labelwell.work.media_files.cached_media`). For every image over
``INLINE_PIXELS`` (2048 x 2048) whose pyramid is not built
it fetches a stored object into that cache (smaller ones are never fetched)
and queues the ``pyramid`` job of :mod:`labelwell.work.media_segmentation`.
That job's dedupe key is the file, so one pyramid per image or object is built
whoever asks, from any server: the import, a viewer's first request, another
import of the same file. A file or object that is missing, unreachable or not
an image is counted in the result and named (its reference and item, the first
:data:`MAX_FAILURES`) with the reason, never a credential; the others go on."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from PIL import Image
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from labelwell.errors import LabelwellError
from labelwell.store.db import Database
from labelwell.store.tables import Item, Project
from labelwell.work import jobs, storage
from labelwell.work.media_files import cached_media, cached_media_path, media_refs, resolve_media
from labelwell.work.policies import Permission
from labelwell.work.projects import ontology_of

#: the controls whose tool reads an image's pyramid
PYRAMID_CONTROLS = frozenset({"mask", "panoptic"})
#: items read per query while the job walks an import
BATCH = 500
#: bytes of a stored object read to find its size (a PNG's header is in the
#: first 33, a JPEG's after its EXIF and colour profile, rarely past 64 KiB)
HEAD_BYTES = 64 * 1024
#: objects whose header the job reads at once
WORKERS = 8
#: failures the job's result names (it counts them all)
MAX_FAILURES = 100


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


def _large_image(db: Database, home: Path, project_id: int, ref: str) -> Path | None:
    """The local file of media ``ref`` when it is an image whose pyramid is the
    ``pyramid`` job's, else None. A stored object is fetched into the media
    cache only then, or when its header is not within its first bytes."""
    from labelwell.media import segmentation as seg

    stored = "://" in ref
    if stored and not cached_media_path(home, project_id, ref).is_file():
        with db.read_session() as s:
            head = storage.read_head(s, project_id, ref, HEAD_BYTES)
        try:
            if seg.builds_inline(*seg.pyramid_size(io.BytesIO(head))):
                return None
        except (OSError, ValueError):
            if len(head) < HEAD_BYTES:
                raise  # that was the whole object
    if stored:
        with db.read_session() as s:
            path = cached_media(s, project_id, ref, home)
    else:
        path = resolve_media(home / "media", ref)
    return None if seg.builds_inline(*seg.pyramid_size(path)) else path


def _looked(db: Database, home: Path, project_id: int, ref: str) -> tuple[Path | None, str | None]:
    """:func:`_large_image`, or why it failed: a missing, unreachable or
    unreadable file stops only itself."""
    try:
        return _large_image(db, home, project_id, ref), None
    except LabelwellError as exc:
        return None, exc.message  # storage errors name the URL and the failure, no secret
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        return None, f"not an image this server can read ({type(exc).__name__})"


def run_import_pyramids(run: jobs.JobRun) -> dict[str, Any]:
    """The ``import_pyramids`` job: queue the ``pyramid`` job of every large
    image of the import whose pyramid is not built. The headers of a batch are
    read :data:`WORKERS` at a time (each a wait on the store)."""
    from labelwell.media import segmentation as seg

    cache = run.home / "cache" / "tiles"
    checked = large = queued = failed = 0
    failures: list[dict[str, Any]] = []
    after = 0
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        while True:
            with run.db.read_session() as s:
                items = [
                    (item.id, item.project_id, media_refs(item))
                    for item in s.scalars(
                        select(Item)
                        .where(Item.import_id == run.options.import_id, Item.id > after)
                        .order_by(Item.id)
                        .limit(BATCH)
                    )
                ]
            if not items:
                break
            after = items[-1][0]
            batch = [(item_id, pid, ref) for item_id, pid, refs in items for ref in refs]
            looked = pool.map(lambda b: _looked(run.db, run.home, b[1], b[2]), batch)
            for (item_id, project_id, ref), (path, error) in zip(batch, looked, strict=True):
                checked += 1
                if error is not None:
                    failed += 1
                    if len(failures) < MAX_FAILURES:
                        failures.append({"item_id": item_id, "media": ref, "error": error})
                    continue
                if path is None:
                    continue  # built within its first request, well under a second
                large += 1
                if seg.cached_pyramid(path, cache) is not None:
                    continue
                with run.db.session() as s:
                    _, new = jobs.enqueue(s, None, "pyramid", project_id, {"path": str(path)})
                queued += new
    return {
        "files": checked,
        "large": large,
        "queued": queued,
        "failed": failed,
        "failures": failures,
    }


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
