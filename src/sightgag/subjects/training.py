"""LoRA fine-tuning of FLUX.1 on a subject's photos: DreamBooth with diffusers and peft.

    result = train_lora("Mittens", SubjectLibrary(home), base="flux:dev", steps=500, settings=Settings())
    # Mittens now has a LoRA file and a trigger word; the flux artist applies it whenever she is cast.

This follows diffusers' examples/dreambooth/train_dreambooth_lora_flux.py, compacted:
- The photos (in aspect-ratio buckets) become VAE latents and the prompt "a photo of <trigger> <kind>"
  becomes text embeddings, both once, cached in the subject's folder (see lora_data.py).
- Only LoRA layers on the transformer's attention projections train. The transformer runs with
  gradient checkpointing, in bfloat16 on a GPU and float32 on a CPU; the LoRA weights stay float32. On a
  GPU without bfloat16 it runs in float16 with the loss scaled (torch.amp.GradScaler), as diffusers'
  examples do under mixed precision.
- The loss is flow matching: a timestep t is drawn, the latents are noised to x_t = (1 - σ_t) x + σ_t ε
  with the scheduler's σ_t, and the transformer's output is regressed on the velocity ε - x.
- Memory options, CUDA only (bitsandbytes): an NF4- or int8-quantized transformer (QLoRA) and 8-bit AdamW.
- Every `checkpoint_every` steps, and at the end, the LoRA weights, optimizer state, loss scale, random
  state, step and losses are written atomically to one file; `resume=True` continues from it exactly.

The result is a diffusers LoRA file (written by FluxPipeline.save_lora_weights, read by
load_lora_weights) stored with the subject, with its trigger word. In the subject's folder:
lora/pytorch_lora_weights.safetensors, lora/checkpoint.pt and lora/cache.pt.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from filelock import FileLock, Timeout

from sightgag.errors import SightgagError, UsageError, first_line
from sightgag.settings import Settings
from sightgag.spec import Spec
from sightgag.subjects.library import SubjectLibrary
from sightgag.subjects.subject import Subject
from sightgag.weights.device import bitsandbytes_config, check_bitsandbytes, pick_device, pick_dtype
from sightgag.weights.memory import free_cuda_cache
from sightgag.weights.source import ModelSource, weights_are_local

if TYPE_CHECKING:  # torch, diffusers and peft take seconds to import: only training pays for them
    import torch
    from diffusers import FluxTransformer2DModel

    from sightgag.subjects.lora_data import TrainingData

# dev, not schnell, even for painting with schnell: plain flow-matching training undoes schnell's 4-step
# distillation, and its LoRAs then paint blurry in 4 steps (diffusers issue 12120); a dev LoRA loads into schnell.
DEFAULT_BASE = "flux:dev"
DEFAULT_STEPS = 500
DEFAULT_RANK = 16
DEFAULT_LEARNING_RATE = 1e-4
DEFAULT_RESOLUTION = 512
DEFAULT_CHECKPOINT_EVERY = 100
MIN_RESOLUTION, MAX_RESOLUTION = 64, 2048

# diffusers' script defaults: LoRA on attention only, AdamW, clipped gradients, uniform timesteps.
TARGET_MODULES = ["to_k", "to_q", "to_v", "to_out.0"]
ADAM_BETAS, ADAM_WEIGHT_DECAY, ADAM_EPSILON = (0.9, 0.999), 1e-4, 1e-8
MAX_GRAD_NORM = 1.0
WEIGHTING_SCHEME = "none"
GUIDANCE = 1.0  # for guidance-distilled bases (dev), as diffusers' README trains them

LORA_FILE = "pytorch_lora_weights.safetensors"  # diffusers' default name: load_lora_weights(folder) finds it
CHECKPOINT_FILE = "checkpoint.pt"
LOCK_FILE = ".training.lock"
CACHE_FILE = "cache.pt"

# Called as progress(step, total, loss) after every step.
TrainProgress = Callable[[int, int, float], None]


@dataclass
class TrainResult:
    """What a training run left: the LoRA file, its trigger word, and the loss of every step."""

    lora_path: Path
    trigger: str
    losses: list[float] = field(default_factory=list)  # one per step from the first, resumed runs included
    steps_done: int = 0
    resumed_from: int = 0  # the step the run started at: 0, or the checkpoint's


@dataclass(frozen=True)
class TrainingPlan:
    """What a run trains: fixed once a checkpoint exists (learning rate and steps excepted)."""

    base: str  # the model's location: a repo id or an absolute folder
    rank: int
    resolution: int
    trigger: str
    optimizer: str  # "adamw" or "adamw8bit": their states do not load into each other
    learning_rate: float


def make_trigger(name: str) -> str:
    """A rare word that stands for the subject in prompts: its name's consonants and a short hash ('mttnsa6e')."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    consonants = re.sub(r"[^bcdfghjklmnpqrstvwxz]", "", ascii_name)[:5] or "sks"
    return consonants + hashlib.sha256(name.casefold().encode()).hexdigest()[:3]


