"""What the server promises a hostile or clumsy client: key rules, the key checked on every route and
before any body is read, errors that reveal nothing, browser protections, and `serve` arguments.

Most tests build the app in-process (offline writer, sketch artist, no worker); those about the
wire (a body not read, a connection kept, the port bound) run a real `sightgag serve`.
"""

from __future__ import annotations

import http.client
import logging
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import SecretStr
from server_fixture import running_server
from starlette.routing import Mount, Route

from sightgag.errors import UsageError
from sightgag.server import create_app
from sightgag.server.security import MIN_KEY_LENGTH, check_key
from sightgag.server.settings import ServerSettings
from sightgag.settings import Settings

KEY = "k3y-for-the-tests-only-0123456789"
BEARER = {"Authorization": f"Bearer {KEY}"}
MAKE_A_KEY = 'python -c "import secrets; print(secrets.token_urlsafe(32))"'
BACKENDS = {"SIGHTGAG_WRITER": "offline", "SIGHTGAG_ARTIST": "sketch"}
INTERNAL_ERROR = re.compile(r"internal error ([0-9a-f]{8}): the server's log has the details")


@pytest.fixture
def studio_settings(tmp_path) -> Settings:
    return Settings(home=tmp_path / "home", writer="offline", artist="sketch")


@pytest.fixture
def public_app(studio_settings):
    """The app as it runs off loopback, with a key. No lifespan: jobs queue but no worker runs them."""
    return create_app(ServerSettings(host="0.0.0.0", api_key=KEY), studio_settings)


