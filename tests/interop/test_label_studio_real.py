"""Round trips through a real Label Studio (1.23.2, in its own virtual
environment, never a labelwell dependency: $LABELWELL_LABEL_STUDIO_VENV, by
default benchmarks/.venv-labelstudio):
tasks annotated in Label Studio -> ``labelwell migrate label-studio`` over its
API -> ``label_studio`` export with its labeling config -> a new Label Studio
project imports both -> read back through its API: the labels are equal.

Skipped when that environment is missing, unless LABELWELL_REQUIRE_LABEL_STUDIO=1
(as in CI), which makes its absence a failure. Run only these with
``pytest -m labelstudio``; leave them out with ``-m "not labelstudio"``."""

from __future__ import annotations

import io
import os
import secrets
import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import orjson
import pytest

from labelwell.formats.label_studio import LabelStudioExporter
from labelwell.formats.label_studio_config import config_from_ontology
from labelwell.formats.ls_brush import brush_to_mask, mask_to_brush
from labelwell.store.migrate import upgrade
from labelwell.work import accounts, migrate, projects
from labelwell.work.actors import Actor
from labelwell.work.export import ExportFilter, export_to
from waiting import wait_for

pytestmark = pytest.mark.labelstudio

ROOT = Path(__file__).resolve().parents[2]
VENV = Path(
    os.environ.get("LABELWELL_LABEL_STUDIO_VENV") or ROOT / "benchmarks" / ".venv-labelstudio"
)
LS = VENV / "bin" / "label-studio"
USER = "migrator@example.org"
CHROMIUM = Path("/usr/bin/chromium")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LabelStudio:
    def __init__(self, url: str, token: str, password: str) -> None:
        self.url, self.token, self.password = url, token, password
        self.http = httpx.Client(
            base_url=url, headers={"Authorization": f"Token {token}"}, timeout=120
        )

    def project(self, title: str, config: str, tasks: list[dict]) -> int:
        r = self.http.post("/api/projects", json={"title": title, "label_config": config})
        assert r.status_code == 201, r.text
        pid = int(r.json()["id"])
        r = self.http.post(f"/api/projects/{pid}/import", json=tasks)
        assert r.status_code == 201, r.text
        return pid

    def export(self, pid: int) -> list[dict]:
        r = self.http.get(f"/api/projects/{pid}/export", params={"exportType": "JSON"})
        assert r.status_code == 200, r.text
        return sorted(r.json(), key=lambda t: t["id"])


