"""The local Flux artist, painting with the tiny random pipeline loaded the way users load theirs."""

from __future__ import annotations

import json
import shutil
import socket
import time

import numpy as np
import pytest
import torch
from huggingface_hub import constants

from examples import mittens_concept, mittens_subject
from tiny_flux import build_random_lora
from sightgag.artist import flux
from sightgag.artist.flux import FluxArtist, ModelSource, has_cached_weights
from sightgag.errors import SightgagError, UsageError
from sightgag.settings import Settings
from sightgag.subjects import Subject
from sightgag.weights import source

UNREACHABLE_HUB = "http://127.0.0.1:9"  # the discard port: nothing listens, connections are refused


def pixels(image) -> np.ndarray:
    return np.asarray(image)


@pytest.fixture
def artist(tiny_flux_dir) -> FluxArtist:
    return FluxArtist(str(tiny_flux_dir), Settings())


@pytest.fixture
def empty_hub(tmp_path, monkeypatch):
    """An empty Hugging Face cache and a Hub that refuses connections, whatever network this machine has."""
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setattr(constants, "ENDPOINT", UNREACHABLE_HUB)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    return tmp_path / "hub"


def cache_as_hub_repo(folder, cache, repo: str) -> None:
    """Lay `folder` out in `cache` as the Hugging Face cache keeps a downloaded repo."""
    repo_folder = cache / ("models--" + repo.replace("/", "--"))
    commit = "0123456789abcdef0123456789abcdef01234567"
    shutil.copytree(folder, repo_folder / "snapshots" / commit)
    (repo_folder / "refs").mkdir()
    (repo_folder / "refs" / "main").write_text(commit)


def test_paints_every_concept_in_one_batch_at_the_requested_size(artist, tiny_flux_dir):
    yarn_fight = mittens_concept()
    bath_time = mittens_concept().model_copy(update={"moment": "Mittens faces the bathtub, cape dripping"})
    steps = []

    painting = artist.paint(
        [yarn_fight, bath_time], seeds=[41, 42], width=64, height=48, progress=lambda *done: steps.append(done)
    )

    assert [image.size for image in painting.images] == [(64, 48), (64, 48)]
    assert steps == [(1, 4), (2, 4), (3, 4), (4, 4)]  # one denoising loop for both: one batch
    details = painting.details
    assert details["seeds"] == [41, 42]
    assert (details["preset"], details["steps"], details["guidance"], details["max_sequence_length"]) == (
        "schnell",
        4,
        0.0,
        256,
    )
    assert details["model"] == str(tiny_flux_dir) and details["model_id"] == str(tiny_flux_dir.resolve())
    assert (details["device"], details["dtype"]) == ("cpu", "float32")
    assert [prompt["t5"].count("bathtub") for prompt in details["prompts"]] == [0, 1]
    assert all(prompt["clip"].startswith("Mittens the cat") for prompt in details["prompts"])
    assert all(prompt["clip_tokens"] <= 77 and prompt["t5_tokens"] <= 256 for prompt in details["prompts"])
    json.dumps(details)  # recorded with the gag as it is


def test_the_same_seed_paints_the_same_pixels_and_another_seed_does_not(artist):
    concepts = [mittens_concept(), mittens_concept()]

    first = artist.paint(concepts, seeds=[7, 8], width=64, height=64)
    again = artist.paint(concepts, seeds=[7, 8], width=64, height=64)
    other = artist.paint(concepts, seeds=[8, 9], width=64, height=64)

    for image, same in zip(first.images, again.images, strict=True):
        assert np.array_equal(pixels(image), pixels(same))
    # Image i is drawn from seed + i: the same concept twice gives two different pictures.
    assert not np.array_equal(pixels(first.images[0]), pixels(first.images[1]))
    assert not np.array_equal(pixels(first.images[0]), pixels(other.images[0]))


def test_subjects_reach_the_prompts(artist):
    painting = artist.paint(
        [mittens_concept()], seeds=[1], width=32, height=32, subjects=[mittens_subject(trigger="mttnz")]
    )

    prompt = painting.details["prompts"][0]
    assert prompt["clip"].startswith("mttnz Mittens the cat")
    assert "orange tabby" in prompt["t5"]


@pytest.mark.parametrize("width, height", [(100, 64), (64, 40), (0, 64), (-16, 64)])
def test_sizes_flux_cannot_paint_are_refused(artist, width, height):
    with pytest.raises(UsageError, match="multiples of 16"):
        artist.paint([mittens_concept()], seeds=[1], width=width, height=height)


