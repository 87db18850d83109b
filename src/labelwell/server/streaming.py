"""Run an exporter in a worker thread and hand its bytes to a streaming response,
so any exporter that writes to a file object streams over HTTP in constant memory."""

from __future__ import annotations

import io
import queue
import threading
from collections.abc import Callable, Iterator
from typing import BinaryIO

_DONE = object()


class _QueueSink(io.RawIOBase):
    def __init__(self, chunks: queue.Queue[object], stop: threading.Event) -> None:
        self._chunks = chunks
        self._stop = stop

    def writable(self) -> bool:
        return True

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        payload = bytes(data)
        while not self._stop.is_set():
            try:
                self._chunks.put(payload, timeout=0.5)
                return len(payload)
            except queue.Full:
                continue
        raise BrokenPipeError("the client went away")


def stream_writer(
    write: Callable[[BinaryIO], object], chunk_size: int = 1 << 16
) -> Iterator[bytes]:
    """Yield what ``write(out)`` writes to ``out``, chunk by chunk."""
    chunks: queue.Queue[object] = queue.Queue(maxsize=32)
    stop = threading.Event()

    def run() -> None:
        try:
            with io.BufferedWriter(_QueueSink(chunks, stop), buffer_size=chunk_size) as out:
                write(out)  # type: ignore[arg-type]
        except BrokenPipeError:
            return
        except BaseException as exc:  # handed to the reading side, which re-raises it
            _put(chunks, stop, exc)
            return
        _put(chunks, stop, _DONE)

    worker = threading.Thread(target=run, name="labelwell-export", daemon=True)
    worker.start()
    try:
        while True:
            item = chunks.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        worker.join(timeout=5)


def _put(chunks: queue.Queue[object], stop: threading.Event, item: object) -> None:
    while not stop.is_set():
        try:
            chunks.put(item, timeout=0.5)
            return
        except queue.Full:
            continue
