"""The registry of plug-in parts: one owner per name, built-ins loaded on first
use whatever was imported before, and plug-ins found through entry points,
usable from the CLI and the HTTP API like the built-ins."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import httpx
import pytest

from labelwell.errors import InvalidInput
from labelwell.registry import NameTaken, PluginNotLoaded, Registry
from server_process import running
from world import answer_every_task, build_world


def _shout() -> str:
    return "shout"


def _whisper() -> str:
    return "whisper"


def test_a_taken_name_is_refused_unless_replaced():
    widgets: Registry = Registry("widget", group="labelwell.test_widgets")
    widgets.register("loud", _shout)
    widgets.register("loud", _shout)  # the same object again changes nothing
    with pytest.raises(NameTaken, match=r"widget 'loud' is already registered \(.*_shout\)"):
        widgets.register("loud", _whisper)
    assert widgets["loud"] is _shout
    assert widgets.register("loud", _whisper, replace=True) is _whisper
    assert widgets.get("loud") is _whisper

    @widgets.register("quiet")
    def quiet() -> str:
        return "quiet"

    assert widgets.names() == ("loud", "quiet") and widgets.get("quiet") is quiet
    widgets.unregister("quiet")
    assert "quiet" not in widgets and list(widgets) == ["loud"] and len(widgets) == 1


def test_an_unknown_name_lists_the_known_ones():
    widgets: Registry = Registry(
        "widget",
        group="labelwell.test_widgets",
        field="widget",
        builtins={"conflict": "labelwell.errors:Conflict"},
    )
    widgets.register("loud", _shout)
    with pytest.raises(InvalidInput, match=r"unknown widget 'nope'; known: conflict, loud") as e:
        widgets.get("nope")
    assert e.value.field == "widget"
    with pytest.raises(InvalidInput, match="unknown widget None"):
        widgets.get(None)  # type: ignore[arg-type]
    assert None not in widgets and ["a"] not in widgets


def test_a_builtin_that_cannot_load_says_which_and_why():
    widgets: Registry = Registry(
        "widget",
        group="labelwell.test_widgets",
        builtins={"gone": "labelwell.no_such_module:Thing", "silent": "labelwell.errors"},
    )
    assert widgets.names() == ("gone", "silent")
    with pytest.raises(PluginNotLoaded, match=r"widget 'gone': cannot load labelwell\.no_such"):
        widgets.get("gone")
    with pytest.raises(PluginNotLoaded, match="importing labelwell.errors did not register it"):
        widgets.get("silent")
    with pytest.raises(PluginNotLoaded):
        widgets.register("gone", _shout)
    widgets.register("gone", _shout, replace=True)
    assert widgets.get("gone") is _shout


def _fresh(script: str, **env: str) -> dict:
    """Run ``script`` in a new interpreter; it prints one JSON object."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **env},
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_builtins_load_on_first_use_in_a_fresh_interpreter():
    seen = _fresh(
        """
        import json, sys
        from pathlib import Path

        from labelwell.assist.predictors import PREDICTORS
        from labelwell.formats.registry import EXPORTERS, IMPORTERS
        from labelwell.quality.registry import AGGREGATORS

        def loaded(*names):
            return sorted(n for n in names if n in sys.modules)

        parts = ["labelwell.formats.coco", "labelwell.formats.trl", "labelwell.formats.tabular",
                 "labelwell.quality.dawid_skene", "labelwell.quality.glad",
                 "labelwell.assist.http_backend"]
        out = {"names": {"exporters": sorted(EXPORTERS), "importers": sorted(IMPORTERS),
                         "aggregators": list(AGGREGATORS.names()),
                         "predictors": list(PREDICTORS.names())},
               "before": loaded(*parts)}
        out["coco"] = type(EXPORTERS["coco"]()).__name__
        out["ds"] = AGGREGATORS["ds"].__name__
        out["http"] = PREDICTORS["http"].__name__
        out["after"] = loaded(*parts)
        from labelwell.work.items import importer_for
        out["csv"] = type(importer_for(Path("items.csv"))).__name__
        print(json.dumps(out))
        """
    )
    assert seen["before"] == []
    assert seen["after"] == [
        "labelwell.assist.http_backend",
        "labelwell.formats.coco",
        "labelwell.quality.dawid_skene",
    ]
    assert (seen["coco"], seen["ds"], seen["http"], seen["csv"]) == (
        "CocoExporter",
        "DawidSkene",
        "HTTPBackend",
        "CsvImporter",
    )
    names = seen["names"]
    assert {"coco", "csv", "dpo", "dpo_conversational", "jsonl", "yolo"} <= set(names["exporters"])
    assert {"csv", "folder", "json", "jsonl", "label_studio_csv"} <= set(names["importers"])
    assert names["aggregators"] == [
        "mv",
        "wmv",
        "wawa",
        "ds",
        "onecoin",
        "glad",
        "mace",
        "bwa",
        "ebcc",
    ]
    assert names["predictors"] == ["http", "label-studio", "minilm-logreg"]


