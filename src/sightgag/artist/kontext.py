"""The local FLUX.1 Kontext artist: the subject's own photo, turned into the gag.

    artist = KontextArtist("dev", Settings())
    painting = artist.paint(concepts, seeds=[7], width=1024, height=768, subjects=[mittens])

FLUX.1 Kontext edits a reference image by instruction. For each concept, the best photo
(`photos[0]`) of the hero's subject (or failing that, another cast member's) is the reference, and
the prompt is an instruction followed by the scene: "Turn this cat into Mittens, the hero of the
scene below, keeping ... Cinematic photo. Mittens the cat: orange tabby, ...".

A concept with no subject photo is painted from its text alone through the same pipeline (Kontext
also does text-to-image), so this artist paints any concept; `details["references"]` says which
images had a reference. A subject's LoRA is not applied here: likeness comes from the photo.

The model (MODEL in `kontext:MODEL`) is `dev` (black-forest-labs/FLUX.1-Kontext-dev, the default;
non-commercial licence, gated on the Hub), a Hugging Face repo id or a folder saved by diffusers.
The weights load exactly as the flux artist loads its own (device, dtype, quantization, offload,
cache and offline rules, one shared copy per process), and Kontext paints with a
FluxKontextPipeline made of those very modules, so nothing is loaded twice.

Size: FluxKontextPipeline scales its output to `max_area` pixels (1024² unless told) whatever width
and height say. Here `max_area` is width x height, so the requested size is what comes out; the
`max_area=` option caps it below that. The reference photo is resized to the Kontext-preferred shape
nearest its own, at about one megapixel (REFERENCE_AREA) whatever the output size: those are the
shapes Kontext was trained at, and a 4 MP reference would also double the tokens to attend over.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image, UnidentifiedImageError

from sightgag.artist.base import CARRY_OVER, Painting, Progress, reference_subject
from sightgag.artist.flux import PAINTING_LOCK, FluxArtist, ModelSource, check_batch, check_size, prepare_vae
from sightgag.artist.prompt import FluxPrompt, compile_prompt
from sightgag.concept import CastMember, Concept
from sightgag.errors import SightgagError, UsageError
from sightgag.settings import Settings
from sightgag.subjects import Subject
from sightgag.weights.memory import free_cuda_cache, out_of_memory_advice

if TYPE_CHECKING:
    from diffusers import FluxKontextPipeline

REPOS = {"dev": "black-forest-labs/FLUX.1-Kontext-dev"}
DEFAULT_MODEL = "dev"

# FLUX.1 Kontext [dev]'s recommended sampling (its model card and diffusers' example).
DEFAULT_STEPS = 28
DEFAULT_GUIDANCE = 2.5
MAX_SEQUENCE_LENGTH = 512

# The shapes Kontext was trained at (width, height), all about one megapixel; diffusers' own list.
PREFERRED_SHAPES = [
    (672, 1568), (688, 1504), (720, 1456), (752, 1392), (800, 1328), (832, 1248), (880, 1184), (944, 1104),
    (1024, 1024),
    (1104, 944), (1184, 880), (1248, 832), (1328, 800), (1392, 752), (1456, 720), (1504, 688), (1568, 672),
]  # fmt: skip
SIZE_MULTIPLE = 16
# The reference's pixel count: the preferred shapes' own, about one megapixel.
REFERENCE_AREA = 1024 * 1024


class KontextArtist:
    """Paints Concepts with FLUX.1 Kontext, each around its subject's photo; one image at a time."""

    def __init__(
        self,
        model: str | None,
        settings: Settings,
        *,
        steps: int | None = None,
        guidance: float | None = None,
        max_area: int | None = None,
        reference_area: int = REFERENCE_AREA,
    ):
        name = (model or DEFAULT_MODEL).strip()
        location = REPOS.get(name.lower(), name)
        if location.startswith(("/", ".", "~")) and not Path(location).expanduser().is_dir():
            raise UsageError(f"kontext:{name}: no such folder; pass a FLUX.1 Kontext folder saved by diffusers")
        try:
            ModelSource.parse(location)
        except UsageError:
            raise UsageError(
                f"kontext:{name} is not a model: use kontext:dev, a Hugging Face repo id (org/name) "
                "or kontext:/path/to/folder saved by diffusers"
            ) from None
        if steps is not None and steps < 1:
            raise UsageError(f"steps={steps}: Kontext needs at least 1 step")
        if max_area is not None and max_area < SIZE_MULTIPLE**2:
            raise UsageError(f"max_area={max_area} is too small: at least {SIZE_MULTIPLE**2} pixels")
        # The flux artist owns loading: Kontext's weights are a FLUX.1 pipeline with a different transformer.
        self.weights = FluxArtist(location, settings)
        self.settings = settings
        self.spec = f"kontext:{name}"
        self.steps = steps or DEFAULT_STEPS
        self.guidance = DEFAULT_GUIDANCE if guidance is None else guidance
        self.max_area = max_area
        if reference_area < SIZE_MULTIPLE**2:
            raise UsageError(f"reference_area={reference_area} is too small: at least {SIZE_MULTIPLE**2} pixels")
        self.reference_area = reference_area

    def pipeline(self) -> FluxKontextPipeline:
        """A FluxKontextPipeline over the shared, loaded modules (loading them on first use).

        Made afresh each time (it only names the modules), so that holding it never keeps an evicted
        pipeline's weights alive (see the flux artist's least-recently-used pipelines).
        """
        from diffusers import FluxKontextPipeline

        pipe = FluxKontextPipeline(**self.weights.pipeline().components)
        pipe.set_progress_bar_config(disable=True)
        return pipe

    takes_reference_image = True  # paint(reference=...) carries a strip's first panel over to the others

    def check(self, width: int, height: int) -> None:
        """Refuse now what painting would refuse: a size Kontext cannot paint."""
        check_size(width, height)

    def paint(
        self,
        concepts: list[Concept],
        *,
        seeds: list[int],
        width: int,
        height: int,
        subjects: Sequence[Subject] = (),
        progress: Progress | None = None,
        reference: Image.Image | None = None,
    ) -> Painting:
        """Paint each concept once, image i from seeds[i], around its subject's photo where there is one.

        `reference` is the picture to paint the others from (a strip's first panel, so its characters
        carry over); a subject's photo still comes first.
        """
        import torch

        check_batch(concepts, seeds, width, height)
        area = width * height if self.max_area is None else min(width * height, self.max_area)
        pipe = self.pipeline()
        # A LoRA trigger word means something only with its LoRA loaded, and Kontext loads none.
        subjects = [subject.model_copy(update={"trigger": None}) for subject in subjects]
        total = self.steps * len(concepts)
        images, prompts, references, reference_sizes = [], [], [], []

        for index, (concept, seed) in enumerate(zip(concepts, seeds)):
            found = reference_subject(concept, subjects)
            if found:
                start = _load_reference(found[1].photos[0], self.reference_area)
                instruction = edit_instruction(*found)
            elif reference is not None:
                start = reference.convert("RGB").resize(
                    reference_shape(reference.size, self.reference_area), Image.Resampling.LANCZOS
                )
                instruction = CARRY_OVER
            else:
                start, instruction = None, ""
            prompt = self._prompt(pipe, concept, instruction, subjects)

            def report_step(pipe, step: int, timestep, tensors: dict, done: int = index * self.steps) -> dict:
                if progress is not None:
                    progress(done + step + 1, total)
                return tensors

            with PAINTING_LOCK:
                prepare_vae(pipe.vae, width, height)
                try:
                    result = pipe(
                        image=start,
                        prompt=prompt.clip,
                        prompt_2=prompt.t5,
                        width=width,
                        height=height,
                        max_area=area,
                        num_inference_steps=self.steps,
                        guidance_scale=self.guidance,
                        max_sequence_length=MAX_SEQUENCE_LENGTH,
                        generator=torch.Generator("cpu").manual_seed(seed),
                        callback_on_step_end=report_step,
                        # The reference is already at a preferred shape of the right size (see _load_reference).
                        _auto_resize=False,
                    )
                except torch.OutOfMemoryError:
                    free_cuda_cache()
                    advice = out_of_memory_advice(self.weights.plan, "painting with Kontext", size=(width, height))
                    raise SightgagError(advice) from None
            images.append(result.images[0])
            prompts.append(prompt)
            references.append(str(found[1].photos[0]) if found else ("given" if start is not None else None))
            reference_sizes.append(list(start.size) if start is not None else None)

        weights = self.weights
        details = {
            "model": self.spec.removeprefix("kontext:"),
            "model_id": weights.source.location,
            "snapshot": weights.snapshot,
            "steps": self.steps,
            "guidance": self.guidance,
            "max_sequence_length": MAX_SEQUENCE_LENGTH,
            "max_area": area,
            "device": str(weights.device),
            "dtype": str(weights.dtype).removeprefix("torch."),
            "quantize": weights.plan.quantize,
            "memory_plan": weights.plan.name,
            "width": width,
            "height": height,
            "sizes": [list(image.size) for image in images],
            "seeds": list(seeds),
            "references": references,
            "reference_sizes": reference_sizes,
            "prompts": [
                {"t5": p.t5, "clip": p.clip, "t5_tokens": p.t5_tokens, "clip_tokens": p.clip_tokens} for p in prompts
            ],
        }
        return Painting(images=images, details=details)

    def _prompt(
        self,
        pipe: FluxKontextPipeline,
        concept: Concept,
        instruction: str,
        subjects: Sequence[Subject],
    ) -> FluxPrompt:
        """The scene prompts, fitted to both encoders; with a reference, the T5 one opens with the edit."""
        t5 = pipe.tokenizer_2
        # The instruction comes first and is never cut, so the scene gets what is left of T5's budget.
        reserved = len(t5(instruction, verbose=False)["input_ids"]) if instruction else 0
        scene = compile_prompt(
            concept,
            clip_tokenizer=pipe.tokenizer,
            t5_tokenizer=t5,
            t5_budget=MAX_SEQUENCE_LENGTH - reserved,
            subjects=subjects,
        )
        if not instruction:
            return scene
        text = f"{instruction} {scene.t5}"
        t5_tokens = len(t5(text, verbose=False)["input_ids"])
        return FluxPrompt(t5=text, clip=scene.clip, t5_tokens=t5_tokens, clip_tokens=scene.clip_tokens)


