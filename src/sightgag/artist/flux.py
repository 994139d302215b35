"""The local FLUX.1 artist: diffusers' FluxPipeline on this machine's GPU, Apple GPU or CPU.

    artist = FluxArtist("schnell", Settings())
    painting = artist.paint(concepts, seeds=[7, 8], width=1024, height=768)

The model (MODEL in `flux:MODEL`) is a preset (`schnell`, `dev`), a Hugging Face repo id (`org/name`)
or a folder saved by diffusers (`flux:/path/to/folder`); its steps, guidance and T5 length follow
what the transformer is (guidance-distilled: dev's), not its name (see sightgag.weights.source). A repo
found in the local Hugging Face cache loads with no network at all; one that is not there is
downloaded, and a Hub that cannot be reached fails within seconds with what to do.

Loading (sightgag.weights): the device and dtype are chosen automatically (CUDA bfloat16 where the
card has it, else float16; Apple MPS bfloat16 or float16; CPU float32, refused up front if the RAM
cannot hold it), and on CUDA a memory plan is chosen from the free memory (all on the GPU, NF4,
model, group or sequential offload; SIGHTGAG_QUANTIZE and SIGHTGAG_OFFLOAD choose by hand).
Running out of GPU memory, while loading or painting, is a one-line error that names the next plan.

Pipelines are shared by every artist in the process and kept loaded least-recently-used first:
SIGHTGAG_KEEP_PIPELINES (default 1) of them, so that asking for flux:dev after kontext:dev does not
hold both on the GPU. A newly loaded pipeline takes over the text encoders and VAE of the one it
evicts when their files are the same (FLUX.1 dev and Kontext dev ship identical ones).

The VAE always decodes a batch image by image (slicing), and in tiles above TILING_PIXELS.
With SIGHTGAG_COMPILE=1 the transformer's repeated blocks are compiled once, with dynamic shapes, so
other sizes and batch sizes do not recompile; calls that apply LoRAs run those blocks uncompiled
(loading adapters changes the modules, and each new mix would otherwise recompile until torch's
recompile limit fails the render).

Subjects with a LoRA (`sightgag train NAME`) who are cast in a concept have it loaded for the images
of that concept, several at once with weights by the part each plays, and unloaded afterwards:
images whose concepts cast different LoRA subjects are painted in separate pipeline calls, so one
user's subject never reaches another's picture. `details["loras"]` records what applied to which image.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from sightgag.artist.base import Painting, Progress
from sightgag.artist.prompt import compile_prompt
from sightgag.concept import Concept
from sightgag.errors import SightgagError, UsageError, first_line
from sightgag.settings import Settings
from sightgag.subjects import Subject
from sightgag.weights.device import (
    FLUX_PARAMETERS,
    check_cpu_memory,
    check_quantize,
    parameter_count,
    pick_device,
    pick_dtype,
    quantization_config,
)
from sightgag.weights.memory import (
    MemoryPlan,
    choose_plan,
    free_cuda_cache,
    gpu_memory,
    out_of_memory_advice,
    requested_offload,
)
from sightgag.weights.source import (
    DEFAULT_PRESET,
    PRESETS,
    WEIGHTED_COMPONENTS,
    FluxPreset,
    ModelSource,
    has_cached_weights,
    is_gated,
    local_folder,
    pipeline_problem,
    preset_for_guidance,
    same_files,
    snapshot,
    weights_are_local,
)

if TYPE_CHECKING:  # torch and diffusers take seconds to import: only painting pays for them
    import torch
    from diffusers import FluxPipeline

__all__ = [
    "DEFAULT_PRESET", "PRESETS", "FluxArtist", "FluxPreset", "ModelSource", "check_batch", "check_size",
    "has_cached_weights", "pipeline_problem",
]  # fmt: skip

log = logging.getLogger("sightgag.artist")

SIZE_MULTIPLE = 16  # the VAE downsamples 8x and the transformer packs 2x2 latent patches
# Above this many pixels an image is decoded in tiles: one 2048² decode alone needs many GB.
TILING_PIXELS = 1_500_000
# torch.compile's backend and the devices it is used on; tests compile on the CPU with "eager".
COMPILE_BACKEND = "inductor"
COMPILE_DEVICES = ("cuda",)
# What a new pipeline may take over from the one it evicts when the files are the same.
SHAREABLE_COMPONENTS = ("text_encoder", "tokenizer", "text_encoder_2", "tokenizer_2", "vae")


def check_batch(concepts: list[Concept], seeds: list[int], width: int, height: int) -> None:
    """What every Flux pipeline call needs: a size it can paint, and one seed per concept."""
    check_size(width, height)
    if not concepts:
        raise UsageError("nothing to paint: pass at least one concept")
    if len(seeds) != len(concepts):
        raise ValueError(f"{len(concepts)} concepts need {len(concepts)} seeds, not {len(seeds)}")


def check_size(width: int, height: int) -> None:
    if width <= 0 or height <= 0 or width % SIZE_MULTIPLE or height % SIZE_MULTIPLE:
        raise UsageError(
            f"size {width}x{height} does not suit Flux: width and height must be positive multiples of "
            f"{SIZE_MULTIPLE}, e.g. 1024x768"
        )


def prepare_vae(vae, width: int, height: int) -> bool:
    """Decode image by image always, and in tiles above TILING_PIXELS; True if tiled."""
    vae.enable_slicing()
    tiled = width * height > TILING_PIXELS
    if tiled:
        vae.enable_tiling()
    else:
        vae.disable_tiling()  # the pipeline is shared: a big picture before must not tile this one
    return tiled


@dataclass
class LoadedPipeline:
    """A pipeline in memory, with the plan it was loaded by and where its weights came from."""

    pipe: FluxPipeline
    plan: MemoryPlan
    location: str
    snapshot: str | None  # which exact weights (see sightgag.weights.source.snapshot)


# Loaded pipelines by (weights, device, dtype, quantization, offload, compile), least recently used first.
_PIPELINES: OrderedDict[tuple, LoadedPipeline] = OrderedDict()
_LOADING = threading.Lock()
# A pipeline's scheduler keeps per-call state, so one render at a time, for every local Flux pipeline.
PAINTING_LOCK = threading.Lock()


class FluxArtist:
    """Paints Concepts with FLUX.1 through diffusers, all concepts in one batch per set of LoRAs."""

    def __init__(self, model: str | None, settings: Settings, *, steps: int | None = None):
        self.source = ModelSource.parse(model)
        self.settings = settings
        self.spec = f"flux:{self.source.spec}"
        if steps is not None and steps < 1:
            raise UsageError(f"steps={steps}: Flux needs at least 1 step")
        self._steps_given = steps
        self.device = pick_device(settings)
        self.dtype, self.dtype_note = pick_dtype(self.device, settings)
        if self.dtype_note:
            log.warning("flux: %s", self.dtype_note)
        self.quantize = check_quantize(settings.quantize, self.device)
        offload = requested_offload(settings)
        # Offload and compile only mean something on CUDA; elsewhere they are ignored.
        self.offload = offload if self.device.type == "cuda" else None
        self.compile = settings.compile and self.device.type in COMPILE_DEVICES
        self.plan: MemoryPlan | None = None  # settled when the weights are loaded
        self.snapshot: str | None = None  # likewise

    # The sampling follows the preset, which loading may correct (see _settle_preset).
    @property
    def steps(self) -> int:
        return self._steps_given or self.source.preset.steps

    @property
    def guidance(self) -> float:
        return self.source.preset.guidance

    @property
    def max_sequence_length(self) -> int:
        return self.source.preset.max_sequence_length

    def pipeline(self) -> FluxPipeline:
        """The loaded FluxPipeline, loading it on first use; artists with the same setup share one."""
        return self._loaded().pipe

    def _loaded(self) -> LoadedPipeline:
        key = (self.source.location, str(self.device), str(self.dtype), self.quantize, self.offload, self.compile)
        with _LOADING:
            loaded = _PIPELINES.get(key)
            if loaded is None:
                loaded = self._load(key)
                _PIPELINES[key] = loaded
            _PIPELINES.move_to_end(key)
        self.plan, self.snapshot = loaded.plan, loaded.snapshot
        self._settle_preset(loaded.pipe)
        return loaded

    def _settle_preset(self, pipe: FluxPipeline) -> None:
        # A repo that was not downloaded yet had its preset guessed from its name; now the transformer says.
        if self.source.preset_from == "config":
            return
        actual = preset_for_guidance(bool(pipe.transformer.config.get("guidance_embeds", False)))
        self.source = replace(self.source, preset=actual, preset_from="config")

    def check(self, width: int, height: int) -> None:
        """Refuse now what painting would refuse: a size Flux cannot paint."""
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
    ) -> Painting:
        """Paint each concept once, image i from seeds[i]: one pipeline call per set of LoRAs the concepts need."""
        import torch

        check_batch(concepts, seeds, width, height)
        pipe = self.pipeline()
        prompts = [
            compile_prompt(
                concept,
                clip_tokenizer=pipe.tokenizer,
                t5_tokenizer=pipe.tokenizer_2,
                t5_budget=self.max_sequence_length,
                subjects=subjects,
            )
            for concept in concepts
        ]
        groups = lora_groups(concepts, subjects)
        # CPU generators draw the same noise on every device; the pictures match only on the same device,
        # dtype and batch (see docs/gpu.md, "Reproducibility").
        generators = [torch.Generator("cpu").manual_seed(image_seed) for image_seed in seeds]
        total = self.steps * len(groups)
        images: list = [None] * len(concepts)

        with PAINTING_LOCK:
            tiled = prepare_vae(pipe.vae, width, height)
            for number, (indices, loras) in enumerate(groups):
                denoised = [False]

                def report_step(pipe, step: int, timestep, tensors: dict, done: int = number * self.steps) -> dict:
                    denoised[0] = step + 1 == self.steps
                    if progress is not None:
                        progress(done + step + 1, total)
                    return tensors

                try:
                    apply_loras(pipe, loras)
                    with self._compiled_unless(loras):
                        result = pipe(
                            prompt=[prompts[index].clip for index in indices],
                            prompt_2=[prompts[index].t5 for index in indices],
                            width=width,
                            height=height,
                            num_inference_steps=self.steps,
                            guidance_scale=self.guidance,
                            max_sequence_length=self.max_sequence_length,
                            generator=[generators[index] for index in indices],
                            callback_on_step_end=report_step,
                        )
                except torch.OutOfMemoryError:
                    free_cuda_cache()
                    stage = "decoding the images" if denoised[0] else "painting"
                    advice = out_of_memory_advice(self.plan, stage, images=len(indices), size=(width, height))
                    raise SightgagError(advice) from None
                finally:
                    if loras:
                        # The pipeline is shared: the next call, with these subjects or without, starts from the base.
                        pipe.unload_lora_weights()
                for index, image in zip(indices, result.images):
                    images[index] = image

        details = {
            "model": self.source.spec,
            "model_id": self.source.location,
            "snapshot": self.snapshot,
            "preset": self.source.preset.name,
            "steps": self.steps,
            "guidance": self.guidance,
            "max_sequence_length": self.max_sequence_length,
            "device": str(self.device),
            "dtype": str(self.dtype).removeprefix("torch."),
            **({"dtype_note": self.dtype_note} if self.dtype_note else {}),
            "quantize": self.plan.quantize,
            "memory_plan": self.plan.name,
            "vae_tiling": tiled,
            "pipeline_calls": len(groups),
            "width": width,
            "height": height,
            "seeds": seeds,
            "prompts": [
                {"t5": p.t5, "clip": p.clip, "t5_tokens": p.t5_tokens, "clip_tokens": p.clip_tokens} for p in prompts
            ],
            "loras": [
                {
                    "subject": lora.subject,
                    "path": str(lora.path),
                    "trigger": lora.trigger,
                    "weight": lora.weight,
                    "trained_on": lora.base,
                    "images": indices,
                }
                for indices, loras in groups
                for lora in loras
            ],
        }
        return Painting(images=images, details=details)

    def _compiled_unless(self, loras: Sequence[SubjectLora]):
        """Run the compiled blocks, or eagerly while LoRAs are loaded (their modules would recompile per mix)."""
        import torch

        if self.compile and loras:
            return torch.compiler.set_stance("force_eager")
        return contextlib.nullcontext()

    # -- loading ----------------------------------------------------------------------------------

    def _load(self, key: tuple) -> LoadedPipeline:
        import torch
        from diffusers import FluxPipeline

        local_only = weights_are_local(self.source)
        if self.device.type == "cpu":
            folder = local_folder(self.source.location)
            parameters = parameter_count(folder, WEIGHTED_COMPONENTS) if folder else FLUX_PARAMETERS
            check_cpu_memory(parameters, self.dtype)
        shared, plan = _make_room(key, self.source, self.settings.keep_pipelines)
        if plan is None:
            free, total = gpu_memory(self.device)
            plan = choose_plan(
                free=free,
                total=total,
                device=self.device,
                quantize=self.quantize,
                offload=self.offload,
                can_quantize=_has_bitsandbytes(),
            )
        log.info("flux: %s", plan.message)
        options = {"dtype": self.dtype, **shared}
        if plan.quantize:
            options["quantization_config"] = quantization_config(plan.quantize, self.dtype)
        pipe = None
        try:
            pipe = FluxPipeline.from_pretrained(self.source.location, local_files_only=local_only, **options)
            _place(pipe, plan, self.device)
        except torch.OutOfMemoryError:
            del pipe, shared
            free_cuda_cache()
            raise SightgagError(out_of_memory_advice(plan, "loading")) from None
        except Exception as error:  # diffusers reports bad folders and failed downloads many ways
            hint = "; if it is gated, accept its licence on the Hub and run `hf auth login`" if is_gated(error) else ""
            raise SightgagError(
                f"could not load FLUX.1 from {self.source.location}: {first_line(error)}{hint}"
            ) from error
        # Painting needs no gradients; and loading a LoRA freezes the base weights it wraps, which would
        # otherwise differ after unloading from what compiled code was guarded on, and recompile.
        pipe.transformer.requires_grad_(False)
        if self.compile and plan.offload in (None, "model"):
            _compile(pipe, plan)
        # Progress goes to the caller's `progress`, not to a tqdm bar on stderr.
        pipe.set_progress_bar_config(disable=True)
        return LoadedPipeline(pipe, plan, self.source.location, snapshot(self.source))


def _make_room(key: tuple, source: ModelSource, keep: int) -> tuple[dict, MemoryPlan | None]:
    """Evict the least recently used pipelines until one more fits in `keep`.

    Returns what the new pipeline may take over from an evicted one set up the same way (modules whose
    files are the same), and that pipeline's memory plan, which then still holds; ({}, None) otherwise.
    """
    shared: dict = {}
    plan = None
    while len(_PIPELINES) >= keep:
        old_key, old = _PIPELINES.popitem(last=False)
        if not shared and old_key[1:] == key[1:] and old.plan.offload in (None, "model"):
            shared = _shareable(old, source)
            plan = old.plan if shared else None
        del old
    free_cuda_cache()  # the evicted weights go back to the GPU before the free memory is measured
    return shared, plan


def _shareable(old: LoadedPipeline, source: ModelSource) -> dict:
    mine, theirs = local_folder(source.location), local_folder(old.location)
    if mine is None or theirs is None:
        return {}
    return {
        name: old.pipe.components[name] for name in SHAREABLE_COMPONENTS if same_files(mine, theirs, name)
    }


def _place(pipe: FluxPipeline, plan: MemoryPlan, device: torch.device) -> None:
    if plan.offload == "model":
        pipe.enable_model_cpu_offload(device=device)
    elif plan.offload == "group":
        # Leaf level with CUDA streams: the next layers load while the current ones run.
        pipe.enable_group_offload(onload_device=device, offload_type="leaf_level", use_stream=True)
    elif plan.offload == "sequential":
        pipe.enable_sequential_cpu_offload(device=device)
    else:
        pipe.to(device)


def _compile(pipe: FluxPipeline, plan: MemoryPlan) -> None:
    import torch

    if plan.quantize:
        # bitsandbytes' 4-bit kernels return tensors whose shapes depend on data (diffusers' speed guide).
        torch._dynamo.config.capture_dynamic_output_shape_ops = True
    # Dynamic shapes from the start: each new size or batch size would otherwise be a recompile.
    pipe.transformer.compile_repeated_blocks(fullgraph=True, dynamic=True, backend=COMPILE_BACKEND)


def _has_bitsandbytes() -> bool:
    import importlib.util

    return importlib.util.find_spec("bitsandbytes") is not None


def unload_all() -> None:
    """Drop every loaded pipeline (tests, and a server that is shutting down)."""
    with _LOADING:
        _PIPELINES.clear()
    free_cuda_cache()


# How strongly each subject's LoRA applies when several are loaded, by the biggest part its subject plays.
# LoRAs trained on the same attention layers interfere when stacked; the hero's likeness matters most.
LORA_WEIGHTS = {"hero": 1.0, "foil": 0.8, "extra": 0.6}


@dataclass(frozen=True)
class SubjectLora:
    """A subject's LoRA file, as one paint call applies it."""

    subject: str
    path: Path
    trigger: str | None
    weight: float
    adapter: str  # its name in the pipeline while it is loaded
    base: str | None = None  # the weights it was trained on, when the subject records them


