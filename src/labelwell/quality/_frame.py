"""Shared input handling for the quality methods.

Every method takes a long frame ``task, worker, label`` (labels may be strings or
ints). :func:`encode` turns it into dense integer codes once, so that the maths
runs on ``np.bincount`` and sparse matrices instead of group-bys.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from labelwell.errors import InvalidInput

REQUIRED_COLUMNS: tuple[str, ...] = ("task", "worker", "label")


@dataclass(frozen=True)
class Encoded:
    """A long frame as integer codes.

    ``tasks``, ``workers`` and ``labels`` hold the distinct values (labels sorted,
    tasks and workers in order of first appearance); ``task_idx``, ``worker_idx``
    and ``label_idx`` give, for each answer, its position in those arrays.
    """

    tasks: np.ndarray
    workers: np.ndarray
    labels: np.ndarray
    task_idx: np.ndarray
    worker_idx: np.ndarray
    label_idx: np.ndarray

    @property
    def n_tasks(self) -> int:
        return len(self.tasks)

    @property
    def n_workers(self) -> int:
        return len(self.workers)

    @property
    def n_labels(self) -> int:
        return len(self.labels)

    @property
    def n_answers(self) -> int:
        return len(self.task_idx)

    def task_index(self) -> pd.Index:
        index: pd.Index = pd.Index(self.tasks, name="task")
        return index

    def worker_index(self) -> pd.Index:
        index: pd.Index = pd.Index(self.workers, name="worker")
        return index

    def label_index(self) -> pd.Index:
        index: pd.Index = pd.Index(self.labels, name="label")
        return index

    def vote_counts(self, weights: np.ndarray | None = None) -> np.ndarray:
        """``counts[t, k]``: number (or weight) of answers giving label ``k`` to task ``t``."""
        flat = self.task_idx * self.n_labels + self.label_idx
        counts = np.bincount(flat, weights=weights, minlength=self.n_tasks * self.n_labels)
        return counts.reshape(self.n_tasks, self.n_labels).astype(float, copy=False)

    def task_by_worker_label(self) -> sp.csr_matrix:
        """Sparse ``tasks x (workers*labels)`` count matrix: one non-zero per answer."""
        cols = self.worker_idx * self.n_labels + self.label_idx
        data = np.ones(self.n_answers, dtype=float)
        shape = (self.n_tasks, self.n_workers * self.n_labels)
        return sp.csr_matrix((data, (self.task_idx, cols)), shape=shape)

    def gold(self, true_labels: pd.Series | None) -> tuple[np.ndarray, np.ndarray]:
        """Codes ``(task_ids, label_ids)`` of the gold tasks present in the data."""
        if true_labels is None or len(true_labels) == 0:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty
        task_pos = self.task_index().get_indexer(true_labels.index)
        label_pos = self.label_index().get_indexer(pd.Index(true_labels.to_numpy()))
        if (label_pos[task_pos >= 0] < 0).any():
            raise InvalidInput("true_labels holds a label that is not among the known labels")
        keep = task_pos >= 0
        return task_pos[keep].astype(np.int64), label_pos[keep].astype(np.int64)


def check_frame(frame: pd.DataFrame, columns: Iterable[str] = REQUIRED_COLUMNS) -> None:
    """Raise :class:`InvalidInput` unless ``frame`` has ``columns`` without missing values."""
    if not isinstance(frame, pd.DataFrame):
        raise InvalidInput(f"expected a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InvalidInput(f"missing column(s): {', '.join(missing)}", field=missing[0])
    for column in columns:
        nulls = frame[column].isna().to_numpy()
        if nulls.any():
            row = int(np.flatnonzero(nulls)[0])
            raise InvalidInput(f"column {column!r} has a missing value in row {row}", field=column)


def encode(frame: pd.DataFrame, extra_labels: Iterable[Any] | None = None) -> Encoded:
    """Encode a long ``task, worker, label`` frame as integer codes.

    ``extra_labels`` (for example gold labels) are added to the label set even if
    no worker gave them.
    """
    check_frame(frame)
    task_idx, tasks = pd.factorize(frame["task"], sort=False)
    worker_idx, workers = pd.factorize(frame["worker"], sort=False)
    label_values = frame["label"]
    if extra_labels is not None:
        extra = pd.Series(list(extra_labels))
        if len(extra) and not extra.isin(label_values.unique()).all():
            label_values = pd.concat([label_values, extra], ignore_index=True)
    try:
        label_codes, labels = pd.factorize(label_values, sort=True)
    except TypeError:  # labels of mixed types cannot be sorted
        label_codes, labels = pd.factorize(label_values, sort=False)
    return Encoded(
        tasks=np.asarray(tasks),
        workers=np.asarray(workers),
        labels=np.asarray(labels),
        task_idx=task_idx.astype(np.int64, copy=False),
        worker_idx=worker_idx.astype(np.int64, copy=False),
        label_idx=label_codes[: len(frame)].astype(np.int64, copy=False),
    )


def encode_answers(frame: pd.DataFrame, true_labels: pd.Series | None = None) -> Encoded:
    """:func:`encode` for the aggregation methods: gold labels join the label set,
    and a frame without answers is an error rather than an empty result."""
    enc = encode(frame, None if true_labels is None else true_labels.unique())
    if enc.n_answers == 0:
        raise InvalidInput("no answers to aggregate")
    return enc


def clamp(probas: np.ndarray, gold_tasks: np.ndarray, gold_labels: np.ndarray) -> np.ndarray:
    """Fix the posteriors of gold tasks to their known label (in place)."""
    if len(gold_tasks):
        probas[gold_tasks] = 0.0
        probas[gold_tasks, gold_labels] = 1.0
    return probas


def _row_reduce(ufunc: np.ufunc, x: np.ndarray) -> np.ndarray:
    """``ufunc.reduce(x, axis=1)``; column by column when rows are short, which is
    several times faster for the few-label, many-task arrays used here."""
    if x.shape[1] > 32 or x.shape[1] == 0:
        reduced: np.ndarray = ufunc.reduce(x, axis=1)
        return reduced
    out = x[:, 0].copy()
    for j in range(1, x.shape[1]):
        ufunc(out, x[:, j], out=out)
    return out


def softmax_rows(log_p: np.ndarray, inplace: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Row-normalise ``exp(log_p)`` stably; returns ``(probas, logsumexp per row)``.

    With ``inplace=True`` the probabilities overwrite ``log_p``.
    """
    top = _row_reduce(np.maximum, log_p)
    p = np.subtract(log_p, top[:, None], out=log_p if inplace else None)
    np.exp(p, out=p)
    total = _row_reduce(np.add, p)
    p /= total[:, None]
    return p, np.log(total) + top


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _mix64(x: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser (Steele, Lea and Flood 2014): a bijection of uint64
    whose output bits each depend on every input bit."""
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    mixed: np.ndarray = x ^ (x >> np.uint64(31))
    return mixed


def _value_hashes(values: np.ndarray) -> np.ndarray:
    return pd.util.hash_array(values, categorize=False)


def _keyed_bits(values: np.ndarray, columns: np.ndarray, seed: int | None) -> np.ndarray:
    """``len(values) x len(columns)`` random 64-bit numbers, each a hash of the seed,
    the value and the column hash: a value gets the same numbers wherever it stands
    among the rows. ``seed=None`` draws a fresh seed."""
    if seed is None:
        seed = int(np.random.default_rng().integers(0, 2**63))
    seed_mix = _mix64(np.array([seed & 0xFFFFFFFFFFFFFFFF], dtype=np.uint64))
    rows = _mix64(_value_hashes(values) ^ seed_mix)
    return _mix64(rows[:, None] ^ columns[None, :])


def tie_noise(enc: Encoded, seed: int | None) -> np.ndarray:
    """A seeded uniform draw in ``[0, 1)`` for each ``(task, label)`` pair.

    The number is a hash of the seed, the task's value and the label's value, so a
    tie between labels is broken the same way whatever the order of the rows (or of
    the other tasks); ``seed=None`` draws a fresh seed. Ties go to the tied label
    with the largest draw, each tied label equally likely.
    """
    bits = _keyed_bits(enc.tasks, _mix64(_value_hashes(enc.labels) + _GOLDEN), seed)
    return (bits >> np.uint64(11)).astype(np.float64) * 2.0**-53


def keyed_uniform(values: np.ndarray, seed: int | None, size: int) -> np.ndarray:
    """``len(values) x size`` seeded uniform draws in ``(0, 1)``, each a hash of the
    seed, the value (a task or worker) and the column, as :func:`tie_noise`: the
    draws a fit starts from belong to the task or worker, not to its position, so
    the fit is the same whatever the order of the rows."""
    columns = _mix64(np.arange(size, dtype=np.uint64) + _GOLDEN)
    bits = _keyed_bits(values, columns, seed)
    return ((bits >> np.uint64(11)).astype(np.float64) + 0.5) * 2.0**-53


def probas_frame(enc: Encoded, probas: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(probas, index=enc.task_index(), columns=enc.label_index())


def labels_series(enc: Encoded, probas: np.ndarray) -> pd.Series:
    """Most probable label per task (first label in sorted order on exact ties)."""
    values = enc.labels[probas.argmax(axis=1)] if enc.n_tasks else np.array([], dtype=object)
    return pd.Series(values, index=enc.task_index(), name="agg_label")


class Aggregator:
    """Mixin giving the crowd-kit ``fit_predict`` / ``fit_predict_proba`` pair."""

    labels_: pd.Series
    probas_: pd.DataFrame

    def fit(self, data: pd.DataFrame, true_labels: pd.Series | None = None) -> Aggregator:
        raise NotImplementedError

    def fit_predict(self, data: pd.DataFrame, true_labels: pd.Series | None = None) -> pd.Series:
        """Fit and return ``labels_`` (task -> label)."""
        return self.fit(data, true_labels).labels_

    def fit_predict_proba(
        self, data: pd.DataFrame, true_labels: pd.Series | None = None
    ) -> pd.DataFrame:
        """Fit and return ``probas_`` (task x label posterior)."""
        return self.fit(data, true_labels).probas_

    def __repr__(self) -> str:
        params = {k: v for k, v in vars(self).items() if not k.endswith("_")}
        inner = ", ".join(f"{k}={v!r}" for k, v in params.items())
        return f"{type(self).__name__}({inner})"
