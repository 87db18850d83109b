"""Point-cloud frames: PCD (ascii, binary, binary_compressed), PLY and KITTI .bin
read to the same points; cuboids proposed around the demo street's objects."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from labelwell.errors import InvalidInput
from labelwell.media import pointcloud as pc

BOXES = [
    pc.SceneBox("car", (5.0, 3.0, -0.95), (4.2, 1.8, 1.5), 0.4),
    pc.SceneBox("pedestrian", (-6.0, -4.0, -0.85), (0.6, 0.6, 1.7), 0.0),
    pc.SceneBox("car", (10.0, -8.0, -0.95), (4.5, 1.9, 1.5), -1.2),
]


@pytest.fixture(scope="module")
def points() -> np.ndarray:
    return pc.synthetic_scene(BOXES, n_ground=5000, per_box=400, seed=3)


def lzf_literals(data: bytes) -> bytes:
    """LZF with literal runs only (valid input to any LZF decoder)."""
    out = bytearray()
    for i in range(0, len(data), 32):
        chunk = data[i : i + 32]
        out += bytes([len(chunk) - 1]) + chunk
    return bytes(out)


def test_pcd_ascii_and_binary_round_trip(points):
    for mode, tol in (("ascii", 1e-4), ("binary", 0.0)):
        back = pc.read_points("f.pcd", pc.write_pcd(points, mode))
        assert back.shape == points.shape
        assert np.abs(back - points).max() <= tol


def test_pcd_binary_compressed_with_extra_fields_and_no_intensity(points):
    n = len(points)
    columns = [points[:, 0], points[:, 1], points[:, 2], np.arange(n, dtype="<u2")]
    plain = b"".join(
        np.ascontiguousarray(c).astype(c.dtype.newbyteorder("<")).tobytes() for c in columns
    )
    packed = lzf_literals(plain)
    head = (
        "VERSION 0.7\nFIELDS x y z ring\nSIZE 4 4 4 2\nTYPE F F F U\nCOUNT 1 1 1 1\n"
        f"WIDTH {n}\nHEIGHT 1\nPOINTS {n}\nDATA binary_compressed\n"
    ).encode()
    back = pc.read_pcd(head + struct.pack("<II", len(packed), len(plain)) + packed)
    assert np.array_equal(back[:, :3], points[:, :3]) and not back[:, 3].any()


def test_lzf_back_references():
    # "abc" then a reference copying 6 bytes from 3 back (overlapping): "abcabcabc"
    data = bytes([2]) + b"abc" + bytes([(4 << 5) | 0, 2])
    assert pc.lzf_decompress(data, 9) == b"abcabcabc"
    with pytest.raises(InvalidInput, match="header says"):
        pc.lzf_decompress(data, 10)


def test_pcd_drops_nan_points_and_refuses_bad_headers():
    head = "FIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nCOUNT 1 1 1\n"
    head += "WIDTH 3\nHEIGHT 1\nPOINTS 3\nDATA ascii\n"
    back = pc.read_pcd((head + "1 2 3\nnan nan nan\n4 5 6\n").encode())
    assert back[:, :3].tolist() == [[1, 2, 3], [4, 5, 6]]
    with pytest.raises(InvalidInput, match="3 values, 9 expected"):
        pc.read_pcd((head + "1 2 3\n").encode())
    with pytest.raises(InvalidInput, match="no field 'z'"):
        pc.read_pcd(head.replace("x y z", "x y q").encode() + b"1 2 3 1 2 3 1 2 3")
    with pytest.raises(InvalidInput, match="DATA"):
        pc.read_pcd(b"FIELDS x y z\n")
    with pytest.raises(InvalidInput, match="unknown DATA"):
        pc.read_pcd(head.replace("ascii", "zip").encode())


def test_ply_ascii_and_binary(points):
    n = len(points)
    header = (
        "ply\nformat {fmt} 1.0\ncomment made here\nelement vertex {n}\nproperty float x\n"
        "property float y\nproperty float z\nproperty uchar intensity\nelement face 0\n"
        "property list uchar int vertex_indices\nend_header\n"
    )
    inten = (points[:, 3] * 255).astype(np.uint8)
    rows = "".join(f"{x} {y} {z} {i}\n" for (x, y, z, _), i in zip(points, inten, strict=True))
    back = pc.read_points("a.ply", header.format(fmt="ascii", n=n).encode() + rows.encode())
    assert np.allclose(back[:, :3], points[:, :3], atol=1e-5)
    assert np.array_equal(back[:, 3], inten)
    for fmt, order in (("binary_little_endian", "<"), ("binary_big_endian", ">")):
        rec = np.zeros(
            n,
            dtype=[
                ("x", order + "f4"),
                ("y", order + "f4"),
                ("z", order + "f4"),
                ("intensity", "u1"),
            ],
        )
        rec["x"], rec["y"], rec["z"], rec["intensity"] = (
            points[:, 0],
            points[:, 1],
            points[:, 2],
            inten,
        )
        back = pc.read_ply(header.format(fmt=fmt, n=n).encode() + rec.tobytes())
        assert np.array_equal(back[:, :3], points[:, :3])
    with pytest.raises(InvalidInput, match="start with 'ply'"):
        pc.read_ply(b"plx\n")


def test_kitti_bin_and_buffer(points):
    raw = points.astype("<f4").tobytes()
    back = pc.read_points("000001.bin", raw)
    assert np.array_equal(back, points)
    assert pc.to_buffer(back) == raw
    with pytest.raises(InvalidInput, match="16-byte points"):
        pc.read_kitti_bin(raw[:-4])
    with pytest.raises(InvalidInput, match="not a point cloud"):
        pc.read_points("scan.las", raw)


def test_points_in_cuboid_matches_the_scene(points):
    car = BOXES[0]
    # its 400 points lie on the faces: a centimetre of slack takes them all in
    grown = [d + 0.02 for d in car.dimensions]
    inside = pc.points_in_cuboid(points, car.center, grown, car.yaw)
    assert inside[5000:5400].all()
    assert not inside[5400:].any()
    shrunk = [d - 0.02 for d in car.dimensions]
    assert not pc.points_in_cuboid(points[5000:5400], car.center, shrunk, car.yaw).any()


def test_ground_and_proposals_find_each_box(points):
    ground = pc.ground_mask(points)
    # box points near the ground (bottom faces, the lowest 15 cm of the sides) count as ground
    assert ground[:5000].mean() > 0.99 and ground[5000:].mean() < 0.3
    found = pc.propose_cuboids(points)
    assert len(found) == len(BOXES)
    for box in BOXES:
        best = min(
            found, key=lambda p: np.hypot(p.center[0] - box.center[0], p.center[1] - box.center[1])
        )
        assert np.hypot(best.center[0] - box.center[0], best.center[1] - box.center[1]) < 0.15
        assert abs(best.dimensions[0] - max(box.dimensions[:2])) < 0.15
        if box.dimensions[0] > box.dimensions[1]:  # a square footprint has no heading
            assert abs(np.sin(best.yaw - box.yaw)) < 0.05
