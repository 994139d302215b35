"""LoRA training for real: a tiny random FLUX.1 pipeline learns a synthetic subject on the CPU.

The subject is an orange disc on blue ("Mittens"), photographed three times in three shapes, so the
photos land in different aspect-ratio buckets. The learning rate is far above a real run's, so a toy
model shows in a few dozen steps what a real one shows in hundreds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

from examples import mittens_concept
from sightgag.artist.flux import FluxArtist, ModelSource
from sightgag.errors import SightgagError, UsageError
from sightgag.settings import Settings
from sightgag.studio import Studio
from sightgag.subjects.library import SubjectLibrary
from sightgag.subjects.lora_data import bucket_for
from sightgag.subjects.training import LOCK_FILE, make_trigger, train_lora

STEPS = 24
TOY = {"rank": 4, "learning_rate": 5e-2, "resolution": 64}
SIGHTGAG = str(Path(sys.executable).parent / "sightgag")


def add_mittens(home: Path) -> SubjectLibrary:
    """The subject library at `home`, with Mittens in it: three photos, landscape, portrait and square."""
    photos = []
    for index, (width, height) in enumerate([(160, 120), (120, 160), (128, 128)]):
        image = Image.new("RGB", (width, height), "royalblue")
        disc = (width // 4 + 3 * index, height // 5, 3 * width // 4, 4 * height // 5)
        ImageDraw.Draw(image).ellipse(disc, fill="orange")
        photos.append(home / f"mittens-{index}.png")
        image.save(photos[-1])
    library = SubjectLibrary(home)
    library.add("Mittens", photos, kind="cat")
    return library


@pytest.fixture(scope="module")
def trained(tiny_flux_dir, tmp_path_factory):
    """Mittens, trained for STEPS steps on the tiny pipeline, checkpointing halfway; in a home of its own."""
    home = tmp_path_factory.mktemp("trained-home")
    library = add_mittens(home)
    settings = Settings(home=home)
    options = {"base": f"flux:{tiny_flux_dir}", "checkpoint_every": STEPS // 2, "settings": settings, **TOY}
    result = train_lora("Mittens", library, steps=STEPS, **options)
    return settings, library, result


@pytest.mark.slow
def test_the_loss_falls_and_the_lora_is_stored_with_the_subject(trained, tiny_flux_dir):
    settings, library, result = trained

    losses = result.losses
    assert len(losses) == result.steps_done == STEPS and result.resumed_from == 0
    first, last = np.mean(losses[:6]), np.mean(losses[-6:])
    assert last < 0.9 * first, f"loss did not fall: {first:.3f} -> {last:.3f}"

    mittens = library.get("Mittens")
    assert mittens.lora == result.lora_path and result.lora_path.is_file()
    assert mittens.trigger == result.trigger == make_trigger("Mittens")
    assert mittens.lora_base == str(Path(tiny_flux_dir).resolve())  # what it must be painted with
    assert result.lora_path.is_relative_to(library.folder_of(mittens))
    assert (result.lora_path.parent / "cache.pt").is_file() and (result.lora_path.parent / "checkpoint.pt").is_file()


def test_resume_goes_on_exactly_where_the_checkpoint_stopped(trained, tiny_flux_dir, tmp_path):
    _, _, uninterrupted = trained
    library = add_mittens(tmp_path)
    options = {"base": f"flux:{tiny_flux_dir}", "settings": Settings(home=tmp_path), **TOY}

    halfway = train_lora("Mittens", library, steps=STEPS // 2, **options)
    cache = halfway.lora_path.parent / "cache.pt"
    cached_at = cache.stat().st_mtime_ns
    resumed = train_lora("Mittens", library, steps=STEPS, resume=True, **options)

    assert (halfway.steps_done, resumed.resumed_from, resumed.steps_done) == (STEPS // 2, STEPS // 2, STEPS)
    # Same LoRA weights, optimizer state and random state at the checkpoint: the same run as one without a break.
    assert resumed.losses == uninterrupted.losses
    assert cache.stat().st_mtime_ns == cached_at  # latents and embeddings were not computed again


def test_in_float16_the_loss_is_scaled_and_resumes_with_its_scale(tiny_flux_dir, tmp_path):
    # What a GPU without bfloat16 trains in; the CPU runs the same arithmetic, slowly, for this toy.
    library = add_mittens(tmp_path)
    options = {"base": f"flux:{tiny_flux_dir}", "settings": Settings(home=tmp_path, dtype="float16"), **TOY}
    steps = 6

    halfway = train_lora("Mittens", library, steps=steps // 2, **options)
    scaler = torch.load(halfway.lora_path.parent / "checkpoint.pt", weights_only=True)["scaler"]
    resumed = train_lora("Mittens", library, steps=steps, resume=True, **options)

    assert scaler["scale"] > 1.0  # the loss was scaled up for the backward pass
    assert resumed.resumed_from == steps // 2 and len(resumed.losses) == steps
    assert all(np.isfinite(resumed.losses))


def test_the_lora_loads_with_diffusers_and_changes_the_picture(trained, tiny_flux_dir):
    from diffusers import FluxPipeline

    _, _, result = trained
    pipe = FluxPipeline.from_pretrained(tiny_flux_dir)
    pipe.set_progress_bar_config(disable=True)

    def render():
        prompt = f"a photo of {result.trigger} cat on a sofa"
        image = pipe(prompt, width=64, height=64, num_inference_steps=2, generator=torch.Generator().manual_seed(3))
        return np.asarray(image.images[0])

    before = render()
    pipe.load_lora_weights(result.lora_path.parent)  # diffusers' default file name: the folder is enough

    assert pipe.get_list_adapters()["transformer"]
    assert not np.array_equal(render(), before)


def test_painting_the_subject_applies_its_lora_and_leaves_the_pipeline_clean(trained, tiny_flux_dir):
    settings, library, result = trained
    artist = FluxArtist(str(tiny_flux_dir), settings)
    someone_else = mittens_concept().model_copy(
        update={"cast": [member.model_copy(update={"subject": None}) for member in mittens_concept().cast]}
    )

    def plain_render() -> bytes:
        return artist.paint([someone_else], seeds=[9], width=48, height=48).images[0].tobytes()

    before = plain_render()
    studio = Studio(writer="offline", artist=artist, settings=settings)
    # The concept is given, so no writer runs; the request names Mittens, so the library finds her.
    gag = studio.make("my cat Mittens as a superhero", concepts=[mittens_concept()], seed=9, size=(64, 64))

    assert gag.subjects == ["Mittens"]
    assert gag.artist_details["loras"] == [
        {
            "subject": "Mittens",
            "path": str(result.lora_path),
            "trigger": result.trigger,
            "weight": 1.0,
            "trained_on": str(Path(tiny_flux_dir).resolve()),
            "images": [0],
        }
    ]
    assert gag.artist_details["prompts"][0]["clip"].startswith(f"{result.trigger} Mittens the cat")
    # The same prompt, trigger word included, painted without the LoRA: only the LoRA makes the difference.
    forgotten = library.get("Mittens").model_copy(update={"lora": None})
    without = artist.paint([mittens_concept()], seeds=[9], width=48, height=48, subjects=[forgotten])
    assert without.details["prompts"] == gag.artist_details["prompts"] and without.details["loras"] == []
    assert Image.open(gag.renders[0]).tobytes() != without.images[0].tobytes()
    # Unloaded afterwards: the shared pipeline paints exactly what it painted before, with no LoRA layers left.
    assert plain_render() == before
    assert not any("lora" in name for name, _ in artist.pipeline().transformer.named_modules())


def test_several_subjects_loras_combine_with_weights_by_their_part(trained, tiny_flux_dir):
    settings, library, result = trained
    mittens = library.get("Mittens")
    # A second subject sharing the same LoRA file is enough to see two adapters combined.
    yarn = mittens.model_copy(update={"name": "Yarnie", "aliases": [], "trigger": "yrnz"})
    concept = mittens_concept()
    concept.cast[1].subject = "Yarnie"

    painting = FluxArtist(str(tiny_flux_dir), settings).paint(
        [concept], seeds=[1], width=32, height=32, subjects=[mittens, yarn]
    )

    applied = [(lora["subject"], lora["weight"]) for lora in painting.details["loras"]]
    assert applied == [("Mittens", 1.0), ("Yarnie", 0.8)]  # the hero in full, the foil yields a little


def test_a_lora_gone_or_broken_is_a_one_line_error_and_leaves_the_pipeline_clean(trained, tiny_flux_dir, tmp_path):
    settings, library, _ = trained
    artist = FluxArtist(str(tiny_flux_dir), settings)
    broken = tmp_path / "broken.safetensors"
    broken.write_bytes(b"not a LoRA at all")

    def paint_with_lora(path):
        mittens = library.get("Mittens").model_copy(update={"lora": path})
        return artist.paint([mittens_concept()], seeds=[1], width=32, height=32, subjects=[mittens])

    with pytest.raises(UsageError, match="run `sightgag train Mittens` again"):
        paint_with_lora(tmp_path / "gone.safetensors")
    with pytest.raises(SightgagError, match="could not apply Mittens's LoRA") as failure:
        paint_with_lora(broken)
    assert "\n" not in str(failure.value)
    assert not any("lora" in name for name, _ in artist.pipeline().transformer.named_modules())


def test_the_train_command_trains_and_reports(tiny_flux_dir, tmp_path):
    add_mittens(tmp_path)
    from typer.testing import CliRunner

    from sightgag.cli import app

    arguments = ["train", "mittens", "--base", f"flux:{tiny_flux_dir}", "--steps", "3", "--rank", "2"]
    arguments += ["--resolution", "64"]
    run = CliRunner().invoke(app, [*arguments, "--json"], env={"SIGHTGAG_HOME": str(tmp_path)})

    assert run.exit_code == 0, run.output
    report = json.loads(run.stdout)
    assert (report["subject"], report["steps_done"], len(report["losses"])) == ("Mittens", 3, 3)
    assert Path(report["lora"]).is_file() and report["trigger"] == make_trigger("Mittens")


def test_the_train_command_says_it_fine_tunes_dev_by_default():
    from typer.testing import CliRunner

    from sightgag.cli import app

    run = CliRunner().invoke(app, ["train", "--help"], env={"COLUMNS": "200"})

    assert run.exit_code == 0
    assert "flux:dev (default" in " ".join(run.output.split())


def test_the_prompt_is_encoded_at_the_base_presets_t5_length(trained, tiny_flux_dir):
    _, library, result = trained
    cache = torch.load(result.lora_path.parent / "cache.pt", weights_only=True)
    preset = ModelSource.parse(str(tiny_flux_dir)).preset  # schnell's: the tiny transformer is not distilled

    assert cache["key"]["max_sequence_length"] == preset.max_sequence_length == 256
    assert cache["prompt_embeds"].shape[1] == preset.max_sequence_length


def test_running_out_of_gpu_memory_while_loading_is_one_line_of_advice(tiny_flux_dir, tmp_path, monkeypatch):
    from sightgag.subjects import training

    library = add_mittens(tmp_path)
    emptied = []
    monkeypatch.setattr(torch.cuda, "empty_cache", lambda: emptied.append(True))

    def out_of_memory(*args, **kwargs):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 72.00 MiB")

    monkeypatch.setattr(training, "_load_transformer", out_of_memory)
    with pytest.raises(SightgagError) as failure:
        train_lora("Mittens", library, base=f"flux:{tiny_flux_dir}", settings=Settings(home=tmp_path), **TOY)

    assert str(failure.value) == "out of GPU memory while loading the model: add --quantize nf4 --adam8bit (QLoRA, ~10 GB)"
    assert emptied and library.get("Mittens").lora is None


def test_train_errors_are_one_line_with_the_usage_exit_status(tmp_path):
    environment = {**os.environ, "SIGHTGAG_HOME": str(tmp_path)}

    command = [SIGHTGAG, "train", "Nobody"]
    missing = subprocess.run(command, capture_output=True, text=True, env=environment, timeout=120)

    assert missing.returncode == 2
    assert missing.stderr.strip().splitlines() == [
        "error: no subject named 'Nobody': add one with `sightgag subjects add Nobody PHOTO...`"
    ]


@pytest.mark.parametrize(
    "options, message",
    [
        ({"quantize": "nf4"}, "--quantize nf4 needs a CUDA GPU"),
        ({"adam8bit": True}, "--adam8bit .8-bit AdamW. needs a CUDA GPU"),
        ({"quantize": "fp3"}, "use nf4 .QLoRA. or int8"),
        ({"resume": True}, "no training checkpoint to resume"),
        ({"rank": 0}, "rank must be at least 1"),
        ({"resolution": 100}, "multiple of 16"),
        ({"base": "bfl:flux-pro-1.1"}, "not a FLUX.1 model"),
    ],
)
def test_options_that_cannot_work_are_refused_before_any_training(tiny_flux_dir, tmp_path, options, message):
    library = add_mittens(tmp_path)

    with pytest.raises(UsageError, match=message):
        train_lora("Mittens", library, **{"base": f"flux:{tiny_flux_dir}", **options}, settings=Settings(home=tmp_path))
    assert library.get("Mittens").lora is None


def test_a_subject_already_in_training_elsewhere_is_refused_and_its_files_left_alone(tiny_flux_dir, tmp_path):
    library = add_mittens(tmp_path)
    folder = library.folder_of(library.get("Mittens")) / "lora"
    folder.mkdir(parents=True)
    (folder / "checkpoint.pt").write_bytes(b"the other run's checkpoint")
    # Another process holds the lock, as a `sightgag train Mittens` still running would.
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import filelock, time; lock = filelock.FileLock({str(folder / LOCK_FILE)!r}); lock.acquire(); "
            "print('locked', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(UsageError, match="already being trained by another sightgag process"):
            train_lora("Mittens", library, base=f"flux:{tiny_flux_dir}", settings=Settings(home=tmp_path), **TOY)
    finally:
        holder.kill()
        holder.wait()
    assert (folder / "checkpoint.pt").read_bytes() == b"the other run's checkpoint"
    assert library.get("Mittens").lora is None


def test_a_checkpoint_resumes_only_the_run_it_belongs_to(trained):
    settings, library, _ = trained

    with pytest.raises(UsageError, match="trained with --rank 4"):
        train_lora("Mittens", library, rank=8, resume=True, settings=settings)
    with pytest.raises(UsageError, match="trained with --resolution 64"):
        train_lora("Mittens", library, resolution=512, resume=True, settings=settings)
    with pytest.raises(UsageError, match="resume without --base"):
        train_lora("Mittens", library, base="flux:schnell", resume=True, settings=settings)


def test_photos_train_in_the_aspect_ratio_bucket_nearest_their_shape():
    assert bucket_for((4000, 3000), 512) == (592, 448)  # landscape stays landscape, about 512² pixels
    assert bucket_for((3000, 4000), 512) == (448, 592)
    assert bucket_for((1000, 1000), 512) == (512, 512)
    for width, height in (bucket_for((1600, 900), 1024), bucket_for((123, 456), 64)):
        assert width % 16 == 0 and height % 16 == 0


def test_triggers_are_rare_lower_case_words_unique_to_the_name():
    assert make_trigger("Mittens").startswith("mttns") and make_trigger("Mittens") == make_trigger("mittens")
    assert make_trigger("Max") != make_trigger("Mix")
    assert make_trigger("Zoë").isascii() and make_trigger("小白").startswith("sks")
