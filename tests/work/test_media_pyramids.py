"""Large images' pyramids are queued when their import is published: the
worker builds each image's once (the pyramid job's dedupe key is the file),
whoever else asks, and the first open finds the tiles ready."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import func, select

from labelwell.formats.registry import ImportRow
from labelwell.media import segmentation as seg
from labelwell.store.tables import Item, Job
from labelwell.work import imports, jobs, media_segmentation, projects
from world import build_world

MASKS = {
    "name": "seg",
    "controls": [{"name": "seg", "type": "mask", "source": "image", "labels": ["leaf"]}],
}
BOXES = {
    "name": "det",
    "controls": [{"name": "box", "type": "bbox", "source": "image", "labels": ["leaf"]}],
}


@pytest.fixture
def world(db, settings, monkeypatch):
    # Count 320 x 240 as large (over INLINE_PIXELS) so the test builds pyramids fast.
    monkeypatch.setattr(seg, "INLINE_PIXELS", 100 * 100)
    media = settings.home / "media"
    media.mkdir(exist_ok=True)
    Image.fromarray(np.full((240, 320, 3), 90, np.uint8)).save(media / "big.png")
    Image.fromarray(np.full((60, 80, 3), 90, np.uint8)).save(media / "small.png")
    (media / "notes.png").write_text("not an image")
    return build_world(db, n_annotators=1, texts=["x"])


def project(db, world, ontology) -> int:
    with db.session() as s:
        return projects.create_project(s, world.manager, ontology["name"], ontology).id


def import_images(db, world, pid, *names) -> int:
    rows = [ImportRow(line=i + 1, data={"image": name}) for i, name in enumerate(names)]
    return imports.import_rows(db, world.manager, pid, rows, filename="images.jsonl").id


def jobs_of(db, kind):
    with db.read_session() as s:
        return s.scalars(select(Job).where(Job.kind == kind).order_by(Job.id)).all()


def test_an_import_queues_each_large_images_pyramid_once(db, settings, world):
    pid = project(db, world, MASKS)
    import_images(db, world, pid, "big.png", "small.png", "big.png", "notes.png")
    [prepare] = jobs_of(db, "import_pyramids")
    assert prepare.state == "queued" and prepare.created_by is None
    assert jobs.work(db, settings.home, once=True) == 2  # this job, then the one pyramid
    [prepare] = jobs_of(db, "import_pyramids")
    with db.read_session() as s:
        notes = s.scalar(select(func.max(Item.id)).where(Item.project_id == pid))
    assert prepare.result == {
        "files": 4,
        "large": 2,
        "queued": 1,
        "failed": 1,
        "failures": [
            {
                "item_id": notes,
                "media": "notes.png",
                "error": "not an image this server can read (UnidentifiedImageError)",
            }
        ],
    }
    [built] = jobs_of(db, "pyramid")
    assert built.state == "done" and built.options == {
        "path": str((settings.home / "media" / "big.png").resolve())
    }
    # the first open finds the pyramid built: no job, no wait
    with db.read_session() as s:
        item = s.scalar(select(Item.id).where(Item.project_id == pid).order_by(Item.id))
    found = media_segmentation.open_pyramid(db, world.manager, item, 0, settings.home)
    assert isinstance(found, seg.Pyramid) and (found.width, found.height) == (320, 240)
    # another import of the same file (here, or on another server) builds nothing more
    import_images(db, world, pid, "big.png")
    assert jobs.work(db, settings.home, once=True) == 1
    assert jobs_of(db, "import_pyramids")[-1].result == {
        "files": 1,
        "large": 1,
        "queued": 0,
        "failed": 0,
        "failures": [],
    }
    assert len(jobs_of(db, "pyramid")) == 1


def test_a_viewer_first_and_the_import_share_one_pyramid_job(db, settings, world):
    pid = project(db, world, MASKS)
    import_images(db, world, pid, "big.png")
    with db.read_session() as s:
        item = s.scalar(select(Item.id).where(Item.project_id == pid))
    # someone opens the image before the worker has run the import's job
    pending = media_segmentation.open_pyramid(db, world.manager, item, 0, settings.home)
    assert isinstance(pending, media_segmentation.PyramidPending)
    assert jobs.work(db, settings.home, once=True) == 2
    assert jobs_of(db, "import_pyramids")[0].result["queued"] == 0  # joined the live job
    [built] = jobs_of(db, "pyramid")
    assert built.id == pending.job_id and built.state == "done"


def test_projects_without_a_mask_tool_queue_nothing(db, settings, world):
    pid = project(db, world, BOXES)
    import_images(db, world, pid, "big.png")
    assert jobs_of(db, "import_pyramids") == [] and jobs_of(db, "pyramid") == []
