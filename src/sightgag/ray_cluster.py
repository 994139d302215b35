"""Reaching Ray: the optional `ray` extra, and a cluster joined (or started) for one command.

`--ray` alone starts a Ray instance on this machine for the command and stops it after; `--ray ADDRESS`
joins a running cluster (`auto`, or a head node's `host:6379`, or `ray://host:10001`) and leaves it
running. A process that has already called `ray.init` (a test, a notebook) keeps its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sightgag.errors import SightgagError, UsageError

LOCAL = "local"  # what `--ray` without an address means
INSTALL_HINT = "Ray is not installed: pip install 'sightgag[ray]'"


def require_ray():
    """The ray module, or a one-line UsageError saying how to install it."""
    try:
        import ray
    except ImportError:
        raise UsageError(INSTALL_HINT) from None
    return ray


@contextmanager
def connected(address: str | None) -> Iterator[object]:
    """Ray, initialised for the duration: a local instance for `local`, else the cluster at `address`."""
    ray = require_ray()
    if ray.is_initialized():
        yield ray
        return
    try:
        if address in (None, "", LOCAL):
            ray.init(include_dashboard=False, logging_level="warning", log_to_driver=False)
        else:
            ray.init(address=address, logging_level="warning", log_to_driver=False)
    except (ConnectionError, ValueError, RuntimeError) as error:
        text = " ".join(str(error).split())[:300]
        raise SightgagError(f"cannot reach the Ray cluster at {address}: {text}") from None
    try:
        yield ray
    finally:
        ray.shutdown()


def gpu_count(ray) -> int:
    return int(ray.cluster_resources().get("GPU", 0))


def cpu_count(ray) -> int:
    return int(ray.cluster_resources().get("CPU", 1))
