"""The mask and panoptic tools in chromium: brush, eraser, polygon, fill,
superpixels, GrabCut and an interactive model server, driven with the mouse and
keyboard; the stored RLE is decoded with pycocotools and compared with what was
painted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from pycocotools import mask as cocomask

from waiting import wait_for
from web.fresh import annotations, new_project
from web.helpers import login, open_workspace, shot, submit_and_wait

ANNOTATOR = "ann3@demo.labelwell"
MASK = {
    "name": "mask-tool",
    "controls": [
        {
            "type": "mask",
            "name": "seg",
            "source": "image",
            "labels": ["leaf", "sky"],
            "required": True,
        }
    ],
}
PANOPTIC = {
    "name": "panoptic-tool",
    "controls": [
        {
            "type": "panoptic",
            "name": "pan",
            "source": "image",
            "labels": [{"name": "car", "is_thing": True}, {"name": "road", "is_thing": False}],
            "required": True,
        }
    ],
}


def scene(home: Path, name: str, w: int = 400, h: int = 300) -> str:
    """A grey image with a green rectangle (x 100..220, y 80..180) on it."""
    rgb = np.full((h, w, 3), 200, np.uint8)
    rgb[80:180, 100:220] = (40, 150, 60)
    folder = home / "media" / "masks"
    folder.mkdir(parents=True, exist_ok=True)
    Image.fromarray(rgb).save(folder / name)
    return f"masks/{name}"


def decode(region: dict[str, Any]) -> np.ndarray:
    rle = dict(region["rle"])
    rle["counts"] = rle["counts"].encode()
    return cocomask.decode(rle).astype(bool)


def to_screen(page: Any, x: float, y: float) -> tuple[float, float]:
    """Where image pixel (x, y) is on the page (the tool fits the image at first)."""
    box = page.locator(".mask-canvas").bounding_box()
    k = min(box["width"] / 400, box["height"] / 300)
    ox = box["x"] + (box["width"] - 400 * k) / 2
    oy = box["y"] + (box["height"] - 300 * k) / 2
    return ox + x * k, oy + y * k


def ready(page: Any) -> None:
    page.wait_for_selector(".mask-tool")
    page.wait_for_selector(".mask-canvas")
    page.locator(".mask-canvas").click(position={"x": 1, "y": 1}, button="right")


def test_brush_eraser_polygon_and_undo_store_coco_rle(page, site):
    pid = new_project(site, MASK, [{"image": scene(site.home, "a.png")}], ANNOTATOR)
    login(page, ANNOTATOR)
    first = open_workspace(page, pid)
    ready(page)
    page.keyboard.press("1")  # leaf
    page.keyboard.press("b")
    for _ in range(3):
        page.keyboard.press("]")  # a bigger brush
    page.mouse.move(*to_screen(page, 120, 130))
    page.mouse.down()
    page.mouse.move(*to_screen(page, 200, 130), steps=12)
    page.mouse.up()
    # A stray stroke, undone with Ctrl+Z.
    page.mouse.move(*to_screen(page, 300, 250))
    page.mouse.down()
    page.mouse.move(*to_screen(page, 350, 260), steps=5)
    page.mouse.up()
    page.keyboard.press("Control+z")
    # The eraser takes a bite out of the stroke's middle.
    page.keyboard.press("e")
    page.keyboard.press("[")
    page.mouse.move(*to_screen(page, 160, 130))
    page.mouse.down()
    page.mouse.up()
    # A polygon of sky: P, four corners, Enter.
    page.keyboard.press("2")
    page.keyboard.press("p")
    for x, y in ((20, 20), (80, 20), (80, 60), (20, 60)):
        page.mouse.click(*to_screen(page, x, y))
    page.keyboard.press("Enter")
    shot(page, "media-mask-brush")
    submit_and_wait(page, first, "Control+Enter")
    result = next(a for a in annotations(site, pid))["result"]["seg"]
    by_label = {r["label"]: r for r in result}
    assert set(by_label) == {"leaf", "sky"}
    for r in result:
        assert r["rle"]["size"] == [300, 400] and isinstance(r["rle"]["counts"], str)
    leaf, sky = decode(by_label["leaf"]), decode(by_label["sky"])
    assert leaf[130, 125] and leaf[130, 195] and not leaf[130, 160]  # painted, then erased
    assert not leaf[250:265, 300:350].any()  # the undone stroke
    assert not leaf[20:60, 20:80].any()
    assert abs(int(sky.sum()) - 60 * 40) <= 2 * (60 + 40) + 4  # the polygon, edges either way
    assert sky[40, 50] and not sky[100, 100]
    # area from pycocotools agrees with the decoded pixels
    rle = dict(by_label["sky"]["rle"], counts=by_label["sky"]["rle"]["counts"].encode())
    assert int(cocomask.area(rle)) == int(sky.sum())
    # the item page shows the stored masks read-only: a thumbnail and each region's area
    page.goto(f"/items/{annotations(site, pid)[0]['item_id']}")
    page.wait_for_selector("canvas.ro-mask")
    assert f"{int(sky.sum())} px" in page.inner_text("#item-history")


def two_cars(home: Path) -> str:
    """A grey street with a green car (x 100..220, y 80..180) and a blue one
    (x 260..360, y 200..280)."""
    rgb = np.full((300, 400, 3), 200, np.uint8)
    rgb[80:180, 100:220] = (40, 150, 60)
    rgb[200:280, 260:360] = (40, 60, 170)
    folder = home / "media" / "masks"
    folder.mkdir(parents=True, exist_ok=True)
    Image.fromarray(rgb).save(folder / "cars.png")
    return "masks/cars.png"


def truth(y0: int, y1: int, x0: int, x1: int) -> np.ndarray:
    m = np.zeros((300, 400), bool)
    m[y0:y1, x0:x1] = True
    return m


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / (a | b).sum())


def test_panoptic_with_model_clicks_grabcut_superpixels_and_fill(page, site):
    from segment_server import segment_server

    with segment_server() as server:
        pid = new_project(
            site,
            PANOPTIC,
            [{"image": two_cars(site.home), "width": 400, "height": 300}],
            ANNOTATOR,
        )
        r = site.api("PATCH", f"/projects/{pid}/settings", json={"segment_model_url": server})
        assert r.status_code == 200, r.text
        login(page, ANNOTATOR)
        first = open_workspace(page, pid)
        ready(page)
        # car #1 from one click through the project's segmentation server
        page.keyboard.press("1")
        page.keyboard.press("m")
        page.mouse.click(*to_screen(page, 160, 130))
        page.wait_for_selector(".mask-layers li")
        page.wait_for_selector(".mask-tool [role=status]:has-text('flood-fill@1')")
        page.keyboard.press("Enter")
        # car #2 from a GrabCut box
        page.keyboard.press("g")
        page.mouse.move(*to_screen(page, 245, 185))
        page.mouse.down()
        page.mouse.move(*to_screen(page, 375, 295), steps=6)
        page.mouse.up()
        page.wait_for_selector(".mask-layers li:nth-child(2)")
        page.wait_for_selector(".mask-tool [role=status]:has-text('grabcut')")
        # the road: a superpixel, then fill the rest of the background
        page.keyboard.press("2")
        page.keyboard.press("s")
        page.mouse.click(*to_screen(page, 30, 30))
        page.wait_for_selector(".mask-layers li:nth-child(3)")
        page.keyboard.press("f")
        page.mouse.click(*to_screen(page, 380, 20))
        shot(page, "media-mask")
        submit_and_wait(page, first, "Control+Enter")
    result = annotations(site, pid)[0]["result"]["pan"]
    cars = sorted((r for r in result if r["label"] == "car"), key=lambda r: r["instance_id"])
    (road,) = [r for r in result if r["label"] == "road"]
    assert [(r["instance_id"], r["is_thing"]) for r in cars] == [(1, True), (2, True)]
    assert road["is_thing"] is False
    assert iou(decode(cars[0]), truth(80, 180, 100, 220)) > 0.95
    assert iou(decode(cars[1]), truth(200, 280, 260, 360)) > 0.9
    background = ~(truth(80, 180, 100, 220) | truth(200, 280, 260, 360))
    assert (decode(road) & background).sum() > 0.9 * background.sum()
    # COCO panoptic export read back as panopticapi does: id = R + 256 G + 256² B
    r = site.api(
        "GET", f"/projects/{pid}/export", params={"format": "coco_panoptic", "labels": "raw"}
    )
    assert r.status_code == 200, r.text
    import io
    import json
    import zipfile

    with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
        doc = json.loads(zf.read("panoptic.json"))
        (ann,) = doc["annotations"]
        with Image.open(io.BytesIO(zf.read(f"panoptic/{ann['file_name']}"))) as im:
            rgb = np.asarray(im.convert("RGB")).astype(np.int64)
    ids = rgb[..., 0] + 256 * rgb[..., 1] + 65536 * rgb[..., 2]
    for seg in ann["segments_info"]:
        region = next(x for x in result if x["id"] == seg["region_id"])
        rle = dict(region["rle"], counts=region["rle"]["counts"].encode())
        assert seg["area"] == int((ids == seg["id"]).sum()) == int(cocomask.area(rle))


def _jobs_finished(site: Any, pid: int, kind: str) -> bool:
    """Whether the project has a ``kind`` job and every one of them ended."""
    r = site.api("GET", f"/projects/{pid}/jobs")
    assert r.status_code == 200, r.text
    found = [j for j in r.json()["data"] if j["kind"] == kind]
    return bool(found) and all(j["state"] in ("done", "failed", "cancelled") for j in found)


def test_a_large_image_is_prepared_by_a_job_and_labelled(page, site):
    """An image over the inline limit (2048 x 2048 pixels): the pyramid request
    answers 202 at once, the tool says it is preparing the image over the
    preview, the worker builds the tiles, and a brush stroke is stored at the
    image's full size."""
    w, h = 2600, 2000
    rgb = np.full((h, w, 3), 180, np.uint8)
    rgb[800:1200, 1000:1800] = (40, 150, 60)
    folder = site.home / "media" / "masks"
    folder.mkdir(parents=True, exist_ok=True)
    pid = new_project(site, MASK, [{"image": "masks/large.jpg"}], ANNOTATOR)
    # the import queues the pyramids of its large images before anyone asks
    # (tests/work/test_media_pyramids.py); this test is about one asked for by
    # the tool, so the file arrives once that job has looked and found none
    wait_for(lambda: _jobs_finished(site, pid, "import_pyramids"), 60,
             "the import's pyramid job to finish")
    Image.fromarray(rgb).save(folder / "large.jpg", quality=90)
    login(page, ANNOTATOR)
    statuses = []
    page.on("response", lambda r: statuses.append(r.status) if r.url.endswith("/pyramid") else None)
    first = open_workspace(page, pid)
    ready(page)
    # the first answer is a 202 (the job was only queued by it), and it shows
    page.wait_for_selector(".mask-tool .spans-hint:has-text('Preparing the image')")
    assert statuses[0] == 202
    shot(page, "media-mask-preparing")
    # ready: the hint no longer says so and level-0 tiles can be drawn
    page.wait_for_selector(".mask-tool .spans-hint:not(:has-text('Preparing'))", timeout=120_000)
    assert statuses[-1] == 200
    box = page.locator(".mask-canvas").bounding_box()
    k = min(box["width"] / w, box["height"] / h)
    ox, oy = box["x"] + (box["width"] - w * k) / 2, box["y"] + (box["height"] - h * k) / 2
    page.keyboard.press("1")
    page.keyboard.press("b")
    page.mouse.move(ox + 1100 * k, oy + 1000 * k)
    page.mouse.down()
    page.mouse.move(ox + 1700 * k, oy + 1000 * k, steps=20)
    page.mouse.up()
    shot(page, "media-mask-large")
    submit_and_wait(page, first, "Control+Enter")
    [region] = annotations(site, pid)[0]["result"]["seg"]
    assert region["rle"]["size"] == [h, w]
    leaf = decode(region)
    assert leaf[1000, 1150] and leaf[1000, 1650] and not leaf[500, 500]
