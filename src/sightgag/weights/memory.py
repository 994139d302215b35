"""The memory plan: how FLUX.1 is held on this GPU, chosen from its free memory before loading.

    plan = choose_plan(free=23.4 * GIB, total=24 * GIB, device=cuda, settings=Settings())
    plan.name       # "nf4": the transformer and T5 in 4 bits, everything on the GPU
    plan.message    # "24 GB GPU, 23.4 GB free: NF4 on the GPU (peak ~17.3 GB)"

The plans, from the best pictures and speed down to the smallest footprint, with the peak memory of
FLUX.1-dev at 1024² that diffusers published for each (its quantization benchmark; see docs/gpu.md):

| plan | weights | where | published peak |
| --- | --- | --- | --- |
| bf16 | bfloat16 | all on the GPU | 36.2 GB |
| bf16+offload | bfloat16 | one model at a time on the GPU (model CPU offload) | 23.3 GB |
| nf4 | transformer and T5 in NF4 | all on the GPU | 17.3 GB |
| nf4+offload | transformer and T5 in NF4 | model CPU offload | 12.4 GB |
| group | bfloat16 | layer groups streamed from RAM (group offload, leaf level, CUDA streams) | a few GB |
| sequential | bfloat16 | each layer fetched when used (sequential CPU offload) | least, slowest |

The first plan whose peak, plus HEADROOM, fits in the free memory is chosen. SIGHTGAG_QUANTIZE and
SIGHTGAG_OFFLOAD (or SIGHTGAG_CPU_OFFLOAD=1) choose by hand instead. Kontext and schnell are the same
12B transformer, so the same figures apply. NF4 needs bitsandbytes; without it those plans are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sightgag.errors import UsageError
from sightgag.settings import Settings

if TYPE_CHECKING:
    import torch

GIB = 1024**3
# The CUDA context, the allocator's fragmentation and other processes' leftovers: not in the published peaks.
HEADROOM = 1.0 * GIB
OFFLOADS = ("model", "group", "sequential")


@dataclass(frozen=True)
class MemoryPlan:
    name: str
    quantize: str | None  # 'nf4' or 'int8' (bitsandbytes), or None for the dtype as chosen
    offload: str | None  # 'model', 'group', 'sequential', or None: everything stays on the device
    peak: float | None  # bytes: the published peak for FLUX.1-dev at 1024², None where none is published
    summary: str  # what it means, in a few words
    message: str = ""  # the one line said to the user: the card, its free memory and the plan

    def setting(self) -> str:
        """The environment settings that choose this plan by hand."""
        quantize = f"SIGHTGAG_QUANTIZE={self.quantize} " if self.quantize else ""
        return f"{quantize}SIGHTGAG_OFFLOAD={self.offload or 'none'}"


LADDER = [
    MemoryPlan("bf16", None, None, 36.2 * GIB, "all on the GPU"),
    MemoryPlan("bf16+offload", None, "model", 23.3 * GIB, "model CPU offload"),
    MemoryPlan("nf4", "nf4", None, 17.3 * GIB, "NF4 on the GPU"),
    MemoryPlan("nf4+offload", "nf4", "model", 12.4 * GIB, "NF4 with model CPU offload"),
    # No published whole-pipeline figure; the streamed transformer itself peaks near 0.6 GB (diffusers'
    # benchmarks), the rest is activations and the VAE decode, so below 8 GB sequential offload is safer.
    MemoryPlan("group", None, "group", 7.0 * GIB, "group offload from RAM (slower)"),
    MemoryPlan("sequential", None, "sequential", None, "sequential CPU offload (slowest)"),
]
PLANS = {plan.name: plan for plan in LADDER}


def requested_offload(settings: Settings) -> str | None:
    """The offload asked for: SIGHTGAG_OFFLOAD (model, group, sequential or none), or SIGHTGAG_CPU_OFFLOAD=1."""
    offload = (settings.offload or "").strip().lower() or None
    if offload is not None and offload not in (*OFFLOADS, "none"):
        raise UsageError(f"SIGHTGAG_OFFLOAD={settings.offload!r} is not known: use model, group, sequential or none")
    if offload is None and settings.cpu_offload:
        offload = "model"
    return offload


def choose_plan(
    *,
    free: int | None,
    total: int | None,
    device: torch.device,
    quantize: str | None = None,
    offload: str | None = None,
    can_quantize: bool = True,
) -> MemoryPlan:
    """The plan for this device: as asked (`quantize`, `offload`), else the best that fits in `free` bytes."""
    if device.type != "cuda":
        # Offload and quantization are CUDA-only here; an Apple GPU shares the machine's memory anyway.
        return MemoryPlan(device.type, None, None, None, f"all on the {device.type}", f"FLUX.1 on the {device.type}")
    card = _card(free, total)
    if quantize is not None or offload is not None:
        offload = None if offload == "none" else offload
        summary = " with ".join(filter(None, [quantize and quantize.upper(), offload and f"{offload} offload"]))
        plan = MemoryPlan(
            _name(quantize, offload), quantize, offload, None, summary or "all on the GPU", ""
        )
        return _said(plan, f"{card}: {plan.summary} (as set)")
    for plan in LADDER:
        if plan.quantize and not can_quantize:
            continue
        if plan.peak is None or free is None or plan.peak + HEADROOM <= free:
            break
    peak = f" (published peak ~{plan.peak / GIB:.1f} GB at 1024²)" if plan.peak else ""
    skipped = "; pip install bitsandbytes for NF4" if not can_quantize and plan.name in ("group", "sequential") else ""
    return _said(plan, f"{card}: {plan.summary}{peak}{skipped}")


def _name(quantize: str | None, offload: str | None) -> str:
    for plan in LADDER:
        if (plan.quantize, plan.offload) == (quantize, offload):
            return plan.name
    return "+".join(filter(None, [quantize or "bf16", offload and f"{offload}-offload"]))


def _card(free: int | None, total: int | None) -> str:
    if total is None or free is None:
        return "CUDA GPU"
    return f"{total / GIB:.0f} GB GPU, {free / GIB:.1f} GB free"


def _said(plan: MemoryPlan, message: str) -> MemoryPlan:
    return MemoryPlan(plan.name, plan.quantize, plan.offload, plan.peak, plan.summary, message)


def gpu_memory(device: torch.device) -> tuple[int | None, int | None]:
    """(free, total) bytes of a CUDA device, (None, None) elsewhere."""
    import torch

    if device.type != "cuda":
        return None, None
    free, total = torch.cuda.mem_get_info(device)
    return free, total


def next_plan(plan: MemoryPlan) -> MemoryPlan | None:
    """The next plan down the ladder that uses less memory than `plan`, or None at the bottom."""
    names = [step.name for step in LADDER]
    if plan.name in names:
        index = names.index(plan.name)
    else:  # a hand-made mix: go on from the first ladder plan with at least its savings
        index = next((i for i, step in enumerate(LADDER) if step.offload == plan.offload), 0)
    return LADDER[index + 1] if index + 1 < len(LADDER) else None


def out_of_memory_advice(plan: MemoryPlan, stage: str, *, images: int = 1, size: tuple[int, int] | None = None) -> str:
    """One line: what ran out of memory, and what to try on this card."""
    what = f"out of GPU memory while {stage} with the {plan.name} plan"
    if plan.message:
        what += f" ({plan.message.split(':')[0]})"
    tries = []
    if stage != "loading" and (images > 1 or (size and size[0] * size[1] > 1024 * 1024)):
        tries.append("paint fewer or smaller images")
    if plan.name not in ("cpu", "mps"):  # only CUDA has plans to step down to
        lower = next_plan(plan)
        if lower is not None:
            tries.append(f"set {lower.setting()} ({lower.summary})")
        else:
            tries.append("this GPU is too small for FLUX.1: paint with bfl:flux-pro-1.1 or sketch")
    elif not tries:
        tries.append("paint a smaller image, or with bfl:flux-pro-1.1 or sketch")
    return f"{what}: {', or '.join(tries)}"


def free_cuda_cache() -> None:
    """Give memory cached by PyTorch back after a failure, so that the next attempt starts from what is free."""
    import gc

    import torch

    gc.collect()
    torch.cuda.empty_cache()  # a no-op where CUDA was never initialised


def plan_here(settings: Settings) -> MemoryPlan:
    """The plan FLUX.1 would load by on this machine now (its free memory and SIGHTGAG_* settings)."""
    import importlib.util

    from sightgag.weights.device import pick_device

    device = pick_device(settings)
    free, total = gpu_memory(device)
    quantize = (settings.quantize or "").lower() or None
    return choose_plan(
        free=free,
        total=total,
        device=device,
        quantize=quantize,
        offload=requested_offload(settings),
        can_quantize=importlib.util.find_spec("bitsandbytes") is not None,
    )
