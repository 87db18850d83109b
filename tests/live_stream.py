"""A server-sent events reader for tests: reads a live stream in a thread and
keeps what arrived, for ``wait_for`` to look at."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class Received:
    kind: str
    data: Any
    id: str | None = None


@dataclass
class EventStream:
    url: str
    headers: dict[str, str]
    params: dict[str, str] = field(default_factory=dict)
    status: int | None = None
    body: str = ""
    events: list[Received] = field(default_factory=list)
    heartbeats: int = 0
    ended: threading.Event = field(default_factory=threading.Event)
    opened: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self._client = httpx.Client(timeout=httpx.Timeout(30, read=None))
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            with self._client.stream("GET", self.url, headers=self.headers,
                                     params=self.params) as response:
                self.status = response.status_code
                self.opened.set()
                if response.status_code != 200:
                    self.body = response.read().decode()
                    return
                kind, data, event_id = "message", "", None
                for line in response.iter_lines():
                    if line == "":
                        if data:
                            self.events.append(Received(kind, json.loads(data), event_id))
                        kind, data, event_id = "message", "", None
                    elif line.startswith(":"):
                        self.heartbeats += line.strip() == ": heartbeat"
                    else:
                        name, _, value = line.partition(":")
                        value = value.removeprefix(" ")
                        if name == "event":
                            kind = value
                        elif name == "data":
                            data += value
                        elif name == "id":
                            event_id = value
        except (httpx.HTTPError, RuntimeError):
            pass  # closed by the test
        finally:
            self.opened.set()
            self.ended.set()

    def of(self, kind: str) -> list[Received]:
        return [e for e in list(self.events) if e.kind == kind]

    def close(self) -> None:
        self._client.close()
        self._thread.join(timeout=10)
