"""The `sketch` animator: the sketch artist's panel taken apart and its layers moved, offline.

No model and no network. The panel is drawn again from the gag's concept and seed as layers (scene,
lights, sign, each cast member, what they wear and hold, effects, frame: sightgag.artist.sketch.
layers); each comedic device has its own business:

- scale mismatch: the foil shrinks away, then looms back in, a size too big, and settles;
- mock-heroic: the camera pushes in on the hero, who rises, while the starburst flares;
- escalation: the row of foils vanishes, then multiplies back one copy at a time, each bigger;
- deadpan: everything holds perfectly still while one thing (the foil) wobbles;
- literalised idiom: the foil drops in from the sky; role reversal: the two swap sizes and back;
- anthropomorphism: the hero hops; incongruity and parody: a slow push-in on the hero.

Effects (impacts, sweat, confetti) fade out at the start and pop back in near the end; extras bob.
Every move starts and ends at rest, so the first frame is the still itself and the clip ends on a
held still that the caption lands on. Same concept and seed, same frames.

A still the sketch artist did not draw (or no longer draws the same way) cannot be taken apart: it
gets a slow push-in on its hero instead.
"""

from __future__ import annotations

import math
import random

import numpy as np
from PIL import Image

from sightgag.animator.base import Motion, Shot, frame_count, lettered_frames
from sightgag.animator.motion import REST, Camera, Pose, bump, ease_in, ease_out_back, keyed
from sightgag.concept import Device
from sightgag.errors import UsageError
from sightgag.settings import Settings

__all__ = ["SketchAnimator"]

class SketchAnimator:
    """Moves the sketch artist's layers per comedic device; deterministic for a seed."""

    spec = "sketch"

    def __init__(self, model: str | None = None, settings: Settings | None = None):
        if model:
            raise UsageError(f"the sketch animator has no models (got sketch:{model}): use plain `sketch`")

    def animate(self, shot: Shot, *, seconds: float, fps: int, seed: int) -> Motion:
        total = frame_count(seconds, fps)
        hold = lettered_frames(total, fps)
        action = total - hold
        taken_apart = _layers_of(shot)
        still = shot.still.convert("RGB")
        if taken_apart is None:
            frames = _push_in(still, shot, action)
            method = "push-in on the still"
            moved: list[str] = []
        else:
            background, layers = taken_apart
            director = _Director(shot.concept.device, layers, still.size, random.Random(seed))
            frames = director.frames(background, action)
            method = f"layers moved for {shot.concept.device.value}"
            moved = director.moved(action)
        frames += [still] * hold
        return Motion(
            frames=frames,
            lettered_from=action,
            details={"model": "sketch", "method": method, "moved": moved, "device": shot.concept.device.value},
        )


def _layers_of(shot: Shot):
    """The still's scene and layers, if the sketch artist drew it and still draws it exactly so."""
    if shot.artist.partition(":")[0] != "sketch":
        return None
    from sightgag.artist.sketch import draw_layers
    from sightgag.artist.sketch.layers import compose

    width, height = shot.still.size
    background, layers, _ = draw_layers(shot.concept, shot.seed, width, height, shot.subjects)
    if not np.array_equal(np.asarray(compose(background, layers)), np.asarray(shot.still.convert("RGB"))):
        return None  # drawn by an older sketch artist: its layers are not this still's
    return background, layers


