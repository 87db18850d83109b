"""The point-cloud tool in chromium: cuboids from suggestions (ground removal and
clustering) and drawn with the mouse in the top view, then turned, resized and
moved by key and in the side view; a sequence with two keyframes and the boxes
interpolated between them. The stored cuboids are read back through the API."""

from __future__ import annotations

import json
import math
from typing import Any

from web.fresh import annotations, new_project
from web.helpers import SHOTS, login, open_workspace, shot, submit_and_wait

TOOL = ".pointcloud-tool"
ONTOLOGY = {
    "name": "lidar-seq",
    "controls": [
        {
            "name": "cuboids",
            "type": "cuboid",
            "source": "pointcloud",
            "labels": ["car", "pedestrian"],
        }
    ],
}


READ_ONLY = """async (value) => {
  const { resultView } = await import("/static/js/render.js");
  const controls = [{ name: "cuboids", type: "cuboid", labels: ["car", "pedestrian"] }];
  const view = resultView(controls, { cuboids: value }, {});
  const rows = [...view.querySelectorAll("tr[data-cuboid]")];
  return rows.map((tr) => [...tr.cells].map((td) => td.textContent));
}"""


def ready(page: Any) -> None:
    page.wait_for_selector(f"{TOOL}[data-ready='true']", timeout=60_000)


def view_xy(page: Any, view: str, x: float, y: float, z: float = 0.0) -> tuple[float, float]:
    """The screen position of world (x, y[, z]) in a box view (its frame is on the element)."""
    el = page.locator(f"{TOOL} [data-view={view}]")
    frame = json.loads(el.get_attribute("data-frame"))
    box = el.bounding_box()
    (cx, cy, cz), yaw = frame["center"], frame["yaw"]
    dx, dy = x - cx, y - cy
    lx, ly = dx * math.cos(yaw) + dy * math.sin(yaw), -dx * math.sin(yaw) + dy * math.cos(yaw)
    u, v = {"top": (-ly, lx), "side": (lx, z - cz), "front": (ly, z - cz)}[view]
    sx = box["x"] + (u - frame["left"]) / (frame["right"] - frame["left"]) * box["width"]
    sy = box["y"] + (frame["top"] - v) / (frame["top"] - frame["bottom"]) * box["height"]
    return sx, sy


def drag(page: Any, a: tuple[float, float], b: tuple[float, float]) -> None:
    page.mouse.move(*a)
    page.mouse.down()
    page.mouse.move(*b, steps=5)
    page.mouse.up()


def test_cuboids_from_suggestions_mouse_and_keys(page, site):
    login(page, "ann1@demo.labelwell")
    first = open_workspace(page, site.seeded.ids["demo-pointcloud"])
    ready(page)
    assert int(page.get_attribute(TOOL, "data-points")) > 20_000
    # Machine help: the first suggestion (the car at x -8, y 3) taken as a car.
    page.keyboard.press("m")
    page.wait_for_selector(f"{TOOL}[data-suggestions]:not([data-suggestions='0'])", timeout=60_000)
    page.keyboard.press("y")
    page.wait_for_selector(f"{TOOL}[data-boxes='1']")
    page.keyboard.press("Escape")  # nothing selected: the top view shows the whole frame
    # The pedestrian at (2, -7), drawn in the top view with label 2.
    page.keyboard.press("2")
    page.mouse.move(*view_xy(page, "top", 2.0, -7.0))
    for _ in range(8):  # zoom in about the pedestrian
        page.mouse.wheel(0, -100)
    drag(page, view_xy(page, "top", 1.6, -7.4), view_xy(page, "top", 2.4, -6.6))
    page.wait_for_selector(f"{TOOL}[data-boxes='2']")
    page.keyboard.press("Shift+q")  # turn 10 degrees
    page.keyboard.press("x")  # 0.1 m longer
    shot(page, "media-pointcloud")
    page.keyboard.press("Shift+ArrowUp")  # 1 m forward (along its heading)
    page.keyboard.press("ArrowDown")  # 0.1 m back
    submit_and_wait(page, first)
    stored = [a for a in site.annotations("demo-pointcloud") if a["result"].get("cuboids")]
    boxes = {b["label"]: b for b in stored[-1]["result"]["cuboids"]}
    car, person = boxes["car"], boxes["pedestrian"]
    assert abs(car["center"][0] + 8) < 0.3 and abs(car["center"][1] - 3) < 0.3
    assert abs(car["dimensions"][0] - 4.2) < 0.3 and abs(car["dimensions"][1] - 1.8) < 0.3
    assert abs(math.sin(car["rotation"][0])) < 0.1 and car["num_points"] > 50
    yaw = math.radians(10)
    assert abs(person["rotation"][0] - yaw) < 1e-3
    assert abs(person["center"][0] - (2 + 0.9 * math.cos(yaw))) < 0.2
    assert abs(person["center"][1] - (-7 + 0.9 * math.sin(yaw))) < 0.2
    assert abs(person["dimensions"][0] - 0.9) < 0.15 and abs(person["dimensions"][1] - 0.8) < 0.15
    assert 1.4 < person["dimensions"][2] < 2.0


