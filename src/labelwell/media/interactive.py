"""Interactive segmentation models over HTTP: points or a box in, a mask out.

This extends labelwell's model backend protocol (:mod:`labelwell.assist.http_backend`)
with one route, so a SAM server (or any other) plugs in:

``GET /health``
    ``{"status": "ok", "model": "<name>", "version": "<version>"}``
``POST /segment`` with ``{"image": {"width": w, "height": h, "png": "<base64 PNG>"},
"points": [[x, y, 1 | 0], ...], "box": [x, y, w, h] | null}``
    ``{"model": ..., "version": ..., "mask": {"size": [h, w], "counts": <COCO RLE>},
    "score": <float, optional>}``; points are positive (1) or negative (0) clicks,
    coordinates in the pixels of the image sent.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from typing import Any

import httpx
import numpy as np
from PIL import Image

from labelwell.assist.http_backend import ModelBackendError, _JSONClient
from labelwell.formats._geometry import rle_to_mask


@dataclass(frozen=True)
class ModelMask:
    mask: np.ndarray
    model: str
    version: str
    score: float | None


def png_base64(rgb: np.ndarray) -> str:
    buf = io.BytesIO()
    Image.fromarray(rgb, "RGB").save(buf, "PNG")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def ask_model(
    url: str,
    rgb: np.ndarray,
    points: list[tuple[float, float, int]],
    box: tuple[float, float, float, float] | None,
    *,
    timeout: float = 30.0,
    client: httpx.Client | None = None,
) -> ModelMask:
    """One ``POST /segment`` to the server at ``url``; its mask checked against
    the image's size."""
    http = _JSONClient(url, timeout, client)
    try:
        body = http.call(
            "POST",
            "/segment",
            {
                "image": {"width": rgb.shape[1], "height": rgb.shape[0], "png": png_base64(rgb)},
                "points": [[float(x), float(y), int(flag)] for x, y, flag in points],
                "box": None if box is None else [float(v) for v in box],
            },
        )
    finally:
        if client is None:
            http.close()
    return _read_answer(body, rgb.shape[:2])


def _read_answer(body: Any, size: tuple[int, ...]) -> ModelMask:
    if not isinstance(body, dict) or not isinstance(body.get("mask"), dict):
        raise ModelBackendError("the segmentation server answered without a mask")
    rle = body["mask"]
    if list(rle.get("size") or []) != list(size) or not isinstance(rle.get("counts"), (str, list)):
        raise ModelBackendError(
            f"the segmentation server's mask size {rle.get('size')!r} is not the image's "
            f"{list(size)!r}"
        )
    try:
        mask = rle_to_mask(rle).astype(bool)
    except (ValueError, TypeError, IndexError) as exc:
        raise ModelBackendError(
            f"the segmentation server's mask is not a valid RLE: {exc}"
        ) from exc
    score = body.get("score")
    return ModelMask(
        mask=mask,
        model=str(body.get("model", "unknown")),
        version=str(body.get("version", "unknown")),
        score=float(score) if isinstance(score, (int, float)) else None,
    )