def test_artists_with_the_same_weights_share_one_pipeline(tiny_flux_dir):
    quick = FluxArtist(str(tiny_flux_dir), Settings(), steps=2)
    same_folder = FluxArtist(str(tiny_flux_dir) + "/", Settings())
    # Offload and compile only apply on CUDA, so on the CPU they change nothing, and load nothing new.
    cpu_tuned = FluxArtist(str(tiny_flux_dir), Settings(cpu_offload=True, compile=True))

    assert quick.pipeline() is same_folder.pipeline() is cpu_tuned.pipeline()
    steps = []
    quick.paint([mittens_concept()], seeds=[1], width=32, height=32, progress=lambda *done: steps.append(done))
    assert steps == [(1, 2), (2, 2)]


def test_dtype_and_device_can_be_chosen(tiny_flux_dir):
    artist = FluxArtist(str(tiny_flux_dir), Settings(device="cpu", dtype="bfloat16"))

    painting = artist.paint([mittens_concept()], seeds=[1], width=32, height=32)

    assert (painting.details["device"], painting.details["dtype"]) == ("cpu", "bfloat16")
    assert artist.pipeline().transformer.dtype == torch.bfloat16


@pytest.mark.parametrize(
    "settings, message",
    [
        (Settings(dtype="float8"), "SIGHTGAG_DTYPE"),
        (Settings(device="tpu9"), "SIGHTGAG_DEVICE"),
        (Settings(quantize="nf4"), "CUDA"),
        (Settings(quantize="int3"), "nf4 or int8"),
    ],
)
def test_settings_that_cannot_work_here_are_refused_before_loading(tiny_flux_dir, settings, message):
    with pytest.raises(UsageError, match=message):
        FluxArtist(str(tiny_flux_dir), settings)


def test_model_sources_choose_their_preset(tiny_flux_dir):
    assert ModelSource.parse(None).location == "black-forest-labs/FLUX.1-schnell"
    dev = ModelSource.parse("dev")
    assert (dev.location, dev.preset.steps, dev.preset.guidance, dev.preset.max_sequence_length) == (
        "black-forest-labs/FLUX.1-dev",
        28,
        3.5,
        512,
    )
    assert ModelSource.parse("someone/FLUX.1-dev-pixel-art").preset.name == "dev"
    assert ModelSource.parse("devlabs/flux-schnell-anime").preset.name == "schnell"
    folder = ModelSource.parse(str(tiny_flux_dir))
    assert folder.is_folder and folder.preset.name == "schnell"
    with pytest.raises(UsageError, match="no such folder"):
        ModelSource.parse("/no/such/flux")
    with pytest.raises(UsageError, match="repo id"):
        ModelSource.parse("not a model")


def test_a_cached_hub_repo_loads_with_no_network(tiny_flux_dir, empty_hub):
    cache_as_hub_repo(tiny_flux_dir, empty_hub, "someone/tiny-flux")
    assert has_cached_weights("someone/tiny-flux")
    assert not has_cached_weights("schnell")

    artist = FluxArtist("someone/tiny-flux", Settings())
    painting = artist.paint([mittens_concept()], seeds=[3], width=32, height=32)

    assert artist.spec == "flux:someone/tiny-flux"
    assert painting.details["model_id"] == "someone/tiny-flux" and len(painting.images) == 1


def test_a_half_downloaded_repo_is_not_cached(tiny_flux_dir, empty_hub):
    cache_as_hub_repo(tiny_flux_dir, empty_hub, "someone/tiny-flux")
    snapshot = next((empty_hub / "models--someone--tiny-flux" / "snapshots").iterdir())
    for weights in (snapshot / "transformer").glob("*.safetensors"):
        weights.unlink()

    assert not has_cached_weights("someone/tiny-flux")


def test_a_model_that_is_neither_cached_nor_reachable_fails_fast_saying_what_to_do(empty_hub):
    artist = FluxArtist("schnell", Settings())

    started = time.monotonic()
    with pytest.raises(SightgagError) as failure:
        artist.paint([mittens_concept()], seeds=[1], width=64, height=64)

    assert time.monotonic() - started < 20
    message = str(failure.value)
    assert "\n" not in message
    assert "hf download black-forest-labs/FLUX.1-schnell" in message and "flux:/path/to/folder" in message


