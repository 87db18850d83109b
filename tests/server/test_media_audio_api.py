"""The audio tool's routes: peaks, spectrogram, speech regions and transcripts
for members of the item's project only; suggestions, never stored labels."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from asr_server import asr_server
from labelwell.formats.registry import ImportRow
from labelwell.media import audio
from labelwell.store.tables import Annotation, Prediction
from media_api import as_, item_ids, media_dir, media_world

ONTOLOGY = {
    "name": "talk",
    "controls": [
        {"name": "turns", "type": "time_region", "source": "audio", "labels": ["speech", "noise"]}
    ],
}


@pytest.fixture
def world(db, settings):
    samples, bursts = audio.speechlike(8.0, seed=5)
    (media_dir(settings) / "talk.wav").write_bytes(audio.wav_bytes(samples))
    row = ImportRow(line=1, data={"audio": "talk.wav", "duration": 8.0}, external_id="a1")
    w = media_world(db, "talk", ONTOLOGY, [row], filename="audio.jsonl")
    w.bursts = bursts
    return w


def _item(api, world):
    return item_ids(api, world)["a1"]


def test_peaks_and_spectrogram(api, world, settings):
    item = _item(api, world)
    r = api.get(
        f"/api/v1/items/{item}/audio/0/peaks",
        params={"points": 400},
        headers=as_(world, world.manager),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["duration"] == pytest.approx(8.0)
    assert 0 < len(body["max"]) == len(body["min"]) <= 400
    assert max(body["max"]) > 0.1 and min(body["min"]) < -0.1
    assert list((settings.home / "cache" / "audio").glob("*.npy"))
    r = api.get(
        f"/api/v1/items/{item}/audio/0/spectrogram",
        params={"columns": 20},
        headers=as_(world, world.manager),
    )
    assert r.status_code == 200, r.text
    assert len(r.json()) == 20 and len(r.json()[0]) == 256


def test_peaks_and_spectrogram_of_a_window(api, world):
    item = _item(api, world)
    headers = as_(world, world.manager)
    url = f"/api/v1/items/{item}/audio/0"
    r = api.get(f"{url}/peaks", params={"points": 300, "start": 2.0, "end": 3.5}, headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["start"] == pytest.approx(2.0) and body["end"] == pytest.approx(3.5)
    assert 0 < len(body["max"]) <= 300 and body["duration"] == pytest.approx(8.0)
    # the window's peaks agree with the whole file's at the same resolution
    whole = api.get(f"{url}/peaks", params={"points": 2000}, headers=headers).json()
    assert max(body["max"]) <= max(whole["max"]) + 1e-3
    r = api.get(f"{url}/spectrogram", params={"columns": 30, "start": 1, "end": 2}, headers=headers)
    assert r.status_code == 200, r.text
    assert len(r.json()) == 30 and len(r.json()[0]) == 256
    for params, field in (
        ({"start": 9.0}, "start"),
        ({"start": 3.0, "end": 2.0}, "end"),
    ):
        for what in ("peaks", "spectrogram"):
            r = api.get(f"{url}/{what}", params=params, headers=headers)
            assert r.status_code == 422, r.text
            assert field in r.text
    r = api.get(f"{url}/peaks", params={"start": -1}, headers=headers)
    assert r.status_code == 422 and "start" in r.text


def test_speech_regions_are_suggestions(api, world, db):
    item = _item(api, world)
    r = api.get(f"/api/v1/items/{item}/audio/0/speech", headers=as_(world, world.manager))
    assert r.status_code == 200, r.text
    found = r.json()["data"]
    assert r.json()["detector"] == "webrtcvad" and found
    first = world.bursts[0]
    assert any(f["start"] <= first[0] + 0.1 and f["end"] >= first[1] - 0.1 for f in found)
    with db.read_session() as s:
        stored = s.scalar(select(func.count()).select_from(Annotation))
        assert stored == 0 and s.scalar(select(func.count()).select_from(Prediction)) == 0


def test_transcripts_from_the_project_speech_server(api, world, db):
    item = _item(api, world)
    (a0, b0, _), (_, b1, _) = world.bursts[0], world.bursts[1]
    body = {
        "segments": [
            {"start": max(0, a0 - 0.1), "end": b0 + 0.1},
            {"start": max(0, a0 - 0.1), "end": b1 + 0.1},
        ]
    }
    url = f"/api/v1/items/{item}/audio/0/transcribe"
    r = api.post(url, json=body, headers=as_(world, world.manager))
    assert r.status_code == 422 and "asr_url" in r.text
    with asr_server() as server:
        r = api.patch(
            f"/api/v1/projects/{world.project_id}/settings",
            json={"asr_url": server},
            headers=as_(world, world.manager),
        )
        assert r.status_code == 200, r.text
        r = api.post(url, json=body, headers=as_(world, world.manager))
        assert r.status_code == 200, r.text
        assert r.json()["model"] == "burst-counter"
        assert r.json()["data"] == ["1 bursts", "2 bursts"]
        r = api.post(
            url, json={"segments": [{"start": 1, "end": 90}]}, headers=as_(world, world.manager)
        )
        assert r.status_code == 422 and "past the end" in r.text


def test_only_members_reach_the_audio(api, world):
    item = _item(api, world)
    for path in ("peaks", "spectrogram", "speech"):
        r = api.get(f"/api/v1/items/{item}/audio/0/{path}", headers=as_(world, world.outsider))
        assert r.status_code in (403, 404), r.text
    r = api.get(f"/api/v1/items/{item}/audio/3/peaks", headers=as_(world, world.manager))
    assert r.status_code == 404
    r = api.get(
        f"/api/v1/items/{item}/audio/0/peaks",
        params={"points": 0},
        headers=as_(world, world.manager),
    )
    assert r.status_code == 422