def subject_loras(concepts: Sequence[Concept], subjects: Sequence[Subject]) -> list[SubjectLora]:
    """The LoRAs of the subjects cast in `concepts` (by name or alias), weighted by the part each plays."""
    by_name: dict[str, Subject] = {}
    for subject in subjects:
        for name in (subject.name, *subject.aliases):
            by_name.setdefault(name.casefold(), subject)
    cast: dict[str, tuple[Subject, float]] = {}
    for concept in concepts:
        for member in concept.cast:
            subject = by_name.get((member.subject or "").casefold())
            if subject is None or subject.lora is None:
                continue
            weight = LORA_WEIGHTS[member.role]
            if subject.name not in cast or cast[subject.name][1] < weight:
                cast[subject.name] = (subject, weight)
    loras = []
    for index, (subject, weight) in enumerate(cast.values()):
        path = Path(subject.lora)
        if not path.is_file():
            raise UsageError(f"{subject.name}'s LoRA {path} is missing: run `sightgag train {subject.name}` again")
        # A LoRA alone applies in full; weights only share out the effect between several.
        weight = weight if len(cast) > 1 else 1.0
        loras.append(
            SubjectLora(subject.name, path, subject.trigger, weight, adapter=f"subject_{index}", base=subject.lora_base)
        )
    return loras