def test_a_hub_that_never_answers_is_given_up_on(empty_hub, monkeypatch):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()  # connections queue up and are never answered
    monkeypatch.setattr(constants, "ENDPOINT", f"http://127.0.0.1:{silent.getsockname()[1]}")
    monkeypatch.setattr(source, "HUB_PROBE_SECONDS", 1.0)
    try:
        started = time.monotonic()
        with pytest.raises(SightgagError, match="hf download someone/big-flux"):
            FluxArtist("someone/big-flux", Settings()).pipeline()
        assert time.monotonic() - started < 5
    finally:
        silent.close()


def test_offline_mode_fails_without_trying_the_network(empty_hub, monkeypatch):
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)

    with pytest.raises(SightgagError, match="HF_HUB_OFFLINE"):
        FluxArtist("dev", Settings()).pipeline()


def test_a_folder_that_is_not_a_flux_pipeline_is_refused_with_the_reason(tiny_flux_dir, tmp_path):
    with pytest.raises(UsageError, match="not a FLUX.1 pipeline folder .it has no model_index.json"):
        FluxArtist(str(tmp_path), Settings()).pipeline()

    broken = shutil.copytree(tiny_flux_dir, tmp_path / "broken-flux")
    for weights in (broken / "text_encoder_2").glob("*.safetensors"):
        weights.unlink()
    with pytest.raises(UsageError, match="text_encoder_2 weights are missing"):
        FluxArtist(str(broken), Settings()).pipeline()
    assert not has_cached_weights(str(broken)) and has_cached_weights(str(tiny_flux_dir))


# -- LoRAs, compile, memory and the pipelines kept loaded ----------------------------------------------


def cast_as(concept, name: str, kind: str):
    hero = concept.cast[0].model_copy(update={"name": name, "subject": name, "kind": kind})
    return concept.model_copy(update={"cast": [hero, *concept.cast[1:]]})


@pytest.fixture(scope="module")
def lora_subjects(tiny_flux_dir, tmp_path_factory):
    """Mittens and Rex, each with a LoRA of their own (different ranks and layers), as a library holds them."""
    folder = tmp_path_factory.mktemp("loras")
    mittens = mittens_subject(trigger="mttnsa6e").model_copy(
        update={"lora": build_random_lora(tiny_flux_dir, folder / "mittens.safetensors", rank=4, seed=1)}
    )
    rex = Subject(
        name="Rex",
        kind="dog",
        trigger="rxb12",
        lora=build_random_lora(tiny_flux_dir, folder / "rex.safetensors", rank=8, seed=2, targets=("to_q", "to_v")),
    )
    return mittens, rex


def test_concepts_casting_different_lora_subjects_are_painted_in_separate_calls(
    tiny_flux_dir, lora_subjects, monkeypatch
):
    mittens, rex = lora_subjects
    artist = FluxArtist(str(tiny_flux_dir), Settings())
    calls = spy_on_pipeline_calls(monkeypatch)
    concepts = [mittens_concept(), cast_as(mittens_concept(), "Rex", "dog"), someone_else(), mittens_concept()]

    painting = artist.paint(concepts, seeds=[1, 2, 3, 4], width=32, height=32, subjects=[mittens, rex])

    # One call per set of LoRAs, each with only the images of the concepts casting those subjects.
    assert [(call["loras"], call["triggers"]) for call in calls] == [
        (["Mittens"], [["mttnsa6e"], ["mttnsa6e"]]),
        (["Rex"], [["rxb12"]]),
        ([], [[]]),
    ]
    applied = [(lora["subject"], lora["images"]) for lora in painting.details["loras"]]
    assert applied == [("Mittens", [0, 3]), ("Rex", [1])]
    assert painting.details["pipeline_calls"] == 3 and len(painting.images) == 4
    # Image 3 is painted with Mittens' LoRA in a call of its own as in the batch: same seed, same LoRA, same picture.
    alone = artist.paint([concepts[3]], seeds=[4], width=32, height=32, subjects=[mittens, rex])
    batched_with_one = artist.paint(
        [concepts[0], concepts[3]], seeds=[1, 4], width=32, height=32, subjects=[mittens, rex]
    )
    assert alone.images[0].tobytes() != artist.paint([concepts[3]], seeds=[4], width=32, height=32).images[0].tobytes()
    assert batched_with_one.images[1].tobytes() == painting.images[3].tobytes()


def someone_else():
    concept = mittens_concept()
    return concept.model_copy(update={"cast": [member.model_copy(update={"subject": None}) for member in concept.cast]})


