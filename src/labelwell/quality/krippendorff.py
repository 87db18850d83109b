"""Krippendorff's alpha from the coincidence matrix, for any number of raters and
missing values.

Krippendorff, K. (2011). *Computing Krippendorff's Alpha-Reliability*. Annenberg
School for Communication, University of Pennsylvania. Section C ("Any number of
observers, missing values"):

* coincidence matrix ``o_ck = sum_u (number of c-k pairs in unit u) / (m_u - 1)``,
  summed over the units with ``m_u >= 2`` values (pairable values);
* ``n_c = sum_k o_ck`` and ``n = sum_c n_c``;
* ``alpha = 1 - (n - 1) * sum_ck o_ck d2_ck / sum_ck n_c n_k d2_ck`` (eq. in C.5);
* metric differences (section E): nominal ``[c != k]``, interval ``(c - k)^2``,
  ratio ``((c - k) / (c + k))^2`` and ordinal
  ``(sum_{g=c..k} n_g - (n_c + n_k) / 2)^2``.

The unit-by-value count matrix ``N`` gives the coincidences in one product,
``o = N' W N - diag(N' w)`` with ``W = diag(1 / (m_u - 1))``. The ordinal
difference equals the interval difference between the "mid-ranks"
``G_c - n_c / 2`` (``G`` the cumulative ``n``), so interval and ordinal data with
very many distinct values are computed from per-unit moments without any
``V x V`` matrix.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp

from labelwell.errors import InvalidInput
from labelwell.quality._frame import Encoded, encode

Level = Literal["nominal", "ordinal", "interval", "ratio"]
LEVELS: tuple[str, ...] = ("nominal", "ordinal", "interval", "ratio")

# Above this many (unit, value) cells the count matrix is kept sparse.
_DENSE_CELLS = 20_000_000
# Above this many distinct values interval/ordinal alpha use per-unit moments.
_MATRIX_VALUES = 2_048


def encode_ratings(data: pd.DataFrame | np.ndarray | list[Any]) -> Encoded:
    """Encode ratings given as a long ``task, worker, label`` frame or as reliability
    data (``raters x units`` array, ``NaN``/``None`` = missing, as in Krippendorff
    2011 and the ``krippendorff`` package). Missing labels are dropped."""
    if isinstance(data, pd.DataFrame):
        if "label" in data.columns:
            data = data[data["label"].notna()]
        return encode(data)
    arr = np.asarray(data)
    if arr.ndim != 2:
        raise InvalidInput(f"reliability data must be 2-D (raters x units), got {arr.ndim}-D")
    if arr.dtype.kind in "iub":
        present = np.ones(arr.shape, dtype=bool)
    elif arr.dtype.kind == "f":
        present = ~np.isnan(arr)
    elif arr.dtype.kind in "US":
        present = (arr != "nan") & (arr != "")
    else:
        present = pd.notna(arr)
    rater_idx, unit_idx = np.nonzero(present)
    values = arr[rater_idx, unit_idx]
    try:
        label_idx, labels = pd.factorize(values, sort=True)
    except TypeError:
        label_idx, labels = pd.factorize(values, sort=False)
    return Encoded(
        tasks=np.arange(arr.shape[1]),
        workers=np.arange(arr.shape[0]),
        labels=np.asarray(labels),
        task_idx=unit_idx.astype(np.int64),
        worker_idx=rater_idx.astype(np.int64),
        label_idx=label_idx.astype(np.int64),
    )


def _array_codes(arr: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Integer codes (``-1`` = missing) and sorted labels of numeric reliability
    data whose values are integers in a modest range, by one histogram pass (no
    hashing or sorting); ``None`` when the data does not qualify."""
    if arr.dtype.kind not in "iuf" or arr.size == 0:
        return None
    missing = np.isnan(arr) if arr.dtype.kind == "f" else None
    if missing is not None and missing.all():
        return None
    lo, hi = np.fmin.reduce(arr, axis=None), np.fmax.reduce(arr, axis=None)  # skip NaN
    span = float(hi) - float(lo)
    if span > max(1_000_000, arr.size):
        return None
    if missing is not None:  # float data
        whole = (arr == np.floor(arr)) | missing
        if not whole.all():
            return None
        offset = np.where(missing, -1.0, arr - lo).astype(np.int64)
    else:
        offset = (arr - lo).astype(np.int64)
    hist = np.bincount(offset.ravel() + 1, minlength=int(span) + 2)[1:]
    present = hist > 0
    labels = (lo + np.flatnonzero(present)).astype(arr.dtype)
    if present.all():
        return offset, labels
    lookup = np.concatenate([[-1], np.cumsum(present) - 1])
    return lookup[offset + 1], labels