class _Director:
    """Decides each layer's pose and the camera for every frame of the action, per device."""

    def __init__(self, device: Device, layers: list, size: tuple[int, int], rng: random.Random):
        self.device = device
        self.layers = layers
        self.width, self.height = size
        self.rng = rng
        hero = [layer.box for layer in layers if layer.owner == "hero" and layer.kind == "cast"]
        foil = [layer.box for layer in layers if layer.owner == "foil" and layer.kind == "cast"]
        self.hero_centre = _centre(hero[0]) if hero else (self.width / 2, self.height / 2)
        self.foil_centre = _centre(foil[0]) if foil else None
        parts = [layer.part for layer in layers if layer.owner == "foil" and layer.kind == "cast"]
        self.copies = max(parts) + 1 if parts else 1
        # Extras bob out of step with each other; deadpan's one moving thing wobbles from its own start.
        self.phases = [rng.uniform(0, 2 * math.pi) for _ in layers]
        self.the_one_thing = self._the_one_thing()

    def _the_one_thing(self) -> str:
        owners = {layer.owner for layer in self.layers}
        return "foil" if "foil" in owners else "extra" if "extra" in owners else "sign"

    def moved(self, action: int) -> list[str]:
        names = []
        for index, layer in enumerate(self.layers):
            if any(not self.pose(index, step / max(1, action - 1)).still for step in range(action)):
                if layer.name not in names:
                    names.append(layer.name)
        return names

    def frames(self, background: Image.Image, action: int) -> list[Image.Image]:
        progress = [step / max(1, action - 1) for step in range(action)]
        poses = [[self.pose(index, p) for index in range(len(self.layers))] for p in progress]
        cameras = [self.camera(p) for p in progress]
        frame_layer = [i for i, layer in enumerate(self.layers) if layer.kind == "frame"]
        on_top = frame_layer[-1] if frame_layer and frame_layer[-1] == len(self.layers) - 1 else None
        body = range(len(self.layers) - (1 if on_top is not None else 0))
        # Layers still in every frame, up to the first that moves, are pasted once.
        fixed = 0
        while fixed in body and all(poses[step][fixed].still for step in range(action)):
            fixed += 1
        base = background.copy()
        for layer in self.layers[:fixed]:
            base.paste(layer.sprite, layer.at, layer.sprite)
        frames = []
        for step in range(action):
            frame = base.copy()
            for index in body[fixed:]:
                _paste(frame, self.layers[index], poses[step][index])
            frame = _film(frame, cameras[step])
            if on_top is not None:
                top = self.layers[on_top]
                frame.paste(top.sprite, top.at, top.sprite)
            frames.append(frame)
        return frames

    # -- the business of each device ------------------------------------------------------------

    def camera(self, p: float) -> Camera:
        x, y = self.hero_centre
        if self.device == Device.mock_heroic:
            return Camera(keyed(p, [(0, 1), (0.45, 1.3), (0.75, 1.3), (1, 1)]), x, y)
        if self.device in (Device.incongruity, Device.parody):
            return Camera(keyed(p, [(0, 1), (0.6, 1.15), (1, 1)]), x, y)
        return Camera()

    def pose(self, index: int, p: float) -> Pose:
        layer = self.layers[index]
        if layer.kind in ("frame", "light") or (layer.kind == "prop" and layer.owner == ""):
            if self.device == Device.deadpan and self.the_one_thing == "sign" and layer.name == "sign":
                return self._wobble(index, p)
            return REST
        device = self.device
        if device == Device.deadpan:
            return self._wobble(index, p) if layer.owner == self.the_one_thing else REST
        if layer.kind == "effect" and layer.name == "burst" and device == Device.mock_heroic:
            flare = [(0, 1), (0.2, 0.5), (0.5, 1.25), (0.65, 0.95), (0.8, 1.15), (1, 1)]
            return Pose(scale=keyed(p, flare), anchor="centre")
        if layer.kind == "effect":
            return self._pop_in(p)
        if layer.owner == "extra":
            return Pose(dy=-0.02 * self.height * abs(math.sin(3 * math.pi * p + self.phases[index])) * bump(p))
        if layer.owner == "hero":
            return self._hero(p)
        if layer.owner == "foil":
            return self._foil(layer, p)
        return REST

    def _hero(self, p: float) -> Pose:
        device = self.device
        if device == Device.mock_heroic:
            return Pose(dy=keyed(p, [(0, 0), (0.5, -0.05 * self.height), (1, 0)]))
        if device == Device.anthropomorphism:
            return Pose(dy=-0.06 * self.height * abs(math.sin(2 * math.pi * p)))
        if device == Device.role_reversal:
            return Pose(scale=keyed(p, [(0, 1), (0.3, 0.8), (0.7, 1.12), (1, 1)]))
        if device == Device.scale_mismatch and self.foil_centre is not None:
            away = -1 if self.foil_centre[0] >= self.hero_centre[0] else 1
            return Pose(dx=keyed(p, [(0, 0), (0.6, 0), (0.78, away * 0.04 * self.width), (1, 0)]))
        if device == Device.escalation:
            return Pose(dx=0.006 * self.width * math.sin(60 * p) * keyed(p, [(0, 0), (0.75, 0), (0.85, 1), (1, 0)]))
        return Pose(dy=-0.015 * self.height * bump(p))

    def _foil(self, layer, p: float) -> Pose:
        device = self.device
        if device == Device.scale_mismatch:
            return Pose(scale=keyed(p, [(0, 1), (0.25, 0.3), (0.72, 1.14), (0.86, 0.96), (1, 1)]))
        if device == Device.escalation and self.copies > 1:
            # All vanish, then come back one at a time, smallest (nearest the hero) first.
            start = 0.2 + 0.5 * layer.part / self.copies
            if p < start:
                grow = keyed(p, [(0, 1), (0.12, 0)])
            else:
                grow = ease_out_back(min(1.0, (p - start) / 0.14))
            return Pose(scale=max(grow, 0.0), alpha=min(1.0, max(grow, 0.0) * 3))
        if device == Device.literalized_idiom:
            # Up and out of the panel, then it falls back in, gathering speed, and bounces.
            if p <= 0.15:
                return Pose(dy=keyed(p, [(0, 0), (0.15, -1.1 * self.height)]))
            if p <= 0.55:
                return Pose(dy=keyed(p, [(0.15, -1.1 * self.height), (0.55, 0)], ease=ease_in))
            return Pose(dy=-0.04 * self.height * abs(math.sin(2 * math.pi * (p - 0.55) / 0.45)) * (1 - p) / 0.45)
        if device == Device.role_reversal:
            return Pose(scale=keyed(p, [(0, 1), (0.3, 1.2), (0.7, 0.9), (1, 1)]))
        return Pose(dx=0.01 * self.width * math.sin(4 * math.pi * p) * bump(p))

    def _pop_in(self, p: float) -> Pose:
        """Out with the first move, back with a pop as the action lands."""
        if p < 0.6:
            fade = keyed(p, [(0, 1), (0.08, 0)])
            return Pose(alpha=fade, scale=1.0 if fade > 0 else 0.0, anchor="centre")
        grow = ease_out_back(min(1.0, (p - 0.6) / 0.15))
        return Pose(scale=max(grow, 0.0), alpha=min(1.0, max(grow, 0.0) * 2), anchor="centre")

    def _wobble(self, index: int, p: float) -> Pose:
        """Deadpan's one moving thing: a wobble that starts and ends at rest."""
        return Pose(dx=0.035 * self.width * math.sin(4 * math.pi * p + self.phases[index]) * bump(p))