def train_lora(
    subject: Subject | str,
    library: SubjectLibrary,
    *,
    base: str | None = None,
    steps: int | None = None,
    rank: int | None = None,
    learning_rate: float | None = None,
    resolution: int | None = None,
    resume: bool = False,
    quantize: str | None = None,
    adam8bit: bool = False,
    checkpoint_every: int = DEFAULT_CHECKPOINT_EVERY,
    seed: int = 0,
    settings: Settings,
    progress: TrainProgress | None = None,
) -> TrainResult:
    """Train (or, with `resume`, go on training) a LoRA of `subject` and store it with the subject.

    Options left at None take the checkpoint's values when resuming, else the defaults above.
    `steps` counts from the first step, so resuming a 200-step run with steps=500 trains 300 more.
    `quantize` ('nf4' or 'int8', default SIGHTGAG_QUANTIZE) and `adam8bit` need a CUDA GPU.
    """
    import torch

    subject = library.get(subject.name if isinstance(subject, Subject) else subject)
    if not subject.photos:
        raise UsageError(f"{subject.name} has no photos to train on: sightgag subjects add {subject.name} PHOTO...")
    folder = library.folder_of(subject) / "lora"
    # Two trainings of one subject would overwrite each other's checkpoints; the OS frees the lock if one dies.
    with _training_lock(folder, subject.name):
        checkpoint = _read_checkpoint(folder / CHECKPOINT_FILE) if resume else None
        if resume and checkpoint is None:
            raise UsageError(f"{subject.name} has no training checkpoint to resume: run without --resume")

        # Where the weights are, and the device and dtype, are settled exactly as the flux artist settles them.
        base_spec = Spec.parse(base or (checkpoint["plan"]["base_spec"] if checkpoint else DEFAULT_BASE))
        if base_spec.provider != "flux":
            raise UsageError(f"--base {base_spec} is not a FLUX.1 model: use flux:schnell, flux:dev or flux:/path")
        source = ModelSource.parse(base_spec.model)
        device = pick_device(settings)
        dtype, _ = pick_dtype(device, settings)
        quantize = _check_quantize(quantize if quantize is not None else settings.quantize, device)
        if adam8bit:
            check_bitsandbytes("--adam8bit (8-bit AdamW)", device)

        plan = TrainingPlan(
            base=source.location,
            rank=_given(rank, DEFAULT_RANK),
            resolution=_given(resolution, DEFAULT_RESOLUTION),
            trigger=subject.trigger or make_trigger(subject.name),
            optimizer="adamw8bit" if adam8bit else "adamw",
            learning_rate=_given(learning_rate, DEFAULT_LEARNING_RATE),
        )
        if checkpoint is not None:
            given = {"base": base, "rank": rank, "resolution": resolution, "learning_rate": learning_rate}
            plan = _plan_to_resume(checkpoint["plan"], plan, given)
        _check_plan(plan, steps, checkpoint_every)
        total_steps = _given(steps, DEFAULT_STEPS)
        if checkpoint is None:
            (folder / CHECKPOINT_FILE).unlink(missing_ok=True)  # a fresh run starts from nothing

        local_only = weights_are_local(source)
        try:
            # Prompts at the base's own T5 length, as it paints: the preset read from its transformer config.
            data = _training_data(subject, folder, plan, local_only, device, dtype, quantize, source)
            transformer = _load_transformer(plan, local_only, device, dtype, quantize)
        except torch.OutOfMemoryError:
            free_cuda_cache()
            raise SightgagError(_out_of_memory_advice("loading the model", quantize, adam8bit)) from None
        lora_parameters = _add_lora(transformer, plan.rank, seed)
        optimizer = _optimizer(lora_parameters, plan)
        generator = torch.Generator("cpu").manual_seed(seed)  # photo order, timesteps and noise
        # In float16 (GPUs without bfloat16) small gradients underflow to zero: the loss is scaled up for
        # the backward pass and the gradients scaled back before the step. In bfloat16 and float32 it is off.
        scaler = torch.amp.GradScaler(device.type, enabled=dtype == torch.float16)
        losses: list[float] = []
        start = 0
        if checkpoint is not None:
            start, losses = _restore(checkpoint, transformer, optimizer, generator, scaler, plan.learning_rate)

        scheduler = _scheduler(plan.base, local_only)
        transformer.train()
        for step in range(start, total_steps):
            try:
                loss = _loss(transformer, data, scheduler, generator, device, dtype)
                scaler.scale(loss).backward()
                scaler.unscale_(optimizer)  # clipped at their true size
                torch.nn.utils.clip_grad_norm_(lora_parameters, MAX_GRAD_NORM)
                scaler.step(optimizer)  # skipped when a gradient overflowed, and the scale lowered
                scaler.update()
                optimizer.zero_grad(set_to_none=True)
            except torch.OutOfMemoryError:
                optimizer.zero_grad(set_to_none=True)
                free_cuda_cache()
                raise SightgagError(_out_of_memory_advice("training", quantize, adam8bit)) from None
            losses.append(loss.item())
            done = step + 1
            if progress is not None:
                progress(done, total_steps, losses[-1])
            if done % checkpoint_every == 0 or done == total_steps:
                checkpoint_path = folder / CHECKPOINT_FILE
                _write_checkpoint(
                    checkpoint_path, transformer, optimizer, generator, scaler, done, losses, plan, base_spec
                )

        lora_path = _save_lora(folder, transformer, dtype)
        library.update(subject.model_copy(update={"lora": lora_path, "lora_base": plan.base, "trigger": plan.trigger}))
        return TrainResult(
            lora_path=lora_path, trigger=plan.trigger, losses=losses, steps_done=max(start, total_steps), resumed_from=start
        )


