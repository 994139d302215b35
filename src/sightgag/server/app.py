"""The studio server: the FastAPI app, and `serve` to run it on uvicorn.

    sightgag serve                     # http://127.0.0.1:8000/ : the page; /docs: the API
    SIGHTGAG_API_KEY=... sightgag serve --host 0.0.0.0

One Studio serves every request, so its models load once. Renders are jobs in a SQLite queue (see
jobs.py) run by a worker (worker.py) that batches compatible jobs into one pipeline call.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import logging
import re
import socket
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware

from sightgag.errors import SightgagError, UsageError
from sightgag.server.api import api_router
from sightgag.server.clips import clips_router
from sightgag.server.limits import BodySizeLimit
from sightgag.server.openai_images import openai_router
from sightgag.server.responses import InternalErrors, error_response
from sightgag.server.security import BrowserProtections, RequireKey, SameOriginOnly, allowed_hosts, check_binding
from sightgag.server.settings import ServerSettings
from sightgag.server.state import ServerState
from sightgag.settings import Settings

log = logging.getLogger("sightgag.server")

STATIC = Path(__file__).parent / "static"


def create_app(settings: ServerSettings | None = None, studio_settings: Settings | None = None) -> FastAPI:
    """The app, with its studio, queue and worker; the worker starts and stops with the app."""
    settings = settings or ServerSettings()
    check_binding(settings)
    server = ServerState.build(settings, studio_settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        requeued, failed = server.jobs.recover()
        if requeued or failed:
            log.info("after the last stop: %d job(s) queued again, %d failed", requeued, failed)
        if settings.server_worker:
            server.worker.start()
        else:
            log.info("the worker is off (SIGHTGAG_SERVER_WORKER): jobs are queued, not run")
        yield
        if not await asyncio.to_thread(server.worker.stop):
            log.warning("a batch is still painting; its jobs run again on the next start")

    app = FastAPI(
        title="sightgag studio",
        summary="Personalized funny pictures: an LLM comedy writer, FLUX.1, and real lettering.",
        version=_version(),
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.server = server

    app.include_router(api_router())
    app.include_router(clips_router())
    app.include_router(openai_router())
    app.add_api_route("/health", health, methods=["GET"], tags=["studio"])
    _add_page(app)

    for error_type, handler in _ERROR_HANDLERS.items():
        app.add_exception_handler(error_type, handler)

    # Added last runs first. CORS answers preflights before the origin check could refuse them; the
    # key is checked before anything reads the body; every answer, errors included, gets the headers.
    app.add_middleware(
        BodySizeLimit,
        limit=settings.max_json_bytes,
        exceptions={("POST", "/api/subjects"): settings.max_upload_bytes()},
    )
    app.add_middleware(SameOriginOnly, allowed_origins=settings.cors_origin_list())
    app.add_middleware(RequireKey, key=settings.api_key)
    app.add_middleware(InternalErrors)
    app.add_middleware(BrowserProtections)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts(settings))
    if settings.cors_origin_list():
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origin_list(),
            allow_methods=["*"],
            allow_headers=["Authorization", "Content-Type"],
        )
    return app


def health() -> dict:
    """Open to all, key or not: for load balancers and the tests' start-up wait."""
    return {"status": "ok", "version": _version()}


def _add_page(app: FastAPI) -> None:
    """The web page: static files, no build step. They hold no data, so they need no key."""

    def page():
        index = STATIC / "index.html"
        if not index.is_file():
            return HTMLResponse("<p>The sightgag web page is not installed; the API is at <a href=/docs>/docs</a>.</p>")
        return FileResponse(index, headers={"Cache-Control": "no-cache"})

    app.add_api_route("/", page, methods=["GET"], include_in_schema=False)
    if STATIC.is_dir():
        app.mount("/static", StaticFiles(directory=STATIC), name="static")


# -- errors: one readable line in {"detail": ...} ---------------------------------------------


def _error(request: Request, status: int, message: str, headers: dict | None = None) -> JSONResponse:
    return error_response(request.url.path, status, message, headers)


async def _usage_error(request: Request, error: UsageError) -> JSONResponse:
    return _error(request, 400, _one_line(error))


async def _backend_error(request: Request, error: SightgagError) -> JSONResponse:
    return _error(request, 502, _one_line(error))


async def _http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
    return _error(request, error.status_code, str(error.detail), getattr(error, "headers", None))


async def _validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
    return _error(request, 422, validation_message(error.errors()))


# Any other exception is answered by the InternalErrors middleware (responses.py): a 500 with an error id.
_ERROR_HANDLERS = {
    UsageError: _usage_error,
    SightgagError: _backend_error,
    StarletteHTTPException: _http_error,
    RequestValidationError: _validation_error,
}


def validation_message(errors: list[dict], most: int = 3) -> str:
    """FastAPI's validation errors as one line: `n: Input should be less than or equal to 8; ...`."""
    parts = []
    for error in errors[:most]:
        if error["type"] == "json_invalid":
            reason = error.get("ctx", {}).get("error", "decode error")
            return f"the body is not valid JSON: {reason} at character {error['loc'][-1]}"
        where = ".".join(str(part) for part in error["loc"][1:])  # loc[0] is body, query or path
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "missing" and not where:
            parts.append("the request has no body: send a JSON object")
        elif error["type"] == "extra_forbidden":
            parts.append(f"unknown field {where!r}")
        else:
            parts.append(f"{where}: {message}" if where else message)
    if len(errors) > most:
        parts.append(f"and {len(errors) - most} more")
    return "; ".join(parts)


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__


def _version() -> str:
    try:
        return version("sightgag")
    except PackageNotFoundError:
        return "unknown"


# -- running it -------------------------------------------------------------------------------


def serve(host: str = "127.0.0.1", port: int = 8000) -> None:
    """Run the studio server until interrupted.

    The port is bound before anything is printed, so a port in use is one line of error, and the
    banner shows the port really listened on (`--port 0` picks a free one).
    """
    import uvicorn

    if not 0 <= port <= MAX_PORT:
        raise UsageError(f"--port {port} is not a port: use 1 to {MAX_PORT}, or 0 for any free one")
    settings = ServerSettings(host=host)  # `[::1]` becomes ::1
    if not _is_address_or_name(settings.host):
        raise UsageError(f"--host {host!r} is not an IP address or a host name: e.g. 127.0.0.1, ::1, 0.0.0.0")
    app = create_app(settings)  # refuses a non-loopback host without a key, and a key that cannot be right
    listener = _listen(settings.host, port)
    port = listener.getsockname()[1]
    logging.basicConfig(level=logging.INFO, format="%(levelname)s:     %(message)s")
    shown = f"[{settings.host}]" if ":" in settings.host else settings.host
    print(f"sightgag studio on http://{shown}:{port}/ (API: /docs)", flush=True)
    config = uvicorn.Config(app, host=settings.host, port=port, timeout_graceful_shutdown=5, log_level="info")
    uvicorn.Server(config).run(sockets=[listener])


MAX_PORT = 65535
_HOST_NAME = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*")


def _is_address_or_name(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return len(host) <= 253 and _HOST_NAME.fullmatch(host) is not None


def _listen(host: str, port: int) -> socket.socket:
    """A socket listening on host:port, or a one-line error that says what to do."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family)
    except socket.gaierror:
        raise UsageError(f"--host {host!r} is not an address or a host name this machine knows") from None
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise SightgagError(
                f"port {port} is in use on {host}: stop what uses it, or choose another --port (0 picks a free one)"
            ) from None
        raise SightgagError(f"cannot listen on {host} port {port}: {error.strerror or error}") from None
