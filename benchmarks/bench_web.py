"""The web workspace in a real browser (Debian's chromium, driven by Playwright):

* submit -> next task ready for input, p50/p95/p99 over ``--tasks`` tasks, as
  measured inside the page (from the submit key to the next task rendered,
  both HTTP round trips included) against a local `uvicorn` server;
* a 20,000-character document with 500 spans: time for a label key to apply
  (relabel the selected span and re-render, layout included), with the time
  split into script, style and layout from Chromium's own counters (the
  DevTools ``Performance.getMetrics`` durations);
* an 8000 x 8000 image with boxes: frame intervals while panning;
* the data manager on ``--items`` items (1,000,000 by default) on SQLite or,
  with ``--data-db postgresql``, PostgreSQL (a schema of its own, dropped
  after): the first page, and filter + sort (``benchmarks/_data_manager.py``);
* the mask tool: the work of each frame while brushing on an 8000 x 8000 (or
  ``--mask-side``) image opened as a tiled pyramid (``benchmarks/_web_mask.py``);
* the video tool: seek to a frame of a 1080p video, the next frame, and the
  interpolation of a 10,000-frame track (``benchmarks/_web_video.py``).

    python benchmarks/bench_web.py --tasks 200 --json /tmp/web.json
    python benchmarks/bench_web.py --only spans --keys 200   # the label key alone
    python benchmarks/bench_web.py --only video --seeks 100 --gop 30   # 1080p frames
    python benchmarks/bench_web.py --only pointcloud --points 500000   # LiDAR orbit
    python benchmarks/bench_web.py --only mask --mask-side 8000 --strokes 10
    python benchmarks/bench_web.py --only audio --audio-minutes 60   # an hour's waveform
    python benchmarks/bench_web.py --only data --items 1000000   # SQLite
    python benchmarks/bench_web.py --only data --items 1000000 --data-db postgresql

There is no peer to compare with side by side (Label Studio's frontend needs a
Node build and its own server), so the figures are absolute. The point-cloud
tool's load and orbit figures are in ``benchmarks/_web_pointcloud.py``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import struct
import sys
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _core import Server  # noqa: E402
from _web_common import login  # noqa: E402

from labelwell.demo import create_demo  # noqa: E402
from labelwell.formats.registry import ImportRow  # noqa: E402
from labelwell.store.db import Database  # noqa: E402
from labelwell.store.migrate import upgrade  # noqa: E402
from labelwell.store.tables import User  # noqa: E402
from labelwell.work import items, projects  # noqa: E402
from labelwell.work.actors import Actor  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
ANNOTATOR = "ann1@demo.labelwell"


def big_png(path: Path, side: int) -> None:
    """A side x side RGB PNG with a grid of dark squares, written row by row."""
    comp = zlib.compressobj(1)
    chunks = []
    plain = b"\x00" + bytes((236, 240, 244)) * side
    striped = bytearray(plain)
    for x in range(0, side, 400):
        striped[1 + 3 * x : 1 + 3 * min(side, x + 200)] = bytes((40, 60, 90)) * (
            min(side, x + 200) - x
        )
    for y in range(side):
        chunks.append(comp.compress(bytes(striped) if (y // 200) % 2 == 0 else plain))
    chunks.append(comp.flush())

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", b"".join(chunks))
        + chunk(b"IEND", b"")
    )


PARTS = ("submit", "spans", "pan", "data", "video", "mask", "audio", "pointcloud")


def seed(url: str, home: Path, n_tasks: int, side: int, parts: set[str]) -> dict[str, int]:
    db = Database(url)
    upgrade(db)
    ids: dict[str, int] = {}
    with db.session() as s:
        create_demo(s, home)
        admin = Actor.of(s.query(User).filter_by(email="admin@demo.labelwell").one())
        ann = s.query(User).filter_by(email=ANNOTATOR).one()
        onto = {
            "name": "b",
            "controls": [
                {
                    "name": "sentiment",
                    "type": "choice",
                    "source": "text",
                    "options": ["pos", "neg", "neu"],
                    "required": True,
                }
            ],
        }
        if "submit" not in parts:
            n_tasks = 0
        p = projects.create_project(s, admin, "bench-submit", onto, gold_ratio=0.0)
        projects.set_member(s, admin, p.id, ann.id, "annotator")
        rows = [
            ImportRow(line=i + 1, data={"text": f"Review number {i}: fine, fast delivery."})
            for i in range(n_tasks + 5)
        ]
        items.import_rows(s, admin, p.id, rows, filename="bench")
        ids["submit"] = p.id
        words = ("alpha", "beta", "gamma", "delta", "서울", "kappa")
        text = " ".join(words[i % len(words)] for i in range(4000))[:20000]
        spans_onto = {
            "name": "s",
            "controls": [
                {
                    "name": "entities",
                    "type": "spans",
                    "source": "text",
                    "labels": ["PER", "ORG", "LOC", "DATE"],
                }
            ],
        }
        p = projects.create_project(s, admin, "bench-spans", spans_onto, gold_ratio=0.0)
        projects.set_member(s, admin, p.id, ann.id, "annotator")
        items.import_rows(
            s, admin, p.id, [ImportRow(line=1, data={"text": text})], filename="bench"
        )
        ids["spans"] = p.id
        media = home / "media" / "bench"
        media.mkdir(parents=True, exist_ok=True)
        if "pan" in parts:
            big_png(media / "big.png", side)
        box_onto = {
            "name": "x",
            "controls": [
                {"name": "objects", "type": "bbox", "source": "image", "labels": ["thing"]}
            ],
        }
        p = projects.create_project(s, admin, "bench-image", box_onto, gold_ratio=0.0)
        projects.set_member(s, admin, p.id, ann.id, "annotator")
        data = {"image": str(media / "big.png"), "width": side, "height": side}
        items.import_rows(
            s, admin, p.id, [ImportRow(line=1, data=data, media=[data["image"]])], filename="bench"
        )
        ids["image"] = p.id
    db.dispose()
    return ids


def stats_ms(samples: list[float]) -> dict[str, float]:
    arr = np.asarray(samples, dtype=float)
    return {
        "n": int(arr.size),
        **{f"p{q}_ms": round(float(np.percentile(arr, q)), 2) for q in (50, 95, 99)},
        "max_ms": round(float(arr.max()), 2),
    }


def submit_part(
    page: Any, ids: dict[str, int], args: argparse.Namespace, results: dict[str, object]
) -> None:
    """Submit -> next task ready, measured inside the page."""
    page.goto(f"/projects/{ids['submit']}/label")
    page.wait_for_selector("body[data-ready]:not([data-ready=''])", state="attached")
    for _ in range(args.tasks):
        before = page.evaluate("document.body.dataset.ready")
        page.keyboard.press("1")
        page.keyboard.press("Enter")
        page.wait_for_selector(
            f"body[data-ready]:not([data-ready='{before}']):not([data-ready=''])",
            state="attached",
        )
    timings = page.evaluate("window.lw.timings")
    results["submit_to_next_ready"] = stats_ms(timings[5:])  # first 5 warm up


def spans_part(
    page: Any, ids: dict[str, int], args: argparse.Namespace, results: dict[str, object]
) -> None:
    """A label key on a 20,000-character document with 500 spans."""
    page.goto(f"/projects/{ids['spans']}/label")
    page.wait_for_selector(".ner-text .seg", state="attached")
    n_chars = page.evaluate("Array.from(document.querySelector('.ner-text').textContent).length")
    page.evaluate(
        """(n) => {
        const tool = window.lw.state.tools[0];
        const text = Array.from(document.querySelector('.ner-text').textContent);
        const step = Math.floor(text.length / n);
        const made = [];
        for (let i = 0; i < n; i++) {
            made.push({id: 's' + i, start: i * step, end: i * step + 5,
                       label: ['PER', 'ORG', 'LOC'][i % 3]});
        }
        tool.set(made);
    }""",
        args.spans,
    )
    page.click(".region-list li:nth-child(250) .chip")
    # Chromium's own counters split the time between script, style and layout.
    cdp = page.context.new_cdp_session(page)
    cdp.send("Performance.enable")

    def counters() -> dict[str, float]:
        return {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}

    keys = """(n) => {
        const out = [], js = [];
        for (let i = 0; i < n; i++) {
            const t0 = performance.now();
            const key = String(1 + (i % 4));
            // A relabel is R, then the label's key (a label key alone only picks the next label).
            document.dispatchEvent(new KeyboardEvent("keydown", {key: "r", bubbles: true}));
            document.dispatchEvent(new KeyboardEvent("keydown", {key, bubbles: true}));
            const t1 = performance.now();
            document.body.offsetHeight;  // force style and layout
            out.push(performance.now() - t0);
            js.push(t1 - t0);
        }
        return [out, js];
    }"""
    page.evaluate(keys, 5)  # warm up
    before = counters()
    key_ms, script_ms = page.evaluate(keys, args.keys)
    after = counters()
    per_key = {
        f"{name}_ms_per_key": round(1000 * (after[metric] - before[metric]) / args.keys, 2)
        for name, metric in (
            ("script", "ScriptDuration"),
            ("style", "RecalcStyleDuration"),
            ("layout", "LayoutDuration"),
        )
    }
    results["label_key_script_only"] = stats_ms(script_ms)
    results["label_key_20k_chars_500_spans"] = {
        **stats_ms(key_ms),
        "chars": n_chars,
        "spans": args.spans,
    }
    results["label_key_breakdown"] = per_key


def pan_part(
    page: Any, ids: dict[str, int], args: argparse.Namespace, results: dict[str, object]
) -> None:
    """Panning an 8000 x 8000 image with 50 boxes."""
    page.goto(f"/projects/{ids['image']}/label")
    page.wait_for_selector(".image-canvas[viewBox]", state="attached")
    page.evaluate(
        """(side) => {
        const boxes = [];
        for (let i = 0; i < 50; i++) {
            boxes.push({id: 'b' + i, label: 'thing', x: (i % 10) * side / 10,
                        y: Math.floor(i / 10) * side / 5, width: side / 20,
                        height: side / 20});
        }
        window.lw.state.tools[0].set(boxes);
    }""",
        args.side,
    )
    page.wait_for_timeout(1500)  # image decode
    canvas = page.locator(".image-canvas").bounding_box()
    cx, cy = canvas["x"] + canvas["width"] / 2, canvas["y"] + canvas["height"] / 2
    for _ in range(3):
        page.mouse.wheel(0, -300)  # zoom in
    page.evaluate("""() => { window.__frames = []; let last = performance.now();
        const tick = (t) => { window.__frames.push(t - last); last = t;
          if (window.__frames.length < 400) requestAnimationFrame(tick); };
        requestAnimationFrame(tick); }""")
    page.keyboard.down("Alt")
    page.mouse.move(cx, cy)
    page.mouse.down()
    t0 = time.perf_counter()
    for i in range(120):
        page.mouse.move(cx + 200 * np.sin(i / 10), cy + 150 * np.cos(i / 10))
    page.mouse.up()
    page.keyboard.up("Alt")
    pan_s = time.perf_counter() - t0
    frames = page.evaluate("window.__frames.slice(1)")
    results["pan_8000px_image_frame_interval"] = {
        **stats_ms(frames),
        "pan_seconds": round(pan_s, 2),
        "side": args.side,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tasks", type=int, default=200)
    ap.add_argument("--spans", type=int, default=500)
    ap.add_argument("--keys", type=int, default=200, help="label keys timed")
    ap.add_argument("--side", type=int, default=8000)
    ap.add_argument(
        "--only", action="append", choices=PARTS, help="run only this part (repeatable)"
    )
    ap.add_argument("--items", type=int, default=1_000_000, help="data manager: items")
    ap.add_argument("--repeats", type=int, default=10, help="data manager: runs of each")
    ap.add_argument(
        "--data-db",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="data manager: SQLite in a temp folder, or a schema of its own (dropped after) in"
        " LABELWELL_BENCH_POSTGRES_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test)",
    )
    ap.add_argument("--data-url", help="data manager: a scratch database instead")
    ap.add_argument(
        "--data-seeded",
        action="store_true",
        help="data manager: --data-url already holds the project an earlier seed wrote",
    )
    ap.add_argument("--mask-side", type=int, default=8000, help="mask: image side in pixels")
    ap.add_argument("--strokes", type=int, default=10, help="mask: brush strokes timed")
    ap.add_argument("--brush", type=int, default=24, help="mask: brush width on screen, fitted")
    ap.add_argument(
        "--trace", action="store_true", help="mask: zoomed strokes traced, main thread per frame"
    )
    ap.add_argument("--audio-minutes", type=float, default=60, help="audio: length of the file")
    ap.add_argument("--audio-format", choices=("wav", "m4a"), default="wav", help="audio: file")
    ap.add_argument("--audio-opens", type=int, default=20, help="audio: page opens timed")
    ap.add_argument("--points", type=int, default=500_000, help="point cloud: points")
    ap.add_argument("--orbit-frames", type=int, default=120, help="point cloud: frames timed")
    ap.add_argument("--video-frames", type=int, default=300, help="video: frames of the clip")
    ap.add_argument("--gop", type=int, default=30, help="video: frames between keyframes")
    ap.add_argument("--seeks", type=int, default=100, help="video: random seeks timed")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    parts = set(args.only or PARTS)
    results: dict[str, object] = {}
    if "data" in parts:
        data_part(args, results)
        parts.discard("data")
    if "video" in parts:
        import _web_video

        _web_video.run(args, results)
        parts.discard("video")
    if "mask" in parts:
        import _web_mask

        _web_mask.run(args, results)
        parts.discard("mask")
    if "audio" in parts:
        import _web_audio

        _web_audio.run(args, results)
        parts.discard("audio")
    if "pointcloud" in parts:
        import _web_pointcloud

        _web_pointcloud.run(args, results)
        parts.discard("pointcloud")
    if parts:
        browser_parts(args, parts, results)
    report(results, args.json)


def data_part(args: argparse.Namespace, results: dict[str, object]) -> None:
    import _data_manager as dm
    from playwright.sync_api import sync_playwright

    with contextlib.ExitStack() as scratch:
        if args.data_url:
            url = args.data_url
        elif args.data_db == "postgresql":
            url = scratch.enter_context(dm.scratch_postgres())
        else:
            tmp = scratch.enter_context(tempfile.TemporaryDirectory(prefix="lw-bench-dm-"))
            url = f"sqlite:///{Path(tmp) / 'labelwell.db'}"
        if args.data_seeded:
            pid = dm.seeded_project(url)
        else:
            pid, rate = dm.seed(url, args.items)
            results["data manager: seed (items/s)"] = {"items": args.items, "rate": round(rate)}
        results["data manager: load average"] = {"before": round(os.getloadavg()[0], 2)}
        with Server(url, workers=1) as server, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(base_url=server.url, viewport={"width": 1280, "height": 860})
            login(page, dm.MANAGER, dm.PASSWORD)
            for name, samples in dm.measure(page, pid, args.repeats).items():
                results[f"data manager: {name}"] = stats_ms(samples)
            browser.close()
        results["data manager: load average"]["after"] = round(os.getloadavg()[0], 2)


def browser_parts(args: argparse.Namespace, parts: set[str], results: dict[str, object]) -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="lw-bench-web-") as tmp:
        home = Path(tmp)
        url = f"sqlite:///{home / 'labelwell.db'}"
        ids = seed(url, home, args.tasks, args.side, parts)
        os.environ["LABELWELL_HOME"] = str(home)
        with Server(url, workers=1) as server, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(base_url=server.url, viewport={"width": 1280, "height": 860})
            login(page, ANNOTATOR)

            if "submit" in parts:
                submit_part(page, ids, args, results)
            if "spans" in parts:
                spans_part(page, ids, args, results)
            if "pan" in parts:
                pan_part(page, ids, args, results)
            browser.close()


def report(results: dict[str, object], out: Path | None) -> None:
    print(f"{'measure':40} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for name, r in results.items():
        assert isinstance(r, dict)
        if "p50_ms" not in r:
            print(f"{name:40} " + "  ".join(f"{k} {v}" for k, v in r.items()))
            continue
        cells = " ".join(f"{r[k]:>8}" for k in ("p50_ms", "p95_ms", "p99_ms", "max_ms"))
        print(f"{name:40} {r['n']:>5} {cells}")
    if out:
        out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