@pytest.fixture(scope="session")
def label_studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabelStudio]:
    if not LS.exists():
        why = (
            f"Label Studio is not installed: python3 -m venv {VENV} && "
            f"{VENV}/bin/pip install label-studio==1.23.2 'sentry-sdk>=2.16,<3'"
        )
        if os.environ.get("LABELWELL_REQUIRE_LABEL_STUDIO") == "1":
            pytest.fail(why)
        pytest.skip(why)
    data = tmp_path_factory.mktemp("label-studio")
    port, token, password = _free_port(), secrets.token_hex(20), secrets.token_hex(12)
    env = {
        **os.environ,
        "LABEL_STUDIO_BASE_DATA_DIR": str(data),
        "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
        "DJANGO_DB": "sqlite",
        "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
        "LABEL_STUDIO_LOCAL_FILES_SERVING_ENABLED": "false",
    }
    log = open(data / "label-studio.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [str(LS), "start", "--no-browser", "--host", "127.0.0.1", "--port", str(port),
         "--data-dir", str(data), "--username", USER, "--password", password,
         "--user-token", token],
        env=env, start_new_session=True, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:

        def ready() -> bool:
            if proc.poll() is not None:
                tail = (data / "label-studio.log").read_text(errors="replace")[-2000:]
                pytest.fail(f"Label Studio exited before it answered /health:\n{tail}")
            try:
                return httpx.get(url + "/health", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        log_path = data / "label-studio.log"
        wait_for(ready, 600, f"Label Studio to answer {url}/health (its log: {log_path})")
        studio = LabelStudio(url, token, password)
        yield studio
        studio.http.close()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


@pytest.fixture
def admin(db) -> Actor:  # type: ignore[no-untyped-def]
    upgrade(db)
    with db.session() as s:
        return Actor.of(accounts.create_user(s, "admin@example.org", role="admin"))


# -- what is compared ------------------------------------------------------------------


def _r(v: Any) -> Any:
    return round(float(v), 3)


def _labels_of(region: dict) -> tuple[Any, ...]:
    v = region.get("value") or {}
    t = region["type"]
    if t == "relation":
        return (t, tuple(region.get("labels") or ()))
    key = [k for k in v if k.endswith("labels") or k in ("choices", "taxonomy")]
    labels = tuple(v[key[0]]) if key else ()
    if t == "labels":
        return (t, region["from_name"], labels, v["start"], v["end"], v["text"])
    if t == "rectanglelabels":
        return (t, labels, *(_r(v[k]) for k in ("x", "y", "width", "height")))
    if t == "polygonlabels":
        return (t, labels, tuple((_r(x), _r(y)) for x, y in v["points"]))
    if t == "keypointlabels":
        return (t, labels, _r(v["x"]), _r(v["y"]))
    if t == "brushlabels":
        h, w = region["original_height"], region["original_width"]
        return (t, labels, brush_to_mask(v["rle"], h, w).tobytes())
    if t == "pairwise":
        return (t, v["selected"])
    if t == "ranker":
        return (t, tuple(tuple(ids) for ids in v["ranker"].values()))
    return (t, region["from_name"], labels, tuple(v.get("text") or ()), v.get("rating"))


def _labels(tasks: list[dict]) -> list[list[Any]]:
    """Per task (in order), each annotation's regions, as compared."""
    out = []
    for task in tasks:
        anns = [sorted(_labels_of(r) for r in a["result"]) for a in task["annotations"]]
        out.append(sorted(anns))
    return out


def _round_trip(  # type: ignore[no-untyped-def]
    studio: LabelStudio,
    db,
    admin: Actor,
    name: str,
    config: str,
    tasks: list[dict],
    *,
    fmt: str = "label_studio",
) -> tuple[list, list, str]:
    """Label Studio -> labelwell (over its API) -> Label Studio; both exports."""
    first = studio.project(name, config, tasks)
    before = studio.export(first)
    done = migrate.from_label_studio(db, admin, studio.url, studio.token, first, into=name)
    assert done.items == len(tasks) and done.skipped == []
    exporter = LabelStudioExporter(
        labels="raw", pairwise_layout="comparison" if fmt.endswith("comparison") else "labelwell"
    )
    buf = io.BytesIO()
    with db.read_session() as s:
        project = projects.get_project_by_name_or_id(s, name)
        ontology = projects.ontology_of(project)
        export_to(s, project.id, exporter, buf, ontology, ExportFilter(labels="raw"))
    config_back = config_from_ontology(ontology, layout=exporter.pairwise_layout).xml
    exported = orjson.loads(buf.getvalue())
    for task in exported:
        task.pop("id", None)  # Label Studio gives its own
    second = studio.project(f"{name} again", config_back, exported)
    after = studio.export(second)
    return before, after, config_back


# -- the round trips ---------------------------------------------------------------------

TEXT = "🇰🇷 서울에서 Kim 👍🏽 met 👨‍👩‍👧 Lee"


def _span(rid: str, text: str, piece: str, label: str) -> dict:
    start = list(text).index(piece[0]) if len(piece) == 1 else _find(text, piece)
    end = start + len(piece)
    return {"id": rid, "from_name": "label", "to_name": "text", "type": "labels",
            "value": {"start": start, "end": end, "text": piece, "labels": [label]}}  # fmt: skip


def _find(text: str, piece: str) -> int:
    cps = list(text)
    want = list(piece)
    for i in range(len(cps)):
        if cps[i : i + len(want)] == want:
            return i
    raise AssertionError(piece)


NER_CONFIG = """<View>
  <Labels name="label" toName="text">
    <Label value="PER" background="red"/><Label value="LOC" background="orange"/>
    <Label value="EMO" background="green"/>
  </Labels>
  <Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text" choice="single">
    <Choice value="positive"/><Choice value="negative"/>
  </Choices>
</View>"""


def test_text_classification_and_ner_with_emoji_korean_and_flags(label_studio, db, admin):
    regions = [
        _span("a", TEXT, "🇰🇷", "LOC"),
        _span("b", TEXT, "서울", "LOC"),
        _span("c", TEXT, "👍🏽", "EMO"),
        _span("d", TEXT, "👨‍👩‍👧", "EMO"),
        _span("e", TEXT, "Lee", "PER"),
        {"id": "s", "from_name": "sentiment", "to_name": "text", "type": "choices",
         "value": {"choices": ["positive"]}},
    ]  # fmt: skip
    tasks = [
        {"data": {"text": TEXT}, "annotations": [{"result": regions}]},
        {"data": {"text": "nothing here"}, "annotations": [{"result": [regions[-1]]}]},
    ]
    before, after, _ = _round_trip(label_studio, db, admin, "ner", NER_CONFIG, tasks)
    assert _labels(after) == _labels(before)
    spans = [r for r in before[0]["annotations"][0]["result"] if r["type"] == "labels"]
    assert [r["value"]["text"] for r in spans] == ["🇰🇷", "서울", "👍🏽", "👨‍👩‍👧", "Lee"]


IMAGE_CONFIG = """<View>
  <Image name="image" value="$image"/>
  <RectangleLabels name="box" toName="image"><Label value="car"/><Label value="bus"/>
  </RectangleLabels>
  <PolygonLabels name="poly" toName="image"><Label value="road"/></PolygonLabels>
  <KeyPointLabels name="kp" toName="image"><Label value="nose"/><Label value="tail"/>
  </KeyPointLabels>
  <BrushLabels name="mask" toName="image"><Label value="sky"/></BrushLabels>
</View>"""


def test_boxes_polygons_keypoints_and_brush_masks(label_studio, db, admin):
    size = {"original_width": 8, "original_height": 6, "image_rotation": 0}
    mask = np.zeros((6, 8), dtype=bool)
    mask[1:3, 2:7] = True

    def reg(rid: str, name: str, kind: str, value: dict) -> dict:
        return {"id": rid, "from_name": name, "to_name": "image", "type": kind,
                "value": value, **size}  # fmt: skip

    result = [
        reg("b1", "box", "rectanglelabels",
            {"x": 12.5, "y": 50.0, "width": 25.0, "height": 33.333333, "rotation": 0,
             "rectanglelabels": ["bus"]}),
        reg("p1", "poly", "polygonlabels",
            {"points": [[0.0, 0.0], [50.0, 0.0], [25.0, 50.0]], "polygonlabels": ["road"]}),
        reg("k1", "kp", "keypointlabels",
            {"x": 25.0, "y": 50.0, "width": 0.5, "keypointlabels": ["nose"]}),
        reg("k2", "kp", "keypointlabels",
            {"x": 75.0, "y": 16.666667, "width": 0.5, "keypointlabels": ["tail"]}),
        reg("m1", "mask", "brushlabels",
            {"format": "rle", "rle": mask_to_brush(mask), "brushlabels": ["sky"]}),
    ]  # fmt: skip
    tasks = [{"data": {"image": "/static/images/none.png"}, "annotations": [{"result": result}]}]
    before, after, _ = _round_trip(label_studio, db, admin, "vision", IMAGE_CONFIG, tasks)
    assert _labels(after) == _labels(before)
    assert len(before[0]["annotations"][0]["result"]) == 5


PAIRWISE_CONFIG = """<View>
  <Text name="prompt" value="$prompt"/>
  <Pairwise name="comparison" toName="answer1,answer2"/>
  <Text name="answer1" value="$answer1"/>
  <Text name="answer2" value="$answer2"/>
</View>"""

RANKER_CONFIG = """<View>
  <Text name="prompt" value="$prompt"/>
  <List name="results" value="$items" title="Results"/>
  <Ranker name="rank" toName="results"/>
</View>"""


def test_pairwise_and_ranking(label_studio, db, admin):
    pick = {"id": "pw", "from_name": "comparison", "to_name": "answer1,answer2",
            "type": "pairwise", "value": {"selected": "right"}}  # fmt: skip
    tasks = [
        {"data": {"prompt": "하늘은 왜 파랄까?", "answer1": "Rayleigh 🌈", "answer2": "magic"},
         "annotations": [{"result": [pick]}]},
    ]  # fmt: skip
    before, after, config = _round_trip(
        label_studio, db, admin, "pairwise", PAIRWISE_CONFIG, tasks, fmt="label_studio_comparison"
    )
    assert _labels(after) == _labels(before) == [[[("pairwise", "right")]]]
    assert 'toName="answer1,answer2"' in config
    items = [{"id": k, "title": k.upper(), "body": f"answer {k} ✨"} for k in ("a", "b", "c")]
    rank = {"id": "r", "from_name": "rank", "to_name": "results", "type": "ranker",
            "value": {"ranker": {"rank": ["c", "a", "b"]}}}  # fmt: skip
    tasks = [
        {"data": {"prompt": "rank these", "items": items}, "annotations": [{"result": [rank]}]}
    ]
    before, after, _ = _round_trip(label_studio, db, admin, "ranking", RANKER_CONFIG, tasks)
    assert _labels(after) == _labels(before) == [[[("ranker", (("c", "a", "b"),))]]]


def test_running_the_migration_again_adds_only_new_tasks(label_studio, db, admin):
    tasks = [{"data": {"text": "one"}}, {"data": {"text": "two"}}]
    pid = label_studio.project("again", NER_CONFIG, tasks)
    first = migrate.from_label_studio(db, admin, label_studio.url, label_studio.token, pid)
    assert (first.created, first.items) == (True, 2)
    r = label_studio.http.post(f"/api/projects/{pid}/import", json=[{"text": "three"}])
    assert r.status_code == 201, r.text
    again = migrate.from_label_studio(db, admin, label_studio.url, label_studio.token, pid)
    assert (again.created, again.items, again.unchanged) == (False, 1, 2)


# -- Label Studio's own editor shows labelwell's spans where they are ---------------------

#: launch flags of the browser tests (tests/web/conftest.py)
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
EDITOR_TEXT = "🇰🇷 서울에서 Kim 👍🏽 met 👨‍👩‍👧 Lee in 부산 🎉 again"
EDITOR_PROJECT = {
    "name": "editor",
    "controls": [
        {"name": "label", "type": "spans", "source": "text", "labels": ["PER", "LOC", "EMO"]}
    ],
}
#: a flag, Korean, a skin-toned emoji, a ZWJ family, and spans after each of them
EDITOR_SPANS = [
    ("🇰🇷", "LOC"), ("서울", "LOC"), ("Kim", "PER"), ("👍🏽", "EMO"), ("👨‍👩‍👧", "EMO"),
    ("Lee", "PER"), ("부산", "LOC"), ("again", "EMO"),
]  # fmt: skip


def _lw(*args: str) -> str:
    from typer.testing import CliRunner

    from labelwell.cli import app

    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return str(result.output)


def test_label_studios_editor_highlights_exported_spans(
    label_studio, db, admin, tmp_path, monkeypatch
):
    """A labelwell NER project exported with ``--format label_studio`` opens in
    Label Studio's editor (chromium) with each span highlighting exactly
    ``text[start:end]``: its offsets count code points as Label Studio's do."""
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("LABELWELL_DATABASE_URL", db.url)
    monkeypatch.setenv("LABELWELL_USER", "admin@example.org")
    (tmp_path / "project.json").write_text(orjson.dumps(EDITOR_PROJECT).decode())
    _lw("project", "create", "editor", "--config", str(tmp_path / "project.json"))
    spans = [
        {"id": f"s{i}", "start": (s := _find(EDITOR_TEXT, piece)), "end": s + len(piece),
         "label": label}
        for i, (piece, label) in enumerate(EDITOR_SPANS)
    ]  # fmt: skip
    row = {
        "data": {"text": EDITOR_TEXT},
        "annotations": [{"annotator": "admin@example.org", "result": {"label": spans}}],
    }
    (tmp_path / "items.jsonl").write_bytes(orjson.dumps(row) + b"\n")
    _lw("import", "editor", str(tmp_path / "items.jsonl"))
    out = tmp_path / "editor.json"
    _lw("export", "editor", "--format", "label_studio", "--labels", "raw", "-o", str(out))
    config = (tmp_path / "editor.label_config.xml").read_text(encoding="utf-8")
    tasks = orjson.loads(out.read_bytes())
    for task in tasks:
        task.pop("id", None)
    exported = [r for r in tasks[0]["annotations"][0]["result"] if r["type"] == "labels"]
    assert len(exported) == len(EDITOR_SPANS)

    pid = label_studio.project("editor", config, tasks)
    (task,) = label_studio.export(pid)
    stored = [r for r in task["annotations"][0]["result"] if r["type"] == "labels"]
    want = sorted(
        (r["value"]["start"], r["value"]["end"], r["value"]["labels"][0],
         EDITOR_TEXT[r["value"]["start"] : r["value"]["end"]])
        for r in stored
    )  # fmt: skip
    assert [(w[3], w[2]) for w in want] == EDITOR_SPANS

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 860})
            page.set_default_timeout(60_000)
            page.goto(f"{label_studio.url}/user/login/")
            page.fill("input[name=email]", USER)
            page.fill("input[name=password]", label_studio.password)
            page.click("button[type=submit]")
            page.wait_for_url(lambda url: "/user/login" not in url)
            page.goto(f"{label_studio.url}/projects/{pid}/data?task={task['id']}")
            page.wait_for_function(
                f"document.querySelectorAll('span.htx-highlight').length >= {len(want)}"
            )
            (tmp_path / "label-studio-task.html").write_text(page.content(), encoding="utf-8")
            page.screenshot(path=str(tmp_path / "label-studio-task.png"))
            shown = page.inner_text(".lsf-richtext__line")
            # one region may be drawn as several elements: join them by region
            marks = page.eval_on_selector_all(
                "span.htx-highlight",
                "els => els.map(e => [e.dataset.index, e.dataset.label, e.dataset.start,"
                " e.dataset.end, e.textContent])",
            )
        finally:
            browser.close()
    assert shown.strip() == EDITOR_TEXT
    regions: dict[str, list[Any]] = {}
    for index, label, start, end, piece in marks:
        got = regions.setdefault(index, [int(start), int(end), label.split(":", 1)[1], ""])
        got[3] += piece
    assert sorted(tuple(r) for r in regions.values()) == want
