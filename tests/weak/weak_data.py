"""Shared data for the weak supervision tests: synthetic label matrices drawn from
the one-coin model, and the WRENCH YouTube split when the datasets are present."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

DATASETS = Path(__file__).resolve().parents[3] / "shared" / "datasets"


def one_coin_L(
    n: int,
    accuracies: np.ndarray,
    coverage: float | np.ndarray,
    *,
    k: int = 2,
    balance: np.ndarray | None = None,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """``L`` and ``y`` where LF j votes with probability ``coverage`` and is right with
    probability ``accuracies[j]``, else picks one of the other classes uniformly."""
    rng = np.random.default_rng(seed)
    m = len(accuracies)
    y = rng.choice(k, size=n, p=balance)
    fires = rng.random((n, m)) < coverage
    right = rng.random((n, m)) < np.asarray(accuracies)
    wrong = (y[:, None] + rng.integers(1, k, size=(n, m))) % k
    L = np.where(fires, np.where(right, y[:, None], wrong), -1).astype(np.int8)
    return L, y


def one_sided_L(
    n: int,
    k: int,
    m: int,
    *,
    balance: np.ndarray | None = None,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """LFs that each vote one class (LF j votes ``j % k``), firing with probability
    ``alpha_j`` on items of that class and ``beta_j < alpha_j`` on the others, as
    WRENCH LFs do. Returns ``L, y, alpha, beta``."""
    rng = np.random.default_rng(seed)
    y = rng.choice(k, size=n, p=balance)
    target = np.arange(m) % k
    alpha = rng.uniform(0.2, 0.6, m)
    beta = alpha * rng.uniform(0.05, 0.4, m)
    p_fire = np.where(y[:, None] == target, alpha, beta)
    L = np.where(rng.random((n, m)) < p_fire, target, -1).astype(np.int8)
    return L, y, alpha, beta


def load_youtube(split: str) -> tuple[np.ndarray, np.ndarray]:
    return load_wrench("youtube", split)


def load_wrench(name: str, split: str) -> tuple[np.ndarray, np.ndarray]:
    """``L`` and gold labels of one split of a WRENCH set under ``shared/datasets/weak``."""
    folder = DATASETS / "weak" / name
    if not folder.exists():
        pytest.skip(f"WRENCH {name} data not found at {folder}")
    rows = json.loads((folder / f"{split}.json").read_text()).values()
    L = np.array([r["weak_labels"] for r in rows], dtype=np.int64)
    y = np.array([r["label"] for r in rows], dtype=np.int64)
    return L, y
