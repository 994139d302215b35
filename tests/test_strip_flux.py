"""A strip painted by the local Flux artist (the tiny random pipeline): one call for every panel, one cast."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from sightgag.studio import Studio
from test_flux_artist import lora_subjects, spy_on_pipeline_calls  # noqa: F401  (a fixture, and the spy)

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


@pytest.fixture
def tiny_kontext(tiny_flux_dir, tmp_path_factory):
    """A KontextArtist over a tiny random FluxKontextPipeline, painting 64 px panels in one step."""
    from tiny_flux import build_tiny_kontext

    from sightgag.artist.kontext import KontextArtist
    from sightgag.settings import Settings

    folder = build_tiny_kontext(tmp_path_factory.mktemp("models") / "tiny-kontext", flux_folder=tiny_flux_dir)
    return KontextArtist(str(folder), Settings(), steps=1, reference_area=48 * 48, max_area=64 * 64)


@pytest.fixture
def kontext_calls(monkeypatch) -> list[dict]:
    """Every FluxKontextPipeline call: the picture it was given, its prompt, and the picture it made."""
    from diffusers import FluxKontextPipeline

    calls: list[dict] = []
    call = FluxKontextPipeline.__call__

    def recording_call(pipe, *args, **kwargs):
        output = call(pipe, *args, **kwargs)
        calls.append({"image": kwargs.get("image"), "prompt_2": kwargs["prompt_2"], "made": output.images[0]})
        return output

    monkeypatch.setattr(FluxKontextPipeline, "__call__", recording_call)
    return calls


def mittens_strip(panels: int):
    from sightgag.settings import Settings
    from sightgag.writer.offline import OfflineWriter
    from sightgag.writer.strips import write_strip

    return write_strip(OfflineWriter(None, Settings()), MITTENS, [], panels, 3)


def test_kontext_paints_every_panel_after_the_first_from_it(tiny_kontext, kontext_calls):
    from sightgag.artist.base import CARRY_OVER
    from sightgag.editor.paintings import Checks
    from sightgag.editor.safety import load_safety
    from sightgag.settings import Settings
    from sightgag.strip_studio import paint_panels

    calls = kontext_calls
    checks = Checks(safety=load_safety(Settings(safety="off")), retries=0)
    concepts = mittens_strip(4).panel_concepts()
    painting = paint_panels(tiny_kontext, concepts, seeds=[3, 4, 5, 6], width=64, height=64, subjects=[], checks=checks)

    assert len(painting.images) == 4 and painting.details["seeds"] == [3, 4, 5, 6]
    assert calls[0]["image"] is None  # no subject photo: panel 1 is painted from the words alone
    first = painting.images[0]
    for later in calls[1:]:
        # Every later panel starts from panel 1 (resized to the reference area), told to keep the cast.
        assert later["image"] is not None and later["prompt_2"].startswith(CARRY_OVER)
        expected = first.resize(later["image"].size, Image.Resampling.LANCZOS)
        assert np.array_equal(np.asarray(later["image"]), np.asarray(expected))
    assert painting.details["references"] == [None, "given", "given", "given"]


def test_kontext_paints_the_other_panels_from_the_panel_1_it_kept_after_a_repaint(tiny_kontext, kontext_calls):
    from sightgag.editor.paintings import Checks
    from sightgag.editor.record import VisionVerdict
    from sightgag.editor.safety import LocalNSFWDetector
    from sightgag.strip_studio import paint_panels

    class FailsTheFirstPanel1:
        """A vision judge that finds six fingers in the first picture it is shown, and nothing after."""

        name = "stub vision"
        looked = 0

        def judge(self, image, concept, reference=None) -> VisionVerdict:
            self.looked += 1
            return VisionVerdict(passed=self.looked > 1, model=self.name)

    checks = Checks(safety=LocalNSFWDetector(0.5), retries=2, vision=FailsTheFirstPanel1())
    concepts = mittens_strip(3).panel_concepts()
    painting = paint_panels(tiny_kontext, concepts, seeds=[3, 4, 5], width=64, height=64, subjects=[], checks=checks)

    first_try, repaint, *later = kontext_calls
    assert first_try["image"] is None and repaint["image"] is None and len(later) == 2
    panel_1 = painting.pictures[0]
    assert [attempt.seed for attempt in panel_1.attempts] == [3, 4] and panel_1.kept == 1
    kept = np.asarray(painting.images[0])
    assert np.array_equal(kept, np.asarray(repaint["made"])) and not np.array_equal(kept, np.asarray(first_try["made"]))
    for call in later:  # panels 2 and 3 start from the repaint, the panel 1 that was kept
        expected = painting.images[0].resize(call["image"].size, Image.Resampling.LANCZOS)
        assert np.array_equal(np.asarray(call["image"]), np.asarray(expected))
    assert [len(picture.attempts) for picture in painting.pictures] == [2, 1, 1]
    assert painting.details["kept_seeds"] == [4, 4, 5] and painting.details["references"] == [None, "given", "given"]

    # A rerender, with no vision model at hand, replays each panel's verdicts: panel 1 repainted as before.
    replay = Checks(safety=LocalNSFWDetector(0.5), retries=2, replay=painting.pictures)
    again = paint_panels(tiny_kontext, concepts, seeds=[3, 4, 5], width=64, height=64, subjects=[], checks=replay)
    assert again.pictures == painting.pictures
    for before, after in zip(painting.images, again.images, strict=True):
        assert np.array_equal(np.asarray(before), np.asarray(after))


def test_hosted_kontext_is_sent_panel_1_for_every_other_panel():
    import base64
    import io

    from bfl_server import FakeBfl

    from sightgag.artist.base import CARRY_OVER
    from sightgag.artist.bfl import BflArtist
    from sightgag.settings import Settings

    with FakeBfl() as server:
        settings = Settings(BFL_API_KEY=server.key, bfl_url=server.url, bfl_poll_interval=0.01, bfl_deadline=5.0)
        studio = Studio(writer="offline", artist=BflArtist("flux-kontext-pro", settings), settings=settings)
        gag = studio.strip(MITTENS, panels=3, layout="row", seed=5)
        sent = server.submissions

    assert len(sent) == 3 and "input_image" not in sent[0]
    with Image.open(gag.renders[0]) as first:
        panel_1 = np.asarray(first.convert("RGB"))
    for body in sent[1:]:
        assert body["prompt"].startswith(CARRY_OVER)
        with Image.open(io.BytesIO(base64.b64decode(body["input_image"]))) as given:
            assert np.array_equal(np.asarray(given.convert("RGB")), panel_1)
    assert gag.artist_details["references"] == [None, "given", "given"] and gag.artist_details["seeds"] == [5, 6, 7]


def test_a_subjects_lora_applies_to_every_panel_in_the_one_call(tiny_flux_dir, lora_subjects, monkeypatch):
    mittens, _ = lora_subjects
    calls = spy_on_pipeline_calls(monkeypatch)
    studio = Studio(writer="offline", artist=f"flux:{tiny_flux_dir}")
    gag = studio.strip(MITTENS, subjects=[mittens], panels=4, layout="row", seed=2, size=(256, 256))

    assert gag.strip.hero.subject == "Mittens"
    assert calls == [{"loras": ["Mittens"], "triggers": [["mttnsa6e"]] * 4}]


def test_a_flux_strip_rerenders_bit_identically(tiny_flux_dir):
    studio = Studio(writer="offline", artist=f"flux:{tiny_flux_dir}")
    gag = studio.strip(MITTENS, panels=3, layout="column", seed=12, size=(256, 256))
    again = studio.rerender(gag.id)

    def pixels(path) -> np.ndarray:
        with Image.open(path) as image:
            return np.asarray(image.convert("RGB"))

    assert again.parent == gag.id and again.seed == gag.seed and again.strip == gag.strip
    for before, after in zip([*gag.renders, *gag.images], [*again.renders, *again.images], strict=True):
        assert np.array_equal(pixels(before), pixels(after))
    assert not np.array_equal(pixels(gag.renders[0]), pixels(gag.renders[1]))  # each panel its own seed
