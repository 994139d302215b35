"""Who may use the server, and what a browser may do with its pages.

- Bound to loopback with no key (the default), only this machine can connect. Two browser attacks
  remain and are closed here: DNS rebinding (a page whose host name points at 127.0.0.1; refused by
  checking the Host header) and cross-site form posts (refused by checking the Origin header).
- Bound anywhere else, SIGHTGAG_API_KEY is required: at least 16 visible ASCII characters. Every
  route but /health and the page (its HTML and static files, which hold no data) needs it as
  `Authorization: Bearer KEY`, the API docs and the OpenAPI schema included. The key is checked
  before the request's body is read, so a client without it cannot make the server take in an
  upload first.
- A key that is set but too short, or holds characters an HTTP header cannot carry, is refused
  wherever the server binds: it is a mistake, not a choice.
- Every response tells browsers not to sniff its type or show it in a frame; the page gets a
  Content-Security-Policy that lets it load only its own scripts, styles and API.
"""

from __future__ import annotations

import secrets

from fastapi.security import HTTPBearer
from pydantic import SecretStr
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sightgag.errors import UsageError
from sightgag.server.responses import error_response
from sightgag.server.settings import ServerSettings, is_loopback

LOOPBACK_NAMES = ["127.0.0.1", "localhost", "[::1]"]  # as Host headers write them: IPv6 in brackets
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
MIN_KEY_LENGTH = 16
MAKE_A_KEY = "python -c \"import secrets; print(secrets.token_urlsafe(32))\""

# Open without a key: the health check and the page, which hold no data. Everything else needs it.
OPEN_PATHS = {"/health", "/"}
OPEN_PREFIXES = ("/static/",)

UNAUTHORIZED = "this server needs its API key: send the header Authorization: Bearer <SIGHTGAG_API_KEY>"

# The page loads its own script and stylesheet and talks to its own API; pictures shown from blobs
# (fetched with the key) and the inline SVG icon are images. Nothing else may load, and no one may frame it.
PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# FastAPI's docs pages load Swagger UI and ReDoc from a CDN with an inline script: only framing is refused.
DOCS_POLICY = "frame-ancestors 'none'"
DOCS_PATHS = ("/docs", "/redoc")
# JSON and pictures: nothing to run, nothing to load.
DATA_POLICY = "default-src 'none'; frame-ancestors 'none'"

# Declares the bearer scheme in the OpenAPI schema, so the docs page has an Authorize button.
# It checks nothing: RequireKey does, before the route (and its body) is reached.
api_key_scheme = HTTPBearer(auto_error=False, description="the server's SIGHTGAG_API_KEY, when it has one")


def check_binding(settings: ServerSettings) -> None:
    """Refuse a key that cannot be right, and a host off loopback without a key."""
    if settings.api_key is not None:
        check_key(settings.api_key)
    elif not is_loopback(settings.host):
        raise UsageError(
            f"binding to {settings.host} lets other machines use the studio: set SIGHTGAG_API_KEY to a key of "
            f"at least {MIN_KEY_LENGTH} characters (make one with {MAKE_A_KEY}; clients send it as a bearer "
            "token), or bind 127.0.0.1"
        )


def check_key(key: SecretStr) -> None:
    """A key must be long enough not to be guessed and sendable in an HTTP header as it is."""
    secret = key.get_secret_value()
    if len(secret) < MIN_KEY_LENGTH:
        raise UsageError(
            f"SIGHTGAG_API_KEY is {len(secret)} characters: use at least {MIN_KEY_LENGTH}, "
            f"e.g. make one with {MAKE_A_KEY}"
        )
    if not all("!" <= character <= "~" for character in secret):
        raise UsageError(
            "SIGHTGAG_API_KEY holds spaces or characters an HTTP header cannot carry: use letters, digits and "
            f"punctuation, e.g. make one with {MAKE_A_KEY}"
        )


def allowed_hosts(settings: ServerSettings) -> list[str]:
    """Host headers to accept: loopback names with no key (against DNS rebinding), anything with one."""
    if settings.api_key is not None:
        return ["*"]
    bound = f"[{settings.host}]" if ":" in settings.host else settings.host
    return sorted({*LOOPBACK_NAMES, bound})


def is_open(path: str) -> bool:
    return path in OPEN_PATHS or path.startswith(OPEN_PREFIXES)


class RequireKey:
    """Answer 401 to a request without the server's key before the app, and so before its body, is reached."""

    def __init__(self, app: ASGIApp, key: SecretStr | None):
        self.app = app
        self.key = key.get_secret_value().encode() if key is not None else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.key is None or is_open(scope["path"]) or self._has_key(scope):
            await self.app(scope, receive, send)
            return
        response = error_response(scope["path"], 401, UNAUTHORIZED, headers={"WWW-Authenticate": "Bearer"})
        await response(scope, receive, send)

    def _has_key(self, scope: Scope) -> bool:
        scheme, _, token = Headers(scope=scope).get("authorization", "").partition(" ")
        # compare_digest takes as long whatever the first wrong byte: the key cannot be guessed byte by byte.
        return scheme.lower() == "bearer" and secrets.compare_digest(token.strip().encode("latin-1"), self.key)


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
                message = f"a page from {origin} cannot use this server: set SIGHTGAG_CORS_ORIGINS to allow it"
                await error_response(scope["path"], 403, message)(scope, receive, send)
                return
        await self.app(scope, receive, send)


class BrowserProtections:
    """Headers on every response: no type sniffing, no framing, and a Content-Security-Policy by kind of page."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = content_security_policy(scope["path"])

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Content-Type-Options"] = "nosniff"
                headers["X-Frame-Options"] = "DENY"
                headers["Referrer-Policy"] = "no-referrer"
                headers["Content-Security-Policy"] = policy
            await send(message)

        await self.app(scope, receive, send_with_headers)


def content_security_policy(path: str) -> str:
    if path == "/" or path.startswith("/static/"):
        return PAGE_POLICY
    if path.startswith(DOCS_PATHS):
        return DOCS_POLICY
    return DATA_POLICY
