"""Aggregating span annotations (NER, highlights) by a position-level vote."""

from __future__ import annotations

import numpy as np
import pandas as pd

from labelwell.errors import InvalidInput
from labelwell.quality._frame import check_frame

SPAN_COLUMNS = ("task", "worker", "start", "end", "label")


def aggregate_spans(
    spans: pd.DataFrame,
    threshold: float = 0.5,
    annotators: pd.Series | None = None,
) -> pd.DataFrame:
    """Merge annotators' spans into consensus spans.

    ``spans`` has columns ``task, worker, start, end, label`` with ``end``
    exclusive; offsets may be characters or token indices (the vote is over
    whatever unit they count). Each position gets the label that the most
    annotators cover it with, provided more than ``threshold`` of the task's
    annotators do (the token-level majority vote used to build consensus NER
    corpora, e.g. Rodrigues, Pereira & Ribeiro 2014, "Sequence labeling with
    multiple annotators", Machine Learning 95, Sec. 5 baseline). Runs of
    positions with the same winning label become spans.

    ``annotators`` (task -> number of annotators) counts annotators who marked
    nothing; by default it is the number of distinct workers per task in ``spans``.
    Returns ``task, start, end, label, support`` where ``support`` is the mean
    share of annotators agreeing over the span.
    """
    check_frame(spans, SPAN_COLUMNS)
    if not 0 <= threshold < 1:
        raise InvalidInput("threshold must be in [0, 1)")
    start = spans["start"].to_numpy(dtype=np.int64)
    end = spans["end"].to_numpy(dtype=np.int64)
    if (start < 0).any() or (end <= start).any():
        row = int(np.flatnonzero((start < 0) | (end <= start))[0])
        raise InvalidInput(f"span in row {row} has start < 0 or end <= start", field="end")
    t, tasks = pd.factorize(spans["task"], sort=False)
    k, labels = pd.factorize(spans["label"], sort=True)
    if annotators is None:
        n_annot = spans.groupby(t)["worker"].nunique().to_numpy()
    else:
        n_annot = annotators.reindex(tasks).to_numpy(dtype=float)
        if np.isnan(n_annot).any():
            raise InvalidInput("annotators lacks a count for some task")
    length = np.zeros(len(tasks), dtype=np.int64)
    np.maximum.at(length, t, end)
    offset = np.concatenate([[0], np.cumsum(length)])
    total = int(offset[-1])
    n_labels = len(labels)
    diff = np.zeros((n_labels, total + 1))
    np.add.at(diff, (k, offset[t] + start), 1.0)
    np.add.at(diff, (k, offset[t] + end), -1.0)
    cover = np.cumsum(diff, axis=1)[:, :total]
    task_of = np.repeat(np.arange(len(tasks)), length)
    share = cover / n_annot[task_of]
    best = share.argmax(axis=0)
    best_share = share[best, np.arange(total)]
    winner = np.where(best_share > threshold, best, -1)
    position = np.arange(total) - offset[task_of]
    boundary = np.ones(total, dtype=bool)
    boundary[1:] = (winner[1:] != winner[:-1]) | (task_of[1:] != task_of[:-1])
    run_start = np.flatnonzero(boundary)
    run_end = np.append(run_start[1:], total)
    keep = winner[run_start] >= 0
    run_start, run_end = run_start[keep], run_end[keep]
    csum = np.concatenate([[0.0], np.cumsum(best_share)])
    sums = csum[run_end] - csum[run_start]
    return pd.DataFrame(
        {
            "task": np.asarray(tasks)[task_of[run_start]],
            "start": position[run_start],
            "end": position[run_start] + (run_end - run_start),
            "label": np.asarray(labels)[winner[run_start]],
            "support": sums / (run_end - run_start),
        }
    )
