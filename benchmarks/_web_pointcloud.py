"""The point-cloud tool in headless chromium (``bench_web.py --only pointcloud``):

* loading a ``--points`` frame (500,000 by default; binary PCD the bench writes):
  from opening the workspace to the points drawn (the server parses and caches
  the file once; the figure is the first, uncached load);
* orbiting the 3D view: the camera turned a little every animation frame for
  ``--orbit-frames`` frames, each turn announced to the tool as a drag's
  ``change`` is, the tool drawing on demand; the figures are the intervals
  between animation frames (what the annotator sees) with the tool's own level
  of detail (its random sample while the camera moves) and with every point
  forced, the time to draw one frame to the end (``render`` then a one-pixel
  ``readPixels``, which waits for the GL) of each, and the time from the last
  turn of a short orbit to every point drawn again (the camera still for the
  tool's settle time, then one full draw). The renderer (WebGL's unmasked
  renderer string) is reported: in a headless chromium without a GPU it is
  SwiftShader, software GL on the CPU.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from _web_common import login, one_item_project

from labelwell.media import pointcloud

ONTOLOGY = {
    "name": "bench-lidar",
    "controls": [{"name": "cuboids", "type": "cuboid", "labels": ["car", "pedestrian"]}],
}

ORBIT = """async ([frames, settles]) => {
  const tool = await window.lw.state.panels.tools[0].ready;
  const { perspective, orbit, renderer, drawMain } = tool.view;
  const main = document.querySelector(".pointcloud-tool [data-view=main]");
  const gl = renderer.getContext();
  const info = gl.getExtension("WEBGL_debug_renderer_info");
  const name = info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER);
  const target = orbit.target.clone();
  const radius = perspective.position.distanceTo(target);
  // the tool before render on demand (for before/after runs) had moving(on):
  // the coarse cloud from a drag's start to its end
  const older = !tool.view.detail;
  const detail = (on) => (older ? tool.view.moving(on ?? true) : tool.view.detail(on));
  let k = 0;
  const turn = () => {
    const a = (k / frames) * Math.PI * 2;
    k += 1;
    const r = radius * 0.8;
    perspective.position.set(target.x + r * Math.cos(a), target.y + r * Math.sin(a),
      target.z + radius * 0.6);
    perspective.lookAt(target);
  };
  // draw time: render and read a pixel back (which waits for the GL to finish)
  const pixel = new Uint8Array(4);
  const finish = () => gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, pixel);
  const drawAll = (sample) => {
    detail(sample);
    const out = [];
    for (let i = 0; i < frames; i += 1) {
      turn();
      const t0 = performance.now();
      drawMain();
      finish();
      out.push(performance.now() - t0);
    }
    return out;
  };
  const full = drawAll(false);
  const drawSample = tool.view.sample || 125000;
  const draw = drawAll(true);
  // frame intervals: each animation frame turns the camera and tells the
  // controls' listeners, as a drag does; the tool draws on demand (with the
  // detail it picks itself unless forced)
  let sizes = []; // the sample's size at each frame (the tool adapts it to the frame time)
  const orbitFrames = (sample, n) => new Promise((resolve) => {
    detail(sample);
    const out = [];
    sizes = [];
    let last = null, i = 0;
    const step = (now) => {
      if (last !== null) { out.push(now - last); sizes.push(tool.view.sample || 125000); }
      last = now;
      turn(); orbit.dispatchEvent({ type: "change" });
      i += 1;
      if (i <= n) requestAnimationFrame(step); else resolve(out);
    };
    requestAnimationFrame(step);
  });
  const intervalsFull = await orbitFrames(false, frames);
  const intervals = await orbitFrames(null, frames);
  const orbitSizes = sizes;
  const moving = main.dataset.detail || "coarse";
  // settling: from the last turn to every point drawn (and the GL done)
  const settle = [];
  for (let i = 0; i < (older ? 0 : settles); i += 1) {
    await orbitFrames(null, 5);
    const t0 = performance.now();
    await new Promise((resolve) => {
      const look = () => (main.dataset.detail === "all" ? resolve() : requestAnimationFrame(look));
      requestAnimationFrame(look);
    });
    finish();
    settle.push(performance.now() - t0);
  }
  const size = [renderer.domElement.width, renderer.domElement.height];
  return { full, draw, intervalsFull, intervals, settle, moving, renderer: name, size,
           drawSample, orbitSizes, settleMs: tool.view.settle };
}"""


def seed(url: str, home: Path, n_points: int, annotator: str) -> int:
    media = home / "media" / "bench-lidar"
    media.mkdir(parents=True, exist_ok=True)
    boxes = [pointcloud.SceneBox("car", (5.0 + 8 * i, 3.0 - 5 * i, -0.95), (4.2, 1.8, 1.5), 0.3 * i)
             for i in range(6)]  # fmt: skip
    per_box = 2000
    scene = pointcloud.synthetic_scene(
        boxes, n_ground=n_points - per_box * len(boxes), per_box=per_box, extent=60.0
    )
    scan = media / "scan-500k.pcd"
    scan.write_bytes(pointcloud.write_pcd(scene))
    return one_item_project(url, home, "bench-lidar", ONTOLOGY, annotator,
                            {"pointcloud": str(scan)}, [str(scan)])


def run(args: argparse.Namespace, results: dict[str, object]) -> None:
    """Load and orbit figures into ``results``."""
    from _core import Server
    from bench_web import ARGS, CHROMIUM, stats_ms
    from playwright.sync_api import sync_playwright

    annotator = "ann1@demo.labelwell"
    with tempfile.TemporaryDirectory(prefix="lw-bench-lidar-") as tmp:
        home = Path(tmp)
        url = f"sqlite:///{home / 'labelwell.db'}"
        pid = seed(url, home, args.points, annotator)
        os.environ["LABELWELL_HOME"] = str(home)
        with Server(url, workers=1) as server, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(base_url=server.url, viewport={"width": 1280, "height": 900})
            login(page, annotator)
            t0 = time.perf_counter()
            page.goto(f"/projects/{pid}/label")
            page.wait_for_selector(".pointcloud-tool[data-ready='true']", timeout=300_000)
            load_s = time.perf_counter() - t0
            shown = int(page.get_attribute(".pointcloud-tool", "data-points") or 0)
            out = page.evaluate(ORBIT, [args.orbit_frames, 10])
            browser.close()
    results["pointcloud: open a frame (s)"] = {"points": shown, "seconds": round(load_s, 2)}
    sizes = sorted(min(shown, k) for k in out["orbitSizes"])
    results["pointcloud: draw one frame, all points"] = {
        **stats_ms(out["full"]),
        "points": shown,
        "canvas": out["size"],
        "renderer": out["renderer"],
    }
    results["pointcloud: draw one frame while orbiting"] = {
        **stats_ms(out["draw"]),
        "points drawn": min(shown, out["drawSample"]),
    }
    results["pointcloud: orbit frame interval, all points"] = {
        **stats_ms(out["intervalsFull"]),
        "points": shown,
    }
    results["pointcloud: orbit frame interval while orbiting"] = {
        **stats_ms(out["intervals"]),
        "points drawn (min/median/max)": f"{sizes[0]}/{sizes[len(sizes) // 2]}/{sizes[-1]}",
        "detail drawn": out["moving"],
    }
    if out["settle"]:
        results["pointcloud: last turn to all points drawn"] = {
            **stats_ms(out["settle"]),
            "still for (ms)": out["settleMs"],
        }
