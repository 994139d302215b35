"""A strip painted by the local Flux artist (the tiny random pipeline): one call for every panel, one cast."""

from __future__ import annotations

import pytest

from sightgag.studio import Studio

MITTENS = "my cat Mittens as a superhero fighting a giant ball of yarn"


@pytest.fixture
def pipeline_calls(monkeypatch) -> list[dict]:
    """Every FluxPipeline call, with the prompts and seeds it was given."""
    from diffusers import FluxPipeline

    calls: list[dict] = []
    call = FluxPipeline.__call__

    def recording_call(pipe, *args, **kwargs):
        calls.append({"prompt": list(kwargs["prompt"]), "prompt_2": list(kwargs["prompt_2"])})
        return call(pipe, *args, **kwargs)

    monkeypatch.setattr(FluxPipeline, "__call__", recording_call)
    return calls


@pytest.mark.parametrize("panels", (3, 4))
def test_every_panel_is_painted_in_one_call_with_the_same_character_text(tiny_flux_dir, pipeline_calls, panels):
    studio = Studio(writer="offline", artist=f"flux:{tiny_flux_dir}")
    gag = studio.strip(MITTENS, panels=panels, layout="grid", seed=21, size=(256, 256))

    assert len(pipeline_calls) == 1  # one batch
    [call] = pipeline_calls
    assert len(call["prompt_2"]) == panels
    assert gag.artist_details["seeds"] == [21 + index for index in range(panels)]
    for prompt, panel in zip(call["prompt_2"], gag.strip.panels):
        for staged in panel.cast:
            character = gag.strip.character(staged.name)
            assert character.appearance in prompt, (character.name, prompt)
    assert [prompt["t5"] for prompt in gag.artist_details["prompts"]] == call["prompt_2"]
    assert len(gag.renders) == panels and all(render.exists() for render in gag.renders)
