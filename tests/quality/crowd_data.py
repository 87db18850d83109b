"""The real crowd datasets the aggregation tests read (``shared/datasets/crowd``
beside the repository: ``answers.csv`` as ``task, worker, label`` and
``truth.csv``), and the accuracy they measure against the truth."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

CROWD = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "crowd"


def load(name: str) -> tuple[pd.DataFrame, pd.Series]:
    """A dataset's answers and its truth (task -> label); skips the test when the
    dataset folder is not there."""
    if not (CROWD / name).is_dir():
        pytest.skip(f"dataset folder {CROWD / name} is missing")
    answers = pd.read_csv(CROWD / name / "answers.csv", dtype=str)
    truth = pd.read_csv(CROWD / name / "truth.csv", dtype=str).set_index("task")["label"]
    return answers, truth


def accuracy(labels: pd.Series, truth: pd.Series) -> float:
    """Share of the truth's tasks whose aggregated label is the true one."""
    return float((labels.reindex(truth.index) == truth).mean())