def spy_on_pipeline_calls(monkeypatch) -> list[dict]:
    """Record, for every FluxPipeline call, the LoRAs applied just before it and the trigger words in its prompts."""
    from diffusers import FluxPipeline

    calls: list[dict] = []
    applied: list[str] = []
    apply_loras, call = flux.apply_loras, FluxPipeline.__call__

    def recording_apply(pipe, loras):
        applied[:] = [lora.subject for lora in loras]
        return apply_loras(pipe, loras)

    def recording_call(pipe, *args, **kwargs):
        active = pipe.get_list_adapters().get("transformer", [])
        assert len(active) == len(applied)  # what was loaded is all that is loaded
        triggers = [[word for word in ("mttnsa6e", "rxb12") if word in prompt] for prompt in kwargs["prompt_2"]]
        calls.append({"loras": list(applied), "triggers": triggers})
        applied.clear()
        return call(pipe, *args, **kwargs)

    monkeypatch.setattr(flux, "apply_loras", recording_apply)
    monkeypatch.setattr(FluxPipeline, "__call__", recording_call)
    return calls


def test_compiled_painting_survives_a_dozen_lora_mixes_sizes_and_batches(tiny_flux_dir, lora_subjects, monkeypatch):
    from torch._dynamo.testing import CompileCounter

    mittens, rex = lora_subjects
    compiles = CompileCounter()  # a CPU backend that counts what torch.compile hands it
    monkeypatch.setattr(flux, "COMPILE_BACKEND", compiles)
    monkeypatch.setattr(flux, "COMPILE_DEVICES", ("cuda", "cpu"))
    torch._dynamo.reset()
    artist = FluxArtist(str(tiny_flux_dir), Settings(compile=True), steps=2)
    rex_concept = cast_as(mittens_concept(), "Rex", "dog")
    mixes = [
        ([someone_else()], 32, 32),
        ([someone_else(), someone_else()], 32, 32),  # torch specialises a batch of 1: one recompile, then dynamic
        ([mittens_concept()], 32, 32),
        ([rex_concept], 48, 32),
        ([someone_else(), someone_else()], 48, 48),
        ([mittens_concept(), mittens_concept()], 64, 32),
        ([cast_as(mittens_concept(), "Rex", "dog")] * 3, 32, 64),
        ([someone_else()] * 3, 64, 48),
        ([mittens_concept(), rex_concept], 48, 48),
        ([someone_else(), mittens_concept(), rex_concept], 32, 48),
        ([someone_else()], 80, 32),
        ([rex_concept, someone_else()], 64, 64),
    ]
    try:
        for number, (concepts, width, height) in enumerate(mixes):
            painting = artist.paint(
                concepts, seeds=list(range(len(concepts))), width=width, height=height, subjects=[mittens, rex]
            )
            assert [image.size for image in painting.images] == [(width, height)] * len(concepts)
            if number == 1:
                warmed_up = compiles.frame_count
        # Compiled for both kinds of block, then never again: not per size, batch size or LoRA mix.
        assert warmed_up > 0 and compiles.frame_count == warmed_up
    finally:
        flux.unload_all()
        torch._dynamo.reset()


def with_guidance_embeds(tiny_flux_dir, folder, guidance_embeds: bool):
    """A copy of the tiny pipeline whose transformer is (or is not) guidance-distilled, as dev (or schnell) is."""
    from diffusers import FluxTransformer2DModel

    shutil.copytree(tiny_flux_dir, folder)
    config = FluxTransformer2DModel.load_config(tiny_flux_dir, subfolder="transformer")
    torch.manual_seed(0)
    FluxTransformer2DModel.from_config({**config, "guidance_embeds": guidance_embeds}).save_pretrained(
        folder / "transformer"
    )
    return folder


def test_the_preset_follows_the_transformer_config_not_the_folder_name(tiny_flux_dir, tmp_path):
    distilled = with_guidance_embeds(tiny_flux_dir, tmp_path / "my-model", True)
    undistilled = with_guidance_embeds(tiny_flux_dir, tmp_path / "flux-dev-lookalike", False)

    dev_like = FluxArtist(str(distilled), Settings()).paint([mittens_concept()], seeds=[1], width=16, height=16)
    schnell_like = FluxArtist(str(undistilled), Settings()).paint([mittens_concept()], seeds=[1], width=16, height=16)

    dev, schnell = flux.PRESETS["dev"], flux.PRESETS["schnell"]
    assert [dev_like.details[key] for key in ("preset", "steps", "guidance", "max_sequence_length")] == [
        "dev", dev.steps, dev.guidance, dev.max_sequence_length
    ]  # fmt: skip
    assert [schnell_like.details[key] for key in ("preset", "steps", "guidance", "max_sequence_length")] == [
        "schnell", schnell.steps, schnell.guidance, schnell.max_sequence_length
    ]  # fmt: skip
    assert ModelSource.parse(str(distilled)).preset_from == "config"


