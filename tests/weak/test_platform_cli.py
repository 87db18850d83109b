"""`labelwell weak apply | summary | fit` on a live project, in-process and on Dask."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from labelwell.cli import app
from labelwell.store.tables import Item, Prediction
from weak.test_platform_service import (
    COMMENTS,
    direct_L,
    label_through_queue,
    spam_world,
    write_lfs,
)

runner = CliRunner()


def run(*args: str, ok: bool = True):
    result = runner.invoke(app, list(args))
    if ok:
        assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def world(db, tmp_path, monkeypatch):
    monkeypatch.setenv("LABELWELL_DATABASE_URL", db.url)
    monkeypatch.setenv("LABELWELL_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("LABELWELL_USER", raising=False)
    return spam_world(db)


def stored_L(db, project_id, names):
    with db.read_session() as s:
        ids = list(
            s.scalars(select(Item.id).where(Item.project_id == project_id).order_by(Item.id))
        )
        rows = s.execute(
            select(Prediction.item_id, Prediction.model_name, Prediction.result).where(
                Prediction.model_name.in_(names)
            )
        ).all()
    L = np.full((len(ids), len(names)), -1)
    for item_id, name, result in rows:
        L[ids.index(item_id), names.index(name)] = ["ham", "spam"].index(result["label"])
    return L


def test_apply_summary_fit_route(world, db, tmp_path):
    from labelwell.work.weak import load_labeling_functions

    lfs_file = write_lfs(tmp_path)
    lfs = load_labeling_functions(lfs_file)
    names = [lf.name for lf in lfs]
    out = run("weak", "apply", "p1", "--lfs", str(lfs_file), "--chunk", "7").output
    L = direct_L(lfs)
    assert f"applied 5 LFs to {len(COMMENTS)} items: {int((L >= 0).sum())} votes" in out
    assert f"has_link@{lfs[[lf.name for lf in lfs].index('has_link')].version}" in out
    np.testing.assert_array_equal(stored_L(db, world.project_id, names), L)

    label_through_queue(db, world, 6)
    text = run("weak", "summary", "p1").output
    assert "has_link" in text and "6 items labeled by people" in text
    body = json.loads(run("weak", "summary", str(world.project_id), "--json").output)
    assert body["n_items"] == len(COMMENTS) and body["n_labeled"] == 6
    assert {r["name"] for r in body["lfs"]} == set(names)
    # 6 labelled items: every accuracy rests on under 30 votes, so each is flagged
    assert body["min_accuracy_votes"] == 30
    for r in body["lfs"]:
        assert r["accuracy_n"] == r["correct"] + r["incorrect"] <= 6 and r["few_votes"]
        assert 0.0 <= r["accuracy_low"] <= r["accuracy_high"] <= 1.0
    assert "* fewer than 30 votes on labelled items" in text and "95% CI" in text
    assert body["label_model"] == "label_model" and "6 dev labels" in body["label_model_reason"]

    fitted = json.loads(run("weak", "fit", "p1", "--route", "--json").output)
    assert fitted["routes"]["skipped"] == 6
    assert (
        sum(fitted["routes"][k] for k in ("auto_approve", "review", "label")) == len(COMMENTS) - 6
    )
    assert fitted["model"] == "label_model" and "under 50" in fitted["model_reason"]
    fit_text = run("weak", "fit", "p1").output
    assert "learned accuracy" in fit_text and "model label_model: the default" in fit_text


def test_errors_are_one_line(world, tmp_path):
    missing = run("weak", "apply", "p1", "--lfs", str(tmp_path / "nope.py"), ok=False)
    assert missing.exit_code == 2 and "no labeling-function file" in missing.output
    early = run("weak", "fit", "p1", ok=False)
    assert early.exit_code == 2 and "weak apply" in early.output
    wrong = run(
        "weak", "apply", "p1", "--lfs", str(write_lfs(tmp_path)), "--control", "x", ok=False
    )
    assert wrong.exit_code == 2 and "no control named 'x'" in wrong.output


def test_apply_on_a_dask_cluster(world, db, tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    from labelwell.work.weak import load_labeling_functions

    lfs_file = write_lfs(tmp_path)
    names = [lf.name for lf in load_labeling_functions(lfs_file)]
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        run(
            "weak",
            "apply",
            "p1",
            "--lfs",
            str(lfs_file),
            "--dask",
            cluster.scheduler_address,
            "--chunk",
            "20",
        )
        # the cluster computed the votes: one task per batch (24 batches of 2 items)
        prefix = cluster.scheduler.task_prefixes.get("call")
        assert prefix is not None and prefix.state_counts["memory"] == 24
    np.testing.assert_array_equal(
        stored_L(db, world.project_id, names), direct_L(load_labeling_functions(lfs_file))
    )
