"""The audio tool in headless chromium (``bench_web.py --only audio``): one hour
of audio (``--audio-minutes``) opened with its waveform.

* first open: the server decodes the file with PyAV and computes its peaks
  (timed as the first ``/audio/0/peaks`` request, made over HTTP before the
  browser opens the page);
* open with the waveform: from the labeling page's navigation start to the
  waveform drawn by wavesurfer.js (its first ``redrawcomplete``), page, scripts,
  the peaks request and the drawing included, over ``--audio-opens`` reloads with
  the server's cache warm; the browser never downloads or decodes the audio
  (its ``<audio>`` element reads only the metadata);
* the same page with the file's peaks computed in a fresh process (the cache on
  disk, nothing in memory), once;
* zoom: from the whole hour on screen, each ``+`` key (twice the pixels per
  second) until the deepest zoom, timed from the key to the visible window's
  peaks written into the waveform (the 120 ms the page waits for the view to
  settle included), and the spectrogram of the visible window at the deepest
  zoom (from the ``V`` key to it drawn);
* the requests behind a zoomed view over HTTP, the page's request for the
  visible window against the one it made before peaks came per window (the
  whole file at 400,000 peaks, and a spectrogram spread over the whole file).

The file is 16 kHz mono WAV (``--audio-format wav``, 115 MB an hour) or AAC in
an MP4 container (``m4a``, 44.1 kHz mono; the bench's own AAC encoding of an hour
takes minutes here); its content is ``labelwell.media.audio.speechlike`` bursts
repeated. Each open is a fresh page load with the browser's cache warm (the
annotator's next item); the fresh-server open also runs in a fresh browser, so
its scripts come over the network too.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import av
import httpx
import numpy as np
from _web_common import login, one_item_project

from labelwell.media import audio
from labelwell.store.db import Database
from labelwell.store.tables import Item

ONTOLOGY = {
    "name": "bench-audio",
    "controls": [
        {"name": "turns", "type": "time_region", "source": "audio", "labels": ["speech", "noise"]}
    ],
}


def write_audio(path: Path, minutes: float, fmt: str) -> float:
    """``minutes`` of speech-like audio at ``path``; returns its duration in seconds."""
    block, _ = audio.speechlike(60.0, seed=3)
    blocks = int(np.ceil(minutes))
    if fmt == "wav":
        with path.open("wb") as fh:
            one = audio.wav_bytes(np.tile(block, blocks))
            fh.write(one)
        return blocks * 60.0
    rate = 44_100
    up = np.interp(np.arange(int(60 * rate)) / rate, np.arange(len(block)) / audio.RATE, block)
    chunk = (up / 32768).astype(np.float32)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("aac", rate=rate, layout="mono")
        pts = 0
        for _ in range(blocks):
            for start in range(0, len(chunk), 44_100):
                piece = chunk[start : start + 44_100][None, :]
                frame = av.AudioFrame.from_ndarray(piece, format="fltp", layout="mono")
                frame.sample_rate = rate
                frame.pts = pts
                pts += piece.shape[1]
                for packet in stream.encode(frame):
                    out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return blocks * 60.0


def seed(url: str, home: Path, clip: Path, duration: float, annotator: str) -> tuple[int, int]:
    data = {"audio": str(clip), "duration": duration}
    pid = one_item_project(url, home, "bench-audio", ONTOLOGY, annotator, data, [])
    db = Database(url)
    with db.read_session() as s:
        item_id = s.query(Item.id).filter_by(project_id=pid).scalar()
    db.dispose()
    return pid, int(item_id)


#: the steps of an open, ms from the navigation start (Resource Timing): the
#: page's HTML received, the task's lease answered, the peaks asked and answered
STEPS = """() => {
  const last = (part) => performance.getEntriesByType("resource")
    .filter((e) => e.name.includes(part)).pop();
  const lease = last("/tasks/next"), peaks = last("/peaks?");
  return { "page": performance.getEntriesByType("navigation")[0].responseEnd,
           "task leased": lease?.responseEnd, "peaks asked": peaks?.startTime,
           "peaks answered": peaks?.responseEnd };
}"""


def _open(page: Any, pid: int, steps: list[dict[str, float]] | None = None) -> float:
    page.goto(f"/projects/{pid}/label")
    drawn = page.wait_for_selector(".audio-wave[data-drawn-ms]")
    if steps is not None:
        steps.append(page.evaluate(STEPS))
    return float(drawn.get_attribute("data-drawn-ms"))


def _zooms(page: Any) -> tuple[list[float], float, int]:
    """Each ``+`` from the whole file to the deepest zoom: ms from the key to the
    window's peaks written in; then the pixels per second reached and the
    peaks the last window brought."""
    times: list[float] = []
    while True:
        before = page.get_attribute(".audio-wave", "data-zoom")
        page.evaluate(
            "() => { window.__z0 = performance.now();"
            " delete document.querySelector('.audio-wave').dataset.window; }"
        )
        page.keyboard.press("+")
        if page.get_attribute(".audio-wave", "data-zoom") == before:
            break  # the deepest zoom
        page.wait_for_selector(".audio-wave[data-window]", state="attached", timeout=60_000)
        times.append(page.evaluate("() => performance.now() - window.__z0"))
    zoom = float(page.get_attribute(".audio-wave", "data-zoom") or 0)
    return times, zoom, int(page.get_attribute(".audio-wave", "data-window-peaks") or 0)


def _spectrograms(page: Any, times: int) -> list[float]:
    """The ``V`` key to the visible window's spectrogram drawn, ``times`` times."""
    out = []
    for _ in range(times):
        page.evaluate(
            "() => { window.__s0 = performance.now();"
            " delete document.querySelector('.audio-spectrogram').dataset.window; }"
        )
        page.keyboard.press("v")
        page.wait_for_selector(".audio-spectrogram[data-window]", state="attached", timeout=60_000)
        out.append(page.evaluate("() => performance.now() - window.__s0"))
        page.keyboard.press("v")  # hidden again
    return out


