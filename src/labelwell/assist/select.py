"""Active learning: choose which unlabeled items people should label next.

``select(strategy, n, probs=None, embeddings=None, seed=None)`` returns the
indices of the ``n`` items to label, most useful first. ``margin`` is the
default: Bahri et al. (2022, "Is margin all you need? An extensive empirical
study of active learning on tabular data") found it matches or beats the other
strategies on 69 tabular datasets.

Strategies register by name in ``STRATEGIES`` (plug-ins through the
``labelwell.selection_strategies`` entry-point group, naming a :class:`Strategy`);
every one is vectorised and works on the pool's arrays only (``probs``: n_items x n_classes model
probabilities, ``embeddings``: n_items x dim features).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from labelwell.errors import InvalidInput
from labelwell.registry import Registry

DEFAULT_STRATEGY = "margin"


@dataclass(frozen=True)
class Strategy:
    """A registered selection strategy and the inputs it needs."""

    name: str
    needs_probs: bool
    needs_embeddings: bool
    func: Callable[..., np.ndarray]
    doc: str


STRATEGIES: Registry[Strategy] = Registry(
    "selection strategy", group="labelwell.selection_strategies", field="strategy"
)


def register_strategy(
    name: str, *, needs_probs: bool = False, needs_embeddings: bool = False
) -> Callable[[Callable[..., np.ndarray]], Callable[..., np.ndarray]]:
    """Register ``func(n, probs, embeddings, rng, **options) -> indices`` as ``name``."""

    def deco(func: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
        doc = (func.__doc__ or "").strip().splitlines()[0] if func.__doc__ else ""
        STRATEGIES.register(name, Strategy(name, needs_probs, needs_embeddings, func, doc))
        return func

    return deco


def select(
    strategy: str = DEFAULT_STRATEGY,
    n: int = 1,
    probs: np.ndarray | None = None,
    embeddings: np.ndarray | None = None,
    seed: int | np.random.Generator | None = None,
    **options: object,
) -> np.ndarray:
    """Indices (int64, most useful first) of the ``n`` pool items to label next.

    ``options`` go to the strategy, for example ``labeled_embeddings`` for
    ``kcenter`` (distances count from the already-labeled items too).
    """
    spec = STRATEGIES.get(strategy)
    probs_arr = _as_probs(probs) if probs is not None else None
    emb_arr = _as_matrix(embeddings, "embeddings") if embeddings is not None else None
    if spec.needs_probs and probs_arr is None:
        raise InvalidInput(f"strategy {strategy!r} needs probs", field="probs")
    if spec.needs_embeddings and emb_arr is None:
        raise InvalidInput(f"strategy {strategy!r} needs embeddings", field="embeddings")
    sizes = {a.shape[0] for a in (probs_arr, emb_arr) if a is not None}
    if not sizes:
        raise InvalidInput("give probs or embeddings for the pool", field="probs")
    if len(sizes) > 1:
        raise InvalidInput("probs and embeddings have different numbers of rows", field="probs")
    n_items = sizes.pop()
    n = int(n)
    if n < 0:
        raise InvalidInput("n must be >= 0", field="n")
    n = min(n, n_items)
    if n == 0:
        return np.empty(0, dtype=np.int64)
    rng = np.random.default_rng(seed)
    out = spec.func(n, probs_arr, emb_arr, rng, **options)
    return np.asarray(out, dtype=np.int64)


def _as_probs(probs: np.ndarray) -> np.ndarray:
    arr = _as_matrix(probs, "probs")
    if arr.shape[1] < 2:
        raise InvalidInput("probs needs at least two class columns", field="probs")
    return arr


def _as_matrix(a: np.ndarray, field: str) -> np.ndarray:
    arr = np.asarray(a)
    if arr.ndim != 2:
        raise InvalidInput(f"{field} must be a 2-d array, got shape {arr.shape}", field=field)
    if not np.issubdtype(arr.dtype, np.floating):
        arr = arr.astype(np.float64)
    return arr


def _top_n(score: np.ndarray, n: int) -> np.ndarray:
    """Indices of the ``n`` largest scores, largest first (ties by index)."""
    part = np.argpartition(-score, n - 1)[:n] if n < score.shape[0] else np.arange(len(score))
    order = np.lexsort((part, -score[part]))
    return part[order]


# --- uncertainty ----------------------------------------------------------------


def margin_scores(probs: np.ndarray) -> np.ndarray:
    """Gap between the two most probable classes per row (small = uncertain)."""
    top2 = np.partition(probs, -2, axis=1)[:, -2:]
    return top2[:, 1] - top2[:, 0]


def entropy_scores(probs: np.ndarray) -> np.ndarray:
    """Shannon entropy -sum p log p per row, with 0 log 0 = 0."""
    p = np.clip(probs, 0.0, None)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    entropy: np.ndarray = -terms.sum(axis=1)
    return entropy


@register_strategy("random")
def _random(
    n: int, probs: np.ndarray | None, embeddings: np.ndarray | None, rng: np.random.Generator
) -> np.ndarray:
    """Uniform sample without replacement: the baseline every strategy must beat."""
    pool = probs if probs is not None else embeddings
    if pool is None:
        raise InvalidInput("give probs or embeddings for the pool", field="probs")
    n_items = pool.shape[0]
    return rng.choice(n_items, size=n, replace=False)


@register_strategy("least_confidence", needs_probs=True)
def _least_confidence(
    n: int, probs: np.ndarray, embeddings: np.ndarray | None, rng: np.random.Generator
) -> np.ndarray:
    """Lowest top-class probability first (Lewis & Gale 1994)."""
    return _top_n(-probs.max(axis=1), n)


@register_strategy("margin", needs_probs=True)
def _margin(
    n: int, probs: np.ndarray, embeddings: np.ndarray | None, rng: np.random.Generator
) -> np.ndarray:
    """Smallest gap between the top two classes first (Scheffer et al. 2001)."""
    return _top_n(-margin_scores(probs), n)


@register_strategy("entropy", needs_probs=True)
def _entropy(
    n: int, probs: np.ndarray, embeddings: np.ndarray | None, rng: np.random.Generator
) -> np.ndarray:
    """Highest predictive entropy first (Settles 2009, eq. 2.3)."""
    return _top_n(entropy_scores(probs), n)


# --- diversity ------------------------------------------------------------------


@register_strategy("kmeans", needs_embeddings=True)
def _kmeans(
    n: int,
    probs: np.ndarray | None,
    embeddings: np.ndarray,
    rng: np.random.Generator,
    max_iter: int = 50,
) -> np.ndarray:
    """k-means with k = n; the member nearest each centre (diversity baseline)."""
    from sklearn.cluster import KMeans

    x = np.ascontiguousarray(embeddings, dtype=np.float32)
    km = KMeans(
        n_clusters=n,
        n_init=1,
        max_iter=max_iter,
        random_state=int(rng.integers(2**31 - 1)),
    ).fit(x)
    labels = km.labels_
    diff = x - km.cluster_centers_[labels]
    dist = np.einsum("ij,ij->i", diff, diff)
    order = np.lexsort((dist, labels))
    first = np.ones(order.shape[0], dtype=bool)
    first[1:] = labels[order][1:] != labels[order][:-1]
    picked = order[first]
    # a cluster can end empty; fill from the rest, farthest from its centre first
    if picked.shape[0] < n:
        rest = np.setdiff1d(np.arange(x.shape[0]), picked)
        picked = np.concatenate([picked, rest[np.argsort(-dist[rest])][: n - picked.shape[0]]])
    chosen: np.ndarray = picked
    return chosen


def _sq_norms(x: np.ndarray) -> np.ndarray:
    norms: np.ndarray = np.einsum("ij,ij->i", x, x)
    return norms


class _GradientSide(NamedTuple):
    """The a side of a centre added in the a (x) x space (BADGE): its vector, every
    item's and every centre's."""

    vec: np.ndarray
    items: np.ndarray
    centres: np.ndarray


class _MinDistance:
    """Each item's squared distance to its nearest chosen centre, kept up to date.

    Items live in the feature space of x (kcenter) or of a (x) x (BADGE, where
    <a_i (x) x_i, a_j (x) x_j> = (a_i . a_j)(x_i . x_j) keeps the Kronecker
    product implicit). A new centre c can only move item i if
    d(c, centre(i)) < 2 d(i, centre(i)) (triangle inequality), so late steps
    only touch the few items that are still far from every centre.
    """

    def __init__(self, x: np.ndarray, a: np.ndarray | None, capacity: int) -> None:
        self.x, self.a = x, a
        self.sq = _sq_norms(x) if a is None else _sq_norms(x) * _sq_norms(a)
        self.min_d2 = np.full(x.shape[0], np.inf, dtype=np.float64)
        self.nearest = np.full(x.shape[0], -1, dtype=np.int64)
        self.cx = np.empty((capacity, x.shape[1]), dtype=np.float32)
        self.ca = None if a is None else np.empty((capacity, a.shape[1]), dtype=np.float32)
        self.csq = np.empty(capacity, dtype=np.float64)
        self.k = 0
        self.skip = 0

    def add_many(self, vecs: np.ndarray, block: int = 1024) -> None:
        """Make every row of ``vecs`` a centre at once (x-space only), by blocks."""
        for start in range(0, vecs.shape[0], block):
            chunk = np.ascontiguousarray(vecs[start : start + block], dtype=np.float32)
            csq = _sq_norms(chunk).astype(np.float64)
            d2 = self.sq[:, None] + csq[None, :] - 2.0 * (self.x @ chunk.T)
            near = d2.argmin(axis=1)
            best = np.clip(d2[np.arange(d2.shape[0]), near], 0.0, None)
            closer = best < self.min_d2
            self.min_d2[closer] = best[closer]
            self.nearest[closer] = self.k + near[closer]
            self.cx[self.k : self.k + chunk.shape[0]] = chunk
            self.csq[self.k : self.k + chunk.shape[0]] = csq
            self.k += chunk.shape[0]

    def add(self, vec_x: np.ndarray, vec_a: np.ndarray | None = None) -> None:
        """Make (vec_x, vec_a) a centre and update every item it can move."""
        k = self.k
        grad: _GradientSide | None = None
        if vec_a is not None:
            if self.a is None or self.ca is None:
                raise ValueError("vec_a needs a tracker built with a")
            grad = _GradientSide(vec_a, self.a, self.ca)
        csq = float(vec_x @ vec_x) * (1.0 if grad is None else float(grad.vec @ grad.vec))
        rows = None
        if k > 0 and self.skip == 0:
            dot = self.cx[:k] @ vec_x
            if grad is not None:
                dot = dot * (grad.centres[:k] @ grad.vec)
            centre_d2 = self.csq[:k] + csq - 2.0 * dot
            rows = np.flatnonzero(centre_d2[self.nearest] < 4.0 * self.min_d2)
            if rows.shape[0] > self.x.shape[0] // 4:
                rows = None  # pruning does not pay (e.g. near-uniform data): retry later
                self.skip = 16
        elif self.skip:
            self.skip -= 1
        if rows is None:
            dot = self.x @ vec_x
            if grad is not None:
                dot = dot * (grad.items @ grad.vec)
            d2 = np.clip(self.sq + csq - 2.0 * dot, 0.0, None)
            closer = d2 < self.min_d2
            self.min_d2[closer] = d2[closer]
            self.nearest[closer] = k
        elif rows.shape[0]:
            dot = self.x[rows] @ vec_x
            if grad is not None:
                dot = dot * (grad.items[rows] @ grad.vec)
            d2 = np.clip(self.sq[rows] + csq - 2.0 * dot, 0.0, None)
            closer = d2 < self.min_d2[rows]
            self.min_d2[rows[closer]] = d2[closer]
            self.nearest[rows[closer]] = k
        self.cx[k] = vec_x
        if grad is not None:
            grad.centres[k] = grad.vec
        self.csq[k] = csq
        self.k += 1


@register_strategy("kcenter", needs_embeddings=True)
def _kcenter(
    n: int,
    probs: np.ndarray | None,
    embeddings: np.ndarray,
    rng: np.random.Generator,
    labeled_embeddings: np.ndarray | None = None,
) -> np.ndarray:
    """Greedy k-center coreset (Sener & Savarese 2018, Algorithm 1).

    Each step picks the item farthest from everything chosen or labeled so far,
    a 2-approximation of the minimax facility location problem (their eq. 3).
    Without labeled items the first pick is a seeded random item.
    """
    x = np.ascontiguousarray(embeddings, dtype=np.float32)
    lab = (
        np.empty((0, x.shape[1]), dtype=np.float32)
        if labeled_embeddings is None
        else np.ascontiguousarray(labeled_embeddings, dtype=np.float32)
    )
    tracker = _MinDistance(x, None, lab.shape[0] + n)
    tracker.add_many(lab)
    idx = int(np.argmax(tracker.min_d2)) if lab.shape[0] else int(rng.integers(x.shape[0]))
    picked = np.empty(n, dtype=np.int64)
    for step in range(n):
        picked[step] = idx
        tracker.add(x[idx])
        tracker.min_d2[idx] = -np.inf  # never pick twice, even among duplicates
        if step + 1 < n:
            idx = int(np.argmax(tracker.min_d2))
    return picked


def gradient_embeddings(probs: np.ndarray, embeddings: np.ndarray) -> np.ndarray:
    """BADGE gradient embeddings (Ash et al. 2020, eq. 1): g_k = (1[k = y_hat] - p_k) x.

    The predicted class gets (1 - p) x and every other class -p x: the gradient
    of the cross-entropy loss, at the model's own hard label, with respect to the
    last layer (sign flipped). Shape: n_items x (n_classes * dim).
    """
    probs = _as_probs(probs)
    x = _as_matrix(embeddings, "embeddings")
    grads: np.ndarray = (_badge_scale(probs)[:, :, None] * x[:, None, :]).reshape(x.shape[0], -1)
    return grads


def _badge_scale(probs: np.ndarray) -> np.ndarray:
    scale = -np.asarray(probs, dtype=np.float64)
    rows = np.arange(probs.shape[0])
    scale[rows, probs.argmax(axis=1)] += 1.0
    return scale


@register_strategy("badge", needs_probs=True, needs_embeddings=True)
def _badge(
    n: int, probs: np.ndarray, embeddings: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """BADGE: k-means++ seeding over gradient embeddings (Ash et al. 2020, Algorithm 1).

    Distances use <a_i (x) x_i, a_j (x) x_j> = (a_i . a_j)(x_i . x_j), so the
    n_items x (n_classes * dim) gradient matrix is never built.
    """
    x = np.ascontiguousarray(embeddings, dtype=np.float32)
    a = np.ascontiguousarray(_badge_scale(probs), dtype=np.float32)
    tracker = _MinDistance(x, a, n)
    min_d2 = tracker.min_d2
    picked = np.empty(n, dtype=np.int64)
    chosen = np.zeros(x.shape[0], dtype=bool)
    idx = int(np.argmax(tracker.sq))  # as in the authors' code: start at the largest gradient
    for step in range(n):
        picked[step] = idx
        chosen[idx] = True
        tracker.add(x[idx], a[idx])
        min_d2[idx] = 0.0  # only ever lowered after this, so never drawn again
        if step + 1 == n:
            break
        cdf = np.cumsum(min_d2)
        if not cdf[-1] > 0:  # every remaining item duplicates a chosen one
            idx = int(rng.choice(np.flatnonzero(~chosen)))
            continue
        idx = int(np.searchsorted(cdf, rng.random() * cdf[-1], side="right"))
        while idx >= x.shape[0] or chosen[idx]:  # float edge cases at the ends
            idx = int(np.searchsorted(cdf, rng.random() * cdf[-1], side="right"))
    return picked
