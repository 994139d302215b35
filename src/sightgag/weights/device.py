"""The device and number format FLUX.1 runs in here, and the quantization asked for.

    device = pick_device(settings)           # cuda, mps or cpu (SIGHTGAG_DEVICE, else the best there is)
    dtype, note = pick_dtype(device, settings)   # note: what the choice costs, said to the user, or ""

Number formats, unless SIGHTGAG_DTYPE says otherwise:
- CUDA: bfloat16 where the card computes in it (Ampere and later); float16 on older cards (T4, V100),
  whose bfloat16 is emulated and slow. FLUX.1 was trained in bfloat16: float16 pictures differ a little.
- Apple GPU: bfloat16 where macOS has the kernels, else float16 (with the same caveat, said).
- CPU: float32 (half precision is slow there and some kernels are missing); a real FLUX.1 then needs
  about 68 GB of RAM, which `check_cpu_memory` checks before loading anything.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import TYPE_CHECKING

from sightgag.errors import SightgagError, UsageError
from sightgag.settings import Settings

if TYPE_CHECKING:
    import torch

GIB = 1024**3
# FLUX.1's parameters (transformer 11.9 B, T5-XXL encoder 4.76 B, CLIP-L 0.12 B, VAE 0.08 B): 16.9 billion.
FLUX_PARAMETERS = 16.9e9
DTYPE_NAMES = ("bfloat16", "float16", "float32")


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


def pick_dtype(device: torch.device, settings: Settings) -> tuple[torch.dtype, str]:
    """The dtype to run in, and a note on what it costs ("" when it is the one FLUX.1 was trained in)."""
    import torch

    names = {
        "bfloat16": torch.bfloat16, "bf16": torch.bfloat16,
        "float16": torch.float16, "fp16": torch.float16, "half": torch.float16,
        "float32": torch.float32, "fp32": torch.float32, "float": torch.float32,
    }  # fmt: skip
    if settings.dtype:
        if settings.dtype.lower() not in names:
            raise UsageError(f"SIGHTGAG_DTYPE={settings.dtype!r} is not known: use bfloat16, float16 or float32")
        return names[settings.dtype.lower()], ""
    if device.type == "cuda":
        if cuda_has_bfloat16(device):
            return torch.bfloat16, ""
        return torch.float16, (
            "float16: this GPU has no fast bfloat16, and FLUX.1 (trained in bfloat16) paints slightly different "
            "pictures in float16"
        )
    if device.type == "mps":
        if _mps_has_bfloat16():
            return torch.bfloat16, ""
        return torch.float16, (
            "float16: this macOS has no bfloat16 on the GPU, and FLUX.1 (trained in bfloat16) paints slightly "
            "different pictures in float16"
        )
    # Half precision on a CPU is slow, and some of its kernels are missing.
    return torch.float32, ""


def cuda_has_bfloat16(device: torch.device) -> bool:
    import torch

    # Without emulation: a card that only emulates bfloat16 (T4, V100) runs it many times slower.
    return torch.cuda.is_bf16_supported(including_emulation=False)


def _mps_has_bfloat16() -> bool:
    import torch

    try:  # older macOS versions have no bfloat16 kernels on the GPU
        torch.ones(1, dtype=torch.bfloat16, device="mps")
    except (RuntimeError, TypeError):
        return False
    return True


def bytes_per_parameter(dtype: torch.dtype) -> int:
    import torch

    return torch.empty((), dtype=dtype).element_size()


def parameter_count(folder: Path, components: tuple[str, ...]) -> int:
    """How many parameters the components' safetensors files hold, read from their headers (no weights loaded)."""
    from safetensors import safe_open

    total = 0
    for component in components:
        for path in (folder / component).glob("*.safetensors"):
            with safe_open(path, framework="pt") as weights:
                for name in weights.keys():
                    shape = weights.get_slice(name).get_shape()
                    count = 1
                    for side in shape:
                        count *= side
                    total += count
    return total


def machine_memory() -> int | None:
    """Bytes of RAM in this machine, or None where the OS does not say."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def cpu_memory_problem(parameters: float, dtype: torch.dtype, ram: int | None) -> str | None:
    """Why `parameters` in `dtype` cannot be loaded into this machine's RAM, or None if they fit."""
    if ram is None:
        return None
    needed = parameters * bytes_per_parameter(dtype)
    if needed <= ram * 0.9:  # the OS and Python need some too
        return None
    name = str(dtype).removeprefix("torch.")
    halved = "" if name != "float32" else f"; SIGHTGAG_DTYPE=bfloat16 halves it (~{needed / 2 / GIB:.0f} GB, slower)"
    return (
        f"FLUX.1 in {name} needs ~{needed / GIB:.0f} GB of RAM on the CPU and this machine has {ram / GIB:.0f} GB: "
        f"paint on a GPU, or with bfl:flux-pro-1.1 or sketch{halved}"
    )


def check_cpu_memory(parameters: float, dtype: torch.dtype) -> None:
    """Refuse, before loading, weights the CPU's RAM cannot hold (the OS would kill the process midway)."""
    problem = cpu_memory_problem(parameters, dtype, machine_memory())
    if problem:
        raise SightgagError(problem)


def check_quantize(quantize: str | None, device: torch.device, what: str = "SIGHTGAG_QUANTIZE={}") -> str | None:
    """The quantization asked for ('nf4', 'int8' or None), refused where bitsandbytes cannot run it."""
    if not quantize:
        return None
    quantize = quantize.lower()
    asked = what.format(quantize)
    if quantize not in ("nf4", "int8"):
        raise UsageError(f"{asked} is not known: use nf4 or int8, or leave it out")
    check_bitsandbytes(asked, device)
    return quantize


def check_bitsandbytes(what: str, device: torch.device) -> None:
    if device.type != "cuda":
        raise UsageError(f"{what} needs a CUDA GPU (bitsandbytes): leave it out on {device.type}")
    if importlib.util.find_spec("bitsandbytes") is None:
        raise UsageError(f"{what} needs bitsandbytes: pip install bitsandbytes, or leave it out")


def bitsandbytes_config(quantize: str, dtype: torch.dtype):
    """The bitsandbytes config for one model: NF4 (4-bit, computing in `dtype`) or int8."""
    from diffusers import BitsAndBytesConfig

    if quantize == "nf4":
        return BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=dtype)
    return BitsAndBytesConfig(load_in_8bit=True)


def quantization_config(quantize: str, dtype: torch.dtype):
    """The pipeline's quantization: the two big models, the 12B transformer and the 4.7B T5 encoder."""
    from diffusers import PipelineQuantizationConfig

    if quantize == "nf4":
        backend = "bitsandbytes_4bit"
        options = {"load_in_4bit": True, "bnb_4bit_quant_type": "nf4", "bnb_4bit_compute_dtype": dtype}
    else:
        backend, options = "bitsandbytes_8bit", {"load_in_8bit": True}
    return PipelineQuantizationConfig(
        quant_backend=backend, quant_kwargs=options, components_to_quantize=["transformer", "text_encoder_2"]
    )
