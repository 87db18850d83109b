"""The console's import takes a format and, for label files that hold no media,
a model: a diarizer's RTTM goes onto the audio items it names as that model's
predictions; without a model the server's refusal says what to do. In English
and in Korean."""

from __future__ import annotations

from pathlib import Path

from web.helpers import UNLABELLED, login, shot


def _upload(page, path: Path, fmt: str, model: str) -> str:
    page.set_input_files("#import-file", str(path))
    page.select_option("#import-format", fmt)
    page.fill("#import-model", model)
    page.click("#import-form button[type=submit]")
    page.wait_for_selector("#import-status.ok, #import-status.error")
    return str(page.inner_text("#import-status"))


def test_a_label_file_goes_onto_the_items_it_names(page, site, tmp_path):
    audio = site.seeded.ids["demo-audio"]
    item = site.api("GET", f"/projects/{audio}/items").json()["data"][0]["id"]
    rttm = tmp_path / "diarization.rttm"
    rttm.write_text(
        f"SPEAKER {item} 1 0.500 1.250 <NA> <NA> alice <NA> <NA>\n"
        f"SPEAKER {item} 1 2.000 0.750 <NA> <NA> bob <NA> <NA>\n"
    )
    login(page, "admin@demo.labelwell")
    page.goto(f"/projects/{audio}/manage")
    assert page.evaluate(UNLABELLED) == []
    refused = _upload(page, rttm, "rttm", "")
    assert "--predictions-of" in refused and "hold no media" in refused
    done = _upload(page, rttm, "rttm", "diarizer@1")
    assert done == f"✓ predictions of diarizer@1 from {rttm.name}: 1"
    shot(page, "import-predictions")
    stored = site.api("GET", f"/items/{item}/predictions").json()
    preds = stored["data"] if isinstance(stored, dict) else stored
    (mine,) = [p for p in preds if p["model_name"] == "diarizer@1"]
    speakers = [r["speaker"] for r in next(iter(mine["result"].values()))]
    assert speakers == ["alice", "bob"]

    bad = tmp_path / "bad.rttm"
    bad.write_text(f"SPEAKER {item} 1 0.5 soon <NA> <NA> alice <NA> <NA>\n")
    assert "bad.rttm line 1: duration must be a number" in _upload(page, bad, "rttm", "m")

    page.select_option("#lang-select", "ko")
    page.click("form[action='/lang'] button")
    page.wait_for_selector("html[lang=ko]")
    page.goto(f"/projects/{audio}/manage")
    assert "모델의 예측으로" in page.inner_text("#import-form")
    done = _upload(page, rttm, "rttm", "diarizer@2")
    assert done == f"✓ {rttm.name}에서 diarizer@2의 예측 1개를 붙였습니다"
