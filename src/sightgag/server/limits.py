"""Request body limits, enforced before a body is read in full.

A body that says it is too large (Content-Length) is refused before a byte of it is read; one that
does not say, or lies, is counted as it streams in and refused as soon as it passes the limit.
Either way the client gets a 413 with a one-line JSON detail.
"""

from __future__ import annotations

from fastapi import HTTPException
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sightgag.server.responses import error_response


class BodySizeLimit:
    """`limit` bytes for every body, except the (method, path) pairs given larger ones in `exceptions`."""

    def __init__(self, app: ASGIApp, limit: int, exceptions: dict[tuple[str, str], int] | None = None):
        self.app = app
        self.limit = limit
        self.exceptions = exceptions or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.exceptions.get((scope["method"], scope["path"]), self.limit)
        message = f"the request is too large: at most {_size(limit)} here"

        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await error_response(scope["path"], 413, message)(scope, receive, send)
            return

        received = 0

        async def receive_within_limit() -> Message:
            nonlocal received
            event = await receive()
            if event["type"] == "http.request":
                received += len(event.get("body", b""))
                if received > limit:
                    # Raised inside the route's body parsing; the app's HTTPException handler answers it.
                    raise HTTPException(413, message)
            return event

        await self.app(scope, receive_within_limit, send)


def _size(limit: int) -> str:
    return f"{limit / 2**20:.0f} MB" if limit >= 2**20 else f"{limit / 1024:.0f} KB"
