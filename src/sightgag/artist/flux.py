"""The local FLUX.1 artist: diffusers' FluxPipeline on this machine's GPU, Apple GPU or CPU.

    artist = FluxArtist("schnell", Settings())
    painting = artist.paint(concepts, seeds=[7, 8], width=1024, height=768)

The model (MODEL in `flux:MODEL`) is a preset (`schnell`, `dev`), a Hugging Face repo id (`org/name`)
or a folder saved by diffusers (`flux:/path/to/folder`). A repo found in the local Hugging Face cache
loads with no network at all; one that is not there is downloaded, and a Hub that cannot be reached
fails within seconds with what to do. The pipeline is loaded once per process and shared.

Settings, each harmless where it does not apply:
- device, dtype: chosen automatically (CUDA bfloat16, Apple MPS bfloat16 or float16, CPU float32).
- cpu_offload: model CPU offload, CUDA only (less VRAM, slower).
- compile: torch.compile of the transformer's repeated blocks, CUDA only.
- quantize: 'nf4' or 'int8' via bitsandbytes, CUDA only (asking for it elsewhere is an error).

Subjects with a LoRA (`sightgag train NAME`) who are cast in the concepts have it loaded for that one
call, several at once with weights by the part each plays, and unloaded afterwards, so the shared
pipeline is back to its base weights for the next call; `details["loras"]` records what was applied.
"""

from __future__ import annotations

import importlib.util
import json
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from huggingface_hub import HfApi, constants, try_to_load_from_cache
from huggingface_hub.errors import GatedRepoError, RepositoryNotFoundError

from sightgag.artist.base import Painting, Progress
from sightgag.artist.prompt import compile_prompt
from sightgag.concept import Concept
from sightgag.errors import SightgagError, UsageError, first_line
from sightgag.settings import Settings
from sightgag.subjects import Subject

if TYPE_CHECKING:  # torch and diffusers take seconds to import: only painting pays for them
    import torch
    from diffusers import FluxPipeline


@dataclass(frozen=True)
class FluxPreset:
    name: str
    repo: str
    steps: int
    guidance: float
    max_sequence_length: int  # T5 tokens the model was trained with


PRESETS = {
    preset.name: preset
    for preset in [
        FluxPreset("schnell", "black-forest-labs/FLUX.1-schnell", steps=4, guidance=0.0, max_sequence_length=256),
        FluxPreset("dev", "black-forest-labs/FLUX.1-dev", steps=28, guidance=3.5, max_sequence_length=512),
    ]
}
DEFAULT_PRESET = "schnell"

# What FluxPipeline.from_pretrained needs in model_index.json, each in a subfolder of that name.
PIPELINE_COMPONENTS = ("scheduler", "vae", "text_encoder", "tokenizer", "text_encoder_2", "tokenizer_2", "transformer")
WEIGHTED_COMPONENTS = ("vae", "text_encoder", "text_encoder_2", "transformer")

HUB_PROBE_SECONDS = 10.0
SIZE_MULTIPLE = 16  # the VAE downsamples 8x and the transformer packs 2x2 latent patches

_REPO_ID = re.compile(r"[\w.-]+/[\w.-]+")


@dataclass(frozen=True)
class ModelSource:
    """Where the weights are (a Hub repo id or a local folder) and the preset they run with."""

    spec: str  # as the user wrote it after 'flux:'
    location: str  # the repo id, or the folder's absolute path
    is_folder: bool
    preset: FluxPreset

    @classmethod
    def parse(cls, model: str | None) -> ModelSource:
        text = (model or DEFAULT_PRESET).strip()
        if text.lower() in PRESETS:
            preset = PRESETS[text.lower()]
            return cls(preset.name, preset.repo, False, preset)
        path = Path(text).expanduser()
        if path.is_dir() or text.startswith(("/", ".", "~")):
            if not path.is_dir():
                raise UsageError(f"flux:{text}: no such folder; pass a folder saved by diffusers")
            return cls(text, str(path.resolve()), True, _preset_for(path.name))
        if _REPO_ID.fullmatch(text):
            return cls(text, text, False, _preset_for(text.split("/")[1]))
        raise UsageError(
            f"flux:{text} is not a model: use a preset ({', '.join(PRESETS)}), a Hugging Face repo id (org/name) "
            "or flux:/path/to/folder"
        )


