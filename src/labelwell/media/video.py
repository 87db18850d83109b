"""Video frames by number, tracks between keyframes, and a tracker's suggestions.

* **Frame index.** A video's frames are numbered in presentation order: frame
  ``i`` is the packet with the ``i``-th smallest presentation timestamp (pts).
  :func:`build_index` demuxes the stream once (no decoding) and records every
  frame's pts and which frames are keyframes; :func:`load_index` keeps that in a
  JSON file under a cache folder, keyed by the file's path, size and mtime.
  Seeking to frame ``i`` then means: seek to the last keyframe at or before it
  and decode forward until the frame whose pts is ``pts[i]`` (exact, whatever the
  container's timestamps look like).
* **Interpolation.** A track is a list of keyframes ``{frame, x, y, width,
  height, outside?, occluded?}``; between two keyframes the box moves linearly
  ``b(f) = b_a + (f - a) / (b - a) * (b_b - b_a)``, the rule of CVAT's
  interpolation mode (``cvat/apps/dataset_manager/annotation.py``,
  ``TrackManager.get_interpolated_shapes``): a track is absent before its first
  keyframe, absent from a keyframe marked ``outside`` until the next keyframe,
  holds its last box to the end of the video, and ``occluded`` carries over from
  the keyframe before. The browser's ``static/js/tools/video_tracks.js`` follows
  the same rule; a test checks that the two agree.
* **Propagation.** :func:`propagate` follows a box over the next frames with
  the Median Flow tracker (Kalal, Mikolajczyk & Matas 2010, "Forward-Backward
  Error: Automatic Detection of Tracking Failures", ICPR), built on OpenCV's
  pyramidal Lucas-Kanade optical flow. OpenCV 5's headless wheel has no
  MedianFlow, CSRT or KCF, and its MIL tracker draws its training samples from
  a random generator that ``cv2.setRNGSeed`` does not reach: the same box on
  the same frames gave different boxes on each call, some of them lost. Median
  Flow is deterministic, and its forward-backward error says when it is lost.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np

from labelwell.errors import InvalidInput

#: Fields of a keyframe beyond the box.
FLAGS = ("outside", "occluded")
INDEX_VERSION = 1


@dataclass(frozen=True)
class VideoIndex:
    """Where each frame is: pts in presentation order and the keyframes."""

    frames: int
    fps: float
    width: int
    height: int
    time_base: tuple[int, int]
    pts: list[int]
    keyframes: list[int]  # frame numbers of keyframes, increasing

    def keyframe_before(self, frame: int) -> int:
        """The last keyframe at or before ``frame`` (0 when there is none)."""
        at = int(np.searchsorted(self.keyframes, frame, side="right")) - 1
        return self.keyframes[at] if at >= 0 else 0

    def timecode(self, frame: int) -> str:
        """``hh:mm:ss:ff`` (SMPTE-style, non-drop, frames within the second)."""
        rate = max(1, round(self.fps))
        seconds, ff = divmod(frame, rate)
        return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}:{ff:02d}"


def build_index(path: Path) -> VideoIndex:
    """Demux ``path`` once: every frame's pts (presentation order) and keyframes."""
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError) as exc:
        raise InvalidInput(f"{path.name}: not a video PyAV can read ({exc})") from None
    with container:
        if not container.streams.video:
            raise InvalidInput(f"{path.name}: has no video stream")
        stream = container.streams.video[0]
        entries: list[tuple[int, bool]] = []
        for packet in container.demux(stream):
            if packet.size == 0:
                continue  # the flush packet
            if packet.pts is None:
                entries = []
                break
            entries.append((int(packet.pts), bool(packet.is_keyframe)))
        if not entries:  # no pts in the container: decode to learn them
            container.seek(0)
            for i, frame in enumerate(container.decode(stream)):
                entries.append((int(frame.pts if frame.pts is not None else i), frame.key_frame))
        entries.sort()
        rate = stream.average_rate or stream.guessed_rate or Fraction(25)
        base = stream.time_base or Fraction(1, int(rate))
        return VideoIndex(
            frames=len(entries),
            fps=float(rate),
            width=int(stream.codec_context.width),
            height=int(stream.codec_context.height),
            time_base=(base.numerator, base.denominator),
            pts=[p for p, _ in entries],
            keyframes=[i for i, (_, key) in enumerate(entries) if key] or [0],
        )


