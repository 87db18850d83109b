"""Audio for the time-region tool: decoded once, then peaks, a spectrogram,
speech regions and segments for a speech recogniser, all from the cache.

* **Decoding.** :func:`decode` reads any file PyAV (FFmpeg) opens, downmixes it
  to mono and resamples it to 16 kHz signed 16-bit samples (the rate webrtcvad
  and most speech recognisers take). :class:`AudioCache` keeps those samples as
  a ``.npy`` file under a cache folder keyed by the file's path, size and mtime,
  with min/max peaks at several resolutions beside it, so a file is decoded once
  and later requests read a memory map.
* **Peaks.** A waveform drawn at ``n`` points shows, for each run of samples,
  its minimum and maximum: the scheme of audiowaveform (BBC R&D, the ``.dat``
  format peaks.js reads) and of wavesurfer.js's ``exportPeaks``. A pyramid of
  levels is kept at 32, 160, 800, 4,000 and 16,000 samples per peak, each level a
  ``.npy`` file read through a memory map. A request names a window (``start``
  to ``end`` seconds, the whole file by default) and ``n`` points: it reads only
  that window's slice of the finest level with at most ``8 n`` peaks in it (the
  samples themselves under the finest level) and reduces it, so the first view of
  an hour and each zoomed or scrolled view cost the same, whatever the length.
* **Spectrogram.** Short-time Fourier transform (Allen & Rabiner 1977, "A
  unified approach to short-time Fourier analysis and synthesis", Proc. IEEE
  65(11)) with a Hann window, magnitudes in dB over an 80 dB range scaled to
  0..255: the form wavesurfer.js's spectrogram plugin reads from
  ``frequenciesDataUrl``. Only the ``columns`` frames drawn are transformed, and
  only over the window asked for; a window's dB are relative to a full-scale
  sine (not its own loudest bin), so neighbouring windows share one scale.
* **Speech regions.** webrtcvad (the WebRTC project's GMM voice activity
  detector) classifies 30 ms frames; runs of speech frames are joined across
  gaps shorter than ``join_gap`` and runs shorter than ``min_speech`` dropped,
  the smoothing of py-webrtcvad's ``example.py`` collector in spirit.
* **Transcripts.** :func:`transcribe` sends segments as WAV to a speech
  recognition server over labelwell's model backend protocol
  (:mod:`labelwell.assist.http_backend`) extended by one route::

      POST /transcribe  {"sample_rate": 16000,
                         "segments": [{"id": .., "start": s, "end": s,
                                       "audio": "<base64 WAV>"}, ...]}
      -> {"model": .., "version": .., "segments": [{"id": .., "text": ".."}, ...]}
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import threading
import wave
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import httpx
import numpy as np
import webrtcvad

from labelwell.assist.http_backend import ModelBackendError
from labelwell.errors import InvalidInput

RATE = 16_000
LEVELS = (32, 160, 800, 4_000, 16_000)
MAX_POINTS = 400_000
MAX_COLUMNS = 8_000
#: the longest audio decoded (its cache takes 115 MB an hour)
MAX_SECONDS = 12 * 3600
_LOCK = threading.Lock()


def decode(path: Path | str) -> np.ndarray:
    """The first audio stream of ``path`` as mono 16 kHz int16 samples (at most
    :data:`MAX_SECONDS`)."""
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError) as exc:
        raise InvalidInput(f"cannot open the audio: {exc}", field="media") from None
    with container:
        streams = container.streams.audio
        if not streams:
            raise InvalidInput("the media has no audio stream", field="media")
        resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
        chunks: list[np.ndarray] = []
        total = 0
        try:
            for frame in container.decode(streams[0]):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().reshape(-1))
                    total += len(chunks[-1])
                if total > MAX_SECONDS * RATE:
                    raise InvalidInput(
                        f"the audio lasts more than {MAX_SECONDS / 3600:g} hours", field="media"
                    )
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
        except av.error.FFmpegError as exc:
            raise InvalidInput(f"cannot decode the audio: {exc}", field="media") from None
    if not chunks:
        return np.zeros(0, dtype=np.int16)
    return np.concatenate(chunks).astype(np.int16, copy=False)


def min_max(samples: np.ndarray, per_peak: int) -> tuple[np.ndarray, np.ndarray]:
    """Minimum and maximum of each run of ``per_peak`` samples (the last run may
    be shorter), vectorised over a reshaped view."""
    n = len(samples)
    if n == 0:
        return np.zeros(0, samples.dtype), np.zeros(0, samples.dtype)
    whole = n // per_peak * per_peak
    body = np.asarray(samples[:whole]).reshape(-1, per_peak)
    lo, hi = body.min(axis=1), body.max(axis=1)
    if whole < n:
        tail = np.asarray(samples[whole:])
        lo = np.append(lo, tail.min())
        hi = np.append(hi, tail.max())
    return lo, hi


def peak_levels(samples: np.ndarray) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Min/max peaks at every level of :data:`LEVELS` (each built from the one before)."""
    levels: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    lo, hi = min_max(samples, LEVELS[0])
    levels[LEVELS[0]] = (lo, hi)
    for prev, level in zip(LEVELS, LEVELS[1:], strict=False):
        step = level // prev
        lo, hi = min_max(lo, step)[0], min_max(hi, step)[1]
        levels[level] = (lo, hi)
    return levels


