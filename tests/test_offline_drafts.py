"""`offline:smollm2`: the offline writer with SmolLM2-135M drafting captions through llama.cpp, in-process.

llama.cpp is native code: if it faults (a build for another CPU, a miscompiled kernel), it takes its whole
process down. So these tests run the writer in a child process and read its answer as JSON; a crash then
fails one test with the signal and the child's last words, and the rest of the suite goes on.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap

import pytest

from sightgag.concept import MAX_CAPTION_WORDS, Concept

pytest.importorskip("llama_cpp", reason="needs llama-cpp-python (the test extra)")

DRAFT = textwrap.dedent(
    """
    import json, sys
    from sightgag.settings import Settings
    from sightgag.writer.offline import OfflineWriter

    writer = OfflineWriter("smollm2", Settings())
    concepts = writer.write(sys.argv[1], [], n=1, seed=1)
    print(json.dumps({
        "spec": writer.spec,
        "exchanges": writer.exchanges,
        "concepts": [concept.model_dump(mode="json") for concept in concepts],
    }, default=str))
    """
)


def run_isolated(script: str, *args: str, timeout: float = 300) -> dict:
    """Run `script` in a fresh Python process; its last stdout line is JSON. A crash fails with its signal."""
    try:
        result = subprocess.run(
            [sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"the small model gave no answer within {timeout:g} s")
    if result.returncode < 0:
        name = signal.Signals(-result.returncode).name
        pytest.fail(
            f"llama.cpp crashed the process ({name}): is llama-cpp-python the portable build "
            f"(scripts/portable_llama_cpp.py)?\n{result.stderr[-2000:]}"
        )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_small_model_drafts_are_logged_and_the_concepts_still_validate():
    answer = run_isolated(DRAFT, "José fighting a pigeon")

    assert answer["spec"] == "offline:smollm2"
    assert len(answer["exchanges"]) >= 1
    assert all(exchange["response"] is not None and exchange["duration_s"] >= 0 for exchange in answer["exchanges"])
    [concept] = [Concept.model_validate(data) for data in answer["concepts"]]
    assert concept.hero.name == "José"
    assert len(concept.caption.text.split()) <= MAX_CAPTION_WORDS


def test_a_crash_in_the_child_fails_one_test_with_its_signal():
    with pytest.raises(pytest.fail.Exception, match="SIGSEGV"):
        run_isolated("import os, signal; os.kill(os.getpid(), signal.SIGSEGV)")
