"""Run an exporter in a worker thread and hand its bytes to a streaming response,
so any exporter that writes to a file object streams over HTTP in constant memory."""

from __future__ import annotations

import io
import queue
import re
import threading
import unicodedata
from collections.abc import Callable, Generator, Iterator
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    from typing_extensions import Buffer  # collections.abc.Buffer from Python 3.12
from urllib.parse import quote

_DONE = object()
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f/\\]")
_NOT_ASCII_WORD = re.compile(r"[^A-Za-z0-9._-]+")


def content_disposition(filename: str) -> str:
    """An RFC 6266 ``attachment`` header for any file name: the name itself as
    RFC 5987 ``filename*`` (UTF-8, percent-encoded) and an ASCII ``filename`` for
    clients that read only that. Control characters and path separators are dropped."""
    name = _UNSAFE.sub("", filename).strip() or "export"
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    plain = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    plain = _NOT_ASCII_WORD.sub("_", plain).strip("._") or "export"
    ext = _NOT_ASCII_WORD.sub("", ext)
    fallback = f"{plain}.{ext}" if ext else plain
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


class _QueueSink(io.RawIOBase):
    def __init__(self, chunks: queue.Queue[object], stop: threading.Event) -> None:
        self._chunks = chunks
        self._stop = stop

    def writable(self) -> bool:
        return True

    def write(self, data: Buffer) -> int:
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
) -> Generator[bytes, None, None]:
    """Yield what ``write(out)`` writes to ``out``, chunk by chunk."""
    chunks: queue.Queue[object] = queue.Queue(maxsize=32)
    stop = threading.Event()

    def run() -> None:
        try:
            with io.BufferedWriter(_QueueSink(chunks, stop), buffer_size=chunk_size) as out:
                write(out)
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


def primed(chunks: Generator[bytes, None, None]) -> Iterator[bytes]:
    """``chunks`` with its first chunk already made, so that an error raised before
    the first byte (a check the exporter makes when it starts) reaches the caller
    as an exception, and so as a proper error response, not a cut 200."""
    try:
        first = next(chunks)
    except StopIteration:
        return iter(())

    def rest() -> Iterator[bytes]:
        try:
            yield first
            yield from chunks
        finally:
            chunks.close()

    return rest()
