"""Image regions (boxes, polygons, keypoints) made the way a new annotator
makes them: press the label's key, then draw. A label key only picks the
label of the next region; the region just drawn keeps its own. Relabelling a
region is its own named action (R, or the Relabel button, then the label)."""

from __future__ import annotations

from collections.abc import Callable
from itertools import count
from typing import Any

from web.helpers import login, open_workspace, shot, submit_and_wait

_names = count(1)
W, H = 400, 300
PERSON = {"name": "person", "skeleton": {"keypoints": ["head", "hand"], "edges": [[0, 1]]}}
DOG = {"name": "dog", "skeleton": {"keypoints": ["nose", "tail"], "edges": [[0, 1]]}}


def image_project(site: Any, kind: str, labels: list[Any], annotator: str) -> int:
    """A new project with one ``kind`` control over the seeded 400 x 300 image
    and ``annotator`` as its only annotator; returns its id."""
    name = f"image-{kind}-{next(_names)}-{annotator.split('@')[0]}"
    control = {"name": "regions", "type": kind, "source": "image", "labels": labels}
    r = site.api(
        "POST",
        "/projects",
        json={"name": name, "ontology": {"name": name, "controls": [control]}, "gold_ratio": 0.0},
    )
    r.raise_for_status()
    pid = int(r.json()["id"])
    uid = site.seeded.users[annotator]
    site.api("PUT", f"/projects/{pid}/members/{uid}", json={"role": "annotator"}).raise_for_status()
    image = str(site.home / "media" / "shapes" / "field.png")  # written by the seed
    row = {"data": {"image": image, "width": W, "height": H}, "media": [image]}
    site.api("POST", f"/projects/{pid}/items", json={"items": [row]}).raise_for_status()
    return pid


def mapper(page: Any) -> Callable[[float, float], tuple[float, float]]:
    """Image pixels to page coordinates (the SVG keeps the image's aspect ratio)."""
    page.wait_for_selector(".image-canvas[viewBox]")
    box = page.locator(".image-canvas").bounding_box()
    scale = min(box["width"] / W, box["height"] / H)
    ox = box["x"] + (box["width"] - W * scale) / 2
    oy = box["y"] + (box["height"] - H * scale) / 2
    return lambda x, y: (ox + x * scale, oy + y * scale)


def draw_box(page: Any, at: Callable, x0: float, y0: float, x1: float, y1: float) -> None:
    page.mouse.move(*at(x0, y0))
    page.mouse.down()
    page.mouse.move(*at(x1, y1), steps=4)
    page.mouse.up()


def draw_polygon(page: Any, at: Callable, x: float, y: float) -> None:
    for dx, dy in ((0, 0), (60, 0), (60, 50), (0, 50)):
        page.mouse.click(*at(x + dx, y + dy))
    page.keyboard.press("Enter")  # closes the polygon


def stored(site: Any, pid: int) -> list[dict[str, Any]]:
    r = site.api("GET", f"/projects/{pid}/annotations")
    r.raise_for_status()
    return [region for a in r.json()["data"] for region in a["result"].get("regions", [])]


def selected_label(page: Any) -> str | None:
    row = page.locator(".region-list li.selected .chip")
    return row.text_content() if row.count() else None


def test_label_key_before_each_box_never_relabels_the_box_just_made(page, site):
    pid = image_project(site, "bbox", ["car", "person", "tree"], "ann1@demo.labelwell")
    login(page, "ann1@demo.labelwell")
    first = open_workspace(page, pid)
    at = mapper(page)
    for key, x in (("1", 20), ("2", 140), ("1", 260)):
        page.keyboard.press(key)  # the label of the box about to be drawn
        draw_box(page, at, x, 40, x + 80, 120)
    assert page.locator(".image-canvas .region").count() == 3
    submit_and_wait(page, first)
    boxes = sorted(stored(site, pid), key=lambda b: b["x"])
    assert [b["label"] for b in boxes] == ["car", "person", "car"]


def test_label_key_before_each_polygon_never_relabels_the_polygon_just_made(page, site):
    pid = image_project(site, "polygon", ["field", "road"], "ann2@demo.labelwell")
    login(page, "ann2@demo.labelwell")
    first = open_workspace(page, pid)
    at = mapper(page)
    for key, x in (("1", 20), ("2", 140), ("1", 260)):
        page.keyboard.press(key)
        draw_polygon(page, at, x, 60)
    assert page.locator(".image-canvas .region").count() == 3
    submit_and_wait(page, first)
    shapes = sorted(stored(site, pid), key=lambda p: p["points"][0][0])
    assert [p["label"] for p in shapes] == ["field", "road", "field"]