def _preset_for(name: str) -> FluxPreset:
    # A fine-tune keeps its base model's sampling: repos and folders say which in their name.
    return PRESETS["dev"] if "dev" in name.lower() else PRESETS["schnell"]


def has_cached_weights(preset_or_repo: str) -> bool:
    """True if the model can load without the network: a complete pipeline in the Hugging Face cache (or folder)."""
    try:
        source = ModelSource.parse(preset_or_repo)
    except UsageError:
        return False
    if source.is_folder:
        return pipeline_problem(Path(source.location)) is None
    model_index = try_to_load_from_cache(source.location, "model_index.json")
    if not isinstance(model_index, str):  # None, or a cached note that the file does not exist
        return False
    return pipeline_problem(Path(model_index).parent) is None


def pipeline_problem(folder: Path) -> str | None:
    """Why `folder` is not a complete FLUX.1 pipeline saved by diffusers, or None if it is one."""
    index = folder / "model_index.json"
    if not index.is_file():
        return "it has no model_index.json"
    try:
        components = json.loads(index.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "its model_index.json is unreadable"
    for name in PIPELINE_COMPONENTS:
        entry = components.get(name)
        if not entry or entry[0] is None:
            return f"its model_index.json names no {name}"
        if not (folder / name).is_dir():
            return f"its {name} folder is missing"
    if components["transformer"][1] != "FluxTransformer2DModel":
        return f"its transformer is a {components['transformer'][1]}, not a FluxTransformer2DModel"
    for name in WEIGHTED_COMPONENTS:
        if not _has_weights(folder / name):
            return f"its {name} weights are missing or incomplete"
    return None


def _has_weights(folder: Path) -> bool:
    for shard_index in folder.glob("*.index.json"):
        try:
            shards = set(json.loads(shard_index.read_text(encoding="utf-8"))["weight_map"].values())
        except (OSError, ValueError, KeyError):
            return False
        if not all((folder / shard).is_file() for shard in shards):
            return False
    return any(folder.glob("*.safetensors")) or any(folder.glob("*.bin"))


def pick_device(settings: Settings) -> torch.device:
    import torch

    if settings.device:
        try:
            device = torch.device(settings.device)
        except RuntimeError as error:
            raise UsageError(f"SIGHTGAG_DEVICE={settings.device!r} is not a device: use cuda, mps or cpu") from error
        if device.type == "cuda" and not torch.cuda.is_available():
            raise UsageError("SIGHTGAG_DEVICE=cuda but torch sees no CUDA GPU: unset it to choose automatically")
        if device.type == "mps" and not torch.backends.mps.is_available():
            raise UsageError("SIGHTGAG_DEVICE=mps but torch sees no Apple GPU: unset it to choose automatically")
        return device
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def pick_dtype(device: torch.device, settings: Settings) -> torch.dtype:
    import torch

    names = {
        "bfloat16": torch.bfloat16, "bf16": torch.bfloat16,
        "float16": torch.float16, "fp16": torch.float16, "half": torch.float16,
        "float32": torch.float32, "fp32": torch.float32, "float": torch.float32,
    }  # fmt: skip
    if settings.dtype:
        if settings.dtype.lower() not in names:
            raise UsageError(f"SIGHTGAG_DTYPE={settings.dtype!r} is not known: use bfloat16, float16 or float32")
        return names[settings.dtype.lower()]
    if device.type == "cuda":
        return torch.bfloat16
    if device.type == "mps":
        return torch.bfloat16 if _mps_has_bfloat16() else torch.float16
    # Half precision on a CPU is slow, and some of its kernels are missing.
    return torch.float32


def _mps_has_bfloat16() -> bool:
    import torch

    try:  # older macOS versions have no bfloat16 kernels on the GPU
        torch.ones(1, dtype=torch.bfloat16, device="mps")
    except (RuntimeError, TypeError):
        return False
    return True


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


def _check_quantize(quantize: str | None, device: torch.device) -> str | None:
    if not quantize:
        return None
    quantize = quantize.lower()
    if quantize not in ("nf4", "int8"):
        raise UsageError(f"SIGHTGAG_QUANTIZE={quantize!r} is not known: use nf4 or int8, or unset it")
    if device.type != "cuda":
        raise UsageError(f"SIGHTGAG_QUANTIZE={quantize} needs a CUDA GPU (bitsandbytes): unset it on {device.type}")
    if importlib.util.find_spec("bitsandbytes") is None:
        raise UsageError(f"SIGHTGAG_QUANTIZE={quantize} needs bitsandbytes: pip install bitsandbytes, or unset it")
    return quantize


# One pipeline per (weights, device, dtype, quantization, offload, compile), shared by every artist.
_PIPELINES: dict[tuple, FluxPipeline] = {}
_LOADING = threading.Lock()
# A pipeline's scheduler keeps per-call state, so one render at a time, for every local Flux pipeline.
PAINTING_LOCK = threading.Lock()


class FluxArtist:
    """Paints Concepts with FLUX.1 through diffusers, all concepts in one batch."""

    def __init__(self, model: str | None, settings: Settings, *, steps: int | None = None):
        self.source = ModelSource.parse(model)
        self.settings = settings
        self.spec = f"flux:{self.source.spec}"
        preset = self.source.preset
        if steps is not None and steps < 1:
            raise UsageError(f"steps={steps}: Flux needs at least 1 step")
        self.steps = steps or preset.steps
        self.guidance = preset.guidance
        self.max_sequence_length = preset.max_sequence_length
        self.device = pick_device(settings)
        self.dtype = pick_dtype(self.device, settings)
        self.quantize = _check_quantize(settings.quantize, self.device)
        # Offload and compile only mean something on CUDA; elsewhere they are ignored.
        self.cpu_offload = settings.cpu_offload and self.device.type == "cuda"
        self.compile = settings.compile and self.device.type == "cuda"

    def pipeline(self) -> FluxPipeline:
        """The loaded FluxPipeline, loading it on first use; artists with the same setup share one."""
        key = (self.source.location, str(self.device), str(self.dtype), self.quantize, self.cpu_offload, self.compile)
        with _LOADING:
            if key not in _PIPELINES:
                _PIPELINES[key] = self._load()
            return _PIPELINES[key]

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
        """Paint each concept once, in one batch; image i is drawn from seeds[i]."""
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
        loras = subject_loras(concepts, subjects)
        # CPU generators draw the same noise whatever the device, so a seed means the same picture anywhere.
        generators = [torch.Generator("cpu").manual_seed(image_seed) for image_seed in seeds]

        def report_step(pipe, step: int, timestep, tensors: dict) -> dict:
            if progress is not None:
                progress(step + 1, self.steps)
            return tensors

        with PAINTING_LOCK:
            try:
                apply_loras(pipe, loras)
                result = pipe(
                    prompt=[prompt.clip for prompt in prompts],
                    prompt_2=[prompt.t5 for prompt in prompts],
                    width=width,
                    height=height,
                    num_inference_steps=self.steps,
                    guidance_scale=self.guidance,
                    max_sequence_length=self.max_sequence_length,
                    generator=generators,
                    callback_on_step_end=report_step,
                )
            except torch.cuda.OutOfMemoryError as error:
                raise SightgagError(
                    "out of GPU memory while painting: set SIGHTGAG_CPU_OFFLOAD=1 or SIGHTGAG_QUANTIZE=nf4, "
                    "or paint fewer or smaller images"
                ) from error
            finally:
                if loras:
                    # The pipeline is shared: the next call, with these subjects or without, starts from the base.
                    pipe.unload_lora_weights()

        details = {
            "model": self.source.spec,
            "model_id": self.source.location,
            "preset": self.source.preset.name,
            "steps": self.steps,
            "guidance": self.guidance,
            "max_sequence_length": self.max_sequence_length,
            "device": str(self.device),
            "dtype": str(self.dtype).removeprefix("torch."),
            "quantize": self.quantize,
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
                }
                for lora in loras
            ],
        }
        return Painting(images=list(result.images), details=details)

    def _load(self) -> FluxPipeline:
        from diffusers import FluxPipeline

        local_only = self._weights_are_local()
        options = {"dtype": self.dtype}
        if self.quantize:
            options["quantization_config"] = quantization_config(self.quantize, self.dtype)
        try:
            pipe = FluxPipeline.from_pretrained(self.source.location, local_files_only=local_only, **options)
        except Exception as error:  # diffusers reports bad folders and failed downloads many ways
            hint = "; if it is gated, accept its licence on the Hub and run `hf auth login`" if _is_gated(error) else ""
            raise SightgagError(
                f"could not load FLUX.1 from {self.source.location}: {first_line(error)}{hint}"
            ) from error
        if self.cpu_offload:
            pipe.enable_model_cpu_offload(device=self.device)
        else:
            pipe.to(self.device)
        if self.compile:
            pipe.transformer.compile_repeated_blocks(fullgraph=True)
        # Progress goes to the caller's `progress`, not to a tqdm bar on stderr.
        pipe.set_progress_bar_config(disable=True)
        return pipe

    def _weights_are_local(self) -> bool:
        """True if the weights load from disk; False if the Hub is reachable to download them; else an error."""
        location = self.source.location
        if self.source.is_folder:
            problem = pipeline_problem(Path(location))
            if problem:
                raise UsageError(
                    f"{location} is not a FLUX.1 pipeline folder ({problem}): pass a folder saved by diffusers, "
                    f"e.g. `hf download {PRESETS[DEFAULT_PRESET].repo} --local-dir FOLDER`"
                )
            return True
        if has_cached_weights(location):
            return True
        _check_hub_reachable(location)
        return False


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


