"""A panel taken apart: the sketch artist's layers, for an animator to move.

The artist draws on one canvas; a Tape copies the canvas after each thing it draws (the scene, a
flare, the sign, each cast member with what it wears and holds, each effect, the frame). The
difference between two copies is that thing's layer: its pixels, cut out where the canvas changed.
Pasting the layers back in order gives the panel exactly, so an animator's first frame is the still.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageFilter

# Where a cut-out's own colour happens to match what was under it, the difference has a hole; a
# closing of this size (pixels) fills such holes without reaching past the outline.
HOLE_CLOSING = 5


@dataclass
class Layer:
    """One thing drawn on the panel: its kind (scene, cast, prop, effect, frame), whose it is, and its pixels."""

    kind: str
    owner: str  # "hero", "foil", "extra", a crowd's name, or "" for the panel's own (scene, sign, frame)
    name: str
    sprite: Image.Image  # RGBA, cut to the layer's bounding box
    at: tuple[int, int]  # where the sprite's top-left corner sits on the panel
    part: int = 0  # the copy's number where one thing is drawn several times (escalation's crowd of foils)

    @property
    def box(self) -> tuple[int, int, int, int]:
        return (self.at[0], self.at[1], self.at[0] + self.sprite.width, self.at[1] + self.sprite.height)


@dataclass
class Tape:
    """Records the canvas after each drawing step; `layers` cuts the recording into layers."""

    marks: list[tuple[str, str, str, int, Image.Image]] = field(default_factory=list)

    def mark(self, image: Image.Image, kind: str, owner: str = "", name: str = "", part: int = 0) -> None:
        self.marks.append((kind, owner, name or kind, part, image.copy()))

    def layers(self, scale: int) -> tuple[Image.Image, list[Layer]]:
        """The scene (the first mark) and a layer per later mark that changed anything, at 1/scale size."""
        if not self.marks:
            raise ValueError("nothing was recorded")
        shots = [image.reduce(scale) if scale > 1 else image for *_, image in self.marks]
        background = shots[0].convert("RGB")
        layers = []
        before = np.asarray(background)
        for (kind, owner, name, part, _), shot in zip(self.marks[1:], shots[1:]):
            after_image = shot.convert("RGB")
            after = np.asarray(after_image)
            changed = np.any(before != after, axis=2)
            before = after
            if not changed.any():
                continue
            mask = Image.fromarray(changed.astype(np.uint8) * 255)
            mask = mask.filter(ImageFilter.MaxFilter(HOLE_CLOSING)).filter(ImageFilter.MinFilter(HOLE_CLOSING))
            left, top, right, bottom = mask.getbbox() or (0, 0, 1, 1)
            sprite = after_image.crop((left, top, right, bottom)).convert("RGBA")
            sprite.putalpha(mask.crop((left, top, right, bottom)))
            layers.append(Layer(kind, owner, name, sprite, (left, top), part))
        return background, layers


def compose(background: Image.Image, layers: list[Layer]) -> Image.Image:
    """The layers pasted back in order, unmoved: the panel as drawn."""
    panel = background.copy()
    for layer in layers:
        panel.paste(layer.sprite, layer.at, layer.sprite)
    return panel