def serve_command(home: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`sightgag serve *args` with its home in `home`, for arguments that stop it before it serves."""
    return subprocess.run(
        [sys.executable, "-m", "sightgag.cli", "serve", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env={**_clean_environment(), **BACKENDS, "SIGHTGAG_HOME": str(home), **(env or {})},
    )


def _clean_environment() -> dict[str, str]:
    return {name: value for name, value in os.environ.items() if not name.startswith("SIGHTGAG_")}


# -- D1: the key's rules ----------------------------------------------------------------------


@pytest.mark.parametrize("blank", ["", "   ", "\t\n"])
def test_a_blank_key_counts_as_no_key_and_cannot_open_a_public_bind(blank, monkeypatch, studio_settings):
    monkeypatch.setenv("SIGHTGAG_API_KEY", blank)
    assert ServerSettings().api_key is None

    with pytest.raises(UsageError) as refused:
        create_app(ServerSettings(host="0.0.0.0"), studio_settings)
    assert "SIGHTGAG_API_KEY" in str(refused.value) and MAKE_A_KEY in str(refused.value)


@pytest.mark.parametrize("host", ["127.0.0.1", "0.0.0.0"])
def test_a_short_key_is_refused_wherever_the_server_binds(host, studio_settings):
    with pytest.raises(UsageError, match=f"is {MIN_KEY_LENGTH - 1} characters: use at least {MIN_KEY_LENGTH}"):
        create_app(ServerSettings(host=host, api_key="x" * (MIN_KEY_LENGTH - 1)), studio_settings)
    create_app(ServerSettings(host=host, api_key="x" * MIN_KEY_LENGTH), studio_settings)


@pytest.mark.parametrize("key", ["correct horse battery staple", "schlüssel-schlüssel-1", "sixteen-chars\x07\x1b]0"])
def test_a_key_an_http_header_cannot_carry_as_it_is_is_refused(key):
    with pytest.raises(UsageError, match="cannot carry"):
        check_key(SecretStr(key))


def test_the_key_is_trimmed_and_never_shown_by_the_settings():
    settings = ServerSettings(api_key=f"  {KEY}\n")
    assert settings.api_key.get_secret_value() == KEY
    assert KEY not in repr(settings) and KEY not in str(settings.model_dump())


def test_the_command_refuses_a_blank_or_short_key_in_one_line_saying_how_to_make_one(tmp_path):
    for key, host in [("", "0.0.0.0"), ("   ", "0.0.0.0"), ("short", "127.0.0.1")]:
        result = serve_command(tmp_path, "--host", host, "--port", "0", env={"SIGHTGAG_API_KEY": key})
        assert result.returncode == 2, (key, result.stderr)
        assert result.stderr.count("\n") == 1 and MAKE_A_KEY in result.stderr
        assert result.stdout == ""  # no banner: nothing was served


# -- D6 and the sweep: every route needs the key, checked before the body ---------------------

SAMPLE_PARAMETERS = {
    "gag_id": "20260101-000000-abcdef", "job_id": "0123456789abcdef", "index": "0", "name": "Mittens",
    "clip_id": "20260101-000000-abcd",
}
OPEN_WITHOUT_A_KEY = {"/health", "/", "/static/app.js"}


def every_route(routes) -> list:
    """The app's routes, those of included routers too (FastAPI 0.16x keeps them behind `original_router`)."""
    found = []
    for route in routes:
        included = getattr(route, "original_router", None)
        found.extend(every_route(included.routes) if included is not None else [route])
    return found


def every_request(app) -> list[tuple[str, str]]:
    """(method, path) for every route of the app, with sample path parameters filled in."""
    requests = []
    for route in every_route(app.routes):
        if isinstance(route, Mount):
            requests.append(("GET", f"{route.path}/app.js"))
            continue
        assert isinstance(route, (APIRoute, Route)), route
        path = re.sub(r"{(\w+)(:\w+)?}", lambda match: SAMPLE_PARAMETERS[match.group(1)], route.path)
        requests.extend((method, path) for method in sorted(route.methods) if method != "HEAD")
    return requests


def test_every_route_off_loopback_answers_401_without_the_key_and_not_401_with_it(public_app):
    client = TestClient(public_app)
    requests = every_request(public_app)
    paths = {path for _, path in requests}
    assert {"/docs", "/redoc", "/openapi.json", "/v1/images/generations", "/api/subjects"} <= paths
    documented = {route.path for route in every_route(public_app.routes) if isinstance(route, APIRoute)}
    assert set(public_app.openapi()["paths"]) <= documented  # the walk found every route the API documents
    assert len(requests) >= 20

    for method, path in requests:
        body = {"json": {}} if method in ("POST", "PATCH") else {}
        without = client.request(method, path, **body)
        with_key = client.request(method, path, headers=BEARER, **body)
        if path in OPEN_WITHOUT_A_KEY:
            assert without.status_code == 200, (method, path, without.status_code)
        else:
            assert without.status_code == 401, (method, path, without.status_code)
            assert without.headers["www-authenticate"] == "Bearer"
            for wrong in ("Bearer wrong-key-wrong-key-wrong", f"Basic {KEY}", KEY, f"Bearer {KEY}x"):
                assert client.request(method, path, headers={"Authorization": wrong}, **body).status_code == 401
        assert with_key.status_code != 401, (method, path, with_key.text)


def test_the_bearer_scheme_is_read_in_any_case(public_app):
    client = TestClient(public_app)
    assert client.get("/api/info", headers={"Authorization": f"bearer {KEY}"}).status_code == 200
    assert client.get("/api/info", headers={"Authorization": f"BEARER  {KEY} "}).status_code == 200


def test_the_openai_route_answers_401_in_openais_shape(public_app):
    refused = TestClient(public_app).post("/v1/images/generations", json={"prompt": "my cat"})
    assert refused.status_code == 401 and refused.json()["error"]["message"].startswith("this server needs its API key")


@pytest.fixture(scope="module")
def keyed_server(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("keyed-home"), {**BACKENDS, "SIGHTGAG_API_KEY": KEY}) as base_url:
        yield base_url


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_an_upload_without_the_key_is_refused_before_its_body_is_sent(keyed_server, framing):
    """An anonymous client declaring a 150 MB upload gets its 401 after the first 64 KB, not after 150 MB."""
    host, port = httpx.URL(keyed_server).host, httpx.URL(keyed_server).port
    length = 150 * 1024 * 1024
    declared = f"Content-Length: {length}" if framing == "content-length" else "Transfer-Encoding: chunked"
    head = (
        f"POST /api/subjects HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Content-Type: multipart/form-data; boundary=sightgag\r\n{declared}\r\n\r\n"
    )
    first = b"--sightgag\r\n" + b"x" * 65536
    if framing == "chunked":
        first = f"{len(first):x}\r\n".encode() + first + b"\r\n"

    with socket.create_connection((host, port), timeout=10) as connection:
        connection.sendall(head.encode() + first)
        started = time.monotonic()
        answer = connection.recv(65536)  # a server reading the body first would wait here for the rest
        waited = time.monotonic() - started
        while b"}" not in answer and (more := connection.recv(65536)):
            answer += more  # the JSON body may come in a second segment

    assert answer.startswith(b"HTTP/1.1 401"), answer[:200]
    assert waited < 5
    assert b"this server needs its API key" in answer


# -- D17, D18: a 500 says nothing of the server's insides, is logged once, keeps the connection ----


def test_an_unexpected_error_is_a_500_with_an_error_id_and_no_paths(public_app, monkeypatch, caplog):
    gallery = public_app.state.server.studio.gallery

    def broken(*args, **kwargs):
        raise FileNotFoundError(2, "No such file or directory", "/home/alice/.local/share/sightgag/gallery/x.partial")

    monkeypatch.setattr(gallery, "list", broken)
    client = TestClient(public_app)

    with caplog.at_level(logging.ERROR, logger="sightgag.server"):
        native = client.get("/api/gallery", headers=BEARER)
    assert native.status_code == 500
    (error_id,) = INTERNAL_ERROR.fullmatch(native.json()["detail"]).groups()
    assert "/home/alice" not in native.text and "FileNotFoundError" not in native.text
    logged = [record for record in caplog.records if record.exc_info]
    assert len(logged) == 1 and error_id in logged[0].getMessage()
    assert native.headers["x-content-type-options"] == "nosniff"

    monkeypatch.setattr(public_app.state.server, "submit", broken)
    openai_style = client.post("/v1/images/generations", json={"prompt": "my cat"}, headers=BEARER)
    assert openai_style.status_code == 500 and INTERNAL_ERROR.fullmatch(openai_style.json()["error"]["message"])


def test_a_job_that_fails_unexpectedly_reports_an_error_id_and_no_paths(public_app, monkeypatch, caplog):
    server = public_app.state.server
    job = TestClient(public_app).post("/api/jobs", json={"request": "my cat as a pirate"}, headers=BEARER).json()

    def broken(*args, **kwargs):
        raise PermissionError(13, "Permission denied", "/home/alice/.local/share/sightgag/gallery")

    monkeypatch.setattr(server.studio, "file", broken)
    with caplog.at_level(logging.ERROR, logger="sightgag.server"):
        server.worker.run(server.jobs.claim(8))

    failed = server.jobs.get(job["id"])
    assert failed.status == "failed"
    (error_id,) = INTERNAL_ERROR.fullmatch(failed.error).groups()
    assert [record for record in caplog.records if record.exc_info and error_id in record.getMessage()]


def test_a_500_keeps_the_connection_open_and_logs_its_traceback_once(tmp_path):
    home = tmp_path / "home"
    with running_server(home, BACKENDS) as base_url:
        job = httpx.post(f"{base_url}/api/jobs", json={"request": "my cat as a pirate", "size": "256x256"}).json()
        gag_id = _wait_for_gag(base_url, job["id"])
        for picture in (home / "gallery" / gag_id).glob("*.png"):
            picture.unlink()  # what reletter letters from is gone: an error no check foresaw

        url = httpx.URL(base_url)
        connection = http.client.HTTPConnection(url.host, url.port, timeout=30)
        connection.request("POST", f"/api/gallery/{gag_id}/reletter", body=b'{"lettering": "meme"}',
                           headers={"Content-Type": "application/json"})  # fmt: skip
        failed = connection.getresponse()
        body = failed.read().decode()
        socket_used = connection.sock
        connection.request("GET", "/health")
        after = connection.getresponse()
        after.read()

        assert failed.status == 500 and str(home) not in body
        (error_id,) = INTERNAL_ERROR.search(body).groups()
        assert after.status == 200 and connection.sock is socket_used  # the same connection answered again
        connection.close()
    log = max(home.glob("server-*.log"), key=lambda path: path.stat().st_mtime).read_text()
    assert log.count("Traceback") == 1 and error_id in log


def _wait_for_gag(base_url: str, job_id: str) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job = httpx.get(f"{base_url}/api/jobs/{job_id}").json()
        if job["status"] == "done":
            return job["gag_id"]
        assert job["status"] != "failed", job["error"]
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish")


@pytest.mark.parametrize("when", ["while it is lettered", "just after it is lettered"])
def test_reletter_racing_a_delete_answers_404(public_app, monkeypatch, when):
    studio = public_app.state.server.studio
    gag = studio.make("my cat as a pirate", size=(256, 256), seed=1)
    replace_images = studio.gallery.replace_images

    def deleted_meanwhile(*args, **kwargs):
        if when == "while it is lettered":
            studio.gallery.delete(gag.id)
            return replace_images(*args, **kwargs)
        filed = replace_images(*args, **kwargs)
        studio.gallery.delete(gag.id)
        return filed

    monkeypatch.setattr(studio.gallery, "replace_images", deleted_meanwhile)
    client = TestClient(public_app)
    response = client.post(f"/api/gallery/{gag.id}/reletter", json={"lettering": "meme"}, headers=BEARER)

    assert response.status_code == 404, response.text
    assert response.json()["detail"] == f"no gag {gag.id!r} in the gallery"


# -- D18: browser protections -----------------------------------------------------------------


def test_every_response_refuses_framing_and_sniffing_and_the_page_has_a_strict_policy(public_app):
    client = TestClient(public_app)
    page, refused = client.get("/"), client.get("/api/info")
    data, docs = client.get("/api/info", headers=BEARER), client.get("/docs", headers=BEARER)

    for response in (page, data, refused, docs):
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    policy = dict(part.strip().split(" ", 1) for part in page.headers["content-security-policy"].split(";"))
    assert policy["default-src"] == "'self'" and policy["script-src"] == "'self'" and policy["object-src"] == "'none'"
    assert "unsafe-inline" not in page.headers["content-security-policy"]
    assert data.headers["content-security-policy"].startswith("default-src 'none'")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()  # its CDN assets are not blocked


# -- D12: refused before queuing, and a repeated request is one job ------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"artist": "sketch", "size": "128x128"}, "sketch sizes run from 256"),
        ({"artist": "bfl:flux-pro-1.1"}, "bfl needs BFL_API_KEY"),
        ({"artist": "flux:schnell", "size": "250x250"}, "multiples of 16"),
        ({"artist": "kontext:dev", "size": "250x250"}, "multiples of 16"),
    ],
)
def test_what_an_artist_can_never_paint_is_refused_before_queuing(public_app, fields, message):
    client = TestClient(public_app)
    native = client.post("/api/jobs", json={"request": "my cat as a pirate", **fields}, headers=BEARER)
    model = {"model": fields["artist"]} | ({"size": fields["size"]} if "size" in fields else {})
    openai_style = client.post("/v1/images/generations", json={"prompt": "my cat as a pirate", **model}, headers=BEARER)

    assert native.status_code == 400 and message in native.json()["detail"]
    assert openai_style.status_code == 400 and message in openai_style.json()["error"]["message"]
    assert _job_count(public_app) == 0