def video_key(path: Path) -> str:
    """A name for this version of the file (path, size, mtime) in the cache."""
    stat = path.stat()
    key = f"{INDEX_VERSION}:{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}"
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _write(target: Path, data: bytes) -> None:
    """``data`` into ``target`` whole or not at all (readers never see half a file)."""
    tmp = target.with_name(f".{target.name}.{threading.get_ident()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(target)


def load_index(path: Path, cache: Path) -> VideoIndex:
    """The index of ``path``, from ``cache`` when the file has not changed."""
    target = cache / f"{video_key(path)}.json"
    try:
        raw = json.loads(target.read_text())
        return VideoIndex(**{**raw, "time_base": tuple(raw["time_base"])})
    except (OSError, ValueError, TypeError, KeyError):
        pass
    index = build_index(path)
    cache.mkdir(parents=True, exist_ok=True)
    _write(target, json.dumps(asdict(index)).encode())
    return index


class FrameReader:
    """Frames of one video by number. Keeps the decoder where it stopped, so the
    next frame (playback, stepping) costs one decode rather than a seek."""

    def __init__(self, path: Path, index: VideoIndex) -> None:
        self.path = path
        self.index = index
        self.lock = threading.Lock()
        self._container = av.open(str(path))
        self._stream = self._container.streams.video[0]
        self._stream.thread_type = "AUTO"
        self._frames: Iterator[av.VideoFrame] | None = None
        self._last = -1  # frame number of the last frame decoded

    def close(self) -> None:
        self._container.close()

    def _seek(self, frame: int) -> None:
        key = self.index.keyframe_before(frame)
        self._container.seek(self.index.pts[key], stream=self._stream, backward=True)
        self._frames = self._container.decode(self._stream)
        self._last = -1

    def frame(self, number: int) -> np.ndarray:
        """Frame ``number`` (0-based) as an RGB array ``(height, width, 3)``."""
        index = self.index
        if not 0 <= number < index.frames:
            raise InvalidInput(f"frame {number} is outside 0..{index.frames - 1}")
        target = index.pts[number]
        with self.lock:
            near = self._frames is not None and self._last < number
            if not near or index.keyframe_before(number) > self._last:
                self._seek(number)
            assert self._frames is not None
            for decoded in self._frames:
                pts = decoded.pts
                if pts is None or pts < target:
                    continue
                self._last = number
                if pts > target:  # a frame the demuxer listed but never shows
                    self._last = -1
                return decoded.to_ndarray(format="rgb24")
            self._frames = None
        raise InvalidInput(f"frame {number} could not be decoded")


#: The widest frame the browser is sent: a workspace shows a frame at most about
#: this wide, and a 1080p JPEG is twice the bytes to send and decode. Boxes stay
#: in the video's own pixels (the page scales its overlay).
SHOWN_WIDTH = 1280


def jpeg(rgb: np.ndarray, quality: int = 85, max_width: int | None = None) -> bytes:
    """An RGB frame as JPEG bytes, scaled down (area averaging) to ``max_width``."""
    height, width = rgb.shape[:2]
    if max_width is not None and width > max_width:
        size = (max_width, max(1, round(height * max_width / width)))
        rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(
        ".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality]
    )
    if not ok:
        raise InvalidInput("the frame could not be encoded as JPEG")
    return bytes(buf.tobytes())


def gops(index: VideoIndex) -> list[tuple[int, int]]:
    """The video's groups of pictures as ``(first, end)`` frame ranges: from each
    keyframe up to the next (the frames one seek and one decoder pass serve)."""
    starts = sorted({0, *index.keyframes})
    return [(a, b) for a, b in zip(starts, [*starts[1:], index.frames], strict=True) if b > a]


def extract_frames(
    path: Path,
    index: VideoIndex,
    folder: Path,
    quality: int = 85,
    max_width: int | None = None,
    wanted: Callable[[], int] = lambda: 0,
) -> int:
    """Decode the whole video once into ``folder/<n>.jpg``, one group of pictures
    at a time (a seek to its keyframe, one decoder pass to the next keyframe: a
    frame costs one decode); ``folder/complete`` marks the end. CVAT does the
    same when a task is made (its "chunks"); here it runs in the background
    after the first request, and requests read the frames it has written. Before
    each group it asks ``wanted()`` for the frame the annotator is at and takes
    that frame's group first, then the groups after it (the way one steps),
    then the rest, as a player buffers around the playhead."""
    folder.mkdir(parents=True, exist_ok=True)
    number = {pts: n for n, pts in enumerate(index.pts)}
    groups = gops(index)
    starts = [g[0] for g in groups]
    todo = set(range(len(groups)))
    written = 0
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        while todo:
            at = int(np.searchsorted(starts, wanted(), side="right")) - 1
            g = min(todo, key=lambda k: (k - at) % len(groups))
            todo.discard(g)
            first, end = groups[g]
            container.seek(index.pts[first], stream=stream, backward=True)
            for frame in container.decode(stream):
                n = number.get(frame.pts if frame.pts is not None else -1)
                if n is None or n < first:
                    continue  # before the group (an open GOP's leading frames)
                if n >= end:
                    break
                data = jpeg(frame.to_ndarray(format="rgb24"), quality, max_width)
                _write(folder / f"{n}.jpg", data)
                written += 1
    (folder / "complete").write_text(str(written))
    return written


class ReaderCache:
    """A few open :class:`FrameReader`, recent JPEG frames in memory, and each
    video's frames extracted to disk in the background (videos of at most
    ``extract_limit`` frames; longer ones are decoded on demand only), all at
    most ``width`` pixels wide. A frame asked for that is not on disk yet is
    decoded on demand, and the extraction turns to its group of pictures next
    (``folder/wanted`` says which frame, for whichever process extracts)."""

    def __init__(
        self,
        cache: Path,
        readers: int = 8,
        jpegs: int = 256,
        extract_limit: int = 30_000,
        width: int | None = SHOWN_WIDTH,
    ) -> None:
        self.cache = cache
        self.width = width
        self._readers: OrderedDict[Path, FrameReader] = OrderedDict()
        self._jpegs: OrderedDict[tuple[Path, int], bytes] = OrderedDict()
        self._max = (readers, jpegs)
        self._extract_limit = extract_limit
        self._extracting: set[Path] = set()
        self._lock = threading.Lock()

    def reader(self, path: Path) -> FrameReader:
        with self._lock:
            found = self._readers.get(path)
            if found is not None:
                self._readers.move_to_end(path)
                return found
        made = FrameReader(path, load_index(path, self.cache))
        with self._lock:
            self._readers[path] = made
            while len(self._readers) > self._max[0]:
                self._readers.popitem(last=False)[1].close()
        return made

    def frames_folder(self, path: Path) -> Path:
        return self.cache / video_key(path)

    def _extract(self, path: Path, reader: FrameReader) -> None:
        """Start extracting ``path``'s frames unless this process or another is at it."""
        folder = self.frames_folder(path)
        with self._lock:
            if path in self._extracting or reader.index.frames > self._extract_limit:
                return
            self._extracting.add(path)
        folder.mkdir(parents=True, exist_ok=True)
        try:  # one process per video: the first to make the claim file
            (folder / "claim").open("x").close()
        except FileExistsError:
            return

        def wanted() -> int:
            try:
                return int((folder / "wanted").read_text())
            except (OSError, ValueError):
                return 0

        def work() -> None:
            try:
                extract_frames(path, reader.index, folder, max_width=self.width, wanted=wanted)
            except (av.error.FFmpegError, OSError):
                (folder / "claim").unlink(missing_ok=True)  # a later request tries again
                with self._lock:
                    self._extracting.discard(path)

        threading.Thread(target=work, name=f"frames {path.name}", daemon=True).start()

    def jpeg(self, path: Path, number: int) -> bytes:
        with self._lock:
            found = self._jpegs.get((path, number))
            if found is not None:
                self._jpegs.move_to_end((path, number))
                return found
        reader = self.reader(path)
        if not 0 <= number < reader.index.frames:
            raise InvalidInput(f"frame {number} is outside 0..{reader.index.frames - 1}")
        folder = self.frames_folder(path)
        try:
            data = (folder / f"{number}.jpg").read_bytes()
        except OSError:
            data = jpeg(reader.frame(number), max_width=self.width)
            if reader.index.frames <= self._extract_limit:
                folder.mkdir(parents=True, exist_ok=True)
                _write(folder / "wanted", str(number).encode())
            self._extract(path, reader)
        with self._lock:
            self._jpegs[(path, number)] = data
            while len(self._jpegs) > self._max[1]:
                self._jpegs.popitem(last=False)
        return data


# -- tracks ---------------------------------------------------------------------


def interpolate(keyframes: Sequence[dict[str, Any]], frames: int) -> np.ndarray:
    """A track's box on every frame ``0..frames-1``: ``(frames, 6)`` rows of
    ``x, y, width, height, present, occluded`` (0/1), by the rule in the module
    docstring. Keyframes must be sorted by frame (the schema checks that)."""
    out = np.zeros((frames, 6))
    if not keyframes or frames <= 0:
        return out
    f = np.array([int(k["frame"]) for k in keyframes])
    box = np.array([[k["x"], k["y"], k["width"], k["height"]] for k in keyframes], dtype=float)
    outside = np.array([bool(k.get("outside")) for k in keyframes])
    occluded = np.array([bool(k.get("occluded")) for k in keyframes], dtype=float)
    grid = np.arange(frames)
    at = np.searchsorted(f, grid, side="right") - 1  # keyframe at or before each frame
    seen = at >= 0
    a = np.clip(at, 0, len(f) - 1)
    b = np.clip(at + 1, 0, len(f) - 1)
    span = np.where(b > a, f[b] - f[a], 1)
    t = np.where(b > a, (grid - f[a]) / span, 0.0)
    # Moving towards an ``outside`` keyframe: the box holds still until it goes.
    t = np.where(outside[b], 0.0, t)
    out[:, :4] = box[a] + t[:, None] * (box[b] - box[a])
    out[:, 4] = (seen & ~outside[a]).astype(float)
    out[:, 5] = occluded[a] * out[:, 4]
    out[:, :4] *= out[:, 4:5]
    return out


def box_at(keyframes: Sequence[dict[str, Any]], frame: int) -> dict[str, Any] | None:
    """The track's box on one frame, or None where it is absent."""
    row = interpolate(keyframes, frame + 1)[frame]
    if not row[4]:
        return None
    x, y, w, h = (round(float(v), 3) for v in row[:4])
    return {"frame": frame, "x": x, "y": y, "width": w, "height": h, "occluded": bool(row[5])}


def track_boxes(
    tracks: Sequence[dict[str, Any]], frames: int
) -> Iterator[tuple[int, dict[str, Any], np.ndarray]]:
    """``(frame, track, row)`` for every frame each track is present on, in frame
    order (the order MOTChallenge files list them); ``row`` as :func:`interpolate`."""
    expanded = [(t, interpolate(t["keyframes"], frames)) for t in tracks]
    for frame in range(frames):
        for track, rows in expanded:
            if rows[frame, 4]:
                yield frame, track, rows[frame]


def frames_needed(tracks: Sequence[dict[str, Any]], data: dict[str, Any]) -> int:
    """How many frames a video's tracks span: ``data["frames"]`` when the item
    gives it, else one past the last keyframe."""
    given = data.get("frames")
    if isinstance(given, int) and given > 0:
        return given
    last = [int(k["frame"]) for t in tracks for k in t.get("keyframes", [])]
    return max(last, default=-1) + 1


# -- propagation ------------------------------------------------------------------


#: Median Flow's grid of points in the box (Kalal et al. 2010 use 10 x 10)
GRID = 10
#: a frame whose median forward-backward error passes this many pixels is a
#: tracking failure (Kalal et al. 2010, section 4: the median FB error)
MAX_FB_ERROR_PX = 10.0


def _flow(a: np.ndarray, b: np.ndarray, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where ``points`` of ``a`` are in ``b`` (pyramidal Lucas-Kanade), and which
    were found."""
    moved, found, _ = cv2.calcOpticalFlowPyrLK(
        a, b, points, None, winSize=(15, 15), maxLevel=3,
        criteria=(cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 30, 0.01),
    )  # fmt: skip
    return np.asarray(moved), np.asarray(found)


def _median_flow_step(
    prev: np.ndarray, nxt: np.ndarray, box: tuple[float, float, float, float]
) -> tuple[float, float, float, float] | None:
    """One Median Flow step (Kalal et al. 2010): a grid of points in ``box`` on
    ``prev`` is tracked to ``nxt`` and back with Lucas-Kanade; the half of the
    points with the smallest forward-backward error moves the box by their median
    displacement and scales it by the median ratio of their pairwise distances.
    None when the median error says the track is lost."""
    x, y, w, h = box
    gx, gy = np.meshgrid(
        np.linspace(x, x + w, GRID + 2)[1:-1], np.linspace(y, y + h, GRID + 2)[1:-1]
    )
    p0 = np.stack([gx.ravel(), gy.ravel()], axis=1).astype(np.float32).reshape(-1, 1, 2)
    p1, ok1 = _flow(prev, nxt, p0)
    back, ok2 = _flow(nxt, prev, p1)
    good = (ok1.ravel() == 1) & (ok2.ravel() == 1)
    if good.sum() < 4:
        return None
    a, b = p0.reshape(-1, 2)[good], p1.reshape(-1, 2)[good]
    fb = np.linalg.norm(a - back.reshape(-1, 2)[good], axis=1)
    if float(np.median(fb)) > MAX_FB_ERROR_PX:
        return None
    keep = fb <= np.median(fb)
    a, b = a[keep], b[keep]
    dx, dy = np.median(b - a, axis=0)
    scale = 1.0
    if len(a) >= 2:
        i, j = np.triu_indices(len(a), k=1)
        before = np.linalg.norm(a[i] - a[j], axis=1)
        ratios = np.linalg.norm(b[i] - b[j], axis=1)[before > 0] / before[before > 0]
        if ratios.size:
            scale = float(np.median(ratios))
    cx, cy = x + w / 2 + float(dx), y + h / 2 + float(dy)
    w, h = w * scale, h * scale
    return cx - w / 2, cy - h / 2, w, h


def propagate(
    reader: FrameReader, frame: int, box: dict[str, float], count: int
) -> list[dict[str, float]]:
    """Boxes on frames ``frame+1 .. frame+count`` from the Median Flow tracker
    started on ``box`` at ``frame``; stops early where the tracker loses it, the
    box leaves the frame, or the video ends. Suggestions only: nothing is stored.
    The same box on the same frames always gives the same boxes."""
    first = reader.frame(frame)
    height, width = first.shape[:2]
    x, y = max(0.0, float(box["x"])), max(0.0, float(box["y"]))
    w = min(float(box["width"]), width - x)
    h = min(float(box["height"]), height - y)
    if w < 2 or h < 2:
        raise InvalidInput("box: needs at least 2x2 pixels inside the frame")
    current = (x, y, w, h)
    prev = cv2.cvtColor(first, cv2.COLOR_RGB2GRAY)
    found: list[dict[str, float]] = []
    for n in range(frame + 1, min(reader.index.frames, frame + 1 + count)):
        nxt = cv2.cvtColor(reader.frame(n), cv2.COLOR_RGB2GRAY)
        moved = _median_flow_step(prev, nxt, current)
        if moved is None:
            break
        bx, by, bw, bh = moved
        if bw < 2 or bh < 2 or bx + bw <= 0 or by + bh <= 0 or bx >= width or by >= height:
            break
        current = moved
        found.append({"frame": n, "x": round(bx, 2), "y": round(by, 2),
                      "width": round(bw, 2), "height": round(bh, 2)})  # fmt: skip
        prev = nxt
    return found


# -- demo media -------------------------------------------------------------------


def write_demo_video(
    path: Path, frames: int = 48, size: tuple[int, int] = (320, 240), fps: int = 24
) -> list[list[dict[str, Any]]]:
    """A short H.264 video of two rectangles moving across a grey field; returns
    each rectangle's true box per frame (the answer key for tests)."""
    width, height = size
    path.parent.mkdir(parents=True, exist_ok=True)
    truth: list[list[dict[str, Any]]] = [[], []]
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        stream.codec_context.gop_size = 12
        stream.options = {"preset": "veryfast", "crf": "23"}
        for i in range(frames):
            image = np.full((height, width, 3), 70, np.uint8)
            image[::16, :] = 90
            moving = [
                (10 + i * (width - 80) // max(1, frames - 1), 40, 60, 40, (230, 80, 60)),
                (width - 70 - i * (width - 120) // max(1, frames - 1), 140, 50, 60, (70, 140, 230)),
            ]
            for k, (x, y, w, h, colour) in enumerate(moving):
                image[y : y + h, x : x + w] = colour
                truth[k].append({"frame": i, "x": x, "y": y, "width": w, "height": h})
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return truth
