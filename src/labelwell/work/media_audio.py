"""Waveform peaks, spectrograms, speech-region and transcript suggestions for an
item's audio, for members who may see the item
(:func:`labelwell.work.media_files.item_media_file`). Decoded samples and their
peaks are cached under ``$LABELWELL_HOME/cache/audio``. Nothing here stores a
label: speech regions and transcripts are suggestions the annotator takes or not."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from sqlalchemy.orm import Session

from labelwell.errors import InvalidInput
from labelwell.media import audio
from labelwell.work.actors import Actor
from labelwell.work.media_files import model_server

#: Most segments one transcription request may send, and the longest segment.
MAX_SEGMENTS = 200
MAX_SEGMENT_S = 120.0


@lru_cache(maxsize=4)
def cache(home: Path) -> audio.AudioCache:
    """The decoded-audio cache of one labelwell home."""
    return audio.AudioCache(home / "cache" / "audio")


def peaks(
    path: Path, points: int, home: Path, start: float = 0.0, end: float | None = None
) -> audio.Peaks:
    """About ``points`` peaks from ``start`` to ``end`` seconds (the whole file by default)."""
    return cache(home).peaks(path, points, start, end)


def spectrogram(
    path: Path, columns: int, home: Path, start: float = 0.0, end: float | None = None
) -> np.ndarray:
    """``columns`` spectra over ``start`` to ``end`` seconds, on the full-scale
    dB scale every window of the file shares."""
    samples = cache(home).samples(path)
    a, b = audio.sample_window(len(samples), start, end)
    return audio.spectrogram(samples[a:b], columns, full_scale=True)


def speech_regions(path: Path, aggressiveness: int, home: Path) -> list[tuple[float, float]]:
    return audio.speech_regions(cache(home).samples(path), aggressiveness=aggressiveness)


def asr_url(session: Session, actor: Actor, item_id: int) -> str:
    """The speech server the item's project names (``settings.asr_url``)."""
    return model_server(session, actor, item_id, "asr_url", "names no speech server")


@dataclass(frozen=True)
class Segment:
    start: float
    end: float


def transcribe(url: str, path: Path, segments: Sequence[Segment], home: Path) -> audio.Transcript:
    """Each segment's text from the speech server at ``url``."""
    samples = cache(home).samples(path)
    duration = len(samples) / audio.RATE
    if len(segments) > MAX_SEGMENTS:
        raise InvalidInput(f"at most {MAX_SEGMENTS} segments at once", field="segments")
    for i, seg in enumerate(segments):
        if not 0 <= seg.start < seg.end:
            raise InvalidInput("start must be at least 0 and before end", field=f"segments[{i}]")
        if seg.end > duration + 0.05:
            raise InvalidInput(
                f"end {seg.end} s is past the end of the audio ({duration:.3f} s)",
                field=f"segments[{i}].end",
            )
        if seg.end - seg.start > MAX_SEGMENT_S:
            raise InvalidInput(
                f"a segment may last at most {MAX_SEGMENT_S:g} s", field=f"segments[{i}]"
            )
    return audio.transcribe(url, samples, [(s.start, s.end) for s in segments])
