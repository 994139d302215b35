"""Local image-to-video with diffusers: the painted still as the first frame, the concept's moment as the motion.

What the `wan` and `ltx` animators share. A model is a Hub repo id or a folder saved by diffusers,
loaded once per animator with the pipeline class its backend names, on the device and in the dtype
chosen as for FLUX.1 (SIGHTGAG_DEVICE, SIGHTGAG_DTYPE), with SIGHTGAG_OFFLOAD=model or sequential
(or SIGHTGAG_CPU_OFFLOAD) for less GPU memory and VAE tiling where the pipeline has it. The video is
made at the model's own frame rate and at a size it supports near the still's shape, then resampled
to the clip's rate and the still's size. The prompt asks for no text: the caption is the letterer's.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from sightgag.animator.base import Motion, Shot, frame_count, lettered_frames
from sightgag.animator.frames import resample
from sightgag.errors import SightgagError, UsageError, first_line
from sightgag.settings import Settings

log = logging.getLogger(__name__)

PROMPT = (
    "A cartoon panel comes to life, same drawing style and framing: {moment}. {premise} "
    "Lively comic timing, the motion settles at the end."
)
NEGATIVE = "text, captions, letters, speech bubbles, watermark, blurry, distorted faces, extra limbs"


@dataclass(frozen=True)
class VideoModel:
    """What one family of image-to-video models needs: its pipeline, its default weights and its rules."""

    provider: str  # the spec's provider: "wan", "ltx"
    pipeline: str  # the diffusers class name
    default: str  # Hub repo id used when the spec names none
    fps: int  # the rate the model makes video at
    frames_step: int  # it makes 1 + frames_step * k frames
    size_multiple: int  # sides a multiple of this
    area: int  # pixels a frame at the size it was trained for
    steps: int
    guidance: float


class DiffusionAnimator:
    """Animates a still with a local diffusers image-to-video pipeline."""

    model: VideoModel  # set by each backend's subclass

    def __init__(
        self,
        source: str | None,
        settings: Settings,
        *,
        steps: int | None = None,
        size: tuple[int, int] | None = None,
    ):
        self.settings = settings
        self.source = _location(source or self.model.default, self.model.provider)
        self.spec = f"{self.model.provider}:{source}" if source else self.model.provider
        self.steps = steps or self.model.steps
        if size is not None and any(side % self.model.size_multiple or side <= 0 for side in size):
            raise UsageError(
                f"{self.model.provider} makes video in sizes that are multiples of {self.model.size_multiple}, "
                f"not {size[0]}x{size[1]}"
            )
        self.size = size
        self._pipe = None

    @property
    def pipeline(self):
        if self._pipe is None:
            self._pipe = self._load()
        return self._pipe

    def _load(self):
        import diffusers

        from sightgag.weights.device import pick_device, pick_dtype

        device = pick_device(self.settings)
        dtype, _ = pick_dtype(device, self.settings)
        local = Path(self.source).is_dir()
        try:
            pipeline_class = getattr(diffusers, self.model.pipeline)
            pipe = pipeline_class.from_pretrained(self.source, dtype=dtype, local_files_only=local)
        except Exception as error:  # diffusers reports bad folders and failed downloads many ways
            raise SightgagError(
                f"could not load {self.model.provider} from {self.source}: {first_line(error)}"
            ) from error
        offload = self.settings.offload or ("model" if self.settings.cpu_offload else None)
        if device.type == "cuda" and offload == "model":
            pipe.enable_model_cpu_offload()
        elif device.type == "cuda" and offload == "sequential":
            pipe.enable_sequential_cpu_offload()
        else:
            pipe.to(device)
        if hasattr(pipe.vae, "enable_tiling"):
            pipe.vae.enable_tiling()  # decoding a whole clip at once is what runs out of memory first
        pipe.set_progress_bar_config(disable=True)
        return pipe

    def video_size(self, width: int, height: int) -> tuple[int, int]:
        """The size the model makes: the one asked for, or the still's shape at the model's own area."""
        if self.size is not None:
            return self.size
        step = self.model.size_multiple
        scale = math.sqrt(self.model.area / (width * height))
        return (max(step, round(width * scale / step) * step), max(step, round(height * scale / step) * step))

    def animate(self, shot: Shot, *, seconds: float, fps: int, seed: int) -> Motion:
        import torch

        width, height = self.video_size(*shot.still.size)
        step = self.model.frames_step
        made = 1 + step * max(1, math.ceil(seconds * self.model.fps / step))
        first = shot.still.convert("RGB").resize((width, height), Image.Resampling.LANCZOS)
        prompt = PROMPT.format(moment=shot.concept.moment.rstrip("."), premise=shot.concept.premise)
        generator = torch.Generator("cpu").manual_seed(seed)
        try:
            output = self.pipeline(
                image=first,
                prompt=prompt,
                negative_prompt=NEGATIVE,
                height=height,
                width=width,
                num_frames=made,
                num_inference_steps=self.steps,
                guidance_scale=self.model.guidance,
                generator=generator,
                output_type="pil",
                **self._extra(),
            )
        except torch.OutOfMemoryError:
            raise SightgagError(
                f"{self.model.provider} ran out of GPU memory at {width}x{height}, {made} frames: "
                "try SIGHTGAG_OFFLOAD=model (or sequential), fewer --seconds, or the `sketch` animator"
            ) from None
        video = output.frames[0]
        total = frame_count(seconds, fps)
        timed = [(index / self.model.fps, frame) for index, frame in enumerate(video)]
        return Motion(
            frames=resample(timed, fps, total, shot.still.size),
            lettered_from=total - lettered_frames(total, fps),
            details={
                "model": self.source,
                "pipeline": self.model.pipeline,
                "seeded": True,
                "steps": self.steps,
                "guidance": self.model.guidance,
                "video_size": [width, height],
                "video_frames": made,
                "video_fps": self.model.fps,
                "prompt": prompt,
            },
        )

    def _extra(self) -> dict:
        """Arguments only this family's pipeline takes."""
        return {}


def _location(source: str, provider: str) -> str:
    """A folder's absolute path, or a Hub repo id as written."""
    path = Path(source).expanduser()
    if path.is_dir():
        return str(path.resolve())
    if source.startswith(("/", ".", "~")):
        raise UsageError(f"{provider}:{source}: no such folder; pass a folder saved by diffusers or a Hub repo id")
    if source.count("/") != 1:
        raise UsageError(f"{provider}:{source} is not a model: use a Hugging Face repo id (org/name) or a folder")
    return source