def test_the_declared_builtins_are_what_their_modules_register():
    """Importing every format and predictor module adds no undeclared name, and
    every declared name loads."""
    seen = _fresh(
        """
        import importlib, json, pkgutil
        import labelwell.assist, labelwell.formats
        from labelwell.assist.predictors import PREDICTORS
        from labelwell.formats.registry import EXPORTERS, IMPORTERS

        registries = {"exporters": EXPORTERS, "importers": IMPORTERS, "predictors": PREDICTORS}
        declared = {k: sorted(r.names()) for k, r in registries.items()}
        for package in (labelwell.formats, labelwell.assist):
            for module in pkgutil.iter_modules(package.__path__):
                importlib.import_module(f"{package.__name__}.{module.name}")
        print(json.dumps({"declared": declared,
                          "registered": {k: sorted(n for n, _ in r.items())
                                         for k, r in registries.items()}}))
        """
    )
    assert seen["registered"] == seen["declared"]


def test_a_builtin_name_is_taken_before_its_module_is_imported():
    seen = _fresh(
        """
        import json, sys
        from labelwell.formats.registry import EXPORTERS, register_exporter
        from labelwell.quality.registry import AGGREGATORS
        from labelwell.registry import NameTaken

        class Mine:
            name, extension, media_type = "coco", ".txt", "text/plain"

        out = {"imported": "labelwell.formats.coco" in sys.modules}
        for attempt in (lambda: register_exporter("coco")(Mine),
                        lambda: AGGREGATORS.register("mv", Mine)):
            try:
                attempt()
                out.setdefault("refused", []).append(None)
            except NameTaken as exc:
                out.setdefault("refused", []).append(str(exc))
        register_exporter("coco", replace=True)(Mine)
        import labelwell.formats.coco  # the built-in module again: no clash, no change
        out["coco"] = EXPORTERS["coco"] is Mine
        print(json.dumps(out))
        """
    )
    assert seen["imported"] is False
    coco, mv = seen["refused"]
    assert coco.startswith("exporter 'coco' is already registered (the built-in labelwell.formats")
    assert "replace=True" in coco
    assert mv.startswith("aggregation method 'mv' is already registered (the built-in labelwell")
    assert seen["coco"] is True


GUIDE = Path(__file__).resolve().parents[1] / "docs" / "user-guide.md"
GROUP = re.compile(r'group="(labelwell\.[a-z_]+)"')


def _plugins_section() -> str:
    text = GUIDE.read_text(encoding="utf-8")
    return text[text.index("## Plug-ins") :].split("\n## ", 1)[0]


def test_every_registry_is_in_the_plugins_table():
    groups = {
        group
        for path in (Path(__file__).resolve().parents[1] / "src" / "labelwell").rglob("*.py")
        for group in GROUP.findall(path.read_text(encoding="utf-8"))
    }
    assert len(groups) == 9
    table = [line for line in _plugins_section().splitlines() if line.startswith("| ")]
    assert sorted(groups) == sorted(line.split("|")[3].strip(" `") for line in table[1:])


