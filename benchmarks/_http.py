"""A small keep-alive HTTP/1.1 client on asyncio streams for load generation.

httpx spends about a millisecond of CPU per request, which on a 2-core machine
is taken from the server under test; this client spends a tenth of that, so
the figures measure the server. It speaks just what the benchmarks need:
requests with an optional JSON body; responses with ``Content-Length``, chunked,
or running to the end of the connection; a keep-alive connection the server
closed is reopened once."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import orjson


class Response:
    __slots__ = ("status_code", "content")

    def __init__(self, status_code: int, content: bytes) -> None:
        self.status_code = status_code
        self.content = content

    def json(self) -> Any:
        return orjson.loads(self.content)


class Connection:
    """One persistent connection; requests on it are sequential."""

    def __init__(self, host: str, port: int, headers: dict[str, str] | None = None) -> None:
        self.host, self.port = host, port
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        self._fixed = f"Host: {host}:{port}\r\n{extra}".encode("latin-1")
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    @classmethod
    def for_url(cls, url: str, headers: dict[str, str] | None = None) -> Connection:
        hostport = url.split("://", 1)[1].split("/", 1)[0]
        host, port = hostport.rsplit(":", 1)
        return cls(host, int(port), headers)

    async def _connect(self) -> None:
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port)

    async def request(self, method: str, path: str, json: Any = None) -> Response:
        body = b"" if json is None else orjson.dumps(json)
        head = f"{method} {path} HTTP/1.1\r\n".encode("latin-1") + self._fixed
        if json is not None:
            head += b"Content-Type: application/json\r\n"
        head += b"Content-Length: %d\r\n\r\n" % len(body)
        reused = self._writer is not None
        try:
            return await self._exchange(head + body)
        except (ConnectionError, asyncio.IncompleteReadError):
            if not reused:
                raise
            await self.close()  # the server closed an idle keep-alive connection
            return await self._exchange(head + body)

    async def _exchange(self, payload: bytes) -> Response:
        if self._writer is None:
            await self._connect()
        assert self._reader is not None and self._writer is not None
        self._writer.write(payload)
        status_line = await self._reader.readline()
        if not status_line:
            raise ConnectionError("server closed the connection")
        status = int(status_line.split(b" ", 2)[1])
        length: int | None = None
        chunked = close = False
        while True:
            line = await self._reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.partition(b":")
            lname, value = name.strip().lower(), value.strip().lower()
            if lname == b"content-length":
                length = int(value)
            elif lname == b"transfer-encoding" and b"chunked" in value:
                chunked = True
            elif lname == b"connection" and value == b"close":
                close = True
        if chunked:
            content = b""
            while True:
                size = int((await self._reader.readline()).split(b";")[0], 16)
                chunk = await self._reader.readexactly(size + 2)
                if size == 0:
                    break
                content += chunk[:-2]
        elif length is not None:
            content = await self._reader.readexactly(length) if length else b""
        elif status in (204, 304) or status < 200:
            content = b""
        else:  # no length: the body runs to the end of the connection
            content = await self._reader.read()
            close = True
        if close:
            await self.close()
        return Response(status, content)

    async def post(self, path: str, json: Any = None) -> Response:
        return await self.request("POST", path, json)

    async def get(self, path: str) -> Response:
        return await self.request("GET", path)

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(ConnectionError):
                await self._writer.wait_closed()
        self._reader = self._writer = None
