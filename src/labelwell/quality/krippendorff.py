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

from typing import Literal

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


def encode_ratings(data: pd.DataFrame | np.ndarray | list) -> Encoded:
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
    return counts.T @ weighted - np.diag(weighted.sum(axis=0))


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
        return (v[:, None] - v[None, :]) ** 2
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
    data: pd.DataFrame | np.ndarray | list,
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
    enc = encode_ratings(data)
    if enc.n_answers == 0 or enc.n_labels == 0:
        return float("nan")
    if level in ("interval", "ordinal") and enc.n_labels > _MATRIX_VALUES:
        if level == "interval":
            return _alpha_by_moments(enc, _numeric_domain(enc.labels, level))
        m = np.bincount(enc.task_idx, minlength=enc.n_tasks)
        pairable = m[enc.task_idx] >= 2
        n_c = np.bincount(enc.label_idx[pairable], minlength=enc.n_labels).astype(float)
        return _alpha_by_moments(enc, np.cumsum(n_c) - n_c / 2.0)
    o = coincidences(unit_counts(enc))
    return alpha_from_coincidences(o, differences(enc.labels, o.sum(axis=0), level))
