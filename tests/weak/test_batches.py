import pandas as pd
import pytest

from labelwell.errors import Conflict, InvalidInput
from labelwell.weak.batches import (
    EXECUTORS,
    Checkpoint,
    iter_batches,
    map_batches,
    register_executor,
)


def total(batch):
    return sum(batch)


class FailOn:
    """Sums a batch, but raises on the batch that contains ``bad``; counts calls."""

    def __init__(self, bad=None):
        self.bad, self.calls = bad, 0

    def __call__(self, batch):
        self.calls += 1
        if self.bad is not None and self.bad in batch:
            raise RuntimeError("worker lost")
        return sum(batch)


def test_iter_batches_slices_frames_and_sequences():
    assert [(i, list(b)) for i, b in iter_batches(list(range(5)), 2)] == [
        (0, [0, 1]),
        (1, [2, 3]),
        (2, [4]),
    ]
    frame = pd.DataFrame({"a": range(5)})
    assert [len(b) for _, b in iter_batches(frame, 3)] == [3, 2]
    with pytest.raises(InvalidInput):
        list(iter_batches(frame, 0))


@pytest.mark.parametrize("executor", ["inprocess", "process"])
def test_results_come_back_in_batch_order(executor):
    items = list(range(103))
    out = map_batches(total, items, batch_size=10, executor=executor, n_workers=2, progress=False)
    assert out == [sum(items[i : i + 10]) for i in range(0, 103, 10)]


def test_resumes_from_a_checkpoint(tmp_path):
    items = list(range(50))
    crashing = FailOn(bad=33)
    with pytest.raises(RuntimeError):
        map_batches(crashing, items, batch_size=10, checkpoint=tmp_path, progress=False)
    assert Checkpoint(tmp_path).finished() == {0, 1, 2}
    resumed = FailOn()
    out = map_batches(resumed, items, batch_size=10, checkpoint=tmp_path, progress=False)
    assert out == [sum(items[i : i + 10]) for i in range(0, 50, 10)]
    assert resumed.calls == 2  # only batches 3 and 4 were computed again
    with pytest.raises(Conflict, match="another job"):
        map_batches(total, items, batch_size=5, checkpoint=tmp_path, progress=False)


def test_progress_bar_counts_items(capsys):
    map_batches(total, list(range(30)), batch_size=7, progress=True, desc="summing")
    err = capsys.readouterr().err
    assert "summing" in err and "30/30" in err


def test_executors_are_a_registry():
    assert {"inprocess", "process", "dask"} <= set(EXECUTORS)
    seen = []

    @register_executor("reversed")
    def run_reversed(fn, pending, on_done, **_):
        for batch_id, batch in reversed(pending):
            seen.append(batch_id)
            on_done(batch_id, fn(batch))

    try:
        out = map_batches(total, list(range(6)), batch_size=2, executor="reversed", progress=False)
    finally:
        EXECUTORS.unregister("reversed")
    assert out == [1, 5, 9] and seen == [2, 1, 0]
    with pytest.raises(InvalidInput, match="unknown executor"):
        map_batches(total, [1], executor="reversed")
    with pytest.raises(InvalidInput, match="client"):
        map_batches(total, [1], executor="dask", progress=False)


def test_dask_executor_on_a_local_cluster():
    distributed = pytest.importorskip("dask.distributed")
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        items = list(range(45))
        out = map_batches(
            total, items, batch_size=10, executor="dask", client=client, progress=False
        )
    assert out == [sum(items[i : i + 10]) for i in range(0, 45, 10)]