def _paste(frame: Image.Image, layer, pose: Pose) -> None:
    if pose.still:
        frame.paste(layer.sprite, layer.at, layer.sprite)
        return
    if pose.alpha <= 0.004 or pose.scale <= 0.02:
        return
    sprite = layer.sprite
    left, top, right, bottom = layer.box
    if abs(pose.scale - 1) >= 1e-3:
        size = (max(1, round(sprite.width * pose.scale)), max(1, round(sprite.height * pose.scale)))
        sprite = sprite.resize(size, Image.Resampling.BILINEAR)
        cx = (left + right) / 2
        cy = bottom if pose.anchor == "feet" else (top + bottom) / 2
        left = cx - sprite.width / 2
        top = cy - sprite.height if pose.anchor == "feet" else cy - sprite.height / 2
    if pose.alpha < 0.999:
        sprite = sprite.copy()
        sprite.putalpha(sprite.getchannel("A").point(lambda value: round(value * pose.alpha)))
    frame.paste(sprite, (round(left + pose.dx), round(top + pose.dy)), sprite)


def _film(frame: Image.Image, camera: Camera) -> Image.Image:
    """The frame as the camera sees it: a zoom toward its point, never past the panel's edges."""
    if camera.still:
        return frame
    width, height = frame.size
    w, h = width / camera.zoom, height / camera.zoom
    left = min(max(camera.x - w / 2, 0), width - w)
    top = min(max(camera.y - h / 2, 0), height - h)
    return frame.resize((width, height), Image.Resampling.BILINEAR, box=(left, top, left + w, top + h))


def _push_in(still: Image.Image, shot: Shot, action: int) -> list[Image.Image]:
    hero = next((member for member in shot.concept.cast if member.role == "hero"), None)
    width, height = still.size
    x, y = (width / 2, height / 2)
    if hero is not None:
        x, y = (hero.box.x + hero.box.w / 2) * width, (hero.box.y + hero.box.h / 2) * height
    zoom = [(0, 1), (0.7, 1.15), (1, 1)]
    return [_film(still, Camera(keyed(step / max(1, action - 1), zoom), x, y)) for step in range(action)]


def _centre(box: tuple[int, int, int, int]) -> tuple[float, float]:
    return ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
