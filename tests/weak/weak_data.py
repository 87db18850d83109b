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


def load_youtube(split: str) -> tuple[np.ndarray, np.ndarray]:
    folder = DATASETS / "weak" / "youtube"
    if not folder.exists():
        pytest.skip(f"WRENCH YouTube data not found at {folder}")
    rows = json.loads((folder / f"{split}.json").read_text()).values()
    L = np.array([r["weak_labels"] for r in rows], dtype=np.int64)
    y = np.array([r["label"] for r in rows], dtype=np.int64)
    return L, y
