"""The `ltx[:SOURCE]` animator: LTX-Video image-to-video through diffusers, on a local GPU.

LTX-Video makes 24 fps video fast at about 704x480; any diffusers folder or repo for
LTXImageToVideoPipeline may be named. See sightgag.animator.diffusion for what is shared with `wan`.
"""

from __future__ import annotations

from sightgag.animator.diffusion import DiffusionAnimator, VideoModel

LTX = VideoModel(
    provider="ltx",
    pipeline="LTXImageToVideoPipeline",
    default="Lightricks/LTX-Video",
    fps=24,
    frames_step=8,
    size_multiple=32,
    area=704 * 480,
    steps=40,
    guidance=3.0,
)


class LtxAnimator(DiffusionAnimator):
    model = LTX

    def _extra(self) -> dict:
        return {"frame_rate": self.model.fps}
