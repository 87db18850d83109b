"""The video tool in headless chromium (``bench_web.py --only video``):

* seek to a frame: from setting the frame number to the frame decoded on the
  page (HTTP request, the server's answer, the browser's JPEG decode), over
  random frames of a 1080p H.264 video the bench encodes (``--video-frames``
  frames at 30 fps, a keyframe every ``--gop`` frames): first 20 right after
  opening (the server seeks and decodes each with PyAV while it extracts the
  frames in the background), then ``--seeks`` once the extraction is done (the
  time it took is reported too). Each seek's wait for its HTTP answer and the
  server's time to the first byte (Resource Timing) are reported as medians;
  the seeks whose frame the page had not asked for before (no prefetch, no
  earlier seek) are reported on their own;
* stepping to the next frame (``.``) back to back, and at an annotator's pace
  (a step every 150 ms, the page prefetching the frames ahead meanwhile);
* interpolation of a 10,000-frame track (a keyframe every 10 frames) by the
  browser's ``video_tracks.js``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import av
import cv2
import numpy as np
from _web_common import login, one_item_project

ONTOLOGY = {
    "name": "bench-video",
    "controls": [{"name": "tracks", "type": "video_track", "source": "video", "labels": ["thing"]}],
}

SEEK = """async ([targets, pause]) => {
  const stage = document.querySelector("[data-control=tracks] .video-stage");
  const input = document.querySelector("[data-control=tracks] .video-number");
  const img = stage.querySelector("img.video-frame");
  performance.setResourceTimingBufferSize(100000);
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const out = [];
  for (const n of targets) {
    if (pause) await sleep(pause);
    const t0 = performance.now();
    const shown = new Promise((resolve) => {
      const watch = new MutationObserver(() => {
        if (stage.dataset.frame === String(n)) { watch.disconnect(); resolve(); }
      });
      watch.observe(stage, { attributes: true, attributeFilter: ["data-frame"] });
    });
    input.value = String(n);
    input.dispatchEvent(new Event("change"));
    await shown;
    await img.decode().catch(() => {});
    const total = performance.now() - t0;
    // the frame's request: how long of the seek was spent waiting for the
    // server's answer (0 when a prefetch had already brought it)
    const entry = performance.getEntriesByType("resource")
      .filter((e) => e.name.endsWith(`/frames/${n}`)).pop();
    const waited = entry ? Math.max(0, entry.responseEnd - Math.max(t0, entry.startTime)) : 0;
    const server = entry && entry.startTime >= t0 ? entry.responseStart - entry.requestStart : null;
    out.push({ total, waited, server });
  }
  return out;
}"""

INTERPOLATE = """async ([frames, every, runs]) => {
  const m = await import("/static/js/tools/video_tracks.js");
  const keyframes = [];
  for (let f = 0; f < frames; f += every) {
    keyframes.push({ frame: f, x: f % 500, y: 100 + (f % 37), width: 50 + (f % 7), height: 60,
                     ...(f % 1000 === 500 ? { outside: true } : {}) });
  }
  const times = [];
  for (let r = 0; r < runs; r += 1) {
    const t0 = performance.now();
    m.interpolate(keyframes, frames);
    times.push(performance.now() - t0);
  }
  return times;
}"""


def encode_video(path: Path, frames: int, gop: int, size: tuple[int, int] = (1920, 1080)) -> None:
    """A 1080p clip a camera might take: a textured background panning slowly,
    a dozen objects moving across it and a little sensor noise (about the bitrate
    of a phone's 1080p video, not a worst case of pure noise)."""
    width, height = size
    rng = np.random.default_rng(0)
    coarse = rng.integers(0, 255, (height // 16, width // 8, 3), dtype=np.uint8)
    background = cv2.GaussianBlur(
        cv2.resize(coarse, (width * 2, height), interpolation=cv2.INTER_CUBIC), (0, 0), 3
    )
    objects = rng.uniform([0, 0, 40, 40, -12, -6], [width, height, 220, 220, 12, 6], (12, 6))
    colours = rng.integers(0, 255, (12, 3))
    noise = [rng.integers(0, 6, (height, width, 3), dtype=np.uint8) for _ in range(8)]
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        stream.codec_context.gop_size = gop
        stream.options = {"preset": "veryfast", "crf": "23", "keyint_min": str(gop)}
        for i in range(frames):
            shift = (i * 3) % width
            image = np.ascontiguousarray(background[:, shift : shift + width])
            for (x, y, w, h, dx, dy), c in zip(objects, colours, strict=True):
                x0, y0 = int(x + dx * i) % width, int(y + dy * i) % height
                cv2.rectangle(image, (x0, y0), (x0 + int(w), y0 + int(h)), c.tolist(), -1)
            image = cv2.add(image, noise[i % len(noise)], dtype=cv2.CV_8U)
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def seed(url: str, home: Path, frames: int, gop: int, annotator: str) -> int:
    media = home / "media" / "bench-video"
    media.mkdir(parents=True, exist_ok=True)
    clip = media / "clip-1080p.mp4"
    encode_video(clip, frames, gop)
    data = {"video": str(clip), "frames": frames, "fps": 30, "width": 1920, "height": 1080}
    return one_item_project(url, home, "bench-video", ONTOLOGY, annotator, data, [str(clip)])


def seek_stats(seeks: list[dict[str, float | None]]) -> dict[str, object]:
    """Seek times (from setting the frame to the frame decoded on the page), the
    medians of the part spent waiting for the frame's HTTP answer and of the
    server's time to its first byte (requests the seek itself made)."""
    from bench_web import stats_ms

    waited = [float(s["waited"] or 0.0) for s in seeks]
    server = [float(s["server"]) for s in seeks if s["server"] is not None]
    return {
        **stats_ms([float(s["total"] or 0.0) for s in seeks]),
        "waiting p50_ms": round(float(np.median(waited)), 1),
        "server p50_ms": round(float(np.median(server)), 1) if server else None,
        "requested at the seek": len(server),
    }


def run(args: argparse.Namespace, results: dict[str, object]) -> None:
    """Seek, step and interpolation figures into ``results``."""
    from _core import Server
    from bench_web import ARGS, CHROMIUM, stats_ms
    from playwright.sync_api import sync_playwright

    annotator = "ann1@demo.labelwell"
    with tempfile.TemporaryDirectory(prefix="lw-bench-video-") as tmp:
        home = Path(tmp)
        url = f"sqlite:///{home / 'labelwell.db'}"
        pid = seed(url, home, args.video_frames, args.gop, annotator)
        os.environ["LABELWELL_HOME"] = str(home)
        with Server(url, workers=1) as server, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(base_url=server.url, viewport={"width": 1280, "height": 860})
            login(page, annotator)
            page.goto(f"/projects/{pid}/label")
            page.wait_for_selector("[data-control=tracks] .video-stage[data-frame='0']")
            rng = np.random.default_rng(1)
            order = rng.permutation(np.arange(1, args.video_frames))
            cold, targets = order[:20], order[20 : 20 + args.seeks]
            # Right after opening: the server decodes each frame on demand while
            # it extracts the video's frames in the background.
            results["video: seek while extracting, 1080p"] = seek_stats(
                page.evaluate(SEEK, [[int(t) for t in cold], 0])
            )
            folder = next((home / "cache" / "video").glob("*/claim")).parent
            t0 = time.perf_counter()
            while not (folder / "complete").exists():
                time.sleep(0.2)
            results["video: frames extracted (s)"] = {
                "after_open_s": round(time.perf_counter() - t0, 1),
                "frames": args.video_frames,
            }
            seeks = page.evaluate(SEEK, [[int(t) for t in targets], 0])
            results["video: seek to a frame, 1080p"] = {
                **seek_stats(seeks),
                "gop": args.gop,
                "frames": args.video_frames,
            }
            # The same seeks, only those whose frame the page had not asked for
            # before (no prefetch, no earlier seek).
            fresh = [s for s in seeks if s["server"] is not None]
            if fresh:
                results["video: seek, a frame not asked for before, 1080p"] = seek_stats(fresh)
            first = args.video_frames // 3
            steps = list(range(first, min(first + 30, args.video_frames)))
            results["video: next frame, back to back, 1080p"] = seek_stats(
                page.evaluate(SEEK, [steps, 0])
            )
            # An annotator stepping through frames: a key every 150 ms.
            paced = list(range(2 * first, min(2 * first + 30, args.video_frames)))
            results["video: next frame, a step every 150 ms, 1080p"] = seek_stats(
                page.evaluate(SEEK, [paced, 150])
            )
            times = page.evaluate(INTERPOLATE, [10_000, 10, 50])
            results["video: interpolate 10,000-frame track"] = stats_ms(times)
            browser.close()