@pytest.mark.parametrize(("writer", "key"), [("grok", "XAI_API_KEY"), ("openai", "OPENAI_API_KEY")])
def test_a_writer_without_its_key_is_refused_before_queuing(public_app, writer, key):
    response = TestClient(public_app).post(
        "/api/jobs", json={"request": "my cat as a pirate", "writer": writer}, headers=BEARER
    )
    assert response.status_code == 400 and key in response.json()["detail"]
    assert _job_count(public_app) == 0


def _job_count(app) -> int:
    with sqlite3.connect(app.state.server.jobs.database) as db:
        return db.execute("SELECT COUNT(*) FROM jobs").fetchone()[0]


def test_an_idempotency_key_makes_one_job_of_a_request_sent_twice(public_app):
    client = TestClient(public_app)
    body = {"request": "my cat as a pirate", "size": "256x256"}

    first = client.post("/api/jobs", json=body, headers={**BEARER, "Idempotency-Key": "order-1"}).json()
    again = client.post("/api/jobs", json=body, headers={**BEARER, "Idempotency-Key": "order-1"}).json()
    other = client.post("/api/jobs", json=body, headers={**BEARER, "Idempotency-Key": "order-2"}).json()
    unkeyed = [client.post("/api/jobs", json=body, headers=BEARER).json() for _ in range(2)]
    misused = client.post("/api/jobs", json={**body, "n": 2}, headers={**BEARER, "Idempotency-Key": "order-1"})

    assert again["id"] == first["id"]
    assert len({first["id"], other["id"], unkeyed[0]["id"], unkeyed[1]["id"]}) == 4  # no key: each is new
    assert misused.status_code == 400 and "another request" in misused.json()["detail"]
    assert _job_count(public_app) == 4


