"""Point clouds for the cuboid tool: PCD, PLY and KITTI ``.bin`` frames read into
one ``(n, 4)`` float32 array ``x, y, z, intensity``, the compact buffer the browser
draws, a synthetic street scene for the demo, and machine help that proposes
cuboids (ground plane by RANSAC, objects by DBSCAN, yaw by the minimum-area
rectangle).

Formats:

* PCD v0.7 (Point Cloud Library, "The PCD (Point Cloud Data) file format",
  pointclouds.org/documentation/tutorials/pcd_file_format.html): ``DATA ascii``,
  ``binary`` (row-major records) and ``binary_compressed`` (two uint32 sizes, then
  LZF-compressed data stored field by field, as ``pcl::PCDWriter::writeBinaryCompressed``).
* PLY (Turk 1994, "The PLY Polygon File Format"): ``ascii``,
  ``binary_little_endian`` and ``binary_big_endian``; the ``vertex`` element must
  come first in a binary file (faces after it are not read).
* KITTI Velodyne scans (Geiger et al. 2013, "Vision meets Robotics: The KITTI
  Dataset", IJRR): little-endian float32 records ``x, y, z, reflectance``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from labelwell.errors import InvalidInput

#: The most points one frame may hold (a 128-beam scan has about 2.6 million).
MAX_POINTS = 4_000_000
#: Header lines read before giving up on a PCD or PLY header.
_MAX_HEADER_LINES = 200

_PCD_TYPES = {
    ("F", 4): "f4", ("F", 8): "f8", ("U", 1): "u1", ("U", 2): "u2", ("U", 4): "u4",
    ("U", 8): "u8", ("I", 1): "i1", ("I", 2): "i2", ("I", 4): "i4", ("I", 8): "i8",
}  # fmt: skip
_PLY_TYPES = {
    "char": "i1", "int8": "i1", "uchar": "u1", "uint8": "u1", "short": "i2", "int16": "i2",
    "ushort": "u2", "uint16": "u2", "int": "i4", "int32": "i4", "uint": "u4", "uint32": "u4",
    "float": "f4", "float32": "f4", "double": "f8", "float64": "f8",
}  # fmt: skip
_INTENSITY = ("intensity", "reflectance", "i", "remission", "scalar_intensity")


def _columns(fields: dict[str, np.ndarray], n: int, where: str) -> np.ndarray:
    """``x, y, z, intensity`` columns as one float32 array (intensity 0 if absent);
    points with a non-finite coordinate (PCL's organised clouds mark holes with NaN)
    are dropped."""
    missing = [axis for axis in "xyz" if axis not in fields]
    if missing:
        raise InvalidInput(f"{where}: no field {missing[0]!r} (fields: {', '.join(fields)})")
    out = np.zeros((n, 4), dtype=np.float32)
    for j, axis in enumerate("xyz"):
        out[:, j] = fields[axis]
    name = next((f for f in _INTENSITY if f in fields), None)
    if name is not None:
        out[:, 3] = fields[name]
    keep = np.isfinite(out[:, :3]).all(axis=1)
    return out if keep.all() else out[keep]


def _check_count(n: int, where: str) -> None:
    if n < 0 or n > MAX_POINTS:
        raise InvalidInput(f"{where}: {n} points is more than the {MAX_POINTS} a frame may hold")


def _header(raw: bytes, end_marker: bytes, where: str) -> tuple[list[str], int]:
    """Header lines up to and including the one starting with ``end_marker``, and
    the offset of the body."""
    lines: list[str] = []
    offset = 0
    for _ in range(_MAX_HEADER_LINES):
        nl = raw.find(b"\n", offset)
        if nl < 0:
            break
        line = raw[offset:nl].decode("ascii", "replace").strip()
        offset = nl + 1
        lines.append(line)
        if line.startswith(end_marker.decode()):
            return lines, offset
    raise InvalidInput(f"{where}: no {end_marker.decode()!r} line in the header")


def lzf_decompress(data: bytes, size: int) -> bytes:
    """LZF decompression (Lehmann, liblzf ``lzf_d.c``): a control byte below 32
    starts a literal run of ``ctrl + 1`` bytes; otherwise ``ctrl >> 5`` (7 meaning
    "read one more byte") plus 2 bytes are copied from ``((ctrl & 31) << 8) + next +
    1`` bytes back."""
    out = bytearray()
    i, n = 0, len(data)
    while i < n:
        ctrl = data[i]
        i += 1
        if ctrl < 32:
            run = ctrl + 1
            if i + run > n:
                raise InvalidInput("binary_compressed PCD: a literal run passes the end")
            out += data[i : i + run]
            i += run
            continue
        length = ctrl >> 5
        if length == 7:
            if i >= n:
                raise InvalidInput("binary_compressed PCD: the data stops inside a reference")
            length += data[i]
            i += 1
        if i >= n:
            raise InvalidInput("binary_compressed PCD: the data stops inside a reference")
        back = ((ctrl & 31) << 8) + data[i] + 1
        i += 1
        start = len(out) - back
        if start < 0:
            raise InvalidInput("binary_compressed PCD: a reference before the start")
        for k in range(length + 2):  # may overlap its own output
            out.append(out[start + k])
        if len(out) > size:
            break
    if len(out) != size:
        raise InvalidInput(f"binary_compressed PCD: {len(out)} bytes, the header says {size}")
    return bytes(out)


def read_pcd(raw: bytes) -> np.ndarray:
    """Points of a PCD file (see the module docstring)."""
    lines, offset = _header(raw, b"DATA", "PCD")
    head: dict[str, list[str]] = {}
    for line in lines:
        if line and not line.startswith("#"):
            key, *values = line.split()
            head[key.upper()] = values
    try:
        names = head["FIELDS"]
        sizes = [int(x) for x in head["SIZE"]]
        types = head["TYPE"]
        counts = [int(x) for x in head.get("COUNT", ["1"] * len(names))]
        n = (
            int(head["POINTS"][0])
            if "POINTS" in head
            else int(head["WIDTH"][0]) * int(head.get("HEIGHT", ["1"])[0])
        )
        mode = head["DATA"][0].lower()
    except (KeyError, IndexError, ValueError) as e:
        raise InvalidInput(f"PCD header: missing or bad {e}") from None
    if not len(names) == len(sizes) == len(types) == len(counts):
        raise InvalidInput("PCD header: FIELDS, SIZE, TYPE and COUNT differ in length")
    _check_count(n, "PCD")
    dtypes = []
    for name, size, kind, count in zip(names, sizes, types, counts, strict=True):
        code = _PCD_TYPES.get((kind.upper(), size))
        if code is None:
            raise InvalidInput(f"PCD header: field {name!r} has unknown TYPE {kind} SIZE {size}")
        dtypes.append((name, "<" + code, (count,)) if count > 1 else (name, "<" + code))
    record = np.dtype(dtypes)
    body = raw[offset:]
    fields: dict[str, np.ndarray] = {}
    if mode == "ascii":
        width = sum(counts)
        text = body.decode("ascii", "replace").split()
        if len(text) < n * width:
            raise InvalidInput(f"PCD ascii: {len(text)} values, {n * width} expected")
        try:
            table = np.array(text[: n * width], dtype=np.float64).reshape(n, width)
        except ValueError:
            raise InvalidInput("PCD ascii: a value is not a number") from None
        col = 0
        for name, count in zip(names, counts, strict=True):
            fields[name] = table[:, col]
            col += count
    elif mode == "binary":
        if len(body) < n * record.itemsize:
            raise InvalidInput(f"PCD binary: {len(body)} bytes, {n * record.itemsize} expected")
        data = np.frombuffer(body, dtype=record, count=n)
        fields = {name: data[name] for name in names if data[name].ndim == 1}
    elif mode == "binary_compressed":
        if len(body) < 8:
            raise InvalidInput("PCD binary_compressed: no size words")
        packed, size = np.frombuffer(body[:8], dtype="<u4")
        if size != n * record.itemsize:
            raise InvalidInput(
                f"PCD binary_compressed: {size} bytes, {n * record.itemsize} expected"
            )
        plain = lzf_decompress(body[8 : 8 + int(packed)], int(size))
        at = 0
        for name, size, kind, count in zip(names, sizes, types, counts, strict=True):
            if count == 1:
                fields[name] = np.frombuffer(
                    plain, dtype="<" + _PCD_TYPES[(kind.upper(), size)], count=n, offset=at
                )
            at += n * size * count
    else:
        raise InvalidInput(f"PCD header: unknown DATA {mode!r} (ascii, binary, binary_compressed)")
    return _columns(fields, n, "PCD")


def read_ply(raw: bytes) -> np.ndarray:
    """Points of a PLY file's ``vertex`` element (see the module docstring)."""
    if not raw.startswith(b"ply"):
        raise InvalidInput("PLY: the file does not start with 'ply'")
    lines, offset = _header(raw, b"end_header", "PLY")
    fmt = ""
    elements: list[tuple[str, int, list[tuple[str, str]]]] = []
    for line in lines:
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "format" and len(parts) >= 2:
            fmt = parts[1]
        elif parts[0] == "element" and len(parts) == 3 and parts[2].isdigit():
            elements.append((parts[1], int(parts[2]), []))
        elif parts[0] == "property" and elements:
            if parts[1] == "list":
                elements[-1][2].append((parts[-1], "list"))
            elif len(parts) == 3 and parts[1] in _PLY_TYPES:
                elements[-1][2].append((parts[2], _PLY_TYPES[parts[1]]))
            else:
                raise InvalidInput(f"PLY header: cannot read {line!r}")
    vertex = next((e for e in elements if e[0] == "vertex"), None)
    if vertex is None:
        raise InvalidInput("PLY: no 'vertex' element")
    _, n, props = vertex
    _check_count(n, "PLY")
    if any(kind == "list" for _, kind in props):
        raise InvalidInput("PLY: list properties on 'vertex' are not supported")
    body = raw[offset:]
    if fmt == "ascii":
        before = sum(count for name, count, _ in elements[: elements.index(vertex)])
        rows = body.decode("ascii", "replace").splitlines()[before : before + n]
        if len(rows) < n:
            raise InvalidInput(f"PLY ascii: {len(rows)} vertex lines, {n} expected")
        try:
            table = np.array([r.split()[: len(props)] for r in rows], dtype=np.float64)
        except ValueError:
            raise InvalidInput("PLY ascii: a vertex line is short or not numbers") from None
        fields = {name: table[:, j] for j, (name, _) in enumerate(props)}
    elif fmt in ("binary_little_endian", "binary_big_endian"):
        if elements[0] is not vertex:
            raise InvalidInput("PLY binary: the 'vertex' element must come first")
        order = "<" if fmt == "binary_little_endian" else ">"
        record = np.dtype([(name, order + kind) for name, kind in props])
        if len(body) < n * record.itemsize:
            raise InvalidInput(f"PLY binary: {len(body)} bytes, {n * record.itemsize} expected")
        data = np.frombuffer(body, dtype=record, count=n)
        fields = {name: data[name] for name, _ in props}
    else:
        raise InvalidInput(f"PLY header: unknown format {fmt!r}")
    return _columns(fields, n, "PLY")


def read_kitti_bin(raw: bytes) -> np.ndarray:
    """Points of a KITTI Velodyne ``.bin`` scan (float32 ``x, y, z, reflectance``)."""
    if len(raw) % 16:
        raise InvalidInput(f"KITTI .bin: {len(raw)} bytes is not a whole number of 16-byte points")
    _check_count(len(raw) // 16, "KITTI .bin")
    return (
        _columns(
            dict(zip("xyzi", np.frombuffer(raw, dtype="<f4").reshape(-1, 4).T, strict=True)),
            len(raw) // 16,
            "KITTI .bin",
        )
        if raw
        else np.zeros((0, 4), dtype=np.float32)
    )


def read_points(name: str, raw: bytes) -> np.ndarray:
    """Points of a frame, the reader chosen by the file name's suffix."""
    suffix = name.lower().rsplit("?", 1)[0].rsplit(".", 1)[-1]
    readers = {"pcd": read_pcd, "ply": read_ply, "bin": read_kitti_bin}
    if suffix not in readers:
        raise InvalidInput(f"{name}: not a point cloud (.pcd, .ply or KITTI .bin)")
    return readers[suffix](raw)


def to_buffer(points: np.ndarray) -> bytes:
    """The browser's buffer: little-endian float32 ``x, y, z, intensity`` per point."""
    return np.ascontiguousarray(points[:, :4], dtype="<f4").tobytes()


def write_pcd(points: np.ndarray, mode: str = "binary") -> bytes:
    """A PCD v0.7 file of ``x, y, z, intensity`` (``mode`` ascii or binary)."""
    pts = np.ascontiguousarray(points[:, :4], dtype="<f4")
    head = (
        "# .PCD v0.7 - Point Cloud Data file format\nVERSION 0.7\nFIELDS x y z intensity\n"
        f"SIZE 4 4 4 4\nTYPE F F F F\nCOUNT 1 1 1 1\nWIDTH {len(pts)}\nHEIGHT 1\n"
        f"VIEWPOINT 0 0 0 1 0 0 0\nPOINTS {len(pts)}\nDATA {mode}\n"
    ).encode()
    if mode == "ascii":
        return head + "".join(f"{x:.4f} {y:.4f} {z:.4f} {i:.4f}\n" for x, y, z, i in pts).encode()
    if mode != "binary":
        raise InvalidInput(f"write_pcd: mode must be ascii or binary, got {mode!r}")
    return head + pts.tobytes()


# ----------------------------------------------------------------- geometry


def cuboid_corners_bev(center: Sequence[float], dims: Sequence[float], yaw: float) -> np.ndarray:
    """The four ground-plane corners ``(4, 2)``, counter-clockwise, of a cuboid with
    length along its heading ``yaw`` (radians from the x axis, about z)."""
    c, s = np.cos(yaw), np.sin(yaw)
    half = np.array([[1, 1], [-1, 1], [-1, -1], [1, -1]], dtype=float) * [dims[0] / 2, dims[1] / 2]
    rot = np.array([[c, -s], [s, c]])
    corners: np.ndarray = half @ rot.T + np.asarray(center[:2], dtype=float)
    return corners


def points_in_cuboid(
    points: np.ndarray, center: Sequence[float], dims: Sequence[float], yaw: float
) -> np.ndarray:
    """Boolean mask of the points inside a yawed cuboid."""
    d = points[:, :3] - np.asarray(center, dtype=float)
    c, s = np.cos(yaw), np.sin(yaw)
    local_x = d[:, 0] * c + d[:, 1] * s
    local_y = -d[:, 0] * s + d[:, 1] * c
    inside: np.ndarray = (
        (np.abs(local_x) <= dims[0] / 2)
        & (np.abs(local_y) <= dims[1] / 2)
        & (np.abs(d[:, 2]) <= dims[2] / 2)
    )
    return inside


# ----------------------------------------------------------------- demo scenes


@dataclass(frozen=True)
class SceneBox:
    """A box the synthetic scene draws: label, centre, ``(l, w, h)`` and yaw."""

    label: str
    center: tuple[float, float, float]
    dimensions: tuple[float, float, float]
    yaw: float


def synthetic_scene(
    boxes: Sequence[SceneBox],
    n_ground: int = 20_000,
    per_box: int = 600,
    seed: int = 0,
    extent: float = 30.0,
) -> np.ndarray:
    """A street-like frame: a slightly tilted noisy ground plane over ``extent``
    metres and points on the faces of each box (a lidar sees surfaces)."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(-extent, extent, size=(n_ground, 2))
    z = 0.01 * xy[:, 0] - 0.005 * xy[:, 1] - 1.7 + rng.normal(0, 0.02, n_ground)
    parts = [np.column_stack([xy, z, rng.uniform(0.05, 0.2, n_ground)])]
    for box in boxes:
        local = rng.uniform(-0.5, 0.5, size=(per_box, 3))
        face = rng.integers(0, 3, per_box)
        local[np.arange(per_box), face] = np.sign(local[np.arange(per_box), face]) * 0.5
        local *= box.dimensions
        c, s = np.cos(box.yaw), np.sin(box.yaw)
        world = (
            np.column_stack(
                [
                    local[:, 0] * c - local[:, 1] * s,
                    local[:, 0] * s + local[:, 1] * c,
                    local[:, 2],
                ]
            )
            + box.center
        )
        parts.append(np.column_stack([world, rng.uniform(0.4, 1.0, per_box)]))
    return np.vstack(parts).astype(np.float32)


# ----------------------------------------------------------------- machine help


@dataclass(frozen=True)
class CuboidProposal:
    """A suggested cuboid: centre, ``(l, w, h)``, yaw and the points it holds."""

    center: tuple[float, float, float]
    dimensions: tuple[float, float, float]
    yaw: float
    num_points: int


def ground_mask(
    points: np.ndarray, threshold: float = 0.15, seed: int = 0, max_fit: int = 50_000
) -> np.ndarray:
    """Points within ``threshold`` metres of the dominant plane ``z = a x + b y + c``,
    found by RANSAC (Fischler & Bolles 1981, CACM 24(6)) with scikit-learn's
    ``RANSACRegressor`` on at most ``max_fit`` sampled points."""
    from sklearn.linear_model import LinearRegression, RANSACRegressor

    if len(points) < 3:
        return np.zeros(len(points), dtype=bool)
    rng = np.random.default_rng(seed)
    fit = (
        points
        if len(points) <= max_fit
        else points[rng.choice(len(points), max_fit, replace=False)]
    )
    model = RANSACRegressor(
        LinearRegression(), residual_threshold=threshold, random_state=seed, max_trials=100
    )
    model.fit(fit[:, :2].astype(np.float64), fit[:, 2].astype(np.float64))
    predicted = model.predict(points[:, :2].astype(np.float64))
    ground: np.ndarray = np.abs(points[:, 2] - predicted) <= threshold
    return ground


def propose_cuboids(
    points: np.ndarray,
    eps: float = 0.6,
    min_samples: int = 10,
    min_points: int = 30,
    max_points: int = 200_000,
    seed: int = 0,
) -> list[CuboidProposal]:
    """Cuboids around the objects of a frame: ground removed (:func:`ground_mask`),
    the rest clustered with DBSCAN (Ester et al. 1996, KDD; scikit-learn) on the
    ground plane, each cluster boxed by its minimum-area rectangle (rotating
    calipers, Freeman & Shapira 1975, CACM 18(7); OpenCV ``minAreaRect``) for yaw,
    length and width, and its z range for the height. The longer side is the length."""
    import cv2
    from sklearn.cluster import DBSCAN

    above = points[~ground_mask(points, seed=seed)]
    if len(above) > max_points:
        rng = np.random.default_rng(seed)
        above = above[rng.choice(len(above), max_points, replace=False)]
    if len(above) < min_points:
        return []
    labels = DBSCAN(eps=eps, min_samples=min_samples).fit_predict(above[:, :2])
    out = []
    for k in range(labels.max() + 1):
        cluster = above[labels == k]
        if len(cluster) < min_points:
            continue
        (cx, cy), (width, length), angle = cv2.minAreaRect(cluster[:, :2].astype(np.float32))
        yaw = np.deg2rad(angle)
        if length < width:  # keep the length along the heading
            length, width = width, length
        else:
            yaw += np.pi / 2
        yaw = float((yaw + np.pi / 2) % np.pi - np.pi / 2)
        z0, z1 = float(cluster[:, 2].min()), float(cluster[:, 2].max())
        out.append(
            CuboidProposal(
                center=(round(float(cx), 3), round(float(cy), 3), round((z0 + z1) / 2, 3)),
                dimensions=(
                    round(max(float(length), 0.05), 3),
                    round(max(float(width), 0.05), 3),
                    round(max(z1 - z0, 0.05), 3),
                ),
                yaw=round(yaw, 4),
                num_points=len(cluster),
            )
        )
    return out


# ----------------------------------------------------------------- demo sequences


def demo_boxes(frame: int) -> list[SceneBox]:
    """Boxes of frame ``frame`` of the demo's street: two cars driving along x at
    different speeds, a parked van and a pedestrian crossing."""
    return [
        SceneBox("car", (-8.0 + 1.5 * frame, 3.0, -0.95), (4.2, 1.8, 1.5), 0.0),
        SceneBox("car", (12.0 - 1.0 * frame, -3.2, -0.95), (4.5, 1.9, 1.5), np.pi),
        SceneBox("car", (6.0, 8.5, -0.8), (5.2, 2.1, 1.8), 0.35),
        SceneBox("pedestrian", (2.0, -7.0 + 0.7 * frame, -0.85), (0.6, 0.6, 1.7), np.pi / 2),
    ]


def camera_png(boxes: Sequence[SceneBox], width: int = 320, height: int = 180) -> bytes:
    """A forward camera's sketch of the scene (pinhole, 90° field of view, 1.7 m up):
    each box as a filled rectangle, far ones first; sky and road."""
    import cv2

    image = np.zeros((height, width, 3), dtype=np.uint8)
    image[: height // 2] = (235, 206, 170)  # sky (BGR)
    image[height // 2 :] = (90, 90, 90)  # road
    focal = width / 2
    colours = {"car": (60, 80, 220), "pedestrian": (60, 180, 60)}
    for box in sorted(boxes, key=lambda b: -b.center[0]):
        x, y, z = box.center
        if x < 1.0:
            continue
        half = max(box.dimensions[0], box.dimensions[1]) / 2
        u0 = int(width / 2 - focal * (y + half) / x)
        u1 = int(width / 2 - focal * (y - half) / x)
        v0 = int(height / 2 - focal * (z + box.dimensions[2] / 2) / x)
        v1 = int(height / 2 - focal * (z - box.dimensions[2] / 2) / x)
        cv2.rectangle(image, (u0, v0), (u1, v1), colours.get(box.label, (200, 200, 200)), -1)
    ok, png = cv2.imencode(".png", image)
    if not ok:
        raise RuntimeError("OpenCV could not encode the camera sketch")
    return bytes(png.tobytes())