def _counts_from_codes(
    unit: np.ndarray, code: np.ndarray, n_units: int, n_values: int
) -> np.ndarray | sp.csr_matrix:
    if n_units * n_values <= _DENSE_CELLS:
        flat = unit * n_values + code
        counts = np.bincount(flat, minlength=n_units * n_values)
        return counts.reshape(n_units, n_values).astype(float)
    ones = np.ones(len(unit), dtype=float)
    return sp.csr_matrix((ones, (unit, code)), shape=(n_units, n_values))


def rating_counts(
    data: pd.DataFrame | np.ndarray | list[Any],
) -> tuple[np.ndarray | sp.csr_matrix, np.ndarray]:
    """Unit-by-value count matrix ``N`` and the sorted values, from a long frame or
    reliability data, without encoding the raters."""
    if isinstance(data, pd.DataFrame):
        missing = [c for c in ("task", "label") if c not in data.columns]
        if missing:
            raise InvalidInput(f"missing column(s): {', '.join(missing)}", field=missing[0])
        labels_col = data["label"]
        keep = labels_col.notna().to_numpy()
        tasks = data["task"].to_numpy()
        values = labels_col.to_numpy()
        if not keep.all():
            tasks, values = tasks[keep], values[keep]
        if pd.isna(tasks).any():
            raise InvalidInput("column 'task' has a missing value", field="task")
        unit, units = pd.factorize(tasks)
        try:
            code, labels = pd.factorize(values, sort=True)
        except TypeError:
            code, labels = pd.factorize(values, sort=False)
        return _counts_from_codes(unit, code, len(units), len(labels)), np.asarray(labels)
    arr = np.asarray(data)
    fast = _array_codes(arr) if arr.ndim == 2 else None
    if fast is None:
        enc = encode_ratings(arr)
        return unit_counts(enc), enc.labels
    codes, labels = fast
    n_units, n_values = arr.shape[1], len(labels)
    if n_values <= 32 and n_units * n_values <= _DENSE_CELLS:
        counts = np.empty((n_units, n_values))
        for value in range(n_values):  # a pass per value, never per unit or rating
            counts[:, value] = (codes == value).sum(axis=0)
        return counts, labels
    rater, unit = np.nonzero(codes >= 0)
    return _counts_from_codes(unit, codes[rater, unit], n_units, n_values), labels


def unit_counts(enc: Encoded) -> np.ndarray | sp.csr_matrix:
    """``N[u, c]``: how many raters gave value ``c`` to unit ``u`` (dense when small)."""
    shape = (enc.n_tasks, enc.n_labels)
    if shape[0] * shape[1] <= _DENSE_CELLS:
        flat = enc.task_idx * enc.n_labels + enc.label_idx
        return np.bincount(flat, minlength=shape[0] * shape[1]).reshape(shape).astype(float)
    ones = np.ones(enc.n_answers, dtype=float)
    return sp.csr_matrix((ones, (enc.task_idx, enc.label_idx)), shape=shape)


def coincidences(counts: np.ndarray | sp.csr_matrix) -> np.ndarray:
    """Coincidence matrix ``o`` (Krippendorff 2011, C.2) from unit-by-value counts."""
    m = np.asarray(counts.sum(axis=1)).ravel()
    w = np.where(m >= 2, 1.0 / np.maximum(m - 1.0, 1.0), 0.0)
    if sp.issparse(counts):
        weighted = sp.diags(w) @ counts
        o = np.asarray((counts.T @ weighted).todense())
        o -= np.diag(np.asarray(weighted.sum(axis=0)).ravel())
        return o
    weighted = counts * w[:, None]
    coincidence: np.ndarray = counts.T @ weighted - np.diag(weighted.sum(axis=0))
    return coincidence


def _numeric_domain(labels: np.ndarray, level: str) -> np.ndarray:
    try:
        return np.asarray(labels, dtype=float)
    except (TypeError, ValueError):
        raise InvalidInput(
            f"level={level!r} needs numeric labels; got {labels[:3].tolist()!r}", field="label"
        ) from None


