"""Eased motion: keyframed values over a beat, and the poses and camera moves built from them."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

Ease = Callable[[float], float]


def ease_in_out(x: float) -> float:
    """Slow out, slow in (cubic): how a drawn thing starts and stops moving."""
    return 4 * x**3 if x < 0.5 else 1 - (-2 * x + 2) ** 3 / 2


def ease_in(x: float) -> float:
    """Gathering speed, as a thing falls."""
    return x * x


def ease_out_back(x: float) -> float:
    """Overshoot a little and settle: a pop."""
    c1 = 1.70158
    c3 = c1 + 1
    return 1 + c3 * (x - 1) ** 3 + c1 * (x - 1) ** 2


def keyed(p: float, keys: Sequence[tuple[float, float]], ease: Ease = ease_in_out) -> float:
    """The value at progress p (0..1) of a curve through (progress, value) keys, eased between keys."""
    if p <= keys[0][0]:
        return keys[0][1]
    for (p0, v0), (p1, v1) in zip(keys, keys[1:]):
        if p <= p1:
            x = (p - p0) / (p1 - p0) if p1 > p0 else 1.0
            return v0 + (v1 - v0) * ease(x)
    return keys[-1][1]


def bump(p: float) -> float:
    """0 at both ends of the beat, 1 in the middle: an envelope that brings a move back to rest."""
    return math.sin(math.pi * min(max(p, 0.0), 1.0))


@dataclass(frozen=True)
class Pose:
    """Where a layer is in one frame, relative to where it was drawn: shifted, scaled about an anchor, faded."""

    dx: float = 0.0
    dy: float = 0.0
    scale: float = 1.0
    alpha: float = 1.0
    anchor: str = "feet"  # scale about the bottom centre (things stand on the floor) or the "centre"

    @property
    def still(self) -> bool:
        return abs(self.dx) < 0.5 and abs(self.dy) < 0.5 and abs(self.scale - 1) < 1e-3 and self.alpha >= 0.999


REST = Pose()


@dataclass(frozen=True)
class Camera:
    """A zoom toward a point of the panel (in pixels); zoom 1 shows the whole panel."""

    zoom: float = 1.0
    x: float = 0.0
    y: float = 0.0

    @property
    def still(self) -> bool:
        return abs(self.zoom - 1) < 1e-3