def test_a_retry_finds_its_first_job_unless_that_job_failed(public_app):
    client = TestClient(public_app)
    body = {"request": "my dog as a chef", "size": "256x256"}
    retry = {**BEARER, "X-Stainless-Retry-Count": "1"}

    first = client.post("/api/jobs", json=body, headers={**BEARER, "X-Stainless-Retry-Count": "0"}).json()
    retried = client.post("/api/jobs", json=body, headers=retry).json()
    assert retried["id"] == first["id"]

    jobs = public_app.state.server.jobs
    jobs.claim(8)
    jobs.fail([first["id"]], "painting failed")
    after_failure = client.post("/api/jobs", json=body, headers=retry).json()
    assert after_failure["id"] != first["id"] and after_failure["status"] == "queued"


def test_the_openai_clients_retries_after_a_timeout_make_one_job(tmp_path):
    openai = pytest.importorskip("openai")
    home = tmp_path / "home"
    # No worker: the job stays queued, so every attempt of the client times out and is retried.
    env = {**BACKENDS, "SIGHTGAG_API_KEY": KEY, "SIGHTGAG_SERVER_WORKER": "off", "SIGHTGAG_SERVER_JOB_TIMEOUT": "5"}
    with running_server(home, env) as base_url:
        client = openai.OpenAI(base_url=f"{base_url}/v1", api_key=KEY, max_retries=2, timeout=1.0)
        with pytest.raises(openai.APITimeoutError):
            client.images.generate(model="sketch", prompt="a goldfish running for mayor", size="256x256")

        with sqlite3.connect(home / "sightgag.db") as db:
            jobs = db.execute("SELECT params FROM jobs").fetchall()
    assert len(jobs) == 1 and "goldfish" in jobs[0][0]