def _check_hub_reachable(repo: str) -> None:
    """Return if the Hub answers for `repo` within seconds; raise a one-line error that says what to do if not."""
    unavailable = (
        f"{repo} is not in the local Hugging Face cache and the Hub cannot be reached ({{}}): on a connected "
        f"machine run `hf download {repo}` and copy the cache here, or pass flux:/path/to/folder"
    )
    if constants.HF_HUB_OFFLINE:
        raise SightgagError(unavailable.format("HF_HUB_OFFLINE is set"))
    outcome: dict[str, BaseException | None] = {}

    def probe() -> None:
        try:
            HfApi().model_info(repo, timeout=HUB_PROBE_SECONDS)
            outcome["error"] = None
        except Exception as error:  # any network failure means the same thing here
            outcome["error"] = error

    # A stuck DNS lookup ignores HTTP timeouts; a daemon thread bounds the wait whatever hangs.
    thread = threading.Thread(target=probe, name="flux-hub-probe", daemon=True)
    thread.start()
    thread.join(HUB_PROBE_SECONDS + 1)
    if "error" not in outcome:
        raise SightgagError(unavailable.format(f"no answer in {HUB_PROBE_SECONDS:.0f} s"))
    error = outcome["error"]
    if error is None or isinstance(error, GatedRepoError):
        return  # a gated repo is reachable: the download says what access it lacks
    if isinstance(error, RepositoryNotFoundError):
        raise UsageError(f"{repo} is not a model on the Hugging Face Hub (or is private): check the name")
    raise SightgagError(unavailable.format(first_line(error)))


def quantization_config(quantize: str, dtype: torch.dtype):
    from diffusers import PipelineQuantizationConfig

    if quantize == "nf4":
        backend = "bitsandbytes_4bit"
        options = {"load_in_4bit": True, "bnb_4bit_quant_type": "nf4", "bnb_4bit_compute_dtype": dtype}
    else:
        backend, options = "bitsandbytes_8bit", {"load_in_8bit": True}
    # The two big ones: the 12B transformer and the 4.7B T5 encoder.
    return PipelineQuantizationConfig(
        quant_backend=backend, quant_kwargs=options, components_to_quantize=["transformer", "text_encoder_2"]
    )


def _is_gated(error: BaseException) -> bool:
    while error is not None:
        if isinstance(error, GatedRepoError):
            return True
        error = error.__cause__ or error.__context__
    return False