def test_a_sequence_with_keyframes_and_interpolation(page, site):
    media = site.home / "media" / "demo-pointcloud"
    scans = [str(media / f"scan-{f:02d}.pcd") for f in range(4)]
    pid = new_project(site, ONTOLOGY, [{"pointcloud": scans}], "ann2@demo.labelwell")
    login(page, "ann2@demo.labelwell")
    first = open_workspace(page, pid)
    ready(page)
    # Frame 0: the car at (-8, 3), 4.2 x 1.8 m.
    drag(page, view_xy(page, "top", -10.1, 2.1), view_xy(page, "top", -5.9, 3.9))
    page.wait_for_selector(f"{TOOL}[data-boxes='1']")
    box0 = page.locator(f"{TOOL} .region-list li[data-track='1']")
    assert box0.count() == 1
    # Side view: drag the front face 0.2 m further forward.
    drag(page, view_xy(page, "side", -5.9, 3.0, -0.9), view_xy(page, "side", -5.7, 3.0, -0.9))
    for _ in range(3):
        page.keyboard.press(".")
    page.wait_for_selector(f"{TOOL} .pc-frame[data-frame='3']")
    ready(page)
    page.keyboard.press("k")  # a keyframe of the car's track here, then move it 4.5 m on
    for _ in range(4):
        page.keyboard.press("Shift+ArrowUp")
    for _ in range(5):
        page.keyboard.press("ArrowUp")
    page.wait_for_selector(f"{TOOL}[data-boxes='4']")  # two keyframes, two in between
    submit_and_wait(page, first)
    result = annotations(site, pid)[-1]["result"]["cuboids"]
    by_frame = {b["frame"]: b for b in result}
    assert sorted(by_frame) == [0, 1, 2, 3]
    assert {b["tracking_id"] for b in result} == {1}
    assert [bool(by_frame[f].get("interpolated")) for f in range(4)] == [False, True, True, False]
    x0, x3 = by_frame[0]["center"][0], by_frame[3]["center"][0]
    assert abs(by_frame[0]["dimensions"][0] - 4.4) < 0.15  # 4.2 drawn, 0.2 dragged
    assert abs(x3 - x0 - 4.5) < 1e-6
    for f in (1, 2):
        assert abs(by_frame[f]["center"][0] - (x0 + (x3 - x0) * f / 3)) < 2e-3
    # The read-only view (review history, escalations) lists the two keyframes
    # (cuboid, frame, ...), not the boxes interpolated between them.
    rows = page.evaluate(READ_ONLY, result)
    assert [(r[0].strip().endswith("#1"), r[1]) for r in rows] == [(True, "0"), (True, "3")]


SAMPLE = """async ([n, m]) => {
  const { sampleFirst } = await import("/static/js/tools/pointcloud.js");
  const buf = new Float32Array(n * 4);
  for (let i = 0; i < n; i += 1) buf.set([i, 2 * i, 3 * i, 0.5], i * 4);
  sampleFirst(buf, n, m);
  const xs = Array.from({ length: n }, (_, i) => buf[i * 4]);
  const rowsKept = xs.every((x, i) => buf[i * 4 + 1] === 2 * x && buf[i * 4 + 2] === 3 * x);
  return { xs, rowsKept };
}"""

