"""The label matrix ``L`` and its compact vote form.

``L`` has one row per item and one column per labeling function (LF);
``L[i, j]`` is the class LF ``j`` gave item ``i``, or ``-1`` (abstain).
Dense ``L`` is a numpy integer array. Sparse ``L`` is a ``scipy.sparse``
matrix that stores ``vote + 1``, so that the implicit zeros are the
abstains (the convention Snorkel uses internally); :func:`to_sparse` and
:func:`to_dense` convert between the two.

The label model and the analysis read ``L`` as a :class:`VoteMatrix`: one
sparse 0/1 matrix per class holding the non-abstaining votes only, so that a
70%-abstain matrix costs 30% of the work and memory of a dense one.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from labelwell.errors import InvalidInput

ABSTAIN = -1

# Rows converted per step when building a VoteMatrix from a dense L; bounds the
# temporary memory of np.nonzero on very large matrices.
_ROWS_PER_STEP = 1 << 20


def label_dtype(max_label: int) -> np.dtype:
    """The smallest signed integer type that holds ``-1 .. max_label``."""
    for dtype in (np.int8, np.int16, np.int32):
        if max_label <= np.iinfo(dtype).max:
            return np.dtype(dtype)
    return np.dtype(np.int64)


def to_sparse(L: np.ndarray) -> sp.csr_matrix:
    """Dense ``L`` (``-1`` = abstain) to CSR storing ``vote + 1``."""
    L = np.asarray(L)
    _check_dense(L)
    rows, cols = np.nonzero(L != ABSTAIN)
    data = L[rows, cols].astype(label_dtype(int(L.max(initial=0)) + 1)) + 1
    return sp.csr_matrix((data, (rows, cols)), shape=L.shape)


def to_dense(L: sp.spmatrix | sp.sparray | np.ndarray) -> np.ndarray:
    """Sparse ``L`` storing ``vote + 1`` to dense ``L`` with ``-1`` = abstain."""
    if not sp.issparse(L):
        return np.asarray(L)
    # scipy-stubs takes no argument typed as any sparse matrix or array
    coo = sp.coo_matrix(L)  # type: ignore[arg-type]
    dtype = label_dtype(int(coo.data.max(initial=1)))
    dense = np.full(coo.shape, ABSTAIN, dtype=dtype)
    dense[coo.row, coo.col] = coo.data.astype(dtype) - 1
    return dense


def _check_dense(L: np.ndarray) -> None:
    if L.ndim != 2:
        raise InvalidInput(f"L must be a 2-d matrix (items x LFs), got shape {L.shape}")
    if not np.issubdtype(L.dtype, np.integer):
        raise InvalidInput(f"L must hold integer votes, got dtype {L.dtype}")
    if L.size and int(L.min()) < ABSTAIN:
        raise InvalidInput("L holds a vote below -1; votes are classes 0..k-1 or -1 (abstain)")


class VoteMatrix:
    """``L`` split by class: ``by_class[c]`` is a CSR ``n_items x n_lfs`` 0/1 matrix
    with a one where the LF voted ``c``. Products with it are the sums over votes
    that the label model and the analysis need (``A_c @ w``, ``A_c.T @ p``); the
    abstains are never stored. All ``by_class`` share one array of ones.
    """

    def __init__(self, by_class: list[sp.csr_array], n_items: int, n_lfs: int) -> None:
        self.by_class = by_class
        self.n_items = n_items
        self.n_lfs = n_lfs

    @property
    def cardinality(self) -> int:
        return len(self.by_class)

    @classmethod
    def from_matrix(
        cls, L: np.ndarray | sp.spmatrix | sp.sparray, cardinality: int | None = None
    ) -> VoteMatrix:
        """Build from dense ``L`` (-1 = abstain) or sparse ``L`` storing ``vote + 1``.
        Raises :class:`InvalidInput` if a vote is not below ``cardinality``."""
        if sp.issparse(L):
            # scipy-stubs takes no argument typed as any sparse matrix or array
            csr = sp.csr_array(L)  # type: ignore[arg-type]
            n, m = csr.shape
            data = csr.data
            if data.size and int(data.min()) < 0:
                raise InvalidInput("sparse L stores vote + 1, so stored values must be >= 0")
            top = int(data.max(initial=0)) - 1
            k = _cardinality(top, cardinality)
            parts = []
            for c in range(k):
                hit = data == c + 1
                cum = np.concatenate(([0], np.cumsum(hit, dtype=np.int64)))
                parts.append((csr.indices[hit], cum[csr.indptr]))
            return cls._assemble(parts, n, m)
        L = np.asarray(L)
        _check_dense(L)
        n, m = L.shape
        k = _cardinality(int(L.max(initial=ABSTAIN)), cardinality)
        step = max(_ROWS_PER_STEP // max(m, 1), 1) * 16
        pieces: list[list[tuple[np.ndarray, np.ndarray]]] = [[] for _ in range(k)]
        for start in range(0, n, step):
            block = L[start : start + step]
            flat_block = block.reshape(-1)
            small = flat_block.shape[0] < np.iinfo(np.int32).max
            for c in range(k):
                # flat positions of the votes for c: much faster than a 2-d np.nonzero
                pos = np.flatnonzero(flat_block == c)
                if small:
                    pos = pos.astype(np.int32)
                row, col = np.divmod(pos, m)
                pieces[c].append((col, np.bincount(row, minlength=block.shape[0])))
        parts = []
        for c in range(k):
            cols = [p[0] for p in pieces[c]] or [np.zeros(0, np.int32)]
            per_row = [p[1] for p in pieces[c]] or [np.zeros(0, np.int64)]
            indptr = np.concatenate(([0], np.cumsum(np.concatenate(per_row), dtype=np.int64)))
            parts.append((np.concatenate(cols), indptr))
        return cls._assemble(parts, n, m)

    @classmethod
    def _assemble(cls, parts: list[tuple[np.ndarray, np.ndarray]], n: int, m: int) -> VoteMatrix:
        ones = np.ones(max((p[0].shape[0] for p in parts), default=0))
        by_class = []
        for indices, indptr in parts:
            nnz = indices.shape[0]
            idx_type = np.int32 if nnz < np.iinfo(np.int32).max else np.int64
            a = sp.csr_array((n, m))
            # assigned, not passed to the constructor, so all classes share ``ones``
            a.indices = indices.astype(idx_type, copy=False)
            a.indptr = indptr.astype(idx_type, copy=False)
            a.data = ones[:nnz]
            by_class.append(a)
        return cls(by_class, n, m)

    @property
    def n_votes(self) -> int:
        return sum(a.nnz for a in self.by_class)

    def votes_per_item(self) -> np.ndarray:
        """``k x n_items``: how many LFs voted each class on each item."""
        return np.stack([np.diff(a.indptr) for a in self.by_class])

    def votes_per_lf(self) -> np.ndarray:
        """``k x n_lfs``: how many times each LF voted each class."""
        return np.stack([np.bincount(a.indices, minlength=self.n_lfs) for a in self.by_class])

    def unanimous(self) -> tuple[np.ndarray, np.ndarray]:
        """Items where at least one LF voted and all votes agree, and their class."""
        has_class = self.votes_per_item() > 0
        unanimous = has_class.sum(axis=0) == 1
        return np.flatnonzero(unanimous), has_class[:, unanimous].argmax(axis=0)


def _cardinality(max_label: int, cardinality: int | None) -> int:
    if cardinality is None:
        return max(max_label + 1, 2)
    if max_label >= cardinality:
        raise InvalidInput(f"L holds class {max_label}, but cardinality is {cardinality}")
    return cardinality


def probs_to_preds(
    probs: np.ndarray,
    tie_break: str = "abstain",
    *,
    tol: float = 1e-5,
    random_state: int | np.random.Generator | None = 0,
) -> np.ndarray:
    """Most probable class per row; rows whose top classes are within ``tol`` are
    ties, resolved by ``tie_break``: ``"abstain"`` gives -1, ``"random"`` picks
    one of the tied classes with ``random_state`` (seeded, so repeatable)."""
    if tie_break not in ("abstain", "random"):
        raise InvalidInput(f"tie_break must be 'abstain' or 'random', got {tie_break!r}")
    probs = np.asarray(probs)
    top = probs.max(axis=1, keepdims=True)
    is_top = (top - probs) < tol
    n_top = is_top.sum(axis=1)
    preds: np.ndarray = is_top.argmax(axis=1).astype(np.int64)
    tied = n_top > 1
    if tied.any():
        if tie_break == "abstain":
            preds[tied] = ABSTAIN
        else:
            rng = np.random.default_rng(random_state)
            pick = (rng.random(int(tied.sum())) * n_top[tied]).astype(np.int64)
            # index of the pick-th True in each tied row
            rank = np.cumsum(is_top[tied], axis=1) - 1
            hit = is_top[tied] & (rank == pick[:, None])
            preds[tied] = hit.argmax(axis=1)
    return preds


class PredictsFromProba:
    """A model over ``L`` with ``cardinality`` classes: ``predict`` and ``score``
    for a subclass that has ``predict_proba``."""

    def __init__(self, cardinality: int = 2) -> None:
        if cardinality < 2:
            raise InvalidInput(f"cardinality must be at least 2, got {cardinality}")
        self.cardinality = cardinality

    def predict_proba(self, L: np.ndarray | sp.spmatrix | sp.sparray) -> np.ndarray:
        raise NotImplementedError

    def predict(
        self,
        L: np.ndarray | sp.spmatrix | sp.sparray,
        tie_break: str = "abstain",
        random_state: int | np.random.Generator | None = 0,
    ) -> np.ndarray:
        """Most probable class per item. Ties (e.g. items no LF voted on, under a
        uniform balance) give -1 with ``"abstain"`` or a seeded pick with ``"random"``."""
        return probs_to_preds(self.predict_proba(L), tie_break, random_state=random_state)

    def score(
        self, L: np.ndarray | sp.spmatrix | sp.sparray, Y: np.ndarray, tie_break: str = "random"
    ) -> float:
        """Accuracy of :meth:`predict` against gold ``Y`` (an abstain counts as wrong)."""
        return float(np.mean(self.predict(L, tie_break) == np.asarray(Y)))