# -- D16: `serve` arguments ---------------------------------------------------------------------


@pytest.mark.parametrize("port", ["-1", "70000"])
def test_a_port_out_of_range_is_a_one_line_usage_error(port, tmp_path):
    result = serve_command(tmp_path, "--port", port)
    assert result.returncode == 2
    assert result.stderr == f"error: --port {port} is not a port: use 1 to 65535, or 0 for any free one\n"
    assert result.stdout == ""


def test_a_port_in_use_is_one_line_and_no_banner(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = serve_command(tmp_path, "--port", str(port))

    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and f"port {port} is in use" in result.stderr
    assert "sightgag studio on" not in result.stdout


def test_port_0_prints_the_port_really_listened_on(tmp_path):
    # running_server starts every server with --port 0 and reads the URL from the banner.
    with running_server(tmp_path / "home", BACKENDS) as base_url:
        port = httpx.URL(base_url).port
        assert port and port > 0
        assert httpx.get(f"{base_url}/health").json()["status"] == "ok"


def _has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _has_ipv6_loopback(), reason="this machine has no IPv6 loopback")
def test_a_bracketed_ipv6_host_is_served_and_shown_once_bracketed(tmp_path):
    with running_server(tmp_path / "home", BACKENDS, args=["--host", "[::1]"]) as base_url:
        assert re.fullmatch(r"http://\[::1\]:\d+", base_url)
        assert httpx.get(f"{base_url}/api/info").status_code == 200  # Host [::1]:PORT passes the rebinding check


def test_a_host_that_is_no_address_or_name_is_a_usage_error(tmp_path):
    result = serve_command(tmp_path, "--host", "exa mple", "--port", "0")
    assert result.returncode == 2 and "is not an IP address or a host name" in result.stderr


def test_a_server_log_reveals_no_key(tmp_path):
    home = tmp_path / "home"
    with running_server(home, {**BACKENDS, "SIGHTGAG_API_KEY": KEY}) as base_url:
        httpx.get(f"{base_url}/api/info", headers=BEARER)
    assert all(KEY not in Path(log).read_text() for log in home.glob("server-*.log"))
