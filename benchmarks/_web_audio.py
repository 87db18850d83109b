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
  disk, nothing in memory), once.

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

from labelwell.demo import create_demo
from labelwell.formats.registry import ImportRow
from labelwell.media import audio
from labelwell.store.db import Database
from labelwell.store.migrate import upgrade
from labelwell.store.tables import User
from labelwell.work import items, projects
from labelwell.work.actors import Actor

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
    db = Database(url)
    upgrade(db)
    with db.session() as s:
        create_demo(s, home)
        admin = Actor.of(s.query(User).filter_by(email="admin@demo.labelwell").one())
        ann = s.query(User).filter_by(email=annotator).one()
        p = projects.create_project(s, admin, "bench-audio", ONTOLOGY, gold_ratio=0.0)
        projects.set_member(s, admin, p.id, ann.id, "annotator")
        data = {"audio": str(clip), "duration": duration}
        items.import_rows(s, admin, p.id, [ImportRow(line=1, data=data)], filename="bench")
        pid = p.id
    db.dispose()
    with db.read_session() as s:
        from labelwell.store.tables import Item

        item_id = s.query(Item.id).filter_by(project_id=pid).scalar()
    db.dispose()
    return pid, int(item_id)


def _login(page: Any, email: str, password: str) -> None:
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("#login-form button[type=submit]")
    page.wait_for_url("**/projects")


def _open(page: Any, pid: int) -> float:
    page.goto(f"/projects/{pid}/label")
    drawn = page.wait_for_selector(".audio-wave[data-drawn-ms]")
    return float(drawn.get_attribute("data-drawn-ms"))


def run(args: argparse.Namespace, results: dict[str, object]) -> None:
    """Open-with-waveform figures into ``results``."""
    from _core import Server
    from bench_web import ARGS, CHROMIUM, DEMO_PASSWORD, stats_ms
    from playwright.sync_api import sync_playwright

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
            login = httpx.post(
                f"{server.url}/api/v1/auth/login",
                json={"email": "admin@demo.labelwell", "password": DEMO_PASSWORD},
                timeout=60,
            )
            token = login.json()["token"]
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
                _login(page, annotator, DEMO_PASSWORD)
                opens = [_open(page, pid) for _ in range(args.audio_opens)]
                points = int(page.get_attribute(".audio-wave", "data-peaks") or 0)
                results[f"{label}: open with waveform (page navigation to drawn)"] = {
                    **stats_ms(opens),
                    "peaks": points,
                    "renderer": "wavesurfer.js canvas 2D, chromium --disable-gpu (software)",
                }
                browser.close()
        # a fresh server: peaks read from the disk cache, nothing in memory
        with Server(url, workers=1) as server, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(base_url=server.url, viewport={"width": 1280, "height": 860})
            _login(page, annotator, DEMO_PASSWORD)
            results[f"{label}: open with waveform, fresh server process"] = {
                "ms": round(_open(page, pid), 1)
            }
            browser.close()
