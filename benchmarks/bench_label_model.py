"""Label models side by side: majority vote, the one-coin ``LabelModel``, the
``ClassConditionalLabelModel`` and the model ``choose_label_model`` picks on dev
labels, beside Snorkel 0.10's ``LabelModel``, on WRENCH sets and on synthetic
one-sided LFs with known truth.

* WRENCH YouTube: fit on train, dev = valid (120 labels), score on test.
* WRENCH chemprot: only valid and test are public: fit on valid (its labels are
  the dev labels), score on test. Snorkel as in the datasets README
  (``n_epochs=500, seed=42``).
* Synthetic: LF j votes class ``j % k`` only, firing with rate ``alpha_j`` on its
  class and ``beta_j`` on the others; grid over classes (2, 5, 10), class balance
  (uniform, skewed), coverage (low, high) and correlation (independent LFs, or a
  third of the LFs copied with 10% of their votes changed). Fit on 10,000 items,
  dev = 200 further labelled items, scored on 10,000 more.
* Speed: fit on 1,000,000 x 20 LFs (one-sided, 70%+ abstains), best of
  ``--repeat``, beside Snorkel's fit.

Accuracy is with a random tie-break (seeded). "no dev" columns fit without any
labels (the one-coin model with a uniform balance, the class-conditional model
learning it), the evidence for ``NO_DEV_DEFAULT``; the "model evidence" table
asks whether a label-free choice (AIC or BIC of the LF outputs on the fit split)
would do better than that default.

    .venv/bin/python benchmarks/bench_label_model.py [--json out.json] [--only real synthetic speed]

The WRENCH sets are read from ``../shared/datasets/weak``; they are skipped with
a message when missing.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from labelwell.weak import (
    ClassConditionalLabelModel,
    LabelModel,
    MajorityLabelVoter,
    choose_label_model,
    probs_to_preds,
)
from labelwell.weak.matrix import VoteMatrix

DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "weak"


def load(name: str, split: str) -> tuple[np.ndarray, np.ndarray]:
    rows = json.loads((DATASETS / name / f"{split}.json").read_text()).values()
    return (
        np.array([r["weak_labels"] for r in rows], dtype=np.int64),
        np.array([r["label"] for r in rows], dtype=np.int64),
    )


def one_sided(
    n: int, k: int, m: int, *, skew: bool, coverage: str, correlated: bool, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    balance = np.full(k, 1.0 / k)
    if skew:
        balance = 0.6 ** np.arange(k)
        balance /= balance.sum()
    y = rng.choice(k, size=n, p=balance)
    target = np.arange(m) % k
    alpha = rng.uniform(*((0.05, 0.3) if coverage == "low" else (0.3, 0.7)), m)
    beta = alpha * rng.uniform(0.05, 0.5, m)
    p_fire = np.where(y[:, None] == target, alpha, beta)
    L = np.where(rng.random((n, m)) < p_fire, target, -1)
    if correlated:
        copies = rng.choice(m, m // 3, replace=False)
        dup = L[:, copies].copy()
        flip = rng.random(dup.shape) < 0.1
        dup[flip] = np.where(dup[flip] == -1, target[copies][np.nonzero(flip)[1]], -1)
        L = np.column_stack([L, dup])
    return L, y


def accuracy(proba: np.ndarray, y: np.ndarray) -> float:
    return float((probs_to_preds(proba, "random", random_state=0) == y).mean())


def snorkel_accuracy(L_fit, L_eval, y_eval, k, **fit_args) -> tuple[float, float]:
    from snorkel.labeling.model import LabelModel as SnorkelLabelModel

    model = SnorkelLabelModel(cardinality=k, verbose=False)
    start = time.perf_counter()
    model.fit(L_fit, progress_bar=False, **fit_args)
    fit_s = time.perf_counter() - start
    return float((model.predict(L_eval, tie_break_policy="random") == y_eval).mean()), fit_s


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def compare(name, L_fit, L_dev, y_dev, L_eval, y_eval, k, snorkel_args) -> list[dict[str, Any]]:
    rows = []

    def row(method: str, acc: float, fit_s: float, note: str = "") -> None:
        rows.append(
            {"problem": name, "method": method, "accuracy": acc, "fit_s": fit_s, "note": note}
        )

    row("majority vote", accuracy(MajorityLabelVoter(k).predict_proba(L_eval), y_eval), 0.0)
    m, t = timed(lambda: LabelModel(k).fit(L_fit))
    row("one-coin, no dev", accuracy(m.predict_proba(L_eval), y_eval), t)
    m, t = timed(lambda: ClassConditionalLabelModel(k).fit(L_fit))
    row("class-conditional, no dev", accuracy(m.predict_proba(L_eval), y_eval), t)
    choice, t = timed(lambda: choose_label_model(L_fit, k, L_dev=L_dev, y_dev=y_dev))
    for cand in ("label_model", "class_conditional"):
        bal = np.asarray(choice.class_balance)
        model = LabelModel(k) if cand == "label_model" else ClassConditionalLabelModel(k)
        model.fit(L_fit, class_balance=bal)
        label = "one-coin" if cand == "label_model" else "class-conditional"
        row(f"{label}, dev balance", accuracy(model.predict_proba(L_eval), y_eval), 0.0)
    row(
        "chosen on dev (default)",
        accuracy(choice.model.predict_proba(L_eval), y_eval),
        t,
        choice.name,
    )
    acc, t = snorkel_accuracy(L_fit, L_eval, y_eval, k, **snorkel_args)
    row("Snorkel 0.10 LabelModel", acc, t)
    return rows


def _one_coin_log_lik(out: np.ndarray, acc: np.ndarray, balance: np.ndarray, k: int) -> float:
    """log P(out) of the LF outputs ``out`` (-1 = abstain) under the one-coin model
    with class-independent firing: the votes given the firing pattern (Dawid and
    Skene 1979, eq. 2.6) plus each LF's Bernoulli firing rate (its ML estimate)."""
    from scipy.special import logsumexp

    fired = out != -1
    scores = np.tile(np.log(balance), (out.shape[0], 1))
    for c in range(k):
        right = (out == c).astype(float)
        scores[:, c] += right @ np.log(acc) + (fired & (out != c)) @ np.log((1 - acc) / (k - 1))
    n_fired = fired.sum(axis=0)
    rate = np.clip(n_fired / out.shape[0], 1e-12, 1 - 1e-12)
    firing = float((n_fired * np.log(rate) + (out.shape[0] - n_fired) * np.log(1 - rate)).sum())
    return float(logsumexp(scores, axis=1).sum()) + firing


