"""The point-cloud tool's routes: a frame's points as float32, its camera image
and cuboid suggestions, for members of the item's project only; nothing stored."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import func, select

from labelwell.formats.registry import ImportRow
from labelwell.media import pointcloud as pc
from labelwell.store.tables import Annotation, Prediction
from media_api import as_, item_ids, media_dir, media_world

ONTOLOGY = {
    "name": "lidar",
    "controls": [{"name": "cuboids", "type": "cuboid", "labels": ["car", "pedestrian"]}],
}
BOXES = [pc.SceneBox("car", (5.0, 3.0, -0.95), (4.2, 1.8, 1.5), 0.4)]


@pytest.fixture
def world(db, settings):
    media = media_dir(settings)
    scene = pc.synthetic_scene(BOXES, n_ground=3000, per_box=400, seed=1)
    (media / "scan.pcd").write_bytes(pc.write_pcd(scene))
    (media / "scan.bin").write_bytes(scene.astype("<f4").tobytes())
    (media / "cam.png").write_bytes(pc.camera_png(BOXES))
    (media / "notes.txt").write_text("not a point cloud")
    rows = [
        ImportRow(line=1, data={"pointcloud": "scan.pcd", "camera": "cam.png"}, external_id="one"),
        ImportRow(
            line=2, data={"pointcloud": ["scan.pcd", "scan.bin", "notes.txt"]}, external_id="seq"
        ),
    ]
    w = media_world(db, "lidar", ONTOLOGY, rows, filename="lidar.jsonl")
    w.scene = scene
    return w


def test_points_of_a_frame_and_of_a_sequence(api, world, settings):
    ids = item_ids(api, world)
    r = api.get(f"/api/v1/items/{ids['one']}/pointcloud/points", headers=as_(world, world.manager))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/octet-stream"
    assert int(r.headers["x-points"]) == len(world.scene)
    got = np.frombuffer(r.content, dtype="<f4").reshape(-1, 4)
    assert np.array_equal(got, world.scene)
    assert list((settings.home / "cache" / "pointcloud").glob("*.f32"))
    for frame in (0, 1):  # PCD then KITTI .bin: the same points
        r = api.get(
            f"/api/v1/items/{ids['seq']}/pointcloud/points",
            params={"frame": frame},
            headers=as_(world, world.manager),
        )
        assert r.status_code == 200, r.text
        assert np.array_equal(np.frombuffer(r.content, dtype="<f4").reshape(-1, 4), world.scene)
    r = api.get(
        f"/api/v1/items/{ids['seq']}/pointcloud/points",
        params={"frame": 2},
        headers=as_(world, world.manager),
    )
    assert r.status_code == 422 and "not a point cloud" in r.text
    r = api.get(
        f"/api/v1/items/{ids['seq']}/pointcloud/points",
        params={"frame": 3},
        headers=as_(world, world.manager),
    )
    assert r.status_code == 404 and "3 frames" in r.text
    r = api.get(
        f"/api/v1/items/{ids['one']}/pointcloud/points",
        params={"field": "../x"},
        headers=as_(world, world.manager),
    )
    assert r.status_code == 422


def test_camera_image(api, world):
    ids = item_ids(api, world)
    r = api.get(
        f"/api/v1/items/{ids['one']}/pointcloud/camera",
        params={"frame": 0},
        headers=as_(world, world.manager),
    )
    assert r.status_code == 200, r.text
    assert r.content.startswith(b"\x89PNG")
    r = api.get(f"/api/v1/items/{ids['seq']}/pointcloud/camera", headers=as_(world, world.manager))
    assert r.status_code == 404


def test_suggestions_store_nothing(api, world, db):
    ids = item_ids(api, world)
    r = api.post(
        f"/api/v1/items/{ids['one']}/pointcloud/suggestions",
        json={"frame": 0},
        headers=as_(world, world.manager),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["method"] == "ransac-ground+dbscan"
    (car,) = body["data"]
    assert car["center"][:2] == pytest.approx([5.0, 3.0], abs=0.15)
    assert car["dimensions"][:2] == pytest.approx([4.2, 1.8], abs=0.15)
    assert np.sin(car["rotation"][0] - 0.4) == pytest.approx(0, abs=0.05)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Annotation)) == 0
        assert s.scalar(select(func.count()).select_from(Prediction)) == 0
    r = api.post(
        f"/api/v1/items/{ids['one']}/pointcloud/suggestions",
        json={"eps": -1},
        headers=as_(world, world.manager),
    )
    assert r.status_code == 422 and "eps" in r.text


def test_outsiders_reach_nothing(api, world):
    ids = item_ids(api, world)
    for path in ("points", "camera"):
        r = api.get(
            f"/api/v1/items/{ids['one']}/pointcloud/{path}", headers=as_(world, world.outsider)
        )
        assert r.status_code in (403, 404), r.text
    r = api.post(
        f"/api/v1/items/{ids['one']}/pointcloud/suggestions",
        json={},
        headers=as_(world, world.outsider),
    )
    assert r.status_code in (403, 404), r.text
    r = api.get(f"/api/v1/items/{ids['one']}/pointcloud/points")
    assert r.status_code == 401
