"""Run a real `sightgag serve` in a subprocess on a free loopback port, for tests that talk HTTP to it.

    with running_server(home, {"SIGHTGAG_ARTIST": "sketch"}) as base_url:
        httpx.get(f"{base_url}/health")

The server is started with `--port 0` and its base URL read from its banner, so the port it reports
is the port it listens on (and no other process can take the port between choosing and binding).
It gets the test's environment less any SIGHTGAG_* setting and API key, plus `env`, with
SIGHTGAG_HOME set to `home`. Its output goes to `home/server-<n>.log`, one file per run (the newest
is the running server's), shown in the error if it does not come up. On leaving, it is stopped with
SIGINT (a graceful shutdown, like Ctrl-C), and killed if it does not stop within seconds.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0
KEY_VARIABLES = ("XAI_API_KEY", "OPENAI_API_KEY", "BFL_API_KEY")
BANNER = re.compile(r"sightgag studio on (http://\S+?)/ ")


@contextmanager
def running_server(
    home: Path, env: dict[str, str] | None = None, *, args: Sequence[str] = (), start_timeout: float = START_TIMEOUT
) -> Iterator[str]:
    """Start `sightgag serve --port 0 *args` with SIGHTGAG_HOME=home; yield its base URL; stop it."""
    home = Path(home)
    home.mkdir(parents=True, exist_ok=True)
    # Only what the test says: not the settings or keys of the shell that runs the tests.
    inherited = {
        name: value for name, value in os.environ.items() if not (name.startswith("SIGHTGAG_") or name in KEY_VARIABLES)
    }
    environment = {**inherited, "SIGHTGAG_HOME": str(home), "PYTHONUNBUFFERED": "1", **(env or {})}
    log_path = server_log(home)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "sightgag.cli", "serve", "--port", "0", *args],
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            base_url = _wait_until_healthy(process, log_path, start_timeout)
            yield base_url
        finally:
            _stop(process)


def server_log(home: Path) -> Path:
    """A new log file for a server run in `home`; the newest is the running server's."""
    runs = len(list(Path(home).glob("server-*.log")))
    return Path(home) / f"server-{runs + 1}.log"


def _wait_until_healthy(process: subprocess.Popen, log_path: Path, start_timeout: float = START_TIMEOUT) -> str:
    deadline = time.monotonic() + start_timeout
    base_url = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with status {process.returncode}:\n{_tail(log_path)}")
        if base_url is None:
            banner = BANNER.search(log_path.read_text(errors="replace"))
            base_url = banner.group(1) if banner else None
        if base_url is not None:
            try:
                if httpx.get(f"{base_url}/health", timeout=1.0).status_code == 200:
                    return base_url
            except httpx.TransportError:
                pass
        time.sleep(0.1)
    _stop(process)
    raise RuntimeError(f"the server did not answer /health within {start_timeout:.0f} s:\n{_tail(log_path)}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGINT)
    try:
        process.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