def _shared_accuracy(out: np.ndarray, k: int, n_iter: int = 200) -> float:
    """EM for one accuracy shared by every LF, uniform balance: majority vote as a
    generative model (with equal accuracies the posterior ranks classes by votes)."""
    fired = out != -1
    acc = 0.7
    for _ in range(n_iter):
        right = np.stack([(out == c).sum(axis=1) for c in range(k)], axis=1)
        wrong = fired.sum(axis=1)[:, None] - right
        log_p = right * np.log(acc) + wrong * np.log((1 - acc) / (k - 1))
        post = np.exp(log_p - log_p.max(axis=1, keepdims=True))
        post /= post.sum(axis=1, keepdims=True)
        acc = float(np.clip((post * right).sum() / fired.sum(), 1 / k + 1e-4, 1 - 1e-6))
    return acc


def evidence_rows(name: str, L_fit: np.ndarray, L_eval, y_eval, k: int) -> list[dict[str, Any]]:
    """Label-free choice by model evidence: the log-likelihood of the LF outputs
    (votes and abstains) under majority vote as a model, the one-coin model and
    the class-conditional model, each with AIC and BIC (n = items), and each
    model's test accuracy."""
    n, m = L_fit.shape
    acc = _shared_accuracy(L_fit, k)
    uniform = np.full(k, 1.0 / k)
    one = LabelModel(k).fit(L_fit)
    cc = ClassConditionalLabelModel(k).fit(L_fit)
    votes = VoteMatrix.from_matrix(L_fit, k)
    alpha, beta, polarity = cc._params
    joint = cc._log_joint(votes, alpha, beta, polarity, cc.class_balance_)
    per_lf = votes.votes_per_lf().T.astype(np.float64)
    top = joint.max(axis=0)
    cc_ll = float((np.log(np.exp(joint - top).sum(axis=0)) + top).sum())
    cc_ll += cc._shared_term(alpha, beta, polarity, per_lf, n)
    found = [
        (
            "majority vote (one shared accuracy)",
            _one_coin_log_lik(L_fit, np.full(m, acc), uniform, k),
            1 + m,
            accuracy(MajorityLabelVoter(k).predict_proba(L_eval), y_eval),
        ),
        (
            "one-coin",
            _one_coin_log_lik(L_fit, one.accuracies_, one.class_balance_, k),
            2 * m,
            accuracy(one.predict_proba(L_eval), y_eval),
        ),
        (
            "class-conditional",
            cc_ll,
            2 * int(polarity.sum()) + k - 1,
            accuracy(cc.predict_proba(L_eval), y_eval),
        ),
    ]
    return [
        {
            "problem": name,
            "model": model,
            "log_lik": ll,
            "params": p,
            "aic": -2 * ll + 2 * p,
            "bic": -2 * ll + p * np.log(n),
            "test_accuracy": test,
        }
        for model, ll, p, test in found
    ]