@pytest.fixture
def plugin(tmp_path: Path) -> Path:
    """The plug-in of the user guide's example, installed in a folder as pip lays
    a distribution out (module and ``dist-info`` with its entry points)."""
    section = _plugins_section()
    (toml,) = re.findall(r"```toml\n(.*?)```", section, re.S)
    (module,) = re.findall(r"```python\n(.*?)```", section, re.S)
    groups = tomllib.loads(toml)["project"]["entry-points"]
    refs = {ref for entries in groups.values() for ref in entries.values()}
    (name,) = {ref.split(":")[0] for ref in refs}
    site = tmp_path / "site"
    info = site / f"{name}-0.1.dist-info"
    info.mkdir(parents=True)
    (site / f"{name}.py").write_text(module)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "".join(
            f"[{group}]\n" + "".join(f"{k} = {v}\n" for k, v in entries.items()) + "\n"
            for group, entries in groups.items()
        )
    )
    return site


def _cli(*args: str, path: Path | None = None, **env: str) -> subprocess.CompletedProcess:
    paths = [str(path)] if path else []
    env = {**os.environ, **env}
    env["PYTHONPATH"] = os.pathsep.join([*paths, env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return subprocess.run(
        [sys.executable, "-m", "labelwell.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


def test_a_plugin_aggregator_is_a_cli_choice_and_runs(plugin: Path, tmp_path: Path):
    answers = tmp_path / "answers.csv"
    answers.write_text("task,worker,label\nt1,w1,b\nt1,w2,b\nt1,w3,a\nt2,w1,b\nt2,w2,a\n")
    without = _cli("aggregate", str(answers), "--method", "tie_first")
    assert without.returncode == 2 and "tie_first" in without.stderr  # not a choice
    assert "tie_first" not in _cli("aggregate", "--help").stdout

    helped = _cli("aggregate", "--help", path=plugin)
    assert helped.returncode == 0 and "tie_first" in helped.stdout
    ran = _cli("aggregate", str(answers), "--method", "tie_first", "--json", path=plugin)
    assert ran.returncode == 0, ran.stderr
    report = json.loads(ran.stdout)
    assert report["method"] == report["method_used"] == "tie_first" and report["tasks"] == 2
    labels = _cli("aggregate", str(answers), "--method", "tie_first", path=plugin).stdout
    assert labels.splitlines()[1:] == ["t1,b,0.666667", "t2,a,0.5"]


def test_a_plugin_is_usable_from_the_http_api_and_the_cli(
    plugin: Path, db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    world = build_world(db, n_annotators=2, n_items=2, overlap=2)
    paths = [str(plugin), os.environ.get("PYTHONPATH", "")]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(paths).rstrip(os.pathsep))
    answers = {"text number 0": ["positive", "positive"], "text number 1": ["positive", "neutral"]}
    with running(db.url) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        answer_every_task(http, world, lambda i, data: {"sentiment": answers[data["text"]][i]})
        manager = {"Authorization": f"Bearer {world.token(world.manager)}"}
        project = f"/api/v1/projects/{world.project_id}"
        report = http.get(f"{project}/quality", params={"method": "tie_first"}, headers=manager)
        assert report.status_code == 200, report.text
        assert report.json()["method"] == "tie_first"
        assert sorted(x["label"] for x in report.json()["labels"]) == ["neutral", "positive"]
        unknown = http.get(f"{project}/quality", params={"method": "nope"}, headers=manager)
        assert unknown.status_code == 422 and "tie_first" in unknown.json()["error"]["message"]

        formats = http.get(f"{project}/export/formats", headers=manager).json()["data"]
        assert {"name": "label_lines", "fits": True, "reason": None} in formats
        exported = http.get(f"{project}/export", params={"format": "label_lines"}, headers=manager)
        assert exported.status_code == 200, exported.text
        assert len(exported.text.splitlines()) == 4

    out = tmp_path / "labels.tsv"
    env = {
        "LABELWELL_DATABASE_URL": db.url,
        "LABELWELL_HOME": str(tmp_path / "home"),
        "LABELWELL_USER": world.manager.email,
    }
    cli = _cli("export", "p1", "-f", "label_lines", "-o", str(out), **env)
    assert cli.returncode == 0, cli.stderr
    lines = sorted(out.read_text().splitlines())
    assert lines[0] == 'x0\t{"sentiment": "positive"}' and len(lines) == 4
    report_cli = _cli("quality", "report", "p1", "--method", "tie_first", "--json", **env)
    assert report_cli.returncode == 0, report_cli.stderr
    assert json.loads(report_cli.stdout)["method"] == "tie_first"