@dataclass(frozen=True)
class Peaks:
    """A waveform at ``len(max)`` points from ``start`` to ``end`` seconds of audio
    lasting ``duration`` seconds, values in -1..1; peak ``k`` covers the samples
    from ``start * RATE + k * samples_per_peak`` on."""

    duration: float
    samples_per_peak: float
    max: np.ndarray
    min: np.ndarray
    start: float
    end: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "duration": self.duration,
            "sample_rate": RATE,
            "samples_per_peak": self.samples_per_peak,
            "start": self.start,
            "end": self.end,
            # rounded as float64: a float32 rounded to 3 decimals prints 17 digits
            "max": np.round(self.max.astype(np.float64), 3).tolist(),
            "min": np.round(self.min.astype(np.float64), 3).tolist(),
        }


def level_for(n_samples: int, points: int) -> int:
    """The finest level with at most ``8 * points`` peaks over ``n_samples``."""
    for level in LEVELS:
        if -(-n_samples // level) <= 8 * points:
            return level
    return LEVELS[-1]


#: ``read(level, first, stop)``: the min and max peaks ``first`` to ``stop`` of a
#: level (level 1: the samples themselves)
PeakReader = Callable[[int, int, int], tuple[np.ndarray, np.ndarray]]


def sample_window(n_samples: int, start: float, end: float | None) -> tuple[int, int]:
    """The samples from ``start`` to ``end`` seconds (``None``: the end), checked."""
    a = int(np.floor(start * RATE))
    b = n_samples if end is None else min(n_samples, int(np.ceil(end * RATE)))
    if end is not None and end <= start:
        raise InvalidInput("end must be after start", field="end")
    if a >= n_samples or b <= a:
        raise InvalidInput(
            f"start {start:g} s is past the end of the audio ({n_samples / RATE:.3f} s)",
            field="start",
        )
    return a, b


def window_peaks(
    read: PeakReader,
    n_samples: int,
    points: int,
    start: float = 0.0,
    end: float | None = None,
    raw: bool = True,
) -> Peaks:
    """About ``points`` peaks from ``start`` to ``end`` seconds, reduced from the
    finest pyramid level with at most ``8 * points`` peaks in the window (the
    samples themselves, ``raw``, when the finest level has fewer than ``points``
    peaks there); only the window's slice of that level is read."""
    points = max(1, min(points, MAX_POINTS))
    a, b = sample_window(n_samples, start, end)
    level = 1 if raw and b - a < LEVELS[0] * points else level_for(b - a, points)
    first, stop = a // level, -(-b // level)
    lo, hi = read(level, first, stop)
    step = max(1, -(-(stop - first) // points))
    lo, hi = min_max(lo, step)[0], min_max(hi, step)[1]
    scale = 1 / 32768
    return Peaks(
        duration=n_samples / RATE,
        samples_per_peak=float(level * step),
        max=hi.astype(np.float32) * scale,
        min=lo.astype(np.float32) * scale,
        start=first * level / RATE,
        end=min(n_samples, stop * level) / RATE,
    )


def reduce_peaks(
    levels: dict[int, tuple[np.ndarray, np.ndarray]],
    n_samples: int,
    points: int,
    start: float = 0.0,
    end: float | None = None,
) -> Peaks:
    """About ``points`` peaks from ``start`` to ``end`` seconds (the whole file by
    default) from the ``levels`` of :func:`peak_levels`."""

    def read(level: int, first: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = levels[level]
        return lo[first:stop], hi[first:stop]

    return window_peaks(read, n_samples, points, start, end, raw=False)


def pyramid_offsets(n_samples: int) -> dict[int, tuple[int, int]]:
    """Where each level's peaks lie in the one array :class:`AudioCache` keeps
    them in: ``level -> (offset, count)``, the levels one after the other."""
    out: dict[int, tuple[int, int]] = {}
    offset = 0
    for level in LEVELS:
        count = -(-n_samples // level)
        out[level] = (offset, count)
        offset += count
    return out


def spectrogram(
    samples: np.ndarray,
    columns: int,
    n_fft: int = 512,
    range_db: float = 80.0,
    full_scale: bool = False,
) -> np.ndarray:
    """``columns`` STFT frames spread evenly over ``samples`` as uint8
    ``[columns, n_fft // 2]`` (255: the loudest bin, or with ``full_scale`` a
    full-scale sine's bin, which keeps one scale across windows of one file;
    0: ``range_db`` below that)."""
    columns = max(1, min(columns, MAX_COLUMNS))
    n = len(samples)
    if n < n_fft:
        padded = np.zeros(n_fft, np.float32)
        padded[:n] = samples[:n]
        samples, n = padded, n_fft
    starts = np.linspace(0, n - n_fft, columns).astype(np.int64)
    idx = starts[:, None] + np.arange(n_fft)[None, :]
    frames = np.asarray(samples)[idx].astype(np.float32) / 32768
    window = np.hanning(n_fft).astype(np.float32)
    frames *= window
    mags = np.abs(np.fft.rfft(frames, axis=1))[:, : n_fft // 2]
    db = 20 * np.log10(np.maximum(mags, 1e-10))
    # a sine of amplitude 1 on a bin puts half the window's sum in it
    top = 20 * float(np.log10(window.sum() / 2)) if full_scale else float(db.max())
    scaled = (db - (top - range_db)) / range_db * 255
    return np.clip(scaled, 0, 255).astype(np.uint8)


def speech_regions(
    samples: np.ndarray,
    aggressiveness: int = 2,
    frame_ms: int = 30,
    min_speech: float = 0.2,
    join_gap: float = 0.3,
) -> list[tuple[float, float]]:
    """Speech as ``(start, end)`` seconds from webrtcvad over ``frame_ms`` frames."""
    if aggressiveness not in (0, 1, 2, 3):
        raise InvalidInput("aggressiveness must be 0, 1, 2 or 3", field="aggressiveness")
    if frame_ms not in (10, 20, 30):
        raise InvalidInput("frame_ms must be 10, 20 or 30", field="frame_ms")
    vad = webrtcvad.Vad(aggressiveness)
    size = RATE * frame_ms // 1000
    count = len(samples) // size
    data = np.ascontiguousarray(samples[: count * size], dtype="<i2").tobytes()
    step = size * 2
    voiced = np.fromiter(
        (vad.is_speech(data[i * step : (i + 1) * step], RATE) for i in range(count)),
        dtype=bool,
        count=count,
    )
    frame_s = frame_ms / 1000
    edges = np.diff(np.concatenate([[0], voiced.astype(np.int8), [0]]))
    runs = list(
        zip(
            np.flatnonzero(edges == 1) * frame_s, np.flatnonzero(edges == -1) * frame_s, strict=True
        )
    )
    joined: list[list[float]] = []
    for start, end in runs:
        if joined and start - joined[-1][1] < join_gap:
            joined[-1][1] = float(end)
        else:
            joined.append([float(start), float(end)])
    return [(round(a, 3), round(b, 3)) for a, b in joined if b - a >= min_speech]


def wav_bytes(samples: np.ndarray) -> bytes:
    """``samples`` (16 kHz int16) as a WAV file."""
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(np.ascontiguousarray(samples, dtype="<i2").tobytes())
    return out.getvalue()


def clip(samples: np.ndarray, start: float, end: float) -> np.ndarray:
    """The samples from ``start`` to ``end`` seconds."""
    return np.asarray(samples[int(start * RATE) : int(end * RATE)])


@dataclass(frozen=True)
class Transcript:
    model: str
    version: str
    texts: list[str]


def transcribe(
    url: str,
    samples: np.ndarray,
    segments: Sequence[tuple[float, float]],
    timeout: float = 60.0,
    client: httpx.Client | None = None,
) -> Transcript:
    """Each ``(start, end)`` segment's text from the speech server at ``url``."""
    payload = {
        "sample_rate": RATE,
        "segments": [
            {
                "id": i,
                "start": start,
                "end": end,
                "audio": base64.b64encode(wav_bytes(clip(samples, start, end))).decode(),
            }
            for i, (start, end) in enumerate(segments)
        ],
    }
    own = client is None
    http = client or httpx.Client(timeout=timeout)
    base = url.rstrip("/")
    try:
        resp = http.post(base + "/transcribe", json=payload)
    except httpx.HTTPError as exc:
        raise ModelBackendError(f"speech server at {base} unreachable: {exc}") from exc
    finally:
        if own:
            http.close()
    if resp.status_code >= 400:
        raise ModelBackendError(
            f"speech server POST /transcribe answered {resp.status_code}: {resp.text[:200]}"
        )
    try:
        body = resp.json()
        by_id = {s["id"]: str(s["text"]) for s in body["segments"]}
        texts = [by_id[i] for i in range(len(segments))]
    except (ValueError, KeyError, TypeError) as exc:
        raise ModelBackendError(
            f"speech server answered outside the protocol ({exc!r}): {resp.text[:200]}"
        ) from None
    return Transcript(str(body.get("model", "")), str(body.get("version", "")), texts)


class AudioCache:
    """Decoded samples and their peak pyramid under ``folder``, one pair of files
    per source file version (path, size, mtime): ``<key>.npy`` the samples,
    ``<key>.pyramid.npy`` a ``[2, peaks]`` int16 array (minima, maxima) holding
    every level of :data:`LEVELS` one after the other (:func:`pyramid_offsets`).
    Both are read through memory maps, so a request touches only its window."""

    FORMAT = "2"  # the pyramid's layout; a new one decodes anew

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _key(self, path: Path) -> str:
        st = path.stat()
        ident = f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}|{self.FORMAT}"
        return hashlib.sha256(ident.encode()).hexdigest()[:32]

    def _build(self, path: Path, key: str) -> None:
        samples = decode(path)
        levels = peak_levels(samples)
        pyramid = np.empty((2, sum(len(lo) for lo, _ in levels.values())), np.int16)
        for level, (offset, count) in pyramid_offsets(len(samples)).items():
            pyramid[0, offset : offset + count] = levels[level][0]
            pyramid[1, offset : offset + count] = levels[level][1]
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / f"{key}.{os.getpid()}.{threading.get_ident()}"
        np.save(f"{tmp}.p.npy", pyramid)
        np.save(f"{tmp}.npy", samples)
        os.replace(f"{tmp}.p.npy", self.folder / f"{key}.pyramid.npy")
        (self.folder / f"{key}.json").write_text(json.dumps({"source": str(path)}))
        os.replace(f"{tmp}.npy", self.folder / f"{key}.npy")  # last: the entry is whole

    def _ensure(self, path: Path) -> str:
        key = self._key(path)
        if not (self.folder / f"{key}.npy").is_file():
            with _LOCK:
                if not (self.folder / f"{key}.npy").is_file():
                    self._build(path, key)
        return key

    def samples(self, path: Path) -> np.ndarray:
        """The decoded samples, memory-mapped."""
        key = self._ensure(path)
        samples: np.ndarray = np.load(self.folder / f"{key}.npy", mmap_mode="r")
        return samples

    def peaks(self, path: Path, points: int, start: float = 0.0, end: float | None = None) -> Peaks:
        """About ``points`` peaks from ``start`` to ``end`` seconds (the whole
        file by default), read from the window's slice of one pyramid level."""
        key = self._ensure(path)
        samples = np.load(self.folder / f"{key}.npy", mmap_mode="r")
        pyramid = np.load(self.folder / f"{key}.pyramid.npy", mmap_mode="r")
        offsets = pyramid_offsets(len(samples))

        def read(level: int, first: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
            if level == 1:
                run = np.asarray(samples[first:stop])
                return run, run
            offset, count = offsets[level]
            lo = np.asarray(pyramid[0, offset + first : offset + min(stop, count)])
            hi = np.asarray(pyramid[1, offset + first : offset + min(stop, count)])
            return lo, hi

        return window_peaks(read, len(samples), points, start, end)


def speechlike(
    seconds: float, seed: int = 0, speakers: Sequence[float] = (120.0, 210.0)
) -> tuple[np.ndarray, list[tuple[float, float, int]]]:
    """Synthetic speech-like audio (16 kHz int16) and its ``(start, end, speaker)``
    bursts: voiced bursts of 0.4-1.6 s separated by 0.3-1.2 s of near silence, each
    a harmonic series on the speaker's pitch shaped by two formant bumps (the
    source-filter model of speech, Fant 1960, "Acoustic Theory of Speech Production")."""
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    out = rng.normal(0, 30, n)  # a quiet noise floor
    bursts: list[tuple[float, float, int]] = []
    t = float(rng.uniform(0.2, 0.6))
    while True:
        length = float(rng.uniform(0.4, 1.6))
        if t + length > seconds - 0.1:
            break
        who = int(rng.integers(len(speakers)))
        a, b = int(t * RATE), int((t + length) * RATE)
        time = np.arange(b - a) / RATE
        f0 = speakers[who] * (1 + 0.08 * np.sin(2 * np.pi * 3 * time))
        phase = 2 * np.pi * np.cumsum(f0) / RATE
        f1, f2 = rng.uniform(400, 800), rng.uniform(1000, 2200)
        voice = np.zeros(b - a)
        for k in range(1, int(3500 / speakers[who])):
            freq = k * speakers[who]
            gain = np.exp(-(((freq - f1) / 200) ** 2)) + 0.6 * np.exp(-(((freq - f2) / 300) ** 2))
            voice += (gain + 0.05) * np.sin(k * phase)
        envelope = np.sin(np.pi * time / length) ** 0.5 * (0.6 + 0.4 * np.sin(2 * np.pi * 4 * time))
        out[a:b] += 6000 * envelope * voice / max(1e-9, np.abs(voice).max())
        bursts.append((round(t, 3), round(t + length, 3), who))
        t += length + float(rng.uniform(0.3, 1.2))
    return np.clip(out, -32768, 32767).astype(np.int16), bursts