def test_a_cached_repo_takes_its_preset_from_its_config_whatever_its_name(tiny_flux_dir, empty_hub):
    cache_as_hub_repo(tiny_flux_dir, empty_hub, "someone/flux-dev-renamed")

    assert ModelSource.parse("someone/flux-dev-renamed").preset.name == "schnell"  # the tiny one is not distilled
    assert ModelSource.parse("someone/not-downloaded-dev").preset.name == "dev"  # a guess, until it is loaded


def test_the_vae_decodes_image_by_image_and_tiles_big_pictures(tiny_flux_dir, monkeypatch):
    artist = FluxArtist(str(tiny_flux_dir), Settings())
    monkeypatch.setattr(flux, "TILING_PIXELS", 40 * 40)  # the real threshold is 1.5 MP: a tiny model's minutes

    small = artist.paint([mittens_concept()] * 2, seeds=[1, 2], width=32, height=32)
    vae = artist.pipeline().vae
    assert (vae.use_slicing, vae.use_tiling, small.details["vae_tiling"]) == (True, False, False)

    big = artist.paint([mittens_concept()], seeds=[1], width=48, height=48)
    assert (vae.use_slicing, vae.use_tiling, big.details["vae_tiling"]) == (True, True, True)
    artist.paint([mittens_concept()], seeds=[1], width=32, height=32)
    assert not vae.use_tiling  # the pipeline is shared: the next small picture decodes whole again


def test_one_pipeline_stays_loaded_and_the_one_evicted_is_freed(tiny_flux_dir, tmp_path):
    import gc
    import weakref

    first = FluxArtist(str(tiny_flux_dir), Settings())
    first.paint([mittens_concept()], seeds=[1], width=16, height=16)
    first_pipe = weakref.ref(first.pipeline())
    other = FluxArtist(str(with_guidance_embeds(tiny_flux_dir, tmp_path / "other", True)), Settings())

    other.paint([mittens_concept()], seeds=[1], width=16, height=16)
    gc.collect()

    assert first_pipe() is None
    assert [loaded.location for loaded in flux._PIPELINES.values()] == [other.source.location]
    # Two may be kept where there is room for two.
    roomy = FluxArtist(str(tiny_flux_dir), Settings(keep_pipelines=2))
    assert roomy.pipeline() is not other.pipeline() and len(flux._PIPELINES) == 2
    flux.unload_all()


def test_a_pipeline_with_the_same_encoders_and_vae_takes_them_over_from_the_evicted_one(tiny_flux_dir, tmp_path):
    import gc
    import weakref

    from tiny_flux import build_tiny_kontext

    kontext = build_tiny_kontext(tmp_path / "kontext", flux_folder=tiny_flux_dir)
    for name in flux.SHAREABLE_COMPONENTS:  # the same files, as the cache holds dev's and Kontext's
        shutil.rmtree(kontext / name)
        (kontext / name).symlink_to(tiny_flux_dir / name, target_is_directory=True)
    flux_artist, kontext_artist = FluxArtist(str(tiny_flux_dir), Settings()), FluxArtist(str(kontext), Settings())
    flux_artist.pipeline()
    vae, transformer = flux_artist.pipeline().vae, weakref.ref(flux_artist.pipeline().transformer)

    kontext_pipe = kontext_artist.pipeline()
    gc.collect()

    assert kontext_pipe.vae is vae and kontext_pipe.text_encoder_2 is not None
    assert transformer() is None  # flux's own transformer went with it
    assert kontext_pipe.transformer.config.guidance_embeds
    flux.unload_all()


def run_cli(monkeypatch, capsys, *arguments: str) -> tuple[int, list[str]]:
    """`sightgag ARGUMENTS` in this process (so the test's patches apply): exit status and its stderr lines.

    diffusers' loading bars (carriage-return lines on stderr) are left out.
    """
    from sightgag import cli

    monkeypatch.setattr("sys.argv", ["sightgag", *arguments])
    with pytest.raises(SystemExit) as exit:
        cli.main()
    lines = capsys.readouterr().err.splitlines()
    return exit.value.code, [line for line in lines if line.strip() and "it/s]" not in line and "\r" not in line]


