"""The caption on a clip: set once by the letterer on the still, then laid onto frames as it was set.

The letterer letters the still; where the lettered picture differs from the still is the lettering
(type, outline, balloon, tail), as is whatever it sets the same over the still's negative, and a
caption band under the picture is lettering whole. Those pixels
are pasted onto any frame unchanged, so the clip's caption is the still's exact type, never painted
by a video model. Frames before the caption lands show the band, if there is one, blank.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageOps

from sightgag.concept import Box, Concept


class ClipLettering:
    """The still's lettering, ready to lay onto frames of the still's size."""

    def __init__(
        self, still: Image.Image, concept: Concept, style: str | None = None, keep_clear: Sequence[Box] = ()
    ):
        from sightgag.letterer import letter

        still = still.convert("RGB")
        self.lettered = letter(still, concept, style=style, keep_clear=keep_clear)
        self.panel_size = still.size
        self.size = self.lettered.size
        width, height = still.size
        lettered = np.asarray(self.lettered)[:height, :width]
        # Opaque lettering the same colour as the picture under it (a white balloon on a white wall) does
        # not differ from the still; it shows as what stays put when the picture is inverted under it.
        negative = letter(ImageOps.invert(still), concept, style=style, keep_clear=keep_clear)
        if negative.size == self.size:
            unmoved = np.all(lettered == np.asarray(negative)[:height, :width], axis=2)
        else:
            unmoved = np.zeros((height, width), dtype=bool)
        inked = np.zeros((self.size[1], self.size[0]), dtype=bool)
        inked[:height, :width] = np.any(lettered != np.asarray(still), axis=2) | unmoved
        inked[height:, :] = True  # the band under the picture, if the style added one
        self.mask = Image.fromarray(inked.astype(np.uint8) * 255)
        band = self.lettered.getpixel((0, height)) if self.size[1] > height else "white"
        self.blank = Image.new("RGB", self.size, band)

    def unlettered(self, frame: Image.Image) -> Image.Image:
        """A frame before the caption lands, on the lettered picture's canvas."""
        if frame.size == self.size:
            return frame
        canvas = self.blank.copy()
        canvas.paste(frame, (0, 0))
        return canvas

    def lettered_frame(self, frame: Image.Image) -> Image.Image:
        """A frame with the caption laid on it."""
        canvas = self.unlettered(frame).copy()
        canvas.paste(self.lettered, (0, 0), self.mask)
        return canvas
