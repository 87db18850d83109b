"""DPO export of a pairwise project's records: the chunked exporter (one
``pairwise_majority`` call per 500 items) against calling the same majority once
per item, on the same in-memory records, in one run.

    .venv/bin/python benchmarks/bench_trl_export.py --items 2000 [--json out.json]
"""

from __future__ import annotations

import argparse
import io
import json
import time

import numpy as np

from labelwell.formats.registry import ExportRecord, LabelRecord, Provenance
from labelwell.formats.trl import DpoExporter
from labelwell.rlhf.aggregate import pairwise_majority
from labelwell.rlhf.decisions import Decision, decision_pair, prompt_item
from labelwell.rlhf.exports import dpo_rows
from labelwell.rlhf.records import comparison_from_result
from labelwell.schema import Ontology

ONTOLOGY = Ontology.from_dict({"name": "d", "controls": [{"name": "pref", "type": "pairwise"}]})
CHOICES = np.array(["a", "b", "tie", "both_bad"])


def records(n: int, votes: int, seed: int = 0) -> list[ExportRecord]:
    rng = np.random.default_rng(seed)
    picks = rng.choice(CHOICES, size=(n, votes), p=[0.5, 0.3, 0.1, 0.1])
    out = []
    for i in range(n):
        data = {
            "prompt": f"prompt {i}",
            "responses": [{"id": "r1", "text": f"one {i}"}, {"id": "r2", "text": f"two {i}"}],
        }
        labels = [
            LabelRecord(i * votes + v, {"pref": {"choice": str(c)}}, Provenance("human", f"u{v}"))
            for v, c in enumerate(picks[i])
        ]
        out.append(ExportRecord(i + 1, None, data, [], "done", annotations=labels))
    return out


def per_item(recs: list[ExportRecord]) -> list[dict]:
    rows = []
    for r in recs:
        item = prompt_item(r)
        votes = [
            comparison_from_result(item.id, "r1", "r2", a.result["pref"], a.provenance.agent)
            for a in r.annotations
        ]
        for row in pairwise_majority(votes).itertuples(index=False):
            if row.outcome in ("a", "b"):
                d = Decision(item, row.response_a, row.response_b, row.outcome, None)
                rows += dpo_rows([decision_pair(d)])
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=2_000)
    ap.add_argument("--votes", type=int, default=3)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    recs = records(args.items, args.votes)
    t0 = time.perf_counter()
    out = io.BytesIO()
    n = DpoExporter().write(recs, out, ONTOLOGY)
    chunked = time.perf_counter() - t0
    t0 = time.perf_counter()
    naive = per_item(recs)
    one_by_one = time.perf_counter() - t0
    exported = [json.loads(x) for x in out.getvalue().decode().splitlines()]
    assert exported == naive, "the two paths disagree"
    result = {
        "items": args.items,
        "votes_per_item": args.votes,
        "rows": n,
        "chunked_s": round(chunked, 3),
        "per_item_s": round(one_by_one, 3),
        "speedup": round(one_by_one / chunked, 1),
        "items_per_s": round(args.items / chunked),
    }
    print(f"{'items':>7} {'rows':>7} {'chunked s':>10} {'per-item s':>11} {'speedup':>8}")
    print(
        f"{result['items']:>7} {result['rows']:>7} {result['chunked_s']:>10} "
        f"{result['per_item_s']:>11} {result['speedup']:>7}x"
    )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