def edit_instruction(member: CastMember, subject: Subject) -> str:
    """What Kontext is to do with the photo: turn its subject into the cast member, keeping who it is.

    Kontext follows direct instructions best when they name what changes and what must stay.
    """
    kind = subject.kind or member.kind or "subject"
    part = "the hero" if member.role == "hero" else "a character"
    return (
        f"Turn this {kind} into {member.name}, {part} of the scene below, keeping its face, "
        f"markings and colours exactly as in the photo."
    )


def reference_shape(photo_size: tuple[int, int], area: int) -> tuple[int, int]:
    """(width, height): the Kontext-preferred shape nearest the photo's, scaled to `area` pixels, in multiples of 16."""
    width, height = photo_size
    aspect = width / height
    preferred_width, preferred_height = min(PREFERRED_SHAPES, key=lambda shape: abs(aspect - shape[0] / shape[1]))
    scale = math.sqrt(area / (preferred_width * preferred_height))

    def side(pixels: float) -> int:
        return max(SIZE_MULTIPLE, round(pixels * scale / SIZE_MULTIPLE) * SIZE_MULTIPLE)

    return side(preferred_width), side(preferred_height)


def _load_reference(path: Path, area: int) -> Image.Image:
    try:
        with Image.open(path) as opened:
            photo = opened.convert("RGB")
    except FileNotFoundError:
        raise UsageError(f"the subject photo {path} is missing: re-add the subject's photos") from None
    except (OSError, UnidentifiedImageError) as error:
        raise UsageError(f"cannot read the subject photo {path} ({error}): re-add the subject's photos") from None
    return photo.resize(reference_shape(photo.size, area), Image.Resampling.LANCZOS)
