"""Is the installed llama-cpp-python the portable build scripts/setup.sh makes, or must it be rebuilt?

    python scripts/portable_llama_cpp.py check 0.3.36    # exit 0: keep it; exit 1: rebuild (the reason on stdout)
    python scripts/portable_llama_cpp.py info            # llama.cpp's system info, for CI logs

Why this exists: `pip install llama-cpp-python` compiles llama.cpp with `-march=native`. On CPUs with AMX,
GCC 11/12 miscompile its AMX tile set-up and the first decode dies with SIGSEGV; and a wheel built natively
on one machine, cached by pip, faults on the next machine with another CPU. The portable build
(`-DGGML_NATIVE=OFF`) uses AVX2/FMA/F16C kernels on x86-64 and NEON on arm64, and runs anywhere.

A build is native when its system info reports a CPU feature that the portable build never compiles in.
Only this file's standard library is used: it runs before anything else is installed.
"""

from __future__ import annotations

import re
import sys

# Features a portable (-DGGML_NATIVE=OFF) build never enables: x86's AVX-512 family and AMX, and arm64's
# SVE/SME (beyond the armv8-a baseline). llama.cpp prints them as `NAME = 1` in llama_print_system_info().
NATIVE_ONLY = re.compile(r"\b(AVX512\w*|AVX_VNNI|AMX_\w+|SVE\w*|SME\w*)\s*=\s*1\b")


def native_features(system_info: str) -> list[str]:
    """The native-only CPU features a build reports; empty for a portable build."""
    return sorted(set(NATIVE_ONLY.findall(system_info)))


def needs_rebuild(installed_version: str | None, pinned_version: str, system_info: str) -> str | None:
    """Why the installed llama-cpp-python must be replaced by the portable build, or None to keep it."""
    if installed_version is None:
        return "llama-cpp-python is not installed"
    if installed_version != pinned_version:
        return f"llama-cpp-python {installed_version} is installed, the project pins {pinned_version}"
    native = native_features(system_info)
    if native:
        return f"llama-cpp-python was built for this CPU only (-march=native: {', '.join(native)} = 1)"
    return None


def installed() -> tuple[str | None, str]:
    """The installed llama-cpp-python's version and system info (None, "" when it is missing)."""
    try:
        import llama_cpp
    except ImportError:
        return None, ""
    info = llama_cpp.llama_print_system_info()
    return llama_cpp.__version__, info.decode(errors="replace") if isinstance(info, bytes) else str(info)


def main(argv: list[str]) -> int:
    if argv[:1] == ["info"]:
        version, info = installed()
        print(f"llama-cpp-python {version or 'not installed'}: {info.strip() or '-'}")
        return 0
    if len(argv) == 2 and argv[0] == "check":
        version, info = installed()
        reason = needs_rebuild(version, argv[1], info)
        print(reason or "portable build in place")
        return 1 if reason else 0
    print(__doc__.strip().splitlines()[2], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