def test_running_out_of_gpu_memory_while_loading_is_one_line_of_advice(tiny_flux_dir, monkeypatch, capsys):
    from sightgag.weights import memory

    card_24 = memory.MemoryPlan("bf16", None, None, None, "all on the GPU", "24 GB GPU, 23.5 GB free: all on the GPU")
    monkeypatch.setattr(flux, "choose_plan", lambda **_: card_24)
    emptied = []
    monkeypatch.setattr(torch.cuda, "empty_cache", lambda: emptied.append(True))

    def out_of_memory(pipe, plan, device):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 90.00 MiB")

    monkeypatch.setattr(flux, "_place", out_of_memory)
    flux.unload_all()
    emptied.clear()

    status, lines = run_cli(
        monkeypatch, capsys, "make", "my cat as a pirate", "--writer", "offline", "--artist", f"flux:{tiny_flux_dir}",
        "--size", "64x64",
    )  # fmt: skip

    assert status == 1 and len(lines) == 1
    assert lines[0] == (
        "error: out of GPU memory while loading with the bf16 plan (24 GB GPU, 23.5 GB free): "
        "set SIGHTGAG_OFFLOAD=model (model CPU offload)"
    )
    assert emptied and not flux._PIPELINES


def test_running_out_of_gpu_memory_while_decoding_is_one_line_of_advice(tiny_flux_dir, monkeypatch, capsys):
    from diffusers import AutoencoderKL

    def out_of_memory(vae, *args, **kwargs):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 16.00 GiB")

    monkeypatch.setattr(AutoencoderKL, "decode", out_of_memory)
    emptied = []
    monkeypatch.setattr(torch.cuda, "empty_cache", lambda: emptied.append(True))

    status, lines = run_cli(
        monkeypatch, capsys, "make", "my cat as a pirate", "--writer", "offline", "--artist", f"flux:{tiny_flux_dir}",
        "--size", "64x64", "--n", "2",
    )  # fmt: skip

    assert status == 1 and len(lines) == 1
    assert lines[0].startswith("error: out of GPU memory while decoding the images with the cpu plan")
    assert "paint fewer or smaller images" in lines[0]
    assert emptied


def test_weights_the_cpus_ram_cannot_hold_are_refused_before_loading(tiny_flux_dir, monkeypatch):
    from sightgag.weights import device

    monkeypatch.setattr(device, "machine_memory", lambda: 1_000_000)  # 1 MB: not even the tiny model fits
    flux.unload_all()

    with pytest.raises(SightgagError, match=r"FLUX.1 in float32 needs ~0 GB of RAM on the CPU and this machine has 0"):
        FluxArtist(str(tiny_flux_dir), Settings()).pipeline()
    assert not flux._PIPELINES


def test_the_weights_snapshot_is_recorded_with_the_painting(tiny_flux_dir, empty_hub):
    cache_as_hub_repo(tiny_flux_dir, empty_hub, "someone/tiny-flux")

    from_cache = FluxArtist("someone/tiny-flux", Settings()).paint([mittens_concept()], seeds=[1], width=16, height=16)
    from_folder = FluxArtist(str(tiny_flux_dir), Settings()).paint([mittens_concept()], seeds=[1], width=16, height=16)

    assert from_cache.details["snapshot"] == "0123456789abcdef0123456789abcdef01234567"  # the commit it was
    assert from_folder.details["snapshot"].startswith("files-sha256:")
    assert from_folder.details["snapshot"] == flux.snapshot(ModelSource.parse(str(tiny_flux_dir)))


def test_a_preset_guessed_from_a_name_is_corrected_once_the_weights_are_loaded(tiny_flux_dir):
    artist = FluxArtist(str(tiny_flux_dir), Settings())
    # As for a repo not downloaded yet: only its name ("...-dev") to go by.
    artist.source = ModelSource("someone/flux-dev", artist.source.location, True, flux.PRESETS["dev"], "name")
    assert (artist.steps, artist.max_sequence_length) == (28, 512)

    painting = artist.paint([mittens_concept()], seeds=[1], width=16, height=16)

    assert (painting.details["preset"], painting.details["steps"], painting.details["max_sequence_length"]) == (
        "schnell", 4, 256
    )  # fmt: skip
