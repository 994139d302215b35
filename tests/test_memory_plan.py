"""The memory plan: from a card's free and total memory to how FLUX.1 is held, and advice when it runs out."""

from __future__ import annotations

import pytest
import torch

from sightgag.errors import UsageError
from sightgag.settings import Settings
from sightgag.weights.device import cpu_memory_problem
from sightgag.weights.memory import GIB, PLANS, choose_plan, next_plan, out_of_memory_advice, requested_offload

CUDA = torch.device("cuda")


def card(total_gb: float, used_gb: float = 0.5) -> dict:
    """What torch.cuda.mem_get_info says of an idle card: a little is always taken by the CUDA context."""
    return {"free": int((total_gb - used_gb) * GIB), "total": int(total_gb * GIB)}


@pytest.mark.parametrize(
    "total_gb, plan, quantize, offload, said",
    [
        (80, "bf16", None, None, "all on the GPU (published peak ~36.2 GB"),
        (48, "bf16", None, None, "all on the GPU"),
        (32, "bf16+offload", None, "model", "model CPU offload (published peak ~23.3 GB"),
        (24, "nf4", "nf4", None, "NF4 on the GPU (published peak ~17.3 GB"),
        (16, "nf4+offload", "nf4", "model", "NF4 with model CPU offload (published peak ~12.4 GB"),
        (12, "group", None, "group", "group offload from RAM"),
        (8, "sequential", None, "sequential", "sequential CPU offload"),
    ],
)
def test_the_plan_is_the_best_that_fits_the_free_memory(total_gb, plan, quantize, offload, said):
    chosen = choose_plan(**card(total_gb), device=CUDA)

    assert (chosen.name, chosen.quantize, chosen.offload) == (plan, quantize, offload)
    assert chosen.message.startswith(f"{total_gb} GB GPU, {total_gb - 0.5:.1f} GB free: ")
    assert said in chosen.message and "\n" not in chosen.message


def test_memory_taken_by_something_else_lowers_the_plan():
    idle, busy = choose_plan(**card(24), device=CUDA), choose_plan(**card(24, used_gb=8), device=CUDA)

    assert (idle.name, busy.name) == ("nf4", "nf4+offload")


def test_without_bitsandbytes_the_nf4_plans_are_skipped_and_said():
    chosen = choose_plan(**card(16), device=CUDA, can_quantize=False)

    assert (chosen.name, chosen.quantize) == ("group", None)
    assert "pip install bitsandbytes" in chosen.message


def test_settings_choose_the_plan_by_hand():
    assert requested_offload(Settings(cpu_offload=True)) == "model"
    assert requested_offload(Settings(offload="Group")) == "group"
    with pytest.raises(UsageError, match="SIGHTGAG_OFFLOAD='disk' is not known"):
        requested_offload(Settings(offload="disk"))

    chosen = choose_plan(**card(80), device=CUDA, quantize="nf4", offload="model")
    assert (chosen.name, chosen.quantize, chosen.offload) == ("nf4+offload", "nf4", "model")
    assert chosen.message.endswith("(as set)")
    assert choose_plan(**card(8), device=CUDA, offload="none").offload is None


def test_other_devices_hold_everything_in_place():
    for device in ("cpu", "mps"):
        chosen = choose_plan(free=None, total=None, device=torch.device(device))
        assert (chosen.quantize, chosen.offload) == (None, None)
        assert chosen.message == f"FLUX.1 on the {device}"


def test_running_out_of_memory_advises_the_next_plan_down_in_one_line():
    on_24 = choose_plan(**card(24), device=CUDA)

    loading = out_of_memory_advice(on_24, "loading")
    assert loading.startswith("out of GPU memory while loading with the nf4 plan (24 GB GPU, 23.5 GB free)")
    assert "set SIGHTGAG_QUANTIZE=nf4 SIGHTGAG_OFFLOAD=model (NF4 with model CPU offload)" in loading
    decoding = out_of_memory_advice(on_24, "decoding the images", images=4, size=(2048, 2048))
    assert "paint fewer or smaller images" in decoding
    bottom = out_of_memory_advice(PLANS["sequential"], "painting")
    assert "too small for FLUX.1" in bottom and "bfl:flux-pro-1.1" in bottom
    assert all("\n" not in line for line in (loading, decoding, bottom))
    assert [plan.name for plan in iter_ladder(PLANS["bf16"])] == [
        "bf16", "bf16+offload", "nf4", "nf4+offload", "group", "sequential"
    ]  # fmt: skip


def iter_ladder(plan):
    while plan is not None:
        yield plan
        plan = next_plan(plan)


def test_float32_flux_on_the_cpu_is_refused_where_the_ram_cannot_hold_it():
    flux_parameters = 16.9e9

    problem = cpu_memory_problem(flux_parameters, torch.float32, ram=32 * GIB)
    assert problem.startswith("FLUX.1 in float32 needs ~63 GB of RAM on the CPU and this machine has 32 GB")
    assert "SIGHTGAG_DTYPE=bfloat16 halves it (~31 GB" in problem
    assert cpu_memory_problem(flux_parameters, torch.float32, ram=128 * GIB) is None
    assert cpu_memory_problem(2e6, torch.float32, ram=32 * GIB) is None  # a tiny model loads anywhere


@pytest.mark.parametrize("ram_gb, ready", [(24, False), (128, True)])
def test_doctor_says_whether_flux_fits_in_this_cpus_ram(ram_gb, ready, monkeypatch):
    from sightgag import auto, doctor
    from sightgag.weights import device

    monkeypatch.setattr(auto, "gpu", lambda: None)
    monkeypatch.setattr(device, "machine_memory", lambda: ram_gb * GIB)

    flux = next(row for row in doctor.diagnose(Settings())["artists"] if row["name"] == "flux")

    assert flux["ready"] is ready
    if ready:
        assert flux["why"] == "no GPU: FLUX.1 in float32 fits in this machine's RAM but takes many minutes a picture"
    else:
        assert f"FLUX.1 in float32 needs ~63 GB of RAM on the CPU and this machine has {ram_gb} GB" in flux["why"]


def test_the_float16_fallback_on_cards_without_bfloat16_is_said(monkeypatch):
    from sightgag.weights.device import pick_dtype

    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda including_emulation=True: False)
    dtype, note = pick_dtype(CUDA, Settings())
    assert dtype == torch.float16 and note.startswith("float16: this GPU has no fast bfloat16")

    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda including_emulation=True: True)
    assert pick_dtype(CUDA, Settings()) == (torch.bfloat16, "")
    assert pick_dtype(CUDA, Settings(dtype="float32")) == (torch.float32, "")