ORBIT = """async (turns) => {
  const tool = await window.lw.state.panels.tools[0].ready;
  const main = document.querySelector(".pointcloud-tool [data-view=main]");
  const { perspective, orbit } = tool.view;
  const seen = []; // in order: ["change", time] and [detail drawn, time]
  const watch = new MutationObserver(() => seen.push([main.dataset.detail, performance.now()]));
  watch.observe(main, { attributes: true, attributeFilter: ["data-detail"] });
  const frame = () => new Promise((resolve) => requestAnimationFrame(resolve));
  for (let i = 0; i < turns; i += 1) {  // a drag: the camera turns a little each frame
    perspective.position.applyAxisAngle(perspective.up, 0.02);
    perspective.lookAt(orbit.target);
    seen.push(["change", performance.now()]);
    orbit.dispatchEvent({ type: "change" });
    await frame();
  }
  while (main.dataset.detail !== "all") await new Promise((resolve) => setTimeout(resolve, 10));
  watch.disconnect();
  return { seen, sample: tool.view.sample, settle: tool.view.settle };
}"""


BUDGET = """async () => {
  const { nextBudget } = await import("/static/js/tools/pointcloud.js");
  return [nextBudget(30000, 100), nextBudget(30000, 25), nextBudget(30000, 16.7),
          nextBudget(5000, 400), nextBudget(240000, 5)];
}"""


DETAIL = """async (sample) => {
  const tool = await window.lw.state.panels.tools[0].ready;
  tool.view.detail(sample);
  tool.view.drawMain();
}"""


def test_orbiting_draws_a_sample_then_every_point(page, site):
    """Level of detail: while the 3D view turns, a random sample of the points is
    drawn; once the camera is still, all of them."""
    from labelwell.media.pointcloud import SceneBox, synthetic_scene, write_pcd

    scan = site.home / "media" / "lod-pointcloud" / "scan-150k.pcd"
    scan.parent.mkdir(parents=True, exist_ok=True)
    car = SceneBox("car", (-8.0, 3.0, -0.95), (4.2, 1.8, 1.5), 0.0)
    scan.write_bytes(write_pcd(synthetic_scene([car], n_ground=150_000, extent=40.0)))
    pid = new_project(site, {**ONTOLOGY, "name": "lidar-lod"}, [{"pointcloud": str(scan)}],
                      "ann3@demo.labelwell")  # fmt: skip
    login(page, "ann3@demo.labelwell")
    open_workspace(page, pid)
    ready(page)
    assert int(page.get_attribute(TOOL, "data-points")) == 150_600
    # The sample is the first m points after a partial shuffle: every row kept
    # whole, all the points still there, and the first m spread over the frame.
    n, m = 20_000, 2_000
    shuffled = page.evaluate(SAMPLE, [n, m])
    assert shuffled["rowsKept"] and sorted(shuffled["xs"]) == list(range(n))
    first = shuffled["xs"][:m]
    assert abs(sum(first) / m - (n - 1) / 2) < 0.05 * n  # not the first rows of the buffer
    assert max(first) > 0.95 * n and min(first) < 0.05 * n
    # The moving sample follows the frame time: halved at most after a slow
    # frame, a tenth more after a fast one, within its bounds.
    slow, over, fast, least, most = page.evaluate(BUDGET)
    assert (slow, over, fast, least, most) == (15_000, 24_000, 33_000, 4_000, 250_000)
    turned = page.evaluate(ORBIT, 20)
    assert turned["sample"] < 150_600
    details = [d for d, _ in turned["seen"] if d != "change"]
    assert "sample" in details and details[-1] == "all"
    last = None
    for what, at in turned["seen"]:  # all points only once the camera was still
        if what == "change":
            last = at
        elif what == "all":
            assert last is not None and at - last >= turned["settle"] - 5
    # What the annotator sees of the frame while turning it and once still.
    main = page.locator(f"{TOOL} [data-view=main]")
    for detail, name in ((True, "sample"), (False, "all")):
        page.evaluate(DETAIL, detail)
        main.screenshot(path=str(SHOTS / f"media-pointcloud-{name}.png"))
    page.evaluate(DETAIL, None)
    # Boxes still drawn and picked in the 3D view once it settled.
    page.keyboard.press("m")
    page.wait_for_selector(f"{TOOL}[data-suggestions]:not([data-suggestions='0'])", timeout=60_000)
