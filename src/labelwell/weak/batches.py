"""Map a function over batches of items: in this process, in worker processes, or
on a Dask cluster, with a progress bar, resumable from a checkpoint.

Used by the LF applier and meant for any batch job over items (pre-labeling,
embedding). ``map_batches(fn, items)`` cuts ``items`` (a data frame or a
sequence) into batches numbered 0, 1, ..., calls ``fn(batch)`` on each and
returns the results in batch order. With ``checkpoint=Checkpoint(folder)``
each finished batch's result is saved as it arrives; a rerun after a crash
loads those and computes only the batches still missing.

Executors are plug-ins: :data:`EXECUTORS` maps a name to a function
``run(fn, pending, on_done, *, n_workers, client)`` that calls
``on_done(batch_id, result)`` in this process as batches finish; other packages
add theirs through the ``labelwell.executors`` entry-point group.
"""

from __future__ import annotations

import json
import os
import pickle
import tempfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm.auto import tqdm

from labelwell.errors import Conflict, InvalidInput
from labelwell.registry import Registry

Items = pd.DataFrame | Sequence[Any]
OnDone = Callable[[int, Any], None]
#: ``(batch_id, batch)`` pairs an executor still has to run
Pending = list[tuple[int, Any]]
Executor = Callable[..., None]

EXECUTORS: Registry[Executor] = Registry("executor", group="labelwell.executors", field="executor")


def register_executor(name: str, *, replace: bool = False) -> Callable[[Executor], Executor]:
    """Decorator adding an executor to :data:`EXECUTORS` under ``name``."""
    return EXECUTORS.register(name, replace=replace)


def iter_batches(items: Items, batch_size: int) -> Iterator[tuple[int, Items]]:
    """``(batch_id, batch)`` pairs; batches are row slices, ids count from 0."""
    if batch_size < 1:
        raise InvalidInput(f"batch_size must be at least 1, got {batch_size}")
    n = len(items)
    for batch_id, start in enumerate(range(0, n, batch_size)):
        if isinstance(items, pd.DataFrame):
            yield batch_id, items.iloc[start : start + batch_size]
        else:
            yield batch_id, items[start : start + batch_size]


class Checkpoint:
    """A folder holding one result file per finished batch, and a manifest that ties
    it to one job (``n_items``, ``batch_size``, an optional ``job`` key) so that a
    checkpoint is never resumed for different work."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)

    def open(self, job: dict[str, Any]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        manifest = self.folder / "manifest.json"
        if manifest.exists():
            found = json.loads(manifest.read_text())
            if found != job:
                raise Conflict(
                    f"checkpoint {self.folder} belongs to another job ({found}, not {job}); "
                    "use a new folder"
                )
        else:
            manifest.write_text(json.dumps(job, sort_keys=True))

    def finished(self) -> set[int]:
        """Ids of the batches whose results are saved."""
        if not self.folder.exists():
            return set()
        return {int(p.stem.split("-")[1]) for p in self.folder.glob("batch-*.pkl")}

    def save(self, batch_id: int, result: Any) -> None:
        # write then rename, so a crash never leaves a half-written result behind
        fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(result, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, self.folder / f"batch-{batch_id:08d}.pkl")

    def load(self, batch_id: int) -> Any:
        with open(self.folder / f"batch-{batch_id:08d}.pkl", "rb") as fh:
            return pickle.load(fh)


def map_batches(
    fn: Callable[[Any], Any],
    items: Items,
    *,
    batch_size: int = 10_000,
    executor: str = "inprocess",
    n_workers: int | None = None,
    client: Any = None,
    progress: bool = True,
    desc: str | None = None,
    checkpoint: Checkpoint | str | os.PathLike[str] | None = None,
    job: str | None = None,
) -> list[Any]:
    """``[fn(batch) for batch in batches of items]``, run by ``executor``
    (``"inprocess"``, ``"process"``, ``"dask"``; ``client`` is the
    ``dask.distributed.Client`` for Dask). ``fn`` must be picklable for the
    other executors. ``job`` names the work in the checkpoint manifest."""
    run = EXECUTORS.get(executor)
    batches = list(iter_batches(items, batch_size))
    results: dict[int, Any] = {}
    if checkpoint is not None and not isinstance(checkpoint, Checkpoint):
        checkpoint = Checkpoint(checkpoint)
    if checkpoint is not None:
        checkpoint.open({"n_items": len(items), "batch_size": batch_size, "job": job})
        for batch_id in checkpoint.finished():
            results[batch_id] = checkpoint.load(batch_id)
    pending = [(i, b) for i, b in batches if i not in results]
    sizes = dict((i, len(b)) for i, b in batches)
    bar = tqdm(
        total=len(items),
        initial=sum(sizes[i] for i in results),
        desc=desc,
        unit="item",
        disable=not progress,
    )

    def on_done(batch_id: int, result: Any) -> None:
        if checkpoint is not None:
            checkpoint.save(batch_id, result)
        results[batch_id] = result
        bar.update(sizes[batch_id])

    try:
        if pending:
            run(fn, pending, on_done, n_workers=n_workers, client=client)
    finally:
        bar.close()
    return [results[i] for i, _ in batches]


@register_executor("inprocess")
def _run_inprocess(fn: Callable[[Any], Any], pending: Pending, on_done: OnDone, **_: Any) -> None:
    for batch_id, batch in pending:
        on_done(batch_id, fn(batch))


_worker_fn: Callable[[Any], Any] | None = None


def _install(fn: Callable[[Any], Any]) -> None:
    global _worker_fn
    _worker_fn = fn


def _run_installed(batch: Any) -> Any:
    assert _worker_fn is not None
    return _worker_fn(batch)


@register_executor("process")
def _run_processes(
    fn: Callable[[Any], Any], pending: Pending, on_done: OnDone, *, n_workers: int | None, **_: Any
) -> None:
    """Worker processes; ``fn`` is sent once to each worker, not with every batch."""
    workers = n_workers or os.cpu_count() or 1
    with ProcessPoolExecutor(workers, initializer=_install, initargs=(fn,)) as pool:
        futures = {pool.submit(_run_installed, batch): batch_id for batch_id, batch in pending}
        for future in as_completed(futures):
            on_done(futures[future], future.result())


def _call(fn: Callable[[Any], Any], batch: Any) -> Any:
    return fn(batch)


@register_executor("dask")
def _run_dask(
    fn: Callable[[Any], Any], pending: Pending, on_done: OnDone, *, client: Any, **_: Any
) -> None:
    """A ``dask.distributed`` cluster: ``fn`` is scattered to every worker once, batches
    are scattered and processed where they land."""
    if client is None:
        raise InvalidInput("the dask executor needs client=dask.distributed.Client(...)")
    from dask.distributed import as_completed as dask_completed

    fn_future = client.scatter(fn, broadcast=True, hash=False)
    data = client.scatter([batch for _, batch in pending], hash=False)
    futures = {
        client.submit(_call, fn_future, part, pure=False): batch_id
        for (batch_id, _), part in zip(pending, data, strict=True)
    }
    # dask.distributed's as_completed carries no annotations
    for future, result in dask_completed(futures, with_results=True):  # type: ignore[no-untyped-call]
        on_done(futures[future], result)
