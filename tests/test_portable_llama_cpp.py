"""The set-up's check of llama-cpp-python: a native build (AMX, AVX-512) is rebuilt portably, a portable one kept.

scripts/setup.sh runs scripts/portable_llama_cpp.py before installing the test extra; these are the
system-info strings llama.cpp prints for each kind of build (`llama_cpp.llama_print_system_info()`).
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "portable_llama_cpp.py"
_spec = importlib.util.spec_from_file_location("portable_llama_cpp", SCRIPT)
portable_llama_cpp = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(portable_llama_cpp)

PIN = "0.3.36"
NATIVE_AMX = (
    "CPU : SSE3 = 1 | SSSE3 = 1 | AVX = 1 | AVX_VNNI = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 | BMI2 = 1 | AVX512 = 1 "
    "| AVX512_VBMI = 1 | AVX512_VNNI = 1 | AVX512_BF16 = 1 | AMX_INT8 = 1 | LLAMAFILE = 1 | OPENMP = 1 | REPACK = 1 | "
)
NATIVE_AVX512 = (
    "CPU : SSE3 = 1 | SSSE3 = 1 | AVX = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 | BMI2 = 1 | AVX512 = 1 | AVX512_VBMI = 1 "
    "| AVX512_VNNI = 1 | AVX512_BF16 = 1 | LLAMAFILE = 1 | OPENMP = 1 | REPACK = 1 | "
)
PORTABLE_X86 = "CPU : SSE3 = 1 | SSSE3 = 1 | AVX = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 | BMI2 = 1 | LLAMAFILE = 1 | OPENMP = 1 | REPACK = 1 | "
PORTABLE_ARM64 = "CPU : NEON = 1 | ARM_FMA = 1 | FP16_VA = 1 | LLAMAFILE = 1 | OPENMP = 1 | REPACK = 1 | "


@pytest.mark.parametrize("system_info", [NATIVE_AMX, NATIVE_AVX512], ids=["native-amx", "native-avx512"])
def test_a_native_build_is_rebuilt(system_info):
    reason = portable_llama_cpp.needs_rebuild(PIN, PIN, system_info)

    assert reason is not None and "-march=native" in reason and "AVX512" in reason


def test_the_amx_build_names_amx_as_the_reason():
    assert "AMX_INT8" in portable_llama_cpp.native_features(NATIVE_AMX)


@pytest.mark.parametrize("system_info", [PORTABLE_X86, PORTABLE_ARM64], ids=["x86-64", "arm64"])
def test_a_portable_build_is_kept(system_info):
    assert portable_llama_cpp.needs_rebuild(PIN, PIN, system_info) is None


def test_a_missing_or_other_version_is_installed_from_the_pin():
    assert "not installed" in portable_llama_cpp.needs_rebuild(None, PIN, "")
    assert "0.3.16" in portable_llama_cpp.needs_rebuild("0.3.16", PIN, PORTABLE_X86)


def test_the_installed_build_is_portable():
    """What scripts/setup.sh promises: after set-up, no AMX and no AVX-512 in llama.cpp's build."""
    llama_cpp = pytest.importorskip("llama_cpp")
    info = llama_cpp.llama_print_system_info().decode()

    assert "AMX_INT8 = 1" not in info and "AVX512 = 1" not in info, info
    checked = subprocess.run([sys.executable, str(SCRIPT), "check", llama_cpp.__version__], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout


def test_the_pins_agree():
    """setup.sh builds the version pyproject.toml pins, or pip would replace the portable build."""
    root = SCRIPT.parents[1]
    setup = (root / "scripts" / "setup.sh").read_text()
    pyproject = (root / "pyproject.toml").read_text()
    version = setup.split("LLAMA_CPP_VERSION=")[1].split()[0]

    assert f'"llama-cpp-python[server]=={version}"' in pyproject
    assert f'"llama-cpp-python=={version}"' in pyproject
