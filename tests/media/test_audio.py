from __future__ import annotations

import wave

import av
import numpy as np
import pytest

from asr_server import asr_server
from labelwell.assist.http_backend import ModelBackendError
from labelwell.errors import InvalidInput
from labelwell.media import audio


def test_decode_downmixes_and_resamples(tmp_path) -> None:
    # a 44.1 kHz stereo WAV: left a 440 Hz tone, right silence
    rate = 44_100
    t = np.arange(rate) / rate
    left = (8000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)
    stereo = np.stack([left, np.zeros_like(left)], axis=1)
    path = tmp_path / "a.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(stereo.tobytes())
    samples = audio.decode(path)
    assert samples.dtype == np.int16
    assert abs(len(samples) - audio.RATE) <= 32
    spectrum = np.abs(np.fft.rfft(samples.astype(float)))
    assert abs(np.argmax(spectrum) * audio.RATE / len(samples) - 440) < 2
    assert 3000 < np.abs(samples).max() < 8001  # the downmix halves the left channel


def test_decode_reads_compressed_audio(tmp_path) -> None:
    samples, _ = audio.speechlike(2.0, seed=3)
    path = tmp_path / "a.m4a"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("aac", rate=audio.RATE, layout="mono")
        frame = av.AudioFrame.from_ndarray(
            samples.astype(np.float32)[None, :] / 32768, format="fltp", layout="mono"
        )
        frame.sample_rate = audio.RATE
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    decoded = audio.decode(path)
    # AAC adds an encoder delay and pads the last frame (1,024 samples each)
    assert abs(len(decoded) - len(samples)) < 2 * 1024


def test_decode_refuses_what_is_not_audio(tmp_path) -> None:
    path = tmp_path / "a.wav"
    path.write_text("not audio at all")
    with pytest.raises(InvalidInput):
        audio.decode(path)


