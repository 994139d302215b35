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
