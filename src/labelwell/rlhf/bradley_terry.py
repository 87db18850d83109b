"""Bradley-Terry leaderboard of model versions from pairwise battles.

The Chatbot Arena recipe (Chiang et al., "Chatbot Arena", ICML 2024, eq. 1-3;
FastChat ``rating_systems.compute_bt``): the probability that model ``a`` beats
model ``b`` is ``1 / (1 + base ** ((R_b - R_a) / scale))`` with base 10 and scale
400, ties count as half a win, and the ratings maximise the (optionally L2
penalised) log-likelihood with L-BFGS. Ratings are centred so that their mean is
``init_rating`` (1000). Confidence intervals come from a bootstrap over battles;
battles are first collapsed to unique ``(a, b, outcome)`` cells and each round
draws multinomial cell counts, which is the same distribution as resampling
rows but costs one fit on a few thousand cells instead of on every battle.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components
from threadpoolctl import threadpool_limits

from labelwell.errors import InvalidInput
from labelwell.quality.sample import (
    SampleWarning,
    bootstrap_instability,
    check_sample,
    unstable_warning,
)
from labelwell.rlhf.records import Comparison

#: Outcome values accepted for a battle, mapped to the score of ``model_a``.
#: Arena rows use ``model_a``/``model_b``/``tie``/``tie (bothbad)``; labelwell's
#: pairwise results use ``a``/``b``/``tie``/``both_bad``.
WINNER_SCORES: dict[str, float] = {
    "model_a": 1.0,
    "model_b": 0.0,
    "tie": 0.5,
    "tie (bothbad)": 0.5,
    "a": 1.0,
    "b": 0.0,
    "both_bad": 0.5,
}


@dataclass(frozen=True, slots=True)
class BattleCells:
    """Battles collapsed to unique cells: ``a[i]`` against ``b[i]`` (model codes,
    ``a < b``) with score ``y[i]`` of ``a`` in {0, 0.5, 1}, seen ``count[i]`` times."""

    a: np.ndarray
    b: np.ndarray
    y: np.ndarray
    count: np.ndarray
    models: list[str]

    @property
    def n_battles(self) -> int:
        return int(self.count.sum())


def collapse_battles(
    model_a: Sequence[str] | np.ndarray,
    model_b: Sequence[str] | np.ndarray,
    winner: Sequence[str] | np.ndarray,
) -> BattleCells:
    """Collapse battle rows to unique (a, b, outcome) cells with counts.

    Pairs are put in a canonical order (lower model code first, outcome flipped)
    so ``x vs y`` and ``y vs x`` share cells. Self-battles carry no information
    about rating differences and are rejected.
    """
    ma = np.asarray(model_a, dtype=object)
    mb = np.asarray(model_b, dtype=object)
    w = pd.Series(np.asarray(winner, dtype=object))
    if not (len(ma) == len(mb) == len(w)):
        raise InvalidInput("model_a, model_b and winner must have the same length")
    if len(ma) == 0:
        raise InvalidInput("no battles given")
    score = w.map(WINNER_SCORES).to_numpy(dtype=float)
    bad = np.flatnonzero(np.isnan(score))
    if bad.size:
        i = int(bad[0])
        raise InvalidInput(
            f"battle {i}: unknown winner {w.iloc[i]!r}; expected one of {sorted(WINNER_SCORES)}",
            field="winner",
        )
    codes, uniques = pd.factorize(np.concatenate([ma, mb]), sort=True)
    n = len(ma)
    missing = np.flatnonzero(codes < 0)
    if missing.size:
        i = int(missing[0]) % n
        side = "model_a" if missing[0] < n else "model_b"
        raise InvalidInput(f"battle {i}: {side} is missing", field=side)
    ca, cb = codes[:n].astype(np.int64), codes[n:].astype(np.int64)
    same = np.flatnonzero(ca == cb)
    if same.size:
        i = int(same[0])
        raise InvalidInput(f"battle {i}: model {ma[i]!r} plays itself", field="model_b")
    swap = ca > cb
    lo = np.where(swap, cb, ca)
    hi = np.where(swap, ca, cb)
    y2 = np.where(swap, 2.0 - 2.0 * score, 2.0 * score).astype(np.int64)  # 0, 1, 2
    m = len(uniques)
    key = (lo * m + hi) * 3 + y2
    cells, count = np.unique(key, return_counts=True)
    y_code = cells % 3
    pair = cells // 3
    return BattleCells(
        a=pair // m,
        b=pair % m,
        y=y_code / 2.0,
        count=count.astype(float),
        models=[str(u) for u in uniques],
    )


def estimate_exists(cells: BattleCells, weight: np.ndarray | None = None) -> bool:
    """Whether the maximum-likelihood ratings exist (are finite): every model plays
    and, however the models are split in two groups, some model of each group
    scored against the other (Ford 1957, "Solution of a ranking problem from
    binary comparisons", condition (A)); that is, the directed graph "scored
    points against" is strongly connected. Ties score both ways."""
    w = cells.count if weight is None else np.asarray(weight, dtype=float)
    k = len(cells.models)
    played = np.bincount(cells.a, w, minlength=k) + np.bincount(cells.b, w, minlength=k)
    if k < 2 or (played <= 0).any():
        return k == 1 and bool(played.sum() > 0)
    a_scored = (w > 0) & (cells.y > 0)
    b_scored = (w > 0) & (cells.y < 1)
    src = np.concatenate([cells.a[a_scored], cells.b[b_scored]])
    dst = np.concatenate([cells.b[a_scored], cells.a[b_scored]])
    graph = csr_matrix((np.ones(src.size), (src, dst)), shape=(k, k))
    n_parts, _ = connected_components(graph, directed=True, connection="strong")
    return n_parts == 1


def _bt_loss_and_grad(
    theta: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    n: np.ndarray,
    score: np.ndarray,
    alpha: float,
    l2: float,
) -> tuple[float, np.ndarray]:
    """Mean negative log-likelihood of eq. 2 (Chiang et al. 2024) and its gradient.

    Per pair ``(a, b)`` with ``n`` battles and ``score`` points for ``a`` (wins
    plus half the ties), ``-sum_cells w (y log s(z) + (1-y) log s(-z))`` equals
    ``n softplus(z) - score z`` with ``z = alpha (theta_a - theta_b)``: one
    transcendental per pair instead of three per cell.
    """
    z = alpha * (theta[a] - theta[b])
    sp = np.logaddexp(0.0, z)
    total = n.sum()
    loss = (np.dot(n, sp) - np.dot(score, z)) / total
    g = (n * np.exp(z - sp) - score) * (alpha / total)
    k = theta.shape[0]
    grad = np.bincount(a, weights=g, minlength=k) - np.bincount(b, weights=g, minlength=k)
    if l2:
        loss += 0.5 * l2 * float(np.dot(theta, theta)) / total
        grad = grad + (l2 / total) * theta
    return float(loss), grad


def fit_cells(
    cells: BattleCells,
    weight: np.ndarray | None = None,
    *,
    base: float = 10.0,
    l2: float = 0.0,
    tol: float = 1e-9,
    max_iter: int = 1000,
    x0: np.ndarray | None = None,
) -> np.ndarray:
    """Maximum-likelihood strengths ``theta`` (rating = init + scale * theta),
    centred on zero. ``weight`` overrides the cell counts (used by the bootstrap)."""
    w = cells.count if weight is None else np.asarray(weight, dtype=float)
    pairs, pair_idx = np.unique(cells.a * len(cells.models) + cells.b, return_inverse=True)
    n_pair = np.bincount(pair_idx, weights=w, minlength=len(pairs))
    score = np.bincount(pair_idx, weights=w * cells.y, minlength=len(pairs))
    keep = n_pair > 0
    pa, pb = np.divmod(pairs[keep], len(cells.models))
    k = len(cells.models)
    start = np.zeros(k) if x0 is None else np.asarray(x0, dtype=float)
    result = minimize(
        _bt_loss_and_grad,
        start,
        args=(pa, pb, n_pair[keep], score[keep], float(np.log(base)), float(l2)),
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": max_iter, "gtol": tol, "ftol": 1e-15},
    )
    theta = np.asarray(result.x)
    centred: np.ndarray = theta - theta.mean()
    return centred


class BradleyTerry:
    """Arena-style Bradley-Terry ratings with bootstrap confidence intervals.

    Parameters follow the Chatbot Arena defaults. ``l2`` adds ``l2/2 * ||theta||^2``
    to the negative log-likelihood, where ``theta = (rating - init_rating) / scale``;
    it keeps ratings finite when a model never loses or the comparison graph is
    disconnected. ``n_bootstrap = 0`` skips the intervals.

    Fitted attributes: ``models_``, ``ratings_`` (a Series by model), ``ci_low_``,
    ``ci_high_``, ``bootstrap_ratings_`` (rounds x models frame), ``n_battles_``,
    ``model_battles_`` (battles per model), ``estimate_exists_`` (Ford's condition
    on the battles; without it and without ``l2`` the ratings run off and only
    their order means anything), ``diverged_rounds_`` (bootstrap rounds without
    it), ``instability_`` (per model, the reasons of
    :func:`labelwell.quality.sample.bootstrap_instability`), ``unstable_`` and
    ``warnings_`` (small samples and unstable intervals).
    """

    def __init__(
        self,
        *,
        scale: float = 400.0,
        base: float = 10.0,
        init_rating: float = 1000.0,
        l2: float = 0.0,
        n_bootstrap: int = 100,
        ci: float = 0.95,
        random_state: int | None = None,
        tol: float = 1e-9,
        max_iter: int = 1000,
    ) -> None:
        self.scale = scale
        self.base = base
        self.init_rating = init_rating
        self.l2 = l2
        self.n_bootstrap = n_bootstrap
        self.ci = ci
        self.random_state = random_state
        self.tol = tol
        self.max_iter = max_iter

    def fit(self, battles: pd.DataFrame) -> BradleyTerry:
        """Fit on a frame with ``model_a``, ``model_b`` and ``winner`` columns."""
        missing = {"model_a", "model_b", "winner"} - set(battles.columns)
        if missing:
            raise InvalidInput(f"battles lack columns: {sorted(missing)}")
        cells = collapse_battles(
            battles["model_a"].to_numpy(),
            battles["model_b"].to_numpy(),
            battles["winner"].to_numpy(),
        )
        return self.fit_cells(cells)

    def fit_cells(self, cells: BattleCells) -> BradleyTerry:
        if self.l2 < 0:
            raise InvalidInput("l2 must be >= 0", field="l2")
        if not 0 < self.ci < 1:
            raise InvalidInput("ci must be in (0, 1)", field="ci")
        # L-BFGS-B makes many tiny BLAS calls on ``n_models`` numbers; threaded
        # BLAS only adds synchronisation (8x slower on a busy 2-core machine).
        with threadpool_limits(limits=1, user_api="blas"):
            return self._fit_cells(cells)

    def _fit_cells(self, cells: BattleCells) -> BradleyTerry:
        fit = partial(fit_cells, base=self.base, l2=self.l2, tol=self.tol, max_iter=self.max_iter)
        theta = fit(cells)
        self.models_ = list(cells.models)
        self.n_battles_ = cells.n_battles
        self.ratings_ = pd.Series(self._to_rating(theta), index=self.models_, name="rating")
        k = len(self.models_)
        self.model_battles_ = pd.Series(
            (
                np.bincount(cells.a, cells.count, minlength=k)
                + np.bincount(cells.b, cells.count, minlength=k)
            ).astype(int),
            index=self.models_,
            name="n_battles",
        )
        penalised = self.l2 > 0
        self.estimate_exists_ = penalised or estimate_exists(cells)
        boot = np.empty((self.n_bootstrap, k))
        diverged = 0
        if self.n_bootstrap:
            rng = np.random.default_rng(self.random_state)
            n = cells.n_battles
            counts = rng.multinomial(n, cells.count / n, size=self.n_bootstrap)
            for r in range(self.n_bootstrap):
                weight = counts[r].astype(float)
                boot[r] = fit(cells, weight, x0=theta)
                diverged += not (penalised or estimate_exists(cells, weight))
            boot = self._to_rating(boot)
            q = (1.0 - self.ci) / 2.0
            low, high = np.quantile(boot, [q, 1.0 - q], axis=0)
        else:
            low = high = np.full(k, np.nan)
        self.diverged_rounds_ = diverged
        self.bootstrap_ratings_ = pd.DataFrame(boot, columns=self.models_)
        self.ci_low_ = pd.Series(low, index=self.models_, name="ci_low")
        self.ci_high_ = pd.Series(high, index=self.models_, name="ci_high")
        self._check_sample(cells, boot, low, high)
        return self

    def _check_sample(
        self, cells: BattleCells, boot: np.ndarray, low: np.ndarray, high: np.ndarray
    ) -> None:
        instability: dict[str, list[str]] = {}
        warnings: list[SampleWarning] = []
        for j, model in enumerate(self.models_):
            n_model = int(self.model_battles_.iloc[j])
            reasons = []
            if self.n_bootstrap:
                reasons = bootstrap_instability(boot[:, j], cells.n_battles, low[j], high[j])
            if not self.estimate_exists_ or self.diverged_rounds_:
                reasons.append("diverged")
            instability[model] = reasons
            warnings += [
                w
                for w in (
                    check_sample("leaderboard", n_model, model),
                    unstable_warning("leaderboard", n_model, reasons, model),
                )
                if w is not None
            ]
        self.instability_ = instability
        self.unstable_ = pd.Series(
            [bool(instability[m]) for m in self.models_], index=self.models_, name="unstable"
        )
        self.warnings_ = warnings

    def fit_predict(self, battles: pd.DataFrame) -> pd.Series:
        return self.fit(battles).ratings_

    def _to_rating(self, theta: np.ndarray) -> np.ndarray:
        return self.init_rating + self.scale * theta

    def leaderboard(self) -> pd.DataFrame:
        """Models by rating, best first, with ``rank``, ``rating``, ``ci_low``,
        ``ci_high``, ``n_battles`` (the model's) and ``unstable`` (its interval)."""
        board = pd.DataFrame(
            {
                "model": self.models_,
                "rating": self.ratings_.to_numpy(),
                "ci_low": self.ci_low_.to_numpy(),
                "ci_high": self.ci_high_.to_numpy(),
                "n_battles": self.model_battles_.to_numpy(),
                "unstable": self.unstable_.to_numpy(),
            }
        )
        board = board.sort_values(["rating", "model"], ascending=[False, True], kind="stable")
        board.insert(0, "rank", np.arange(1, len(board) + 1))
        return board.reset_index(drop=True)

    def predict_win_rate(self, model_a: str, model_b: str) -> float:
        """Expected score of ``model_a`` against ``model_b`` (eq. 1)."""
        d = (self.ratings_[model_a] - self.ratings_[model_b]) / self.scale
        return float(1.0 / (1.0 + self.base ** (-d)))


def battles_from_comparisons(
    comparisons: Iterable[Comparison], model_of: Mapping[tuple[str, str], str]
) -> pd.DataFrame:
    """A project's own pairwise judgments as battles between the models that wrote
    the responses; ``model_of[(item_id, response_id)]`` names the model. The
    ``winner`` column keeps labelwell's outcomes (``a``, ``b``, ``tie``,
    ``both_bad``). Comparisons of two responses by the same model say nothing
    about models and are left out."""
    rows = []
    for c in comparisons:
        try:
            a, b = model_of[(c.item_id, c.response_a)], model_of[(c.item_id, c.response_b)]
        except KeyError as exc:
            raise InvalidInput(f"no model known for response {exc.args[0]!r}") from None
        if a != b:
            rows.append((a, b, c.outcome))
    return pd.DataFrame(rows, columns=["model_a", "model_b", "winner"])


def battles_frame(rows: Iterable[dict[str, object]]) -> pd.DataFrame:
    """Battle rows (dicts with ``model_a``, ``model_b``, ``winner``) as a frame."""
    return pd.DataFrame.from_records(list(rows), columns=["model_a", "model_b", "winner"])
