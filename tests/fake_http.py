"""What the local stand-ins for paid APIs share: scripted replies, what they received, a loopback server.

    class FakeThing(LoopbackServer):
        def __init__(self):
            self.received: list[Received] = []
            super().__init__(make_app(self), name="the fake thing")
"""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field

import uvicorn


@dataclass
class Reply:
    """A scripted HTTP answer."""

    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, data: object, **headers: str) -> Reply:
        return cls(status, json.dumps(data).encode(), "application/json", headers)


@dataclass
class Received:
    """One request the server saw."""

    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: dict | None = None


class LoopbackServer:
    """An ASGI app served by uvicorn on a free 127.0.0.1 port, in a thread, for the length of a `with` block."""

    def __init__(self, app, *, name: str):
        self._name = name
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True)

    @property
    def origin(self) -> str:
        host, port = self._socket.getsockname()[:2]
        return f"http://{host}:{port}"

    @property
    def url(self) -> str:
        """The API's base URL, as settings take it."""
        return f"{self.origin}/v1"

    def __enter__(self):
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"{self._name} did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()
