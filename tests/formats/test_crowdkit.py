from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from crowdkit.aggregation import DawidSkene, MajorityVote

from formats.fmt_samples import NER, label, record
from labelwell.errors import InvalidInput
from labelwell.formats.crowdkit import CrowdKitExporter, CrowdKitImporter
from labelwell.formats.registry import EXPORTERS, IMPORTERS

DATASETS = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "crowd"
ONTOLOGY = {
    "name": "rte",
    "controls": [{"name": "answer", "type": "choice", "source": "text", "labels": ["1", "2"]}],
}


def _export(records, ontology, **kw) -> str:
    buf = io.BytesIO()
    CrowdKitExporter(**kw).write(records, buf, ontology)
    return buf.getvalue().decode()


def test_writes_long_frame():
    assert "crowdkit" in EXPORTERS and "crowdkit" in IMPORTERS
    recs = [
        record(
            1,
            {"text": "a"},
            [label({"topic": "news"}, "w1"), label({"topic": "sport"}, "w2")],
            external_id="t1",
        ),
        record(2, {"text": "b, with comma"}, [label({"topic": "news"}, "w1"), label({}, "w3")]),
    ]
    assert _export(recs, NER) == "task,worker,label\nt1,w1,news\nt1,w2,sport\n2,w1,news\n"
    spans = _export(recs[:1], NER, control="entities")
    assert spans == "task,worker,label\n"


def test_non_scalar_results_are_json():
    recs = [record(1, {}, [label({"entities": [{"start": 0, "end": 2, "label": "PER"}]}, "w1")])]
    text = _export(recs, NER, control="entities")
    assert text.splitlines()[1] == '1,w1,"[{""end"":2,""label"":""PER"",""start"":0}]"'


@pytest.mark.skipif(not (DATASETS / "rte").is_dir(), reason="shared/datasets/crowd/rte not found")
def test_real_dataset_round_trip_gives_same_crowdkit_aggregates(tmp_path):
    answers = pd.read_csv(DATASETS / "rte" / "answers.csv", dtype=str)
    src = tmp_path / "answers.csv"
    answers.to_csv(src, index=False)
    rows = list(CrowdKitImporter(ONTOLOGY, control="answer").read(src))
    assert len(rows) == answers["task"].nunique()
    assert sum(len(r.annotations) for r in rows) == len(answers)
    recs = [
        record(
            i,
            r.data,
            [label(a["result"], a["annotator"]) for a in r.annotations],
            external_id=r.external_id,
        )
        for i, r in enumerate(rows)
    ]
    out = pd.read_csv(io.StringIO(_export(recs, ONTOLOGY)), dtype=str)
    key = ["task", "worker"]
    pd.testing.assert_frame_equal(
        out.sort_values(key).reset_index(drop=True), answers.sort_values(key).reset_index(drop=True)
    )
    mv_in = MajorityVote().fit_predict(answers).sort_index()
    mv_out = MajorityVote().fit_predict(out).sort_index()
    pd.testing.assert_series_equal(mv_in, mv_out)
    ds = DawidSkene(n_iter=10).fit_predict(out)
    assert ds.index.nunique() == answers["task"].nunique()


@pytest.mark.parametrize(
    ("csv", "line", "field"),
    [
        ("task,label\n", 1, "worker"),
        ("task,worker,label\nt1,w1,1\nt1,w1,2\n", 3, "worker"),
        ("task,worker,label\nt1,,1\n", 2, "worker"),
        ("task,worker,label\nt1,w1,3\n", 2, "label"),
    ],
)
def test_import_errors(tmp_path, csv, line, field):
    p = tmp_path / "a.csv"
    p.write_text(csv)
    with pytest.raises(InvalidInput) as err:
        list(CrowdKitImporter(ONTOLOGY).read(p))
    assert (err.value.line, err.value.field) == (line, field) and "a.csv" in err.value.message
