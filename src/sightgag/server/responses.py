"""How the server answers when something goes wrong: one readable line, and nothing of its insides.

Every error is `{"detail": "..."}`, plus OpenAI's `{"error": {...}}` under /v1, where OpenAI's
clients look for it. An unexpected exception becomes a 500 whose body names an error id and nothing
else (no exception text, no server paths); the traceback goes to the log once, under that id.
"""

from __future__ import annotations

import logging
import secrets

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("sightgag.server")


def error_response(path: str, status: int, message: str, headers: dict | None = None) -> JSONResponse:
    body: dict = {"detail": message}
    if path.startswith("/v1/"):
        # OpenAI's clients read errors from {"error": {"message": ...}}.
        kind = "invalid_request_error" if status < 500 else "server_error"
        body["error"] = {"message": message, "type": kind, "param": None, "code": None}
    return JSONResponse(body, status_code=status, headers=headers)


class InternalErrors:
    """Turn an exception that escaped the app into a generic 500, logged once, on a connection that stays open.

    Starlette's own last-resort handler answers 500 too, but then re-raises, so uvicorn logs the
    traceback a second time and drops the keep-alive connection. Here the exception stops.
    """

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_tracking_start(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, send_tracking_start)
        except Exception as error:
            error_id = secrets.token_hex(4)
            log.error("error %s: %s %s failed", error_id, scope["method"], scope["path"], exc_info=error)
            if started:
                return  # too late for a status line; the client sees the response end early
            message = f"internal error {error_id}: the server's log has the details"
            await error_response(scope["path"], 500, message)(scope, receive, send)
