"""A small speech recognition server for tests, speaking the ``POST /transcribe``
route of labelwell's model backend protocol (:mod:`labelwell.media.audio`). It
does real work on what it is sent: each segment's WAV is decoded and its bursts
of energy counted (20 ms frames louder than a tenth of the loudest, runs of them
apart by more than 100 ms), and the text says how many: "3 bursts"."""

from __future__ import annotations

import base64
import io
import json
import wave
from contextlib import AbstractContextManager
from http.server import BaseHTTPRequestHandler

import numpy as np

from threaded_server import http_server


def count_bursts(wav: bytes) -> int:
    with wave.open(io.BytesIO(wav)) as w:
        rate = w.getframerate()
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64)
    size = rate // 50
    frames = x[: len(x) // size * size].reshape(-1, size)
    if not len(frames):
        return 0
    energy = np.sqrt((frames**2).mean(axis=1))
    loud = energy > 0.1 * energy.max() if energy.max() > 200 else np.zeros(len(energy), bool)
    count, quiet = 0, 99
    for on in loud:
        if on and quiet > 5:
            count += 1
        quiet = 0 if on else quiet + 1
    return count


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.path != "/transcribe":
            self.send_error(404)
            return
        segments = [
            {"id": s["id"], "text": f"{count_bursts(base64.b64decode(s['audio']))} bursts"}
            for s in body["segments"]
        ]
        out = json.dumps({"model": "burst-counter", "version": "1", "segments": segments})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(out.encode())


def asr_server() -> AbstractContextManager[str]:
    """The server's URL while the block runs."""
    return http_server(_Handler)