def real_rows() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    if not DATASETS.exists():
        print(f"skipping WRENCH sets: {DATASETS} not found")
        return rows
    L_tr, _ = load("youtube", "train")
    L_va, y_va = load("youtube", "valid")
    L_te, y_te = load("youtube", "test")
    rows += compare("WRENCH youtube", L_tr, L_va, y_va, L_te, y_te, 2, {"seed": 123})
    L_va, y_va = load("chemprot", "valid")
    L_te, y_te = load("chemprot", "test")
    args = {"n_epochs": 500, "seed": 42}
    rows += compare("WRENCH chemprot", L_va, L_va, y_va, L_te, y_te, 10, args)
    return rows


def real_evidence_rows() -> list[dict[str, Any]]:
    if not DATASETS.exists():
        return []
    L_tr, _ = load("youtube", "train")
    L_te, y_te = load("youtube", "test")
    rows = evidence_rows("WRENCH youtube", L_tr, L_te, y_te, 2)
    L_va, _ = load("chemprot", "valid")
    L_te, y_te = load("chemprot", "test")
    return rows + evidence_rows("WRENCH chemprot", L_va, L_te, y_te, 10)


def synthetic_rows() -> list[dict[str, Any]]:
    rows = []
    seed = 0
    for k in (2, 5, 10):
        for skew in (False, True):
            for coverage in ("low", "high"):
                for correlated in (False, True):
                    seed += 1
                    m = max(2 * k, 10)
                    L, y = one_sided(
                        20_200, k, m, skew=skew, coverage=coverage, correlated=correlated, seed=seed
                    )
                    name = (
                        f"k={k} {'skewed' if skew else 'uniform'} {coverage} coverage"
                        f"{' correlated' if correlated else ''}"
                    )
                    fit, dev, ev = slice(0, 10_000), slice(10_000, 10_200), slice(10_200, None)
                    rows += compare(name, L[fit], L[dev], y[dev], L[ev], y[ev], k, {"seed": 123})
    return rows


def speed_rows(repeat: int) -> list[dict[str, Any]]:
    from snorkel.labeling.model import LabelModel as SnorkelLabelModel

    L, _ = one_sided(1_000_000, 2, 20, skew=False, coverage="low", correlated=False, seed=99)
    L = L.astype(np.int8)

    def best(fn: Callable[[], Any]) -> float:
        return min(timed(fn)[1] for _ in range(repeat))

    return [
        {
            "task": "fit 1,000,000 x 20",
            "method": "one-coin LabelModel",
            "s": best(lambda: LabelModel(2).fit(L)),
        },
        {
            "task": "fit 1,000,000 x 20",
            "method": "ClassConditionalLabelModel",
            "s": best(lambda: ClassConditionalLabelModel(2).fit(L)),
        },
        {
            "task": "fit 1,000,000 x 20",
            "method": "Snorkel 0.10 LabelModel",
            "s": best(
                lambda: SnorkelLabelModel(cardinality=2, verbose=False).fit(
                    L, seed=123, progress_bar=False
                )
            ),
        },
        {"task": "abstains", "method": "", "s": float((L == -1).mean())},
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="*", default=["real", "synthetic", "speed"])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    out: dict[str, Any] = {}
    fmt = {"float_format": lambda v: f"{v:.3f}"}
    if "real" in args.only:
        out["real"] = real_rows()
        print(
            "## WRENCH (test accuracy)\n" + pd.DataFrame(out["real"]).to_string(index=False, **fmt)
        )
        out["evidence"] = real_evidence_rows()
        print(
            "\n## without dev labels: model evidence on the fit split (lower AIC/BIC wins)\n"
            + pd.DataFrame(out["evidence"]).to_string(index=False, **fmt)
        )
    if "synthetic" in args.only:
        out["synthetic"] = synthetic_rows()
        frame = pd.DataFrame(out["synthetic"])
        wide = frame.pivot(index="problem", columns="method", values="accuracy")
        print("\n## synthetic one-sided (accuracy)\n" + wide.to_string(**fmt))
        both = pd.DataFrame(out.get("real", []) + out["synthetic"])
        print(
            "\n## mean accuracy over all problems\n"
            + both.groupby("method")["accuracy"].mean().to_string(**fmt)
        )
        chosen = frame[frame.method == "chosen on dev (default)"]
        best_other = frame[frame.method.isin(["majority vote", "Snorkel 0.10 LabelModel"])]
        margin = (
            chosen.set_index("problem")["accuracy"]
            - best_other.groupby("problem")["accuracy"].max()
        )
        print(
            f"\nchosen - max(MV, Snorkel): min {margin.min():.3f}, mean {margin.mean():.3f}, "
            f"problems below 0: {int((margin < 0).sum())} of {len(margin)}"
        )
    if "speed" in args.only:
        out["speed"] = speed_rows(args.repeat)
        print(
            f"\n## speed (best of {args.repeat})\n"
            + pd.DataFrame(out["speed"]).to_string(index=False, **fmt)
        )
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
