"""An item's audio for the time-region tool: waveform peaks, a spectrogram, and
suggestions (speech regions from webrtcvad, transcripts from the project's
speech server) for members who may see the item; nothing here stores a label."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from pydantic import Field

from labelwell.media import audio
from labelwell.server.deps import Ctx
from labelwell.server.schemas import PathId, Public, Strict
from labelwell.work import media_audio
from labelwell.work.media_files import item_media_file

router = APIRouter(tags=["media"])

MediaIndex = Annotated[int, PathParam(ge=0, le=1000)]
Seconds = Annotated[float, Field(ge=0, le=1e7)]
WindowStart = Annotated[
    float, Query(ge=0, le=1e7, description="Seconds from the start where the window begins.")
]
WindowEnd = Annotated[
    float | None,
    Query(gt=0, le=1e7, description="Seconds where the window ends (default: the end)."),
]


class PeaksPublic(Public):
    duration: float = Field(description="Seconds of audio.")
    sample_rate: int = Field(description="The rate the audio was decoded at (16 kHz).")
    samples_per_peak: float = Field(description="Samples (at 16 kHz) behind each peak.")
    start: float = Field(description="Seconds where the first peak's run begins.")
    end: float = Field(description="Seconds where the last peak's run ends.")
    max: list[float] = Field(description="Each run's highest sample, -1..1.")
    min: list[float] = Field(description="Each run's lowest sample, -1..1.")


class SpeechRegion(Public):
    start: float
    end: float


class SpeechPublic(Public):
    detector: str = Field(description="What found the regions (webrtcvad).")
    data: list[SpeechRegion]


class SegmentIn(Strict):
    start: Seconds
    end: Seconds


class TranscribeRequest(Strict):
    segments: list[SegmentIn] = Field(min_length=1, max_length=media_audio.MAX_SEGMENTS)


class TranscriptPublic(Public):
    model: str
    version: str
    data: list[str] = Field(description="One transcript per segment, in request order.")


@router.get("/items/{item_id}/audio/{index}/peaks", response_model=PeaksPublic)
async def audio_peaks(
    item_id: PathId,
    index: MediaIndex,
    ctx: Ctx,
    points: Annotated[int, Query(ge=1, le=audio.MAX_POINTS)] = 4000,
    start: WindowStart = 0.0,
    end: WindowEnd = None,
) -> PeaksPublic:
    """About ``points`` min/max peaks over ``start`` to ``end`` seconds of the
    item's audio ``index`` (the whole file by default), for drawing the visible
    window of its waveform. The audio is decoded once on the server into a peak
    pyramid; a request reads only its window's slice of one level."""

    def run() -> audio.Peaks:
        with ctx.db.read_session() as s:
            path = item_media_file(s, ctx.actor, item_id, index, ctx.settings.home)
        return media_audio.peaks(path, points, ctx.settings.home, start, end)

    found = await run_in_threadpool(run)
    return PeaksPublic(**found.to_dict())


@router.get("/items/{item_id}/audio/{index}/spectrogram", response_model=list[list[int]])
async def audio_spectrogram(
    item_id: PathId,
    index: MediaIndex,
    ctx: Ctx,
    columns: Annotated[int, Query(ge=1, le=audio.MAX_COLUMNS)] = 800,
    start: WindowStart = 0.0,
    end: WindowEnd = None,
) -> list[list[int]]:
    """``columns`` spectra spread over ``start`` to ``end`` seconds of the audio
    (the whole file by default), each 256 bins from 0 Hz to 8 kHz scaled 0..255
    from 80 dB below a full-scale sine to it; only the window is transformed."""

    def run() -> list[list[int]]:
        with ctx.db.read_session() as s:
            path = item_media_file(s, ctx.actor, item_id, index, ctx.settings.home)
        found = media_audio.spectrogram(path, columns, ctx.settings.home, start, end)
        return found.tolist()  # type: ignore[no-any-return]

    return await run_in_threadpool(run)


@router.get("/items/{item_id}/audio/{index}/speech", response_model=SpeechPublic)
async def audio_speech(
    item_id: PathId,
    index: MediaIndex,
    ctx: Ctx,
    aggressiveness: Annotated[int, Query(ge=0, le=3)] = 2,
) -> SpeechPublic:
    """Speech regions webrtcvad finds, as suggestions for the annotator."""

    def run() -> list[tuple[float, float]]:
        with ctx.db.read_session() as s:
            path = item_media_file(s, ctx.actor, item_id, index, ctx.settings.home)
        return media_audio.speech_regions(path, aggressiveness, ctx.settings.home)

    found = await run_in_threadpool(run)
    return SpeechPublic(detector="webrtcvad", data=[SpeechRegion(start=a, end=b) for a, b in found])


@router.post("/items/{item_id}/audio/{index}/transcribe", response_model=TranscriptPublic)
async def audio_transcribe(
    item_id: PathId, index: MediaIndex, body: TranscribeRequest, ctx: Ctx
) -> TranscriptPublic:
    """Transcripts of the segments from the project's speech server
    (``settings.asr_url``), as suggestions for the annotator."""

    def run() -> audio.Transcript:
        with ctx.db.read_session() as s:
            path = item_media_file(s, ctx.actor, item_id, index, ctx.settings.home)
            url = media_audio.asr_url(s, ctx.actor, item_id)
        segments = [media_audio.Segment(g.start, g.end) for g in body.segments]
        return media_audio.transcribe(url, path, segments, ctx.settings.home)

    found = await run_in_threadpool(run)
    return TranscriptPublic(model=found.model, version=found.version, data=found.texts)