def _requests(
    base: str, token: str, item_id: int, duration: float, results: dict[str, object], label: str
) -> None:
    """The requests behind a view 900 px wide at 512 px/s in the middle of the
    file: per window (now) and over the whole file (before), five times each."""
    from bench_web import stats_ms

    headers = {"Authorization": f"Bearer {token}"}
    width, px = 900, 512.0
    mid = duration / 2
    span = width / px
    window = {"start": mid - span, "end": mid + 2 * span}  # and half a screen either side
    cases = {
        "peaks, visible window at 2 per px": (
            "peaks",
            {"points": int(2 * (window["end"] - window["start"]) * px), **window},
        ),
        "peaks, whole file at 400,000 (before)": ("peaks", {"points": 400_000}),
        "spectrogram, visible window, 450 columns": (
            "spectrogram",
            {"columns": 450, "start": mid, "end": mid + span},
        ),
        "spectrogram, whole file, 900 columns (before)": ("spectrogram", {"columns": 900}),
    }
    with httpx.Client(base_url=base, headers=headers, timeout=600) as http:
        for name, (what, params) in cases.items():
            times, size = [], 0
            for _ in range(5):
                t0 = time.perf_counter()
                r = http.get(f"/api/v1/items/{item_id}/audio/0/{what}", params=params)
                times.append((time.perf_counter() - t0) * 1000)
                r.raise_for_status()
                size = len(r.content)
            results[f"{label}: request, {name}"] = {**stats_ms(times), "kb": round(size / 1e3, 1)}


def run(args: argparse.Namespace, results: dict[str, object]) -> None:
    """Open-with-waveform figures into ``results``."""
    from _core import Server
    from bench_web import ARGS, CHROMIUM, stats_ms
    from playwright.sync_api import sync_playwright

    from labelwell.demo import DEMO_PASSWORD

    annotator = "ann1@demo.labelwell"
    with tempfile.TemporaryDirectory(prefix="lw-bench-audio-") as tmp:
        home = Path(tmp)
        (home / "media").mkdir()
        clip = home / "media" / f"hour.{args.audio_format}"
        t0 = time.perf_counter()
        duration = write_audio(clip, args.audio_minutes, args.audio_format)
        made_s = time.perf_counter() - t0
        url = f"sqlite:///{home / 'labelwell.db'}"
        pid, item_id = seed(url, home, clip, duration, annotator)
        os.environ["LABELWELL_HOME"] = str(home)
        label = f"audio: {duration / 60:g} min {args.audio_format}"
        with Server(url, workers=1) as server:
            signed_in = httpx.post(
                f"{server.url}/api/v1/auth/login",
                json={"email": "admin@demo.labelwell", "password": DEMO_PASSWORD},
                timeout=60,
            )
            token = signed_in.json()["token"]
            t0 = time.perf_counter()
            first = httpx.get(
                f"{server.url}/api/v1/items/{item_id}/audio/0/peaks",
                params={"points": 1800},
                headers={"Authorization": f"Bearer {token}"},
                timeout=600,
            )
            first.raise_for_status()
            results[f"{label}: first open, server decode + peaks"] = {
                "s": round(time.perf_counter() - t0, 2),
                "file_mb": round(clip.stat().st_size / 1e6, 1),
                "made_in_s": round(made_s, 1),
            }
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                page = browser.new_page(
                    base_url=server.url, viewport={"width": 1280, "height": 860}
                )
                login(page, annotator)
                steps: list[dict[str, float]] = []
                opens = [_open(page, pid, steps) for _ in range(args.audio_opens)]
                points = int(page.get_attribute(".audio-wave", "data-peaks") or 0)
                results[f"{label}: open with waveform (page navigation to drawn)"] = {
                    **stats_ms(opens),
                    "steps, median ms from the navigation start": {
                        k: round(float(np.median([s[k] for s in steps if s.get(k) is not None])), 1)
                        for k in steps[0]
                    },
                    "peaks": points,
                    "renderer": "wavesurfer.js canvas 2D, chromium --disable-gpu (software)",
                }
                page.click(".audio-wave")
                zooms, px, window_peaks = _zooms(page)
                results[f"{label}: zoom + to the visible window's peaks drawn"] = {
                    **stats_ms(zooms),
                    "deepest_px_per_s": px,
                    "window_peaks": window_peaks,
                }
                results[f"{label}: spectrogram of the visible window at the deepest zoom"] = (
                    stats_ms(_spectrograms(page, 5))
                )
                _requests(server.url, token, item_id, duration, results, label)
                browser.close()
        # a fresh server: peaks read from the disk cache, nothing in memory
        with Server(url, workers=1) as server, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(base_url=server.url, viewport={"width": 1280, "height": 860})
            login(page, annotator)
            results[f"{label}: open with waveform, fresh server process"] = {
                "ms": round(_open(page, pid), 1)
            }
            browser.close()
