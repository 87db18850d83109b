"""Apply labeling functions to items and collect their votes as a label matrix.

``LFApplier(lfs).apply(items)`` runs every LF on every item (a data frame or a
list of dicts) and returns a :class:`LabelMatrix`: ``L`` (items x LFs, -1 =
abstain; dense numpy or, with ``sparse=True``, CSR storing ``vote + 1``)
with the LF names and versions for provenance. The work is cut into batches
by :func:`labelwell.weak.batches.map_batches`, so the same call runs in this
process, in worker processes or on Dask, shows progress, and resumes from a
checkpoint.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from labelwell.errors import InvalidInput
from labelwell.weak.batches import Checkpoint, map_batches
from labelwell.weak.lf import Batch, LabelingFunction
from labelwell.weak.matrix import label_dtype, to_sparse


@dataclass(frozen=True)
class LabelMatrix:
    """Votes of ``lf_names`` (at ``lf_versions``) on the items, in item order."""

    L: np.ndarray | sp.csr_matrix
    lf_names: list[str]
    lf_versions: list[str]


class _VoteBatch:
    """Picklable ``batch -> votes`` for the executors: one column per LF."""

    def __init__(self, lfs: Sequence[LabelingFunction], sparse: bool) -> None:
        self.lfs, self.sparse = list(lfs), sparse

    def __call__(self, items: Any) -> np.ndarray | sp.csr_matrix:
        batch = Batch(items)
        out = np.empty((len(batch), len(self.lfs)), dtype=np.int64)
        for j, lf in enumerate(self.lfs):
            votes = lf.vote_batch(batch)
            if votes.shape != (len(batch),):
                raise InvalidInput(f"labeling function {lf.name!r} gave {votes.shape} votes")
            out[:, j] = votes
        out = out.astype(label_dtype(int(out.max(initial=0))))
        return to_sparse(out) if self.sparse else out


class LFApplier:
    """Runs ``lfs`` over items. Names must be unique: they identify the votes."""

    def __init__(self, lfs: Sequence[LabelingFunction]) -> None:
        names = [lf.name for lf in lfs]
        if len(set(names)) != len(names):
            dupes = sorted({n for n in names if names.count(n) > 1})
            raise InvalidInput(f"labeling function names must be unique; repeated: {dupes}")
        self.lfs = list(lfs)

    def apply(
        self,
        items: pd.DataFrame | Sequence[Any],
        *,
        executor: str = "inprocess",
        n_workers: int | None = None,
        client: Any = None,
        batch_size: int = 10_000,
        sparse: bool = False,
        progress: bool = True,
        checkpoint: Checkpoint | str | os.PathLike[str] | None = None,
    ) -> LabelMatrix:
        """Votes of every LF on every item. ``executor`` is ``"inprocess"``,
        ``"process"`` (``n_workers`` processes) or ``"dask"`` (``client``)."""
        parts = map_batches(
            _VoteBatch(self.lfs, sparse),
            items,
            batch_size=batch_size,
            executor=executor,
            n_workers=n_workers,
            client=client,
            progress=progress,
            desc="labeling functions",
            checkpoint=checkpoint,
            job=",".join(f"{lf.name}@{lf.version}" for lf in self.lfs) + f";sparse={sparse}",
        )
        m = len(self.lfs)
        if sparse:
            # scipy-stubs lacks the (rows, cols) shape form of csr_matrix with an int8 dtype
            empty = sp.csr_matrix((0, m), dtype=np.int8)  # type: ignore[arg-type]
            L: np.ndarray | sp.csr_matrix = sp.vstack(parts, format="csr") if parts else empty
        elif parts:
            dtype = max((p.dtype for p in parts), key=lambda d: d.itemsize)
            L = np.concatenate([p.astype(dtype, copy=False) for p in parts])
        else:
            L = np.empty((0, m), dtype=np.int8)
        return LabelMatrix(L, [lf.name for lf in self.lfs], [lf.version for lf in self.lfs])