def test_label_key_before_each_skeleton_never_relabels_the_one_just_placed(page, site):
    pid = image_project(site, "keypoints", [PERSON, DOG], "ann3@demo.labelwell")
    login(page, "ann3@demo.labelwell")
    first = open_workspace(page, pid)
    at = mapper(page)
    for key, x in (("1", 40), ("2", 160), ("1", 280)):
        page.keyboard.press(key)
        page.mouse.click(*at(x, 60))  # head / nose
        page.mouse.click(*at(x + 30, 200))  # hand / tail: the skeleton is complete
    # R on a skeleton whose keypoints the other label lacks is refused, and says why.
    page.keyboard.press("ArrowRight")  # the first one: a person
    assert selected_label(page) == "person"
    page.keyboard.press("r")
    page.keyboard.press("2")
    assert selected_label(page) == "person"
    assert "dog" in page.inner_text(".image-tool .spans-hint")
    submit_and_wait(page, first)
    poses = sorted(stored(site, pid), key=lambda p: min(v[0] for v in p["points"].values()))
    assert [p["label"] for p in poses] == ["person", "dog", "person"]
    assert [sorted(p["points"]) for p in poses] == [
        ["hand", "head"],
        ["nose", "tail"],
        ["hand", "head"],
    ]


def test_relabel_a_box_is_an_explicit_named_action(page, site):
    pid = image_project(site, "bbox", ["car", "person", "tree"], "ann1@demo.labelwell")
    login(page, "ann1@demo.labelwell")
    first = open_workspace(page, pid)
    at = mapper(page)
    page.keyboard.press("1")
    draw_box(page, at, 20, 40, 100, 120)  # A: car
    draw_box(page, at, 140, 40, 220, 120)  # B: car, and selected
    # With a box selected, a number key still only picks the next label.
    page.keyboard.press("2")
    assert selected_label(page) == "car"
    # Relabel with the keyboard: select A (arrows), R, then its label's key.
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("r")
    assert "car" in page.inner_text(".image-tool .spans-hint")
    shot(page, "workspace-boxes-relabel")
    page.keyboard.press("2")
    assert selected_label(page) == "person"
    # The relabel is done: the next key picks a label and touches no box.
    page.keyboard.press("3")
    assert selected_label(page) == "person"
    # Relabel with the mouse: click B, the Relabel button, then a label.
    page.mouse.click(*at(180, 80))
    assert selected_label(page) == "car"
    page.click(".image-tool button.relabel")
    page.click(".image-tool .label-palette button[data-label=tree]")
    assert selected_label(page) == "tree"
    # Escape steps back: first the relabel, then the selection.
    page.mouse.click(*at(60, 80))  # A
    page.keyboard.press("r")
    page.keyboard.press("Escape")
    assert selected_label(page) == "person"  # still selected, relabel cancelled
    page.keyboard.press("1")  # only picks the label
    assert selected_label(page) == "person"
    page.keyboard.press("Escape")
    assert selected_label(page) is None
    assert page.locator(".image-tool button.relabel").is_disabled()
    draw_box(page, at, 260, 40, 340, 120)  # C: car, the label picked last
    submit_and_wait(page, first)
    boxes = sorted(stored(site, pid), key=lambda b: b["x"])
    assert [b["label"] for b in boxes] == ["person", "tree", "car"]


def test_escape_steps_back_through_a_polygon_being_drawn(page, site):
    pid = image_project(site, "polygon", ["field", "road"], "ann2@demo.labelwell")
    login(page, "ann2@demo.labelwell")
    first = open_workspace(page, pid)
    at = mapper(page)
    draw_polygon(page, at, 20, 60)  # field, selected
    page.keyboard.press("r")
    page.keyboard.press("Escape")  # cancels the relabel only
    assert selected_label(page) == "field"
    page.keyboard.press("Escape")  # deselects
    assert selected_label(page) is None
    for x, y in ((200, 60), (260, 60)):
        page.mouse.click(*at(x, y))  # a polygon half drawn...
    page.keyboard.press("Escape")  # ... dropped
    page.keyboard.press("Enter")  # submits: nothing is being drawn
    page.wait_for_selector(f"body[data-ready]:not([data-ready='{first}'])", state="attached")
    assert [p["label"] for p in stored(site, pid)] == ["field"]


def test_shortcuts_overlay_names_image_relabel_in_english_and_korean(page, site):
    pid = image_project(site, "bbox", ["car", "person", "tree"], "ann2@demo.labelwell")
    login(page, "ann2@demo.labelwell")
    open_workspace(page, pid)
    at = mapper(page)
    page.keyboard.press("2")
    draw_box(page, at, 40, 40, 160, 140)
    page.keyboard.press("1")
    page.keyboard.press("?")
    keys = page.inner_text("#help-dialog")
    assert "R" in page.locator("#help-dialog kbd").all_inner_texts()
    assert "a region already drawn keeps its label" in keys
    assert "relabel the selected box, polygon or skeleton" in keys
    assert "select text" not in keys  # no NER lines on an image project
    shot(page, "workspace-boxes-help")
    page.click("#help-close")
    page.goto("/projects")
    page.select_option("#lang-select", "ko")
    page.click("form[action='/lang'] button")
    page.wait_for_selector("text=내 프로젝트")
    open_workspace(page, pid)
    page.keyboard.press("?")
    keys = page.inner_text("#help-dialog")
    assert "선택한 상자·다각형·스켈레톤의 라벨 바꾸기" in keys
    assert "이미 그린 영역의 라벨은 바뀌지 않습니다" in keys
