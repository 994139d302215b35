"""Who may use the server.

- Bound to loopback with no key (the default), only this machine can connect. Two browser attacks
  remain and are closed here: DNS rebinding (a page whose host name points at 127.0.0.1; refused by
  checking the Host header) and cross-site form posts (refused by checking the Origin header).
- Bound anywhere else, SIGHTGAG_API_KEY is required, and every route but /health (and the page's
  static files, which hold no data) needs it as `Authorization: Bearer KEY`.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from sightgag.errors import UsageError
from sightgag.server.settings import ServerSettings, is_loopback

LOOPBACK_NAMES = ["127.0.0.1", "localhost", "[::1]"]  # as Host headers write them: IPv6 in brackets
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}

bearer = HTTPBearer(auto_error=False, description="the server's SIGHTGAG_API_KEY, when it has one")


def check_binding(settings: ServerSettings) -> None:
    """Refuse to serve off loopback without an API key."""
    if not is_loopback(settings.host) and settings.api_key is None:
        raise UsageError(
            f"binding to {settings.host} lets other machines use the studio: set SIGHTGAG_API_KEY "
            "(clients send it as a bearer token), or bind 127.0.0.1"
        )


def require_key(request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> None:
    """The route dependency that checks the bearer token, when the server has a key."""
    key = request.app.state.settings.api_key
    if key is None:
        return
    given = credentials.credentials if credentials is not None else ""
    # compare_digest takes as long whatever the first wrong byte: the key cannot be guessed byte by byte.
    if not secrets.compare_digest(given.encode(), key.get_secret_value().encode()):
        raise HTTPException(
            status_code=401,
            detail="this server needs its API key: send the header Authorization: Bearer <SIGHTGAG_API_KEY>",
            headers={"WWW-Authenticate": "Bearer"},
        )


def allowed_hosts(settings: ServerSettings) -> list[str]:
    """Host headers to accept: loopback names with no key (against DNS rebinding), anything with one."""
    if settings.api_key is not None:
        return ["*"]
    bound = f"[{settings.host}]" if ":" in settings.host else settings.host
    return sorted({*LOOPBACK_NAMES, bound})


class SameOriginOnly:
    """Refuse state-changing requests sent by a page from another origin (unless CORS allows it).

    Browsers send an Origin header with every cross-site POST, including plain HTML form posts,
    which CORS does not stop; clients that are not browsers send none and are not affected.
    """

    def __init__(self, app: ASGIApp, allowed_origins: list[str]):
        self.app = app
        self.allowed_origins = set(allowed_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in SAFE_METHODS:
            headers = Headers(scope=scope)
            origin = headers.get("origin")
            own = f"{scope.get('scheme', 'http')}://{headers.get('host', '')}"
            if origin and origin not in self.allowed_origins and origin != own:
                response = JSONResponse(
                    {"detail": f"a page from {origin} cannot use this server: set SIGHTGAG_CORS_ORIGINS to allow it"},
                    status_code=403,
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
