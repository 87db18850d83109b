"""3D IoU of yawed cuboids: exact cases worked by hand and a Monte-Carlo estimate
on random pairs (no geometry library), and agreement between two annotators."""

from __future__ import annotations

import math

import numpy as np
import pytest

from labelwell.errors import InvalidInput
from labelwell.quality.cuboids import bev_intersection, cuboid_agreement, cuboid_frame, cuboid_iou


def test_exact_cases():
    a = [0, 0, 0, 2, 2, 2, 0]
    assert cuboid_iou([a], [a])[0, 0] == pytest.approx(1.0)
    assert cuboid_iou([a], [[1, 0, 0, 2, 2, 2, 0]])[0, 0] == pytest.approx(4 / 12)  # half overlaps
    assert cuboid_iou([a], [[0, 0, 1, 2, 2, 2, 0]])[0, 0] == pytest.approx(
        4 / 12
    )  # half the height
    assert cuboid_iou([a], [[5, 0, 0, 2, 2, 2, 0]])[0, 0] == 0.0
    # a square turned 45 degrees over itself: the octagon 8 (sqrt 2 - 1)
    octagon = 8 * (math.sqrt(2) - 1)
    assert bev_intersection(a, [0, 0, 0, 2, 2, 2, math.pi / 4]) == pytest.approx(octagon)
    assert cuboid_iou([a], [[0, 0, 0, 2, 2, 2, math.pi / 4]])[0, 0] == pytest.approx(
        octagon / (8 - octagon)
    )
    # a quarter turn of a 4 x 2 box over itself: a 2 x 2 square shared
    b = [0, 0, 0, 4, 2, 1, 0]
    assert cuboid_iou([b], [[0, 0, 0, 4, 2, 1, math.pi / 2]])[0, 0] == pytest.approx(4 / 12)
    # yaw and yaw + pi are the same box
    assert cuboid_iou([b], [[0, 0, 0, 4, 2, 1, math.pi]])[0, 0] == pytest.approx(1.0)
    with pytest.raises(InvalidInput, match="not positive"):
        cuboid_iou([a], [[0, 0, 0, 0, 2, 2, 0]])


def _inside(p: np.ndarray, box: np.ndarray) -> np.ndarray:
    x, y, z, length, width, height, yaw = box
    d = p - [x, y, z]
    lx = d[:, 0] * math.cos(yaw) + d[:, 1] * math.sin(yaw)
    ly = -d[:, 0] * math.sin(yaw) + d[:, 1] * math.cos(yaw)
    return (abs(lx) <= length / 2) & (abs(ly) <= width / 2) & (abs(d[:, 2]) <= height / 2)


def test_monte_carlo_agrees():
    rng = np.random.default_rng(11)
    for _ in range(12):
        a = np.r_[rng.uniform(-1, 1, 3), rng.uniform(1, 4, 3), rng.uniform(-math.pi, math.pi)]
        b = np.r_[
            a[:3] + rng.uniform(-1, 1, 3), rng.uniform(1, 4, 3), rng.uniform(-math.pi, math.pi)
        ]
        p = rng.uniform(-6, 6, size=(400_000, 3))
        ia, ib = _inside(p, a), _inside(p, b)
        estimate = (ia & ib).sum() / max(1, (ia | ib).sum())
        assert cuboid_iou([a], [b])[0, 0] == pytest.approx(estimate, abs=0.015)


def test_agreement_of_two_annotators_per_frame():
    car = {"label": "car", "center": [0, 0, 0], "dimensions": [4, 2, 1.5], "rotation": [0, 0, 0]}
    moved = car | {"center": [0.2, 0, 0]}
    person = {
        "label": "pedestrian",
        "center": [5, 5, 0],
        "dimensions": [0.6, 0.6, 1.7],
        "rotation": [0, 0, 0],
    }
    results = [
        ("seq", "ann1", [car | {"frame": 0}, person | {"frame": 0}, car | {"frame": 1}]),
        ("seq", "ann2", [moved | {"frame": 0}, person | {"label": "cyclist", "frame": 0}]),
    ]
    got = cuboid_agreement(cuboid_frame(results))
    # frame 0: two matched pairs (one with another label); frame 1: ann2 drew nothing
    assert got.n_cuboids == 5 and got.n_matched == 2
    assert got.f1 == pytest.approx(4 / 5) and got.label_f1 == pytest.approx(2 / 5)
    assert got.mean_iou == pytest.approx((3.8 / 4.2 + 1.0) / 2)
