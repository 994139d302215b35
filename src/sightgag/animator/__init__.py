"""Animators: a filed gag's picture made into a few seconds of motion, lettered and encoded.

One module per backend; `load_animator` maps a spec (`sketch`, `xai[:MODEL]`, `wan[:SOURCE]`,
`ltx[:SOURCE]`, or a plugin's, registered in the `sightgag.animators` entry point group) to one, and
`film` runs an animator, lays the letterer's caption on the last beat and encodes the clip.

    clip = film(animator, shot, seconds=3, fps=24, fmt="mp4", seed=7, lettering=ClipLettering(...))
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from PIL import Image

from sightgag.animator.base import FORMATS, Animator, Motion, Shot, check_clip, frame_count
from sightgag.animator.encoding import encode, even_size
from sightgag.animator.lettering import ClipLettering
from sightgag import plugins
from sightgag.auto import Choice
from sightgag.errors import UsageError
from sightgag.settings import Settings
from sightgag.spec import Spec

__all__ = ["FORMATS", "Animator", "Clip", "ClipLettering", "Motion", "Shot", "film", "load_animator"]

# The local video models, which make a clip at the size asked for (`--size`); the others make their own.
LOCAL_MODELS = ("wan", "ltx")


def load_animator(spec: str | None, settings: Settings, *, size: tuple[int, int] | None = None) -> Animator:
    """The animator for a spec; `auto` (or none) picks the best that can run (see `choose_animator`).

    `size` is the video size a local model makes (`wan`, `ltx`); the others make their own.
    """
    parsed = Spec.parse(spec or "auto")
    if parsed.provider == "auto":
        parsed = Spec.parse(choose_animator(settings).spec)
    # Found by entry point like every backend (a plugin's too), and imported only when named, so
    # `sketch` never imports an HTTP client or torch.
    factory = plugins.factory("animators", parsed.provider)
    if size is None:
        return factory(parsed.model, settings)
    if parsed.provider not in LOCAL_MODELS:
        raise UsageError(f"--size is for the local video models ({', '.join(LOCAL_MODELS)}), not {parsed.provider}")
    return factory(parsed.model, settings, size=size)


def choose_animator(settings: Settings) -> Choice:
    """`wan` on a CUDA GPU with its weights already downloaded, else the offline `sketch`.

    A hosted clip is paid by the second and a first Wan download is tens of gigabytes: neither is
    chosen for the user; `--animator xai` or `--animator wan` asks for them.
    """
    from sightgag.auto import gpu

    if gpu() == "cuda":
        from huggingface_hub import try_to_load_from_cache

        from sightgag.animator.wan import WAN

        if isinstance(try_to_load_from_cache(WAN.default, "model_index.json"), str):
            return Choice("wan", f"CUDA GPU and {WAN.default} in the Hugging Face cache")
    return Choice("sketch", "offline; no GPU with Wan weights downloaded")


@dataclass
class Clip:
    """An encoded, lettered clip and how it was made; `frames` are what was encoded."""

    data: bytes
    fmt: str
    frames: list[Image.Image]
    fps: int
    lettered_from: int
    record: dict = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return len(self.frames) / self.fps


def film(
    animator: Animator,
    shot: Shot,
    *,
    seconds: float = 3.0,
    fps: int = 24,
    fmt: str = "mp4",
    seed: int,
    lettering: ClipLettering | None = None,
) -> Clip:
    """Animate, letter the last beat, encode: the clip and its record (not yet filed)."""
    check_clip(seconds, fps, fmt)
    started = time.perf_counter()
    motion = animator.animate(shot, seconds=seconds, fps=fps, seed=seed)
    expected = frame_count(seconds, fps)
    if len(motion.frames) != expected:
        raise UsageError(f"the {animator.spec} animator made {len(motion.frames)} frames, not {expected}")
    animated = time.perf_counter()
    frames = motion.frames
    if lettering is not None:
        frames = [
            lettering.lettered_frame(frame) if index >= motion.lettered_from else lettering.unlettered(frame)
            for index, frame in enumerate(frames)
        ]
    lettered = time.perf_counter()
    data = encode(frames, fps, fmt)
    encoded = time.perf_counter()
    length = len(frames) / fps
    record = {
        "animator": animator.spec,
        "model": motion.details.get("model", animator.spec),
        "seed": seed,
        "seconds": length,
        "fps": fps,
        "frames": len(frames),
        "size": "{}x{}".format(*(even_size(frames[0].size) if fmt == "mp4" else frames[0].size)),
        "bytes_per_second": round(len(data) / length),
        "lettered_from": motion.lettered_from,
        "details": motion.details,
        "timings": {
            "animator": animated - started,
            "letterer": lettered - animated,
            "encoder": encoded - lettered,
        },
    }
    return Clip(data, fmt, frames, fps, motion.lettered_from, record)