def apply_loras(pipe: FluxPipeline, loras: Sequence[SubjectLora]) -> None:
    """Load `loras` into `pipe` as named adapters, active together at their weights; the caller unloads them."""
    if not loras:
        return
    for lora in loras:
        try:
            pipe.load_lora_weights(str(lora.path.parent), weight_name=lora.path.name, adapter_name=lora.adapter)
        except (OSError, ValueError, RuntimeError, KeyError) as error:
            trained_on = f"it was trained on {lora.base}" if lora.base else "it may be for another base model"
            raise SightgagError(
                f"could not apply {lora.subject}'s LoRA {lora.path} ({first_line(error)}): {trained_on}; "
                f"train it again with `sightgag train {lora.subject} --base flux:MODEL`"
            ) from error
    pipe.set_adapters([lora.adapter for lora in loras], adapter_weights=[lora.weight for lora in loras])




def lora_groups(concepts: Sequence[Concept], subjects: Sequence[Subject]) -> list[tuple[list[int], list[SubjectLora]]]:
    """The concepts that can share a pipeline call, by index, each group with the LoRAs its concepts cast.

    LoRAs apply to a whole call, so concepts casting different LoRA subjects (two users' jobs in one
    server batch, or one gag's variants) are painted apart; concepts with the same LoRAs, or none, together.
    """
    groups: dict[tuple, tuple[list[int], list[SubjectLora]]] = {}
    for index, concept in enumerate(concepts):
        loras = subject_loras([concept], subjects)
        key = tuple((lora.subject, lora.weight) for lora in loras)
        groups.setdefault(key, ([], loras))[0].append(index)
    return list(groups.values())
