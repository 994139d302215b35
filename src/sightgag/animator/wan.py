"""The `wan[:SOURCE]` animator: Wan image-to-video (Apache-2.0) through diffusers, on a local GPU.

The default is Wan 2.2 TI2V-5B, which makes 24 fps video at about 1280x704 on one consumer GPU;
any diffusers folder or repo for WanImageToVideoPipeline (Wan 2.1 I2V 480P/720P, Wan 2.2 I2V A14B)
may be named instead. See sightgag.animator.diffusion for what is shared with `ltx`.
"""

from __future__ import annotations

from sightgag.animator.diffusion import DiffusionAnimator, VideoModel

WAN = VideoModel(
    provider="wan",
    pipeline="WanImageToVideoPipeline",
    default="Wan-AI/Wan2.2-TI2V-5B-Diffusers",
    fps=24,
    frames_step=4,
    size_multiple=32,
    area=1280 * 704,
    steps=40,
    guidance=5.0,
)


class WanAnimator(DiffusionAnimator):
    model = WAN
