"""A judged project's TRL training files with every exporter option, as JSONL,
Parquet and ``datasets`` folders, checked with ``datasets`` and TRL's helpers."""

from __future__ import annotations

import io
import json
import zipfile

import pyarrow.parquet as pq
import pytest

from labelwell.errors import InvalidInput
from labelwell.formats.trl import TrainingSetOptions
from labelwell.work.rlhf import prepare_training_set, write_training_folder, write_training_set
from rlhf.rlhf_project import judged_duel

datasets = pytest.importorskip("datasets")
trl_data = pytest.importorskip("trl.data_utils")


def rows_of(db, world, **options):
    opts = TrainingSetOptions(**options)
    with db.read_session() as s:
        job = prepare_training_set(s, world.manager, world.project_id, opts)
        out = io.BytesIO()
        n = write_training_set(s, job, out)
    assert job.filename == f"p1-{opts.kind}.{job.exporter.extension.lstrip('.')}"
    return n, out.getvalue()


def jsonl(payload: bytes) -> list[dict]:
    return [json.loads(line) for line in payload.splitlines()]


@pytest.fixture
def world(db):
    return judged_duel(db)


def test_consensus_pairs_drop_ties_and_both_bad(db, world):
    n, payload = rows_of(db, world, kind="dpo")
    rows = jsonl(payload)
    assert n == 4
    assert [r["prompt"] for r in rows] == [f"Question {i}?" for i in (0, 2, 3, 4)]
    assert all(r["chosen"].startswith("good") and r["rejected"].startswith("bad") for r in rows)


def test_ties_kept_carry_a_tie_column_and_zero_margin(db, world):
    _, payload = rows_of(db, world, kind="reward", ties="keep", margin=True)
    rows = jsonl(payload)
    assert [(r["margin"], r["tie"]) for r in rows] == [
        (1.0, False),
        (0.0, True),
        (3.0, False),
        (2.0, False),
        (2.0, False),
    ]
    assert rows[1]["chosen"] == "Question 1?\n\ngood 1"


def test_per_annotator_rows_are_every_judgment(db, world):
    _, payload = rows_of(db, world, kind="dpo", judgments="per_annotator")
    rows = jsonl(payload)
    # 12 decisive judgments of 18; ann2's "b" on item 0 prefers the bad answer
    assert len(rows) == 12
    assert sum(r["chosen"] == "bad 0" for r in rows) == 1
    _, payload = rows_of(db, world, kind="dpo", judgments="per_annotator", ties="keep")
    assert sum(r["tie"] for r in jsonl(payload)) == 3


def test_kto_keeps_both_bad_on_request(db, world):
    _, payload = rows_of(db, world, kind="kto", both_bad=True)
    rows = jsonl(payload)
    assert len(rows) == 10
    assert [r["label"] for r in rows[-2:]] == [False, False]
    assert rows[-1]["prompt"] == "Question 5?"


def test_parquet_is_read_by_datasets_with_the_features(db, world, tmp_path):
    n, payload = rows_of(db, world, kind="dpo", conversational=True, output="parquet")
    path = tmp_path / "dpo.parquet"
    path.write_bytes(payload)
    assert pq.read_metadata(path).num_rows == n == 4
    ds = datasets.load_dataset(
        "parquet", data_files=str(path), split="train", cache_dir=str(tmp_path / "cache")
    )
    assert ds.column_names == ["prompt", "chosen", "rejected"]
    assert all(trl_data.is_conversational(row) for row in ds)
    assert ds[0]["prompt"] == [{"role": "user", "content": "Question 0?"}]


def test_datasets_folder_passes_trl_helpers(db, world, tmp_path):
    opts = TrainingSetOptions(kind="reward", output="datasets")
    with db.read_session() as s:
        job = prepare_training_set(s, world.manager, world.project_id, opts)
        n = write_training_folder(s, job, tmp_path / "reward")
    ds = datasets.load_from_disk(str(tmp_path / "reward"))
    assert len(ds) == n == 4
    assert not trl_data.is_conversational(ds[0])
    explicit = ds.map(trl_data.maybe_extract_prompt)
    assert explicit[0]["prompt"] == "Question 0?\n\n"
    assert explicit[0]["chosen"] == "good 0"

    _, payload = rows_of(db, world, kind="dpo", output="datasets")
    zipfile.ZipFile(io.BytesIO(payload)).extractall(tmp_path / "dpo")
    dpo = datasets.load_from_disk(str(tmp_path / "dpo"))
    unpaired = trl_data.unpair_preference_dataset(dpo)
    _, kto = rows_of(db, world, kind="kto")
    # TRL lists every chosen row, then every rejected one
    key = lambda r: (r["prompt"], r["completion"])  # noqa: E731
    assert sorted(unpaired.to_list(), key=key) == sorted(jsonl(kto), key=key)


def test_empty_export_still_has_its_columns(db, tmp_path):
    from labelwell.formats.registry import ImportRow
    from labelwell.work import items
    from rlhf.rlhf_project import DUEL, item_data
    from world import build_world

    world = build_world(db, n_items=0, ontology=DUEL)
    with db.session() as s:
        items.import_rows(s, world.manager, world.project_id, [ImportRow(1, item_data(0))])
    opts = TrainingSetOptions(kind="kto", conversational=True, output="datasets")
    with db.read_session() as s:
        job = prepare_training_set(s, world.manager, world.project_id, opts)
        assert write_training_folder(s, job, tmp_path / "kto") == 0
    ds = datasets.load_from_disk(str(tmp_path / "kto"))
    assert ds.column_names == ["prompt", "completion", "label"] and len(ds) == 0


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"kind": "ppo"}, "kind"),
        ({"strategy": "best"}, "strategy"),
        ({"ties": "maybe"}, "ties"),
        ({"judgments": "all"}, "judgments"),
        ({"output": "csv"}, "output"),
        ({"seed": -1}, "seed"),
        ({"kind": "dpo", "margin": True}, "margin"),
        ({"kind": "reward", "both_bad": True}, "both_bad"),
        ({"kind": "kto", "ties": "keep"}, "ties"),
        ({"kind": "sft", "strategy": "best_vs_rest"}, "strategy"),
        ({"kind": "sft", "judgments": "per_annotator"}, "judgments"),
    ],
)
def test_bad_options_name_the_option(db, world, options, field):
    with db.read_session() as s, pytest.raises(InvalidInput) as info:
        prepare_training_set(s, world.manager, world.project_id, TrainingSetOptions(**options))
    assert info.value.field == field
    assert info.value.message.startswith(field)


def test_sft_needs_a_correction_control_and_managers_only(db, world):
    with db.read_session() as s:
        with pytest.raises(InvalidInput, match="correction"):
            prepare_training_set(s, world.manager, world.project_id, TrainingSetOptions(kind="sft"))
        with pytest.raises(Exception, match="(?i)permission|not allowed|forbidden|manage"):
            prepare_training_set(s, world.annotators[0], world.project_id, TrainingSetOptions())
