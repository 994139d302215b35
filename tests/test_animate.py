"""Animated gags: the sketch animator moves the panel's layers per device, the caption lands on the last
beat in the letterer's exact type, and the clip is encoded (MP4, GIF, WebP) and filed with its gag."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from examples import mittens_concept
from sightgag.animator import ClipLettering, Shot, film, load_animator
from sightgag.animator.encoding import even_size
from sightgag.artist.sketch import draw_layers, draw_panel
from sightgag.artist.sketch.layers import compose
from sightgag.concept import Device
from sightgag.errors import UsageError
from sightgag.settings import Settings

SIGHTGAG = str(Path(sys.executable).parent / "sightgag")
SIZE = 384
SECONDS, FPS = 2.0, 12
FRAMES = round(SECONDS * FPS)


def shot_of(device: Device, seed: int = 7, size: int = SIZE, artist: str = "sketch") -> Shot:
    concept = mittens_concept().model_copy(update={"device": device})
    still, _ = draw_panel(concept, seed, size, size)
    return Shot(still=still.convert("RGB"), concept=concept, seed=seed, artist=artist)


def pixels(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGB"), dtype=np.int16)


def psnr(a: Image.Image, b: Image.Image) -> float:
    """Peak signal-to-noise ratio in dB over the area both cover: 30 is a good lossy copy, identical is infinite."""
    width, height = min(a.width, b.width), min(a.height, b.height)
    diff = pixels(a.crop((0, 0, width, height))) - pixels(b.crop((0, 0, width, height)))
    mse = float(np.mean(diff.astype(np.float64) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(255**2 / mse)


def sketch():
    return load_animator("sketch", Settings())


@lru_cache(maxsize=8)
def mittens_clip(fmt: str):
    shot = shot_of(Device.mock_heroic)
    lettering = ClipLettering(shot.still, shot.concept)
    return shot, lettering, film(sketch(), shot, seconds=SECONDS, fps=FPS, fmt=fmt, seed=7, lettering=lettering)


# -- the panel taken apart ------------------------------------------------------------------------


@pytest.mark.parametrize("device", list(Device))
def test_the_layers_put_back_together_are_the_panel(device):
    shot = shot_of(device)
    background, layers, _ = draw_layers(shot.concept, shot.seed, SIZE, SIZE)
    assert np.array_equal(pixels(compose(background, layers)), pixels(shot.still))
    kinds = {layer.kind for layer in layers}
    assert {"cast", "frame"} <= kinds
    assert any(layer.owner == "hero" for layer in layers)


# -- motion -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("device", list(Device))
def test_every_device_moves_starting_and_ending_on_the_still(device):
    shot = shot_of(device)
    motion = sketch().animate(shot, seconds=SECONDS, fps=FPS, seed=7)
    assert len(motion.frames) == FRAMES
    assert all(frame.size == shot.still.size for frame in motion.frames)
    assert np.array_equal(pixels(motion.frames[0]), pixels(shot.still)), "the first frame is the still's panel"
    assert np.array_equal(pixels(motion.frames[-1]), pixels(shot.still)), "the clip ends held on the still"
    action = motion.frames[: motion.lettered_from]
    assert max(np.abs(pixels(frame) - pixels(shot.still)).mean() for frame in action) > 1.0, "nothing moved"
    assert motion.details["moved"], "the record names what moved"


def test_each_device_moves_its_own_business():
    def moved(device):
        return sketch().animate(shot_of(device), seconds=SECONDS, fps=FPS, seed=7).details["moved"]

    assert "giant ball of yarn" in moved(Device.scale_mismatch)
    assert "burst" in moved(Device.mock_heroic)
    assert "giant ball of yarn" in moved(Device.escalation)
    # Deadpan: the hero does not move a muscle; only the trouble does.
    calm = moved(Device.deadpan)
    assert "Mittens" not in calm and "giant ball of yarn" in calm


def test_escalation_multiplies_one_copy_at_a_time():
    shot = shot_of(Device.escalation)
    background, layers, _ = draw_layers(shot.concept, shot.seed, SIZE, SIZE)
    copies = [layer for layer in layers if layer.owner == "foil" and layer.kind == "cast"]
    assert len(copies) >= 3
    motion = sketch().animate(shot, seconds=SECONDS, fps=FPS, seed=7)

    def showing(frame, layer):
        """Whether a copy is on the frame as drawn: its own pixels, where it is not covered by a later layer."""
        box = layer.box
        sprite = np.asarray(layer.sprite)
        own = sprite[..., 3] > 0
        crop = pixels(frame.crop(box))[..., :3]
        return np.mean(np.all(crop[own] == sprite[own][:, :3], axis=1)) > 0.25

    counts = [sum(showing(frame, copy) for copy in copies) for frame in motion.frames[: motion.lettered_from]]
    assert counts[0] == len(copies)
    assert min(counts) == 0, "the row of foils goes away first"
    back = counts[counts.index(0) :]
    assert sorted(back) == back, "then they come back, never fewer than before"
    assert len(set(back)) >= len(copies), "one at a time"


def test_the_same_seed_gives_the_same_frames_and_another_seed_other_ones():
    first = sketch().animate(shot_of(Device.deadpan), seconds=SECONDS, fps=FPS, seed=3).frames
    again = sketch().animate(shot_of(Device.deadpan), seconds=SECONDS, fps=FPS, seed=3).frames
    other = sketch().animate(shot_of(Device.deadpan), seconds=SECONDS, fps=FPS, seed=4).frames
    assert all(np.array_equal(pixels(a), pixels(b)) for a, b in zip(first, again))
    assert any(not np.array_equal(pixels(a), pixels(b)) for a, b in zip(first, other))


def test_a_still_the_sketch_artist_did_not_draw_gets_a_push_in():
    shot = shot_of(Device.scale_mismatch, artist="flux:schnell")
    motion = sketch().animate(shot, seconds=SECONDS, fps=FPS, seed=7)
    assert motion.details["method"] == "push-in on the still"
    assert np.array_equal(pixels(motion.frames[0]), pixels(shot.still))
    assert np.abs(pixels(motion.frames[motion.lettered_from // 2]) - pixels(shot.still)).mean() > 1.0


# -- lettering ----------------------------------------------------------------------------------------


def test_the_caption_lands_on_the_last_beat_in_the_letterers_exact_type():
    shot, lettering, clip = mittens_clip("mp4")
    assert clip.lettered_from <= len(clip.frames) - FPS, "the whole last second carries the caption"
    for frame in clip.frames[clip.lettered_from :]:
        assert np.array_equal(pixels(frame), pixels(lettering.lettered)), "the held still, lettered as the still is"
    before = clip.frames[clip.lettered_from - 1]
    assert not np.array_equal(pixels(before), pixels(lettering.lettered)), "no caption before the last beat"
    panel = clip.frames[0].crop((0, 0, *shot.still.size))
    assert np.array_equal(pixels(panel), pixels(shot.still))


@pytest.mark.slow
def test_ocr_reads_the_caption_off_the_last_second_of_the_encoded_clip():
    rapidocr = pytest.importorskip("rapidocr_onnxruntime")
    from sightgag.letterer import letter_with_boxes
    from test_lettering_ocr import line_crops, normalise

    shot, lettering, clip = mittens_clip("mp4")
    with av.open(io.BytesIO(clip.data)) as container:
        decoded = [frame.to_image() for frame in container.decode(video=0)]
    boxes = letter_with_boxes(shot.still, shot.concept)
    reader = rapidocr.RapidOCR()
    for frame in (decoded[-FPS], decoded[-1]):
        boxes.image = frame
        crops = [crop for block in line_crops(boxes) for crop in block]
        read = " ".join(text for text, _ in reader.text_rec(crops)[0])
        assert normalise(read) == normalise(shot.concept.caption.text)
    boxes.image = decoded[clip.lettered_from - 2]
    early = reader.text_rec([crop for block in line_crops(boxes) for crop in block])[0]
    assert normalise(" ".join(text for text, _ in early)) != normalise(shot.concept.caption.text)


@pytest.mark.parametrize("style", ["balloon", "meme", "label", "caption"])
def test_the_lettering_stays_whole_over_whatever_moves_under_it(style):
    from sightgag.letterer import letter_with_boxes

    shot = shot_of(Device.role_reversal)
    lettering = ClipLettering(shot.still, shot.concept, style)
    assert np.array_equal(pixels(lettering.lettered_frame(shot.still)), pixels(lettering.lettered))
    # Over a black frame and a white one, the type reads the same: it is laid on, not blended in. A balloon
    # and a caption band are opaque behind their lines; meme and label type is its letters alone.
    on_black = pixels(lettering.lettered_frame(Image.new("RGB", shot.still.size, "black")))
    on_white = pixels(lettering.lettered_frame(Image.new("RGB", shot.still.size, "white")))
    lines = [box for drawn in letter_with_boxes(shot.still, shot.concept, style).texts for box in drawn.line_boxes]
    assert lines
    opaque = style in ("balloon", "caption")
    inked = np.asarray(lettering.mask) > 0
    for left, top, right, bottom in lines:
        same = np.all(on_black[top:bottom, left:right] == on_white[top:bottom, left:right], axis=2)
        assert same.all() if opaque else same[inked[top:bottom, left:right]].all()
        assert same.mean() > 0.2, "the lines are there"


# -- encoding ------------------------------------------------------------------------------------------


def test_the_mp4_is_h264_that_browsers_play_with_every_frame():
    shot, lettering, clip = mittens_clip("mp4")
    data = clip.data
    assert data.index(b"moov") < data.index(b"mdat"), "faststart: the index comes first"
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert stream.codec_context.pix_fmt == "yuv420p"
        decoded = [frame.to_image() for frame in container.decode(video=0)]
    assert len(decoded) == FRAMES
    assert decoded[0].size == even_size(lettering.size)
    # Within H.264's loss (mostly 4:2:0's halved colour on ink edges): each decoded frame is the one encoded.
    assert psnr(decoded[0].crop((0, 0, SIZE, SIZE)), shot.still) >= 28, "the first frame is the still"
    middle = len(decoded) // 2
    assert psnr(decoded[middle], clip.frames[middle]) >= 28
    assert psnr(decoded[middle], clip.frames[middle]) > psnr(decoded[middle], clip.frames[0]) + 3
    assert clip.record["bytes_per_second"] == round(len(data) / SECONDS)
    assert clip.record["size"] == "{}x{}".format(*decoded[0].size)


@pytest.mark.parametrize("fmt", ["gif", "webp"])
def test_gif_and_webp_hold_every_frame(fmt):
    shot, lettering, clip = mittens_clip(fmt)
    with Image.open(io.BytesIO(clip.data)) as picture:
        assert picture.format == fmt.upper()
        assert picture.size == lettering.size
        first = pixels(picture.convert("RGB"))[: SIZE, : SIZE]
        # Pillow stores a run of identical frames (the held last beat) as one frame shown for longer.
        durations = []
        for index in range(picture.n_frames):
            picture.seek(index)
            picture.load()  # WebP reads a frame's duration as it decodes it
            durations.append(picture.info["duration"])
    shown = sum(round(duration * FPS / 1000) for duration in durations)
    assert shown == FRAMES
    assert abs(sum(durations) - SECONDS * 1000) <= 10 * len(durations), "GIF keeps time in hundredths of a second"
    # A GIF has 256 colours and WebP is lossy: close, not equal.
    assert np.abs(first - pixels(shot.still)).mean() < 12


def test_a_gif_has_one_palette_so_its_frames_are_stored_as_what_changed(monkeypatch):
    from PIL import GifImagePlugin

    # Pillow reads a frame as paletted only while its palette is the first frame's.
    monkeypatch.setattr(GifImagePlugin, "LOADING_STRATEGY", GifImagePlugin.LoadingStrategy.RGB_AFTER_DIFFERENT_PALETTE_ONLY)
    _, _, clip = mittens_clip("gif")
    modes, full_frames = set(), 0
    with Image.open(io.BytesIO(clip.data)) as picture:
        for index in range(picture.n_frames):
            picture.seek(index)
            full_frames += picture.tile[0][1] == (0, 0, *picture.size)  # the region this frame stores
            picture.load()
            modes.add(picture.mode)
    assert modes == {"P"}
    assert full_frames < picture.n_frames // 2  # most frames store only the part that moved


def test_bad_clip_settings_are_refused_before_any_work():
    shot = shot_of(Device.deadpan)
    for options in ({"seconds": 0.2}, {"seconds": 60}, {"fps": 2}, {"fps": 120}, {"fmt": "avi"}):
        with pytest.raises(UsageError):
            film(sketch(), shot, **{"seconds": 1.0, "fps": 12, "fmt": "mp4", "seed": 1, **options})
    with pytest.raises(UsageError):
        load_animator("sketch:big", Settings())
    with pytest.raises(UsageError):
        load_animator("wobble", Settings())
    with pytest.raises(UsageError, match="--size is for the local video models"):
        load_animator("sketch", Settings(), size=(64, 64))
    # With no GPU (as here), `auto` is the offline sketch animator.
    assert load_animator(None, Settings()).spec == load_animator("auto", Settings()).spec == "sketch"


# -- filed with the gag ------------------------------------------------------------------------------


def sightgag(*args: str, home: Path) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if not key.endswith("_API_KEY")}
    environment["SIGHTGAG_HOME"] = str(home)
    return subprocess.run([SIGHTGAG, *args], capture_output=True, text=True, env=environment, timeout=300)


def test_make_animate_files_the_clip_with_the_gag_and_gallery_show_lists_it(tmp_path):
    made = sightgag(
        "make", "my cat Mittens as a superhero fighting a giant ball of yarn",
        *("--writer", "offline", "--artist", "sketch", "--size", "320x320", "--seed", "5", "--animate", "--json"),
        *("--out", str(tmp_path / "out")),
        home=tmp_path,
    )
    assert made.returncode == 0, made.stderr
    gag = json.loads(made.stdout)
    clip = gag["clip"]
    assert Path(clip["file"]).parent == tmp_path / "out", "--out gets the clip too"
    assert Path(clip["file"]).is_file() and Path(clip["file"]).stat().st_size == clip["bytes"]
    made_with = (clip["animator"], clip["model"], clip["seed"], clip["fps"], clip["frames"])
    assert made_with == ("sketch", "sketch", 5, 24, 72)
    assert clip["details"]["method"].startswith("layers moved"), "the filed render was taken apart, not just zoomed"

    gif = sightgag("animate", gag["id"], "--format", "gif", "--seconds", "1", "--fps", "10", "--json", home=tmp_path)
    assert gif.returncode == 0, gif.stderr
    assert json.loads(gif.stdout)["frames"] == 10

    shown = json.loads(sightgag("gallery", "show", gag["id"], "--json", home=tmp_path).stdout)
    assert [c["format"] for c in shown["clips"]] == ["mp4", "gif"]
    assert all(Path(c["file"]).is_file() for c in shown["clips"])
    assert Path(shown["clips"][0]["file"]).read_bytes() == Path(clip["file"]).read_bytes()
    text = sightgag("gallery", "show", gag["id"], home=tmp_path).stdout
    assert "clip:" in text and Path(shown["clips"][1]["file"]).name in text

    refused = sightgag("animate", gag["id"], "--fps", "500", home=tmp_path)
    assert refused.returncode == 2 and "--fps" in refused.stderr
    missing = sightgag("animate", "nosuchgag", home=tmp_path)
    assert missing.returncode != 0 and missing.stderr.strip()
    again = json.loads(sightgag("gallery", "show", gag["id"], "--json", home=tmp_path).stdout)
    assert len(again["clips"]) == 2, "a refused clip files nothing"


def test_studio_animate_gives_the_same_clip_for_the_same_gag(tmp_path):
    from sightgag.studio import Studio

    studio = Studio(writer="offline", artist="sketch", settings=Settings(home=tmp_path))
    photo = tmp_path / "rex.png"
    Image.new("RGB", (64, 64), "brown").save(photo)
    studio.subjects.add("Rex", [photo], kind="dog", traits=["brown fur", "floppy ears"])
    gag = studio.make("my dog Rex as a judge at a baking show", seed=11, size=(256, 256))
    assert gag.subjects == ["Rex"]
    one = studio.animate(gag.id, seconds=1, fps=8, format="webp")
    two = studio.animate(gag.id, seconds=1, fps=8, format="webp")
    assert one["id"] != two["id"]
    assert Path(one["file"]).read_bytes() == Path(two["file"]).read_bytes()
    assert one["seed"] == gag.seed and one["image"] == 0
    # The subject's colour tints the hero in the still; the animator draws it again the same way.
    assert one["details"]["method"].startswith("layers moved")


def test_clips_filed_at_once_keep_every_record(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    from sightgag.clips import ClipShelf

    (tmp_path / "gallery" / "20260101-000000-abcdef").mkdir(parents=True)
    shelf = ClipShelf(tmp_path)
    with ThreadPoolExecutor(4) as pool:
        filed = list(pool.map(lambda n: shelf.add("20260101-000000-abcdef", bytes([n]), "gif", {"seed": n}), range(12)))
    listed = shelf.list("20260101-000000-abcdef")
    assert sorted(clip["seed"] for clip in listed) == list(range(12))
    assert {clip["id"] for clip in listed} == {clip["id"] for clip in filed}
    assert all(Path(clip["file"]).read_bytes() == bytes([clip["seed"]]) for clip in listed)
    with pytest.raises(Exception, match="deleted while animating"):
        shelf.add("20260101-000000-fedcba", b"x", "gif", {})