def _out_of_memory_advice(stage: str, quantize: str | None, adam8bit: bool) -> str:
    """One line: what to change for the next run, from what this one used (see docs/gpu.md for the figures)."""
    if quantize != "nf4" or not adam8bit:
        # QLoRA (NF4 base, 8-bit AdamW, cached latents and embeddings) peaks near 10 GB in diffusers' post.
        fix = "add --quantize nf4 --adam8bit (QLoRA, ~10 GB)"
    else:
        fix = "lower --resolution (e.g. 512) or --rank; this GPU may be too small to train FLUX.1"
    resume = "; `sightgag train NAME --resume` then goes on from the last checkpoint" if stage == "training" else ""
    return f"out of GPU memory while {stage}: {fix}{resume}"


@contextmanager
def _training_lock(folder: Path, name: str) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    lock = FileLock(folder / LOCK_FILE)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise UsageError(
            f"{name} is already being trained by another sightgag process: wait for it to finish "
            f"(then `sightgag train {name} --resume` goes on from its last checkpoint)"
        ) from None
    try:
        yield
    finally:
        lock.release()


# -- the training step ----------------------------------------------------------------------------


def _loss(
    transformer: FluxTransformer2DModel,
    data: TrainingData,
    scheduler,
    generator: torch.Generator,
    device: torch.device,
    dtype: torch.dtype,
) -> torch.Tensor:
    """The flow-matching loss of one photo at one random timestep (batch size 1)."""
    import torch
    from diffusers import FluxPipeline
    from diffusers.training_utils import compute_density_for_timestep_sampling, compute_loss_weighting_for_sd3

    latents = data.photos[int(torch.randint(len(data.photos), (1,), generator=generator))]
    noise = torch.randn(latents.shape, generator=generator)
    u = compute_density_for_timestep_sampling(WEIGHTING_SCHEME, batch_size=1, generator=generator)
    index = (u * scheduler.config.num_train_timesteps).long()
    # The scheduler's timesteps and sigmas are parallel tables: one index picks a matching pair.
    timestep, sigma = scheduler.timesteps[index], scheduler.sigmas[index].view(1, 1, 1, 1)
    noisy = (1.0 - sigma) * latents + sigma * noise

    _, channels, height, width = latents.shape
    packed = FluxPipeline._pack_latents(noisy, 1, channels, height, width).to(device, dtype)
    image_ids = FluxPipeline._prepare_latent_image_ids(1, height // 2, width // 2, device, dtype)
    guidance = torch.full((1,), GUIDANCE, device=device) if transformer.config.guidance_embeds else None
    prediction = transformer(
        hidden_states=packed,
        timestep=(timestep / 1000).to(device, dtype),  # the transformer takes timesteps in 0..1
        guidance=guidance,
        pooled_projections=data.pooled_prompt_embeds.to(device, dtype),
        encoder_hidden_states=data.prompt_embeds.to(device, dtype),
        txt_ids=data.text_ids.to(device, dtype),
        img_ids=image_ids,
        return_dict=False,
    )[0]
    # Packing only reorders elements, so comparing packed tensors is the same mean squared error.
    target = FluxPipeline._pack_latents(noise - latents, 1, channels, height, width).to(device)
    weighting = compute_loss_weighting_for_sd3(WEIGHTING_SCHEME, sigmas=sigma).to(device)
    return (weighting.float() * (prediction.float() - target.float()) ** 2).mean()


# -- setting up -----------------------------------------------------------------------------------


def _training_data(
    subject: Subject,
    folder: Path,
    plan: TrainingPlan,
    local_only: bool,
    device: torch.device,
    dtype: torch.dtype,
    quantize: str | None,
    source: ModelSource,
) -> TrainingData:
    from sightgag.subjects.lora_data import load_training_data

    data, _ = load_training_data(
        folder / CACHE_FILE,
        subject.photos,
        prompt=f"a photo of {plan.trigger} {subject.kind or 'subject'}",
        resolution=plan.resolution,
        location=plan.base,
        local_only=local_only,
        device=device,
        dtype=dtype,
        quantize=quantize,
        max_sequence_length=source.preset.max_sequence_length,
    )
    return data


def _load_transformer(
    plan: TrainingPlan, local_only: bool, device: torch.device, dtype: torch.dtype, quantize: str | None
) -> FluxTransformer2DModel:
    import torch
    from diffusers import FluxTransformer2DModel

    options: dict = {"subfolder": "transformer", "local_files_only": local_only, "dtype": dtype}
    if quantize:
        options["quantization_config"] = bitsandbytes_config(quantize, dtype)
    try:
        transformer = FluxTransformer2DModel.from_pretrained(plan.base, **options)
    except torch.OutOfMemoryError:
        raise  # train_lora turns it into advice
    except Exception as error:  # diffusers reports bad folders and failed downloads many ways
        raise SightgagError(f"could not load FLUX.1's transformer from {plan.base}: {first_line(error)}") from error
    transformer.requires_grad_(False)
    if quantize:
        from peft import prepare_model_for_kbit_training

        # Quantized weights load straight onto the GPU. As in diffusers' QLoRA example, peft readies the
        # rest (norms in float32); gradient checkpointing is switched on below, as for any base.
        transformer = prepare_model_for_kbit_training(transformer, use_gradient_checkpointing=False)
    else:
        transformer.to(device)
    transformer.enable_gradient_checkpointing()
    return transformer


def _add_lora(transformer: FluxTransformer2DModel, rank: int, seed: int) -> list[torch.nn.Parameter]:
    """Add a fresh LoRA adapter (alpha = rank) and return its parameters, in float32 for the optimizer."""
    import torch
    from diffusers.training_utils import cast_training_params
    from peft import LoraConfig

    config = LoraConfig(r=rank, lora_alpha=rank, init_lora_weights="gaussian", target_modules=TARGET_MODULES)
    with torch.random.fork_rng(devices=[]):  # seeded, without touching the caller's random state
        torch.manual_seed(seed)
        transformer.add_adapter(config)
    cast_training_params(transformer, dtype=torch.float32)
    return [parameter for parameter in transformer.parameters() if parameter.requires_grad]


def _optimizer(parameters: list, plan: TrainingPlan) -> torch.optim.Optimizer:
    import torch

    if plan.optimizer == "adamw8bit":
        import bitsandbytes

        optimizer_class = bitsandbytes.optim.AdamW8bit
    else:
        optimizer_class = torch.optim.AdamW
    return optimizer_class(
        parameters, lr=plan.learning_rate, betas=ADAM_BETAS, weight_decay=ADAM_WEIGHT_DECAY, eps=ADAM_EPSILON
    )


def _scheduler(location: str, local_only: bool):
    from diffusers import FlowMatchEulerDiscreteScheduler

    return FlowMatchEulerDiscreteScheduler.from_pretrained(location, subfolder="scheduler", local_files_only=local_only)


# -- checking the options --------------------------------------------------------------------------


def _check_plan(plan: TrainingPlan, steps: int | None, checkpoint_every: int) -> None:
    if steps is not None and steps < 1:
        raise UsageError(f"--steps {steps}: train at least 1 step")
    if plan.rank < 1:
        raise UsageError(f"--rank {plan.rank}: the LoRA rank must be at least 1 (4 to 64 is usual)")
    if not plan.learning_rate > 0:
        raise UsageError(f"--lr {plan.learning_rate}: the learning rate must be positive (1e-4 is usual)")
    if not MIN_RESOLUTION <= plan.resolution <= MAX_RESOLUTION or plan.resolution % 16:
        raise UsageError(
            f"--resolution {plan.resolution}: use a multiple of 16 from {MIN_RESOLUTION} to {MAX_RESOLUTION}, e.g. 512"
        )
    if checkpoint_every < 1:
        raise UsageError(f"checkpoint_every={checkpoint_every}: checkpoint at least every step")


def _given(value, default):
    return default if value is None else value


def _check_quantize(quantize: str | None, device: torch.device) -> str | None:
    if not quantize:
        return None
    quantize = quantize.lower()
    if quantize not in ("nf4", "int8"):
        raise UsageError(f"--quantize {quantize}: use nf4 (QLoRA) or int8, or leave it out")
    check_bitsandbytes(f"--quantize {quantize}", device)
    return quantize


def _plan_to_resume(stored: dict, asked: TrainingPlan, given: dict) -> TrainingPlan:
    """The checkpoint's plan, after checking that nothing given now contradicts it."""
    plan = TrainingPlan(**{name: stored[name] for name in TrainingPlan.__dataclass_fields__})
    if given["base"] is not None and asked.base != plan.base:
        raise UsageError(f"the checkpoint was trained on {plan.base}: resume without --base, or train afresh")
    for name in ("rank", "resolution"):
        if given[name] is not None and getattr(asked, name) != getattr(plan, name):
            raise UsageError(
                f"the checkpoint was trained with --{name} {getattr(plan, name)}: resume with that, or train afresh"
            )
    if asked.optimizer != plan.optimizer:
        flag = "with" if plan.optimizer == "adamw8bit" else "without"
        raise UsageError(f"the checkpoint was trained {flag} --adam8bit: resume {flag} it, or train afresh")
    if given["learning_rate"] is not None:  # the one setting that may change midway
        plan = TrainingPlan(**{**plan.__dict__, "learning_rate": asked.learning_rate})
    return plan


# -- files ------------------------------------------------------------------------------------------


def _restore(
    checkpoint: dict, transformer, optimizer, generator, scaler, learning_rate: float
) -> tuple[int, list[float]]:
    """Put the LoRA weights, optimizer, loss scale and random state back as they were; the step and losses so far."""
    from peft.utils import set_peft_model_state_dict

    set_peft_model_state_dict(transformer, checkpoint["lora"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    if checkpoint.get("scaler"):  # checkpoints written before the loss was scaled have none
        scaler.load_state_dict(checkpoint["scaler"])
    for group in optimizer.param_groups:  # a learning rate given now wins over the stored one
        group["lr"] = learning_rate
    generator.set_state(checkpoint["generator"])
    return checkpoint["step"], list(checkpoint["losses"])


def _read_checkpoint(path: Path) -> dict | None:
    import torch

    if not path.is_file():
        return None
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:
        raise SightgagError(
            f"the training checkpoint {path} is unreadable ({error}): train afresh without --resume"
        ) from None


def _write_checkpoint(
    path: Path,
    transformer,
    optimizer,
    generator,
    scaler,
    step: int,
    losses: list[float],
    plan: TrainingPlan,
    base_spec: Spec,
) -> None:
    """Everything needed to go on exactly where this step left off, in one file replaced atomically."""
    import torch
    from peft.utils import get_peft_model_state_dict

    record = {
        "step": step,
        "plan": {**plan.__dict__, "base_spec": str(base_spec)},
        "lora": {name: tensor.detach().cpu() for name, tensor in get_peft_model_state_dict(transformer).items()},
        "optimizer": optimizer.state_dict(),
        "generator": generator.get_state(),
        "scaler": scaler.state_dict(),  # empty when the loss is not scaled
        "losses": list(losses),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    torch.save(record, partial)
    os.replace(partial, path)


def _save_lora(folder: Path, transformer: FluxTransformer2DModel, dtype: torch.dtype) -> Path:
    """The LoRA as diffusers saves Flux LoRAs (with its config), in the dtype it will be painted with."""
    from diffusers import FluxPipeline
    from peft.utils import get_peft_model_state_dict

    layers = {name: tensor.to(dtype) for name, tensor in get_peft_model_state_dict(transformer).items()}
    metadata = transformer.peft_config["default"].to_dict()
    folder.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".lora-", dir=folder))
    try:
        FluxPipeline.save_lora_weights(
            staging, transformer_lora_layers=layers, transformer_lora_adapter_metadata=metadata, weight_name=LORA_FILE
        )
        os.replace(staging / LORA_FILE, folder / LORA_FILE)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder / LORA_FILE