def differences(values: np.ndarray, n_c: np.ndarray, level: str) -> np.ndarray:
    """Squared metric differences ``d2_ck`` (Krippendorff 2011, section E)."""
    if level == "nominal":
        return 1.0 - np.eye(len(n_c))
    if level == "ordinal":
        mid = np.cumsum(n_c) - n_c / 2.0
        return (mid[:, None] - mid[None, :]) ** 2
    v = _numeric_domain(values, level)
    if level == "interval":
        squared: np.ndarray = (v[:, None] - v[None, :]) ** 2
        return squared
    if level == "ratio":
        total = v[:, None] + v[None, :]
        diff = v[:, None] - v[None, :]
        safe = np.where(total != 0, total, 1.0)
        return np.where(total != 0, diff / safe, 0.0) ** 2
    raise InvalidInput(f"unknown level {level!r}; choose one of {', '.join(LEVELS)}")


def alpha_from_coincidences(o: np.ndarray, d2: np.ndarray) -> float:
    """``alpha = 1 - (n - 1) sum o d2 / sum n_c n_k d2`` (Krippendorff 2011, C.5)."""
    n_c = o.sum(axis=0)
    n = n_c.sum()
    expected = float(n_c @ d2 @ n_c)
    if n < 2 or expected == 0:
        return float("nan")
    return float(1.0 - (n - 1.0) * float((o * d2).sum()) / expected)


def _alpha_by_moments(enc: Encoded, scores: np.ndarray) -> float:
    """Interval alpha of per-value ``scores`` from per-unit moments.

    Within a unit of ``m`` values the ordered pairs give
    ``sum_{i != j} (x_i - x_j)^2 = 2 (m S2 - S1^2)``; the expected term is the same
    identity over all pairable values.
    """
    m = np.bincount(enc.task_idx, minlength=enc.n_tasks).astype(float)
    pairable = m[enc.task_idx] >= 2
    task = enc.task_idx[pairable]
    x = scores[enc.label_idx[pairable]]
    if len(x) < 2:
        return float("nan")
    x = x - x.mean()
    s1 = np.bincount(task, weights=x, minlength=enc.n_tasks)
    s2 = np.bincount(task, weights=x * x, minlength=enc.n_tasks)
    keep = m >= 2
    observed = float((2.0 * (m[keep] * s2[keep] - s1[keep] ** 2) / (m[keep] - 1.0)).sum())
    n = float(len(x))
    expected = 2.0 * (n * float((x * x).sum()) - float(x.sum()) ** 2)
    if expected <= 0:
        return float("nan")
    return 1.0 - (n - 1.0) * observed / expected


def krippendorff_alpha(
    data: pd.DataFrame | np.ndarray | list[Any],
    level: Level = "nominal",
) -> float:
    """Krippendorff's alpha (Krippendorff 2011, C.5) for ``level`` data.

    ``data`` is a long ``task, worker, label`` frame or reliability data
    (``raters x units``, ``NaN`` = missing). Units with fewer than two values are
    not pairable and drop out. Ordinal values are ordered by sorting the labels.
    Returns ``nan`` when alpha is undefined (no pairable unit, or one value only).
    """
    if level not in LEVELS:
        raise InvalidInput(f"unknown level {level!r}; choose one of {', '.join(LEVELS)}")
    counts, labels = rating_counts(data)
    if len(labels) == 0:
        return float("nan")
    if level in ("interval", "ordinal") and len(labels) > _MATRIX_VALUES:
        enc = encode_ratings(data)
        if level == "interval":
            return _alpha_by_moments(enc, _numeric_domain(enc.labels, level))
        m = np.bincount(enc.task_idx, minlength=enc.n_tasks)
        pairable = m[enc.task_idx] >= 2
        n_c = np.bincount(enc.label_idx[pairable], minlength=enc.n_labels).astype(float)
        return _alpha_by_moments(enc, np.cumsum(n_c) - n_c / 2.0)
    return alpha_from_counts(counts, labels, level)


def alpha_from_counts(
    counts: np.ndarray | sp.csr_matrix, labels: np.ndarray, level: Level = "nominal"
) -> float:
    """Alpha from a unit-by-value count matrix and its (sorted) values."""
    o = coincidences(counts)
    return alpha_from_coincidences(o, differences(labels, o.sum(axis=0), level))