def test_peaks_agree_with_a_direct_min_max() -> None:
    rng = np.random.default_rng(0)
    samples = rng.integers(-30000, 30000, 1_000_003).astype(np.int16)
    levels = audio.peak_levels(samples)
    for level, (lo, hi) in levels.items():
        n = -(-len(samples) // level)
        assert len(lo) == len(hi) == n
        for i in (0, n // 2, n - 1):
            run = samples[i * level : (i + 1) * level]
            assert lo[i] == run.min() and hi[i] == run.max()
    peaks = audio.reduce_peaks(levels, len(samples), 1000)
    assert len(peaks.max) <= 1000
    assert peaks.max.max() == pytest.approx(samples.max() / 32768)
    assert peaks.min.min() == pytest.approx(samples.min() / 32768)
    assert peaks.duration == pytest.approx(len(samples) / audio.RATE)
    assert peaks.start == 0 and peaks.end == pytest.approx(peaks.duration)


def test_a_window_reads_only_its_slice_of_one_level(tmp_path) -> None:
    rng = np.random.default_rng(5)
    samples = rng.integers(-30000, 30000, 60 * audio.RATE).astype(np.int16)
    path = tmp_path / "a.wav"
    path.write_bytes(audio.wav_bytes(samples))
    cache = audio.AudioCache(tmp_path / "cache")
    read: list[tuple[int, int, int]] = []
    levels = audio.peak_levels(samples)

    def reader(level: int, first: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
        read.append((level, first, stop))
        if level == 1:
            return samples[first:stop], samples[first:stop]
        return levels[level][0][first:stop], levels[level][1][first:stop]

    # 10 s to 12 s at 500 points: level 32 would give 1,000 peaks, kept
    peaks = audio.window_peaks(reader, len(samples), 500, 10.0, 12.0)
    assert read == [(32, 5000, 6000)]
    assert len(peaks.max) == 500 and peaks.samples_per_peak == 64
    assert peaks.start == pytest.approx(10.0) and peaks.end == pytest.approx(12.0)
    for k in (0, 250, 499):
        a = int(peaks.start * audio.RATE + k * peaks.samples_per_peak)
        run = samples[a : a + 64]
        assert peaks.max[k] == pytest.approx(run.max() / 32768)
        assert peaks.min[k] == pytest.approx(run.min() / 32768)
    # the same window from the cache's memory-mapped pyramid
    cached = cache.peaks(path, 500, 10.0, 12.0)
    assert np.array_equal(cached.max, peaks.max) and np.array_equal(cached.min, peaks.min)
    # a window shorter than the finest level can draw: the samples themselves
    read.clear()
    fine = audio.window_peaks(reader, len(samples), 1000, 30.0, 30.5)
    assert read == [(1, 30 * audio.RATE, int(30.5 * audio.RATE))]
    assert fine.samples_per_peak == 8
    assert cache.peaks(path, 1000, 30.0, 30.5).max.tolist() == fine.max.tolist()
    # the whole file at 1,800 points (the default window)
    whole = cache.peaks(path, 1800)
    assert len(whole.max) <= 1800 and whole.samples_per_peak == 640  # level 160, by 4
    assert whole.max.max() == pytest.approx(samples.max() / 32768)
    with pytest.raises(InvalidInput, match="past the end"):
        cache.peaks(path, 100, 61.0, 62.0)
    with pytest.raises(InvalidInput, match="after start"):
        cache.peaks(path, 100, 5.0, 5.0)


def test_spectrogram_peaks_at_the_tone() -> None:
    t = np.arange(audio.RATE * 2) / audio.RATE
    tone = (10000 * np.sin(2 * np.pi * 1000 * t)).astype(np.int16)
    spec = audio.spectrogram(tone, 50)
    assert spec.shape == (50, 256) and spec.dtype == np.uint8
    bin_hz = audio.RATE / 512
    assert np.all(np.abs(spec.argmax(axis=1) * bin_hz - 1000) <= bin_hz)
    assert spec.max() == 255
    # on the full-scale scale a sine at a third of full scale lies about 9.5 dB
    # below the top (255 - 9.5 / 80 * 255), whatever else the window holds
    third = (32767 / 3 * np.sin(2 * np.pi * 1000 * t)).astype(np.int16)
    top = int(audio.spectrogram(third, 10, full_scale=True).max())
    assert top == pytest.approx(255 - 20 * np.log10(3) / 80 * 255, abs=4)


def test_speech_regions_find_the_bursts() -> None:
    samples, bursts = audio.speechlike(30.0, seed=1)
    found = audio.speech_regions(samples)
    # every burst is covered by a found region, and found speech lies on bursts
    for start, end, _ in bursts:
        covered = sum(max(0.0, min(end, b) - max(start, a)) for a, b in found)
        assert covered >= 0.8 * (end - start)
    truth = np.zeros(len(samples) // 160, bool)
    for start, end, _ in bursts:
        truth[int(start * 100) : int(end * 100)] = True
    said = np.zeros_like(truth)
    for a, b in found:
        said[int(a * 100) : int(b * 100)] = True
    assert (said & ~truth).sum() / said.sum() < 0.25  # joined gaps only
    assert audio.speech_regions(np.zeros(audio.RATE * 3, np.int16)) == []


def test_transcribe_through_a_speech_server() -> None:
    samples, bursts = audio.speechlike(12.0, seed=2)
    (a0, b0, _), (_, b1, _) = bursts[0], bursts[1]
    with asr_server() as url:
        found = audio.transcribe(url, samples, [(a0 - 0.1, b0 + 0.1), (a0 - 0.1, b1 + 0.1)])
        assert found.model == "burst-counter"
        assert found.texts == ["1 bursts", "2 bursts"]
        with pytest.raises(ModelBackendError, match="404"):
            audio.transcribe(url + "/nowhere", samples, [(0, 1)])
    with pytest.raises(ModelBackendError, match="unreachable"):
        audio.transcribe(url, samples, [(0, 1)])


def test_cache_decodes_once(tmp_path) -> None:
    samples, _ = audio.speechlike(3.0, seed=4)
    path = tmp_path / "a.wav"
    path.write_bytes(audio.wav_bytes(samples))
    cache = audio.AudioCache(tmp_path / "cache")
    peaks = cache.peaks(path, 100)
    assert peaks.duration == pytest.approx(3.0)
    assert len(list((tmp_path / "cache").glob("*.json"))) == 1
    assert np.array_equal(cache.samples(path), samples)
    cache.peaks(path, 50)
    assert len(list((tmp_path / "cache").glob("*.npy"))) == 2  # the samples and their pyramid


def test_the_demo_makes_speech_like_audio(tmp_path) -> None:
    from labelwell.demo import ONTOLOGIES, _audio_rows
    from labelwell.schema import Ontology

    rows = _audio_rows(tmp_path, n=2, seconds=6.0)
    ontology = Ontology.from_dict(ONTOLOGIES["demo-audio"])
    for row in rows:
        ontology.validate_data(row.data)
        samples = audio.decode(row.media[0])
        assert len(samples) == pytest.approx(6.0 * audio.RATE, abs=1)
        assert audio.speech_regions(samples)  # bursts of "speech" with silences between


def test_decode_stops_past_the_longest_audio(tmp_path, monkeypatch) -> None:
    path = tmp_path / "a.wav"
    path.write_bytes(audio.wav_bytes(np.zeros(3 * audio.RATE, np.int16)))
    monkeypatch.setattr(audio, "MAX_SECONDS", 2)
    with pytest.raises(InvalidInput, match="more than"):
        audio.decode(path)
