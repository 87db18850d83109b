"""A small interactive segmentation server for tests, speaking the ``POST /segment``
route of labelwell's model backend protocol (:mod:`labelwell.media.interactive`).
It does real work on what it is sent: the PNG is decoded and each positive click
grows a colour flood fill (OpenCV, floating range 24); negative clicks' fills are
taken away; a box alone is answered by GrabCut. The mask goes back as COCO RLE."""

from __future__ import annotations

import base64
import io
import json
from contextlib import AbstractContextManager
from http.server import BaseHTTPRequestHandler

import numpy as np
from PIL import Image

from labelwell.formats._geometry import mask_to_rle
from labelwell.media.segmentation import flood_region, grabcut
from threaded_server import http_server


def segment(body: dict) -> np.ndarray:
    rgb = np.asarray(Image.open(io.BytesIO(base64.b64decode(body["image"]["png"]))).convert("RGB"))
    mask = np.zeros(rgb.shape[:2], bool)
    for x, y, flag in body["points"]:
        if flag:
            mask |= flood_region(rgb, (round(x), round(y)))
    for x, y, flag in body["points"]:
        if not flag:
            mask &= ~flood_region(rgb, (round(x), round(y)))
    if body.get("box") and not body["points"]:
        x, y, w, h = (round(v) for v in body["box"])
        mask = grabcut(rgb, (x, y, w, h))
    return mask


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self._send({"status": "ok", "model": "flood-fill", "version": "1"})

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.path != "/segment":
            self.send_error(404)
            return
        mask = segment(body)
        self._send({"model": "flood-fill", "version": "1", "mask": mask_to_rle(mask), "score": 0.9})

    def _send(self, payload: dict) -> None:
        out = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)


def segment_server() -> AbstractContextManager[str]:
    """The server's URL while the block runs."""
    return http_server(_Handler)
