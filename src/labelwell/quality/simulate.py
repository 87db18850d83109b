"""Simulated crowd answers with known truth, for tests and benchmarks of the
aggregation methods (and for choosing their defaults on more than one dataset)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from labelwell.errors import InvalidInput


def simulate_crowd(
    n_tasks: int = 500,
    n_workers: int = 30,
    redundancy: int = 5,
    n_labels: int = 2,
    *,
    class_balance: Sequence[float] | None = None,
    accuracy: tuple[float, float] = (0.6, 0.9),
    spammers: float = 0.0,
    per_class: bool = False,
    seed: int = 0,
) -> tuple[pd.DataFrame, pd.Series]:
    """Answers ``task, worker, label`` and the truth ``task -> label``.

    Each task draws its true label from ``class_balance`` (uniform if ``None``) and
    ``redundancy`` distinct workers. A worker is right with a probability drawn
    uniformly from ``accuracy`` (one per true class when ``per_class``, the
    Dawid-Skene model; one in all, the one-coin model) and otherwise gives one of
    the other labels uniformly. A share ``spammers`` of the workers answers at
    random. Labels are the strings ``"0" .. str(n_labels - 1)``.
    """
    if not 1 <= redundancy <= n_workers or n_tasks < 1 or n_labels < 2:
        raise InvalidInput("need n_tasks >= 1, n_labels >= 2 and 1 <= redundancy <= n_workers")
    rng = np.random.default_rng(seed)
    balance = np.full(n_labels, 1.0 / n_labels) if class_balance is None else class_balance
    balance = np.asarray(balance, dtype=float)
    if balance.shape != (n_labels,) or (balance < 0).any() or not np.isclose(balance.sum(), 1):
        raise InvalidInput(f"class_balance must be {n_labels} proportions summing to 1")
    truth = rng.choice(n_labels, size=n_tasks, p=balance)
    low, high = accuracy
    skill = rng.uniform(low, high, size=(n_workers, n_labels if per_class else 1))
    skill = np.broadcast_to(skill, (n_workers, n_labels)).copy()
    spam = rng.random(n_workers) < spammers
    skill[spam] = 1.0 / n_labels
    workers = np.argsort(rng.random((n_tasks, n_workers)), axis=1)[:, :redundancy].ravel()
    tasks = np.repeat(np.arange(n_tasks), redundancy)
    true = truth[tasks]
    right = rng.random(len(tasks)) < skill[workers, true]
    wrong = (true + rng.integers(1, n_labels, size=len(tasks))) % n_labels
    labels = np.where(right, true, wrong)
    spam_rows = spam[workers]
    labels[spam_rows] = rng.integers(0, n_labels, size=int(spam_rows.sum()))
    answers = pd.DataFrame(
        {
            "task": pd.Series(tasks).map("t{}".format),
            "worker": pd.Series(workers).map("w{}".format),
            "label": labels.astype(str),
        }
    )
    index = pd.Index([f"t{i}" for i in range(n_tasks)], name="task")
    return answers, pd.Series(truth.astype(str), index=index, name="label")
