"""Fixtures every test shares: a private home and no keys, and one tiny Flux pipeline per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

KEY_VARIABLES = ("XAI_API_KEY", "OPENAI_API_KEY", "BFL_API_KEY")


@pytest.fixture(autouse=True)
def private_environment(tmp_path_factory, monkeypatch):
    """A fresh SIGHTGAG_HOME per test and no API keys or SIGHTGAG_* settings from the user's shell."""
    for name in list(os.environ):
        if name in KEY_VARIABLES or name.startswith("SIGHTGAG_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SIGHTGAG_HOME", str(tmp_path_factory.mktemp("home")))


@pytest.fixture(scope="session")
def tiny_flux_dir(tmp_path_factory) -> Path:
    """A tiny random FLUX.1 pipeline saved by diffusers, loadable as flux:<this folder>."""
    from tiny_flux import build_tiny_flux  # imports diffusers: only sessions that paint pay for it

    return build_tiny_flux(tmp_path_factory.mktemp("models") / "tiny-flux")


@pytest.fixture(scope="module")
def local_ray():
    """A Ray instance on this machine with two CPUs, as CI has, for one test module; its address, for
    the `sightgag` processes a test starts to join. Starting Ray costs seconds: one per module, shut down after it."""
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, logging_level="warning", log_to_driver=False)
    try:
        yield ray.get_runtime_context().gcs_address
    finally:
        ray.shutdown()
