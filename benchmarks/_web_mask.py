"""The mask tool in headless chromium (``bench_web.py --only mask``):

* brush strokes on a ``--mask-side`` square image (8000 by default; 20000 with
  ``--mask-side 20000``) opened as the server's tiled pyramid: the work of each
  frame (the pointer moves since the last frame stamped into the label map and
  the redraw of the view: pyramid tiles, mask tiles, cursor), as the tool
  measures it with ``performance.now()``, p50/p95/p99 over the frames of
  ``--strokes`` strokes with a brush ``--brush`` screen pixels wide at the
  fitted view, at that view and zoomed in 7.6x (the brush then 7.6x wider);
* the whole of each such frame: from its start to a task queued at its end,
  which runs once chromium has done the frame's style, layout, the canvas's
  drawing and the commit (what the tool measures as ``stats.render``);
* the intervals between animation frames during the strokes (headless chromium
  paces frames at 60 Hz, so 16.7 ms is the floor);
* the end of a stroke: encoding every layer to COCO RLE and the undo snapshot;
* the first open: the pyramid request's answer (202 while the server's
  ``pyramid`` job builds it), and the job built cold until the first tile is drawn;
* with ``--trace``, four more zoomed strokes under a Chromium trace, and the
  renderer main thread's time per animation frame in the trace's main events
  (the frame, the tool's callback, pointer moves, lifecycle, commit).

Chromium runs with ``--disable-gpu``: Canvas 2D is rasterised by Skia on the CPU.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
from _web_common import login, one_item_project

ONTOLOGY = {
    "name": "bench-mask",
    "controls": [{"name": "seg", "type": "mask", "source": "image", "labels": ["cell", "tissue"]}],
}

FRAMES = """() => {
  const el = document.querySelector(".mask-tool");
  const out = [el.maskStats.frames.slice(), el.maskStats.render.slice()];
  el.maskStats.frames.length = 0;
  el.maskStats.render.length = 0;
  return out;
}"""

START_INTERVALS = """() => {
  const out = (window.maskIntervals = []);
  let last = performance.now();
  const tick = (now) => {
    out.push(now - last);
    last = now;
    if (window.maskIntervals === out) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}"""

STOP_INTERVALS = (
    """() => { const out = window.maskIntervals; window.maskIntervals = null; return out; }"""
)


#: the renderer main thread's events summed per animation frame (``--trace``)
TRACED = (
    "ProxyMain::BeginMainFrame",  # Chromium's frame on the main thread, all of it
    "FireAnimationFrame",  # the tool's requestAnimationFrame callback
    "EventHandler::handleMouseMoveEvent",  # pointer moves
    "WebFrameWidgetImpl::UpdateLifecycle",  # style, layout, paint
    "ProxyMain::BeginMainFrame::commit",  # to the compositor
    "LayerTreeHost::DoUpdateLayers",  # in the commit: the canvas flushed
    "Canvas2DResourceProvider::ProduceCanvasResource",  # its bitmap handed over
)


def trace_per_frame(path: Path) -> dict[str, float]:
    """ms per animation frame of each :data:`TRACED` event on the renderer's
    main thread of the Chromium trace at ``path``."""
    loaded = json.loads(path.read_text())
    events = loaded["traceEvents"] if isinstance(loaded, dict) else loaded
    main = {
        (e["pid"], e["tid"])
        for e in events
        if e.get("ph") == "M" and e.get("name") == "thread_name"
        and e["args"].get("name") == "CrRendererMain"
    }  # fmt: skip
    total = dict.fromkeys(TRACED, 0.0)
    frames = 0
    for e in events:
        if e.get("ph") == "X" and (e["pid"], e["tid"]) in main and e["name"] in total:
            total[e["name"]] += e.get("dur", 0) / 1000
            frames += e["name"] == "FireAnimationFrame"
    return {"frames": frames, **{k: round(v / max(1, frames), 2) for k, v in total.items()}}


def big_image(path: Path, side: int) -> None:
    """A microscopy-like scene: blurred blobs on a textured background, as JPEG."""
    rng = np.random.default_rng(0)
    small = rng.integers(60, 200, (side // 64 + 1, side // 64 + 1, 3), dtype=np.uint8)
    rgb = cv2.resize(small, (side, side), interpolation=cv2.INTER_CUBIC)
    for _ in range(side // 40):
        x, y = (int(v) for v in rng.integers(0, side, 2))
        cv2.circle(rgb, (x, y), int(rng.integers(side // 400, side // 80)), (200, 60, 160), -1)
    cv2.imwrite(str(path), rgb, [cv2.IMWRITE_JPEG_QUALITY, 85])


def seed(url: str, home: Path, side: int, annotator: str) -> int:
    media = home / "media" / "bench-mask"
    media.mkdir(parents=True, exist_ok=True)
    path = media / f"scan-{side}.jpg"
    big_image(path, side)
    data = {"image": str(path), "width": side, "height": side}
    return one_item_project(url, home, "bench-mask", ONTOLOGY, annotator, data, [str(path)])


def _strokes(page, box, n: int, steps: int, rng) -> list[float]:  # type: ignore[no-untyped-def]
    """``n`` strokes of ``steps`` pointer moves each; the time of each pointer-up."""
    ends = []
    for _ in range(n):
        x0 = box["x"] + box["width"] * rng.uniform(0.2, 0.5)
        y0 = box["y"] + box["height"] * rng.uniform(0.2, 0.8)
        page.mouse.move(x0, y0)
        page.mouse.down()
        page.mouse.move(
            x0 + box["width"] * 0.3, y0 + box["height"] * rng.uniform(-0.1, 0.1), steps=steps
        )
        t0 = time.perf_counter()
        page.mouse.up()
        ends.append((time.perf_counter() - t0) * 1000)
    return ends


def run(args: argparse.Namespace, results: dict[str, object]) -> None:
    """Brush frame figures into ``results``."""
    from _core import Server
    from bench_web import ARGS, CHROMIUM, stats_ms
    from playwright.sync_api import sync_playwright

    annotator = "ann1@demo.labelwell"
    side = args.mask_side
    with tempfile.TemporaryDirectory(prefix="lw-bench-mask-") as tmp:
        home = Path(tmp)
        url = f"sqlite:///{home / 'labelwell.db'}"
        pid = seed(url, home, side, annotator)
        os.environ["LABELWELL_HOME"] = str(home)
        with Server(url, workers=1) as server, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(base_url=server.url, viewport={"width": 1280, "height": 860})
            page.set_default_timeout(600_000)
            login(page, annotator)
            t0 = time.perf_counter()
            answered: list[float] = []
            page.on(
                "response",
                lambda r: (
                    answered.append(time.perf_counter() - t0)
                    if r.url.endswith("/pyramid") and not answered
                    else None
                ),
            )
            with page.expect_response(lambda r: "/tiles/" in r.url):
                page.goto(f"/projects/{pid}/label")
            page.wait_for_selector(".mask-canvas")
            results[f"mask: first open, {side}x{side} (pyramid built cold by the job)"] = {
                "s": round(time.perf_counter() - t0, 2)
            }
            results[f"mask: first open, {side}x{side}, the pyramid request answered"] = {
                "s": round(answered[0], 3)
            }
            canvas = page.locator(".mask-canvas")
            box = canvas.bounding_box()
            page.mouse.click(box["x"] + 2, box["y"] + 2, button="right")
            # a brush about --brush screen pixels wide at the fitted view (radius in
            # image pixels starts at 12 and grows by 1.25 a key)
            k = min(box["width"], box["height"]) / side
            for _ in range(max(0, round(math.log(args.brush / 2 / k / 12) / math.log(1.25)))):
                page.keyboard.press("]")
            rng = np.random.default_rng(2)
            page.evaluate(FRAMES)
            page.evaluate(START_INTERVALS)
            ends = _strokes(page, box, args.strokes, 60, rng)
            intervals = page.evaluate(STOP_INTERVALS)
            work, whole = page.evaluate(FRAMES)
            results[f"mask: brush frame work, {side}x{side}, fitted"] = stats_ms(work)
            results[f"mask: brush frame to after its paint, {side}x{side}, fitted"] = stats_ms(
                whole
            )
            results[f"mask: animation frame interval while brushing, {side}x{side}"] = stats_ms(
                intervals
            )
            results[f"mask: end of stroke (RLE + undo snapshot), {side}x{side}"] = stats_ms(ends)
            for _ in range(5):
                page.keyboard.press("+")  # 1.5^5 = 7.6x
            page.evaluate(FRAMES)
            _strokes(page, box, args.strokes, 60, rng)
            work, whole = page.evaluate(FRAMES)
            results[f"mask: brush frame work, {side}x{side}, zoomed 7.6x"] = stats_ms(work)
            results[f"mask: brush frame to after its paint, {side}x{side}, zoomed 7.6x"] = stats_ms(
                whole
            )
            if args.trace:
                trace = home / "trace.json"
                categories = ["devtools.timeline", "toplevel", "cc", "blink"]
                browser.start_tracing(page=page, path=str(trace), categories=categories)
                _strokes(page, box, 4, 60, rng)
                browser.stop_tracing()
                results[f"mask: zoomed 7.6x, main thread ms per frame (trace), {side}x{side}"] = (
                    trace_per_frame(trace)
                )
            browser.close()
